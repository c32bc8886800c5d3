/**
 * The one place local-dev asks the system about processes: is a process running, when did it
 * start, what is its command line, who is its parent, and which process listens on a TCP port.
 *
 * The start time is what makes a pid trustworthy: after a crash or a reboot the pid in a lock or
 * state file can belong to an unrelated process, and only a start time recorded with the pid
 * tells the two apart. Each platform has its own way to know:
 * - Linux: /proc/<pid>/stat (state, parent, start time in clock ticks after boot) and cmdline;
 * - macOS: one `ps -o stat= -o ppid= -o lstart= -o command= -p <pid>` (no /proc there), run in
 *   the C locale and UTC so the start time reads the same in every language and time zone;
 * - anything else: kill(pid, 0) tells "running", and the rest is unknown ('' or undefined, as each
 *   function says). Callers must not signal a pid whose command line they could not read.
 * Every function takes the platform (process.platform by default), so each platform's answers are
 * tested on any machine; the parsers are pure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

const PROC = '/proc';
/** `ps` answers in milliseconds; one that takes this long is hung: the facts are then unknown. */
const PS_TIMEOUT_MS = 5000;

/** What one look at a running (or zombie) process shows. */
export interface ProcessFacts {
  /** One letter: R running, S sleeping, Z zombie, X dead, … (Linux /proc and `ps -o stat` agree). */
  state: string;
  parentPid: number;
  /** Linux: clock ticks after boot; macOS: `2026-12-06T10:00:01Z` (whole seconds, UTC). */
  startTime: string;
  /** Arguments joined by spaces; undefined where this look did not read it (Linux reads it apart). */
  commandLine?: string;
}

/** A process that runs (or is a zombie), one that does not, or 'unknown' when the platform cannot tell. */
export type ProcessLook = ProcessFacts | 'gone' | 'unknown';

/** Pure: /proc/<pid>/stat → state, parent, start time. */
export function parseProcStat(stat: string): ProcessFacts {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], parentPid: Number(fields[1]), startTime: fields[19] };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Pure: the output of `ps -o stat= -o ppid= -o lstart= -o command= -p <pid>` (C locale, TZ=UTC)
 * → the facts; '' (no such process: ps prints nothing) → 'gone'; anything unreadable → 'unknown'.
 * lstart is "Sun Dec  6 10:00:01 2026" on macOS and in Linux's procps alike.
 */
export function parsePsOutput(output: string): ProcessLook {
  const line = output.split('\n').find((candidate) => candidate.trim() !== '');
  if (line === undefined) return 'gone';
  const match = /^\s*(\S+)\s+(\d+)\s+[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}:\d{2}:\d{2})\s+(\d{4})(?:\s+(.*))?$/.exec(line);
  const month = match ? MONTHS.indexOf(match[3]) : -1;
  if (!match || month === -1) return 'unknown';
  const startTime = `${match[6]}-${String(month + 1).padStart(2, '0')}-${match[4].padStart(2, '0')}T${match[5]}Z`;
  return { state: match[1][0], parentPid: Number(match[2]), startTime, commandLine: (match[7] ?? '').trim() };
}

/**
 * Pure: is the process recorded with `recordedStart` the one `look` shows? 'same' (running, and the
 * start time matches or none was recorded), 'gone' (not running, a zombie, or a reused pid), or
 * 'unconfirmed' (the platform cannot tell).
 */
export function sameProcess(look: ProcessLook, recordedStart: string): 'same' | 'gone' | 'unconfirmed' {
  if (look === 'gone') return 'gone';
  if (look === 'unknown') return 'unconfirmed';
  if (look.state === 'Z' || look.state === 'X') return 'gone';
  if (recordedStart === '' || look.startTime === recordedStart) return 'same';
  return 'gone';
}

/** Linux: /proc/<pid>/stat; 'unknown' when there is no /proc to read. */
function lookInProc(pid: number): ProcessLook {
  let stat: string;
  try {
    stat = readFileSync(`${PROC}/${pid}/stat`, 'utf8');
  } catch (error) {
    // No such process (ENOENT), unless there is no /proc at all (a chroot, a container without it).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return existsSync(`${PROC}/self/stat`) ? 'gone' : 'unknown';
    return 'unknown';
  }
  return parseProcStat(stat);
}

/** macOS: one `ps`; 'unknown' when ps cannot run or says something else than expected. */
function lookWithPs(pid: number): ProcessLook {
  const result = spawnSync('ps', ['-o', 'stat=', '-o', 'ppid=', '-o', 'lstart=', '-o', 'command=', '-p', String(pid)], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
    timeout: PS_TIMEOUT_MS,
  });
  if (result.error || result.status === null) return 'unknown';
  // ps exits 1 with no output for a pid that does not exist.
  if (result.status !== 0) return result.stdout.trim() === '' ? 'gone' : 'unknown';
  return parsePsOutput(result.stdout);
}

/** One look at `pid` the way `platform` allows. */
export function lookAtProcess(pid: number, platform: NodeJS.Platform = process.platform): ProcessLook {
  if (!Number.isInteger(pid) || pid <= 0) return 'gone';
  if (platform === 'linux') return lookInProc(pid);
  if (platform === 'darwin') return lookWithPs(pid);
  return 'unknown';
}

/** Start time of `pid` (see ProcessFacts.startTime), or '' where it cannot be known. */
export function processStartTime(pid: number, platform: NodeJS.Platform = process.platform): string {
  const look = lookAtProcess(pid, platform);
  return typeof look === 'object' ? look.startTime : '';
}

/** Where the platform cannot tell: kill(pid, 0) still knows whether some process has that pid. */
function anyProcessHasPid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — still running.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is running (a zombie is not). With `startTime` (from processStartTime when the
 * pid was recorded), a running process that started at another time is a reused pid: not running.
 * Where the platform cannot tell the start time, any process with that pid counts as running (so
 * a lock is waited for rather than taken from a live owner).
 */
export function isProcessAlive(pid: number, startTime = '', platform: NodeJS.Platform = process.platform): boolean {
  const verdict = sameProcess(lookAtProcess(pid, platform), startTime);
  return verdict === 'unconfirmed' ? anyProcessHasPid(pid) : verdict === 'same';
}

/**
 * The command line of a running process (arguments joined by spaces); '' when it runs but its
 * command line cannot be read (a platform local-dev cannot ask, or another user's process); undefined
 * when no such process runs (a zombie counts as gone, and so does a pid reused since `startTime`).
 */
export function liveCommandLine(pid: number, startTime = '', platform: NodeJS.Platform = process.platform): string | undefined {
  const look = lookAtProcess(pid, platform);
  const verdict = sameProcess(look, startTime);
  if (verdict === 'gone') return undefined;
  if (verdict === 'unconfirmed') return anyProcessHasPid(pid) ? '' : undefined;
  if (typeof look === 'object' && look.commandLine !== undefined) return look.commandLine;
  try {
    return readFileSync(`${PROC}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // It ended between the two reads.
    if (code === 'ENOENT') return undefined;
    // Not ours to read: alive, command unknown.
    if (code === 'EACCES' || code === 'EPERM') return '';
    throw error;
  }
}

/** The parent of a running process, or undefined when it is gone or the platform cannot tell. */
export function parentPid(pid: number, platform: NodeJS.Platform = process.platform): number | undefined {
  const look = lookAtProcess(pid, platform);
  return typeof look === 'object' && look.parentPid > 0 ? look.parentPid : undefined;
}

/** Socket inodes listening on TCP `port` (IPv4 and IPv6), from /proc/net/tcp{,6} (Linux only). */
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
