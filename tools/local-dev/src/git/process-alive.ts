/**
 * Is the process that left something behind (a partial clone folder, a lock) still running?
 * Linux answers through /proc, including the process's start time, so a pid reused by an unrelated
 * process after a crash is not mistaken for the original owner. Elsewhere kill(pid, 0) answers.
 */
import { existsSync, readFileSync } from 'node:fs';

interface ProcStat {
  /** One letter: R running, S sleeping, Z zombie, X dead, … */
  state: string;
  /** Clock ticks after boot at which the process started (field 22 of /proc/<pid>/stat). */
  startTime: string;
}

/** The state and start time from /proc/<pid>/stat; 'gone' when /proc exists but the pid does not; undefined without /proc. */
function procStat(pid: number): ProcStat | 'gone' | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // No such process (ENOENT) or no /proc (macOS): the caller falls back to kill(pid, 0).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return existsSync('/proc/self/stat') ? 'gone' : undefined;
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] };
}

/** Start time of `pid` as /proc tells it, or '' where it cannot be known. */
export function processStartTime(pid: number): string {
  const stat = procStat(pid);
  return typeof stat === 'object' ? stat.startTime : '';
}

/**
 * Whether `pid` is running (a zombie is not). With `startTime` (from processStartTime when the
 * record was made), a running process that started at another time is a reused pid: not running.
 */
export function isProcessAlive(pid: number, startTime = ''): boolean {
  const stat = procStat(pid);
  if (stat === 'gone') return false;
  if (stat !== undefined) {
    if (stat.state === 'Z' || stat.state === 'X') return false;
    return startTime === '' || stat.startTime === startTime;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — still running.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a running process, for messages ("held by pid 123: nx run …"); '' if unknown. */
export function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch (error) {
    // Only used to make a message more helpful; the lock record carries the command anyway.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
