/**
 * The one place local-dev reads /proc: is a process running, when did it start, what is its
 * command line, who is its parent, and which process listens on a TCP port.
 *
 * Linux answers all of it through /proc. The start time is what makes a pid trustworthy: after a
 * crash or a reboot the pid in a lock or state file can belong to an unrelated process, and only
 * a start time recorded with the pid tells the two apart. Elsewhere (macOS) kill(pid, 0) answers
 * "is it running", and the rest is unknown ('' or undefined, as each function says).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

const PROC = '/proc';

interface ProcStat {
  /** One letter: R running, S sleeping, Z zombie, X dead, … */
  state: string;
  /** The parent's pid (field 4 of /proc/<pid>/stat). */
  parentPid: number;
  /** Clock ticks after boot at which the process started (field 22 of /proc/<pid>/stat). */
  startTime: string;
}

/** /proc/<pid>/stat, parsed; 'gone' when /proc exists but the pid does not; undefined without /proc. */
function procStat(pid: number): ProcStat | 'gone' | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return 'gone';
  let stat: string;
  try {
    stat = readFileSync(`${PROC}/${pid}/stat`, 'utf8');
  } catch (error) {
    // No such process (ENOENT) or no /proc (macOS): the caller falls back to kill(pid, 0).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return existsSync(`${PROC}/self/stat`) ? 'gone' : undefined;
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], parentPid: Number(fields[1]), startTime: fields[19] };
}

/** Start time of `pid` as /proc tells it (clock ticks after boot), or '' where it cannot be known. */
export function processStartTime(pid: number): string {
  const stat = procStat(pid);
  return typeof stat === 'object' ? stat.startTime : '';
}

/**
 * Whether `pid` is running (a zombie is not). With `startTime` (from processStartTime when the
 * pid was recorded), a running process that started at another time is a reused pid: not running.
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

/**
 * The command line of a running process (arguments joined by spaces); '' when it runs but its
 * command line cannot be read (not Linux, or another user's process); undefined when no such
 * process runs (a zombie counts as gone, and so does a pid reused since `startTime`, if given).
 */
export function liveCommandLine(pid: number, startTime = ''): string | undefined {
  if (!isProcessAlive(pid, startTime)) return undefined;
  try {
    return readFileSync(`${PROC}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // It ended between the two reads.
    if (code === 'ENOENT' && existsSync(`${PROC}/self/stat`)) return undefined;
    // No /proc (macOS), or not ours to read: alive, command unknown.
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') return '';
    throw error;
  }
}

/** The parent of a running process, or undefined when it is gone or /proc cannot tell. */
export function parentPid(pid: number): number | undefined {
  const stat = procStat(pid);
  return typeof stat === 'object' && stat.parentPid > 0 ? stat.parentPid : undefined;
}

/** Socket inodes listening on TCP `port` (IPv4 and IPv6), from /proc/net/tcp{,6}. */
export function listeningSocketInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${PROC}/${table}`, 'utf8');
    } catch (error) {
      // No IPv6 table on this kernel, or not Linux: nothing listens there as far as we can tell.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
      if (fields.length < 10 || fields[3] !== '0A') continue;
      if (fields[1].split(':')[1] === portHex) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * The first process holding one of the socket `inodes` open, or undefined when none is visible
 * (another user's process we may not inspect, a process in another namespace, or not Linux).
 */
export function socketOwnerPid(inodes: Set<string>): number | undefined {
  if (inodes.size === 0) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(PROC);
  } catch (error) {
    // Not Linux: no way to tell.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${PROC}/${entry}/fd`);
    } catch {
      // The process ended while we looked, or is not ours to inspect: skip it.
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${PROC}/${entry}/fd/${fd}`);
      } catch {
        // The descriptor closed between listing and reading it.
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return Number(entry);
    }
  }
  return undefined;
}
