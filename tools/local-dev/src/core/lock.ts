/**
 * One local-dev command at a time on one thing (a clone, a service's container): a lock file.
 *
 * The file holds who owns it: the owner's pid and that pid's start time (so a pid reused after a
 * crash or a reboot is not mistaken for the owner), what it is doing, and the command the user
 * ran (so a waiting command can say whom it waits for). It is created complete — written to a temp
 * file, then hard-linked into place, which fails if a lock exists — and removed when the work ends,
 * whether it succeeded or not.
 *
 * A lock whose owner has died (Ctrl-C, kill -9, a closed terminal, a crash) or whose pid now
 * belongs to another process is taken over at once: renamed to a unique name first, and deleted
 * only if the renamed file is still the one judged stale — so two commands finding the same stale
 * lock cannot both take it, and a fresh lock made in between is put back. A live owner is waited
 * for, saying whom we wait for and for how long, up to a timeout.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './errors';
import { isProcessAlive, liveCommandLine, parentPid, processStartTime } from './proc';
import { readTextIfExists } from './read-if-exists';
import { PRIVATE_DIR_MODE } from './private-dir';

/** Long enough for a big first clone, or an image build plus a slow healthcheck, by the other command. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;
/** A waiting command says so at once, then again this often, with the time it has waited. */
const DEFAULT_REPORT_EVERY_MS = 10_000;

export interface LockHolder {
  /** The process that holds the lock (for an Nx task: the task's process). */
  pid: number;
  /** Its start time (proc.ts' processStartTime): a pid running with another start time was reused. */
  startTime: string;
  /** What the holder is doing, e.g. "up svc-0" or "inject-config for namespace s2". */
  purpose: string;
  /** The command the user ran, e.g. "nx run-many -t up --namespace=s1". */
  command: string;
  /** That command's pid: the one to stop. */
  commandPid: number;
  /** ISO time the lock was taken. */
  since: string;
  /** Makes every lock record unique, so a re-check after rename compares the very same lock. */
  nonce: string;
}

/** Proof of holding a lock, required by the functions that only run under it. */
export interface HeldLock {
  readonly path: string;
  readonly record: string;
}

export interface LockOptions {
  /** What the lock guards, in messages: "cloned/health-api", "service svc-0". */
  subject: string;
  /** Shown to a command that has to wait for this one. */
  purpose: string;
  log: (line: string) => void;
  /** The error thrown when the wait times out (each caller its own kind of error). */
  timeoutError: (message: string, fix: string) => Error;
  timeoutMs?: number;
  pollMs?: number;
  reportEveryMs?: number;
}

/**
 * Nx's own processes between the user's command and a task (the task runner's fork wrapper, the
 * executor host, the batch worker): their command lines say nothing to the user, so the command
 * recorded is the first ancestor that is none of them — `nx run-many -t up …`.
 */
const NX_INTERNAL = /\/nx\/(dist\/)?(bin\/run-executor\.js|src\/tasks-runner\/(fork\.js|batch\/run-batch\.js))\b/;

/** The command this process belongs to, as the user typed it, and its pid. */
export function commandOfThisRun(): { command: string; pid: number } {
  let pid = process.pid;
  for (let depth = 0; depth < 5; depth++) {
    const commandLine = liveCommandLine(pid);
    if (commandLine === undefined || commandLine === '') break;
    if (!NX_INTERNAL.test(commandLine)) return { command: shortCommand(commandLine), pid };
    const parent = parentPid(pid);
    if (parent === undefined) break;
    pid = parent;
  }
  return { command: shortCommand(process.argv.join(' ')), pid: process.pid };
}

/** Pure: `/usr/bin/node /w/node_modules/.bin/nx run-many -t up` → `nx run-many -t up`. */
export function shortCommand(commandLine: string): string {
  const short = commandLine
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\S*\bnode\s+\S*\/(?:\.bin\/nx|nx\/bin\/nx\.js)(?=\s|$)/, 'nx');
  return short.length > 160 ? `${short.slice(0, 157)}…` : short;
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

/** "`nx run-many -t up` (pid 4242; up svc-0, for 12 s)", for waiting and timeout messages. */
export function describeHolder(holder: LockHolder | undefined, now = Date.now()): string {
  if (!holder) return 'a command whose lock record is unreadable';
  const task = holder.pid === holder.commandPid ? '' : `, task pid ${holder.pid}`;
  return `\`${holder.command}\` (pid ${holder.commandPid}${task}; ${holder.purpose}, for ${seconds(now - Date.parse(holder.since))})`;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as LockHolder;
    return typeof parsed.pid === 'number' && typeof parsed.nonce === 'string' ? parsed : undefined;
  } catch {
    // Unreadable record (edited or truncated by hand): treated as a dead holder's, see acquireLock.
    return undefined;
  }
}

/** Who holds the lock at `lockPath` right now (a dead holder included), or undefined when nobody does. */
export function readLockHolder(lockPath: string): LockHolder | undefined {
  const text = readTextIfExists(lockPath);
  return text === undefined ? undefined : parseHolder(text);
}

/** Creates the lock if nobody holds it; returns the record written, or undefined when it exists. */
function tryCreate(lockPath: string, purpose: string, command: { command: string; pid: number }): string | undefined {
  const holder: LockHolder = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    purpose,
    command: command.command,
    commandPid: command.pid,
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const record = `${JSON.stringify(holder)}\n`;
  const temporary = `${lockPath}.${process.pid}-${holder.nonce}.tmp`;
  mkdirSync(path.dirname(lockPath), { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    // Inside the try: a full disk can fail the write after the file was made, which must not stay.
    writeFileSync(temporary, record);
    linkSync(temporary, lockPath);
    return record;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Errors that say the file system refuses to write here (read-only, full, not ours to write). */
const WRITE_REFUSED = new Set(['EROFS', 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM']);

export function isWriteRefused(error: unknown): boolean {
  return WRITE_REFUSED.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Pure: what is at a lock path that is not a plain file, in words. */
export function describeNotALock(stats: Pick<Stats, 'isSymbolicLink' | 'isDirectory'>, linkTarget: string | undefined, targetExists: boolean): string {
  if (stats.isSymbolicLink()) return `a symbolic link to ${linkTarget}${targetExists ? '' : ', which does not exist'}`;
  return stats.isDirectory() ? 'a folder' : 'neither a plain file nor a folder';
}

/** The record in the lock file, or undefined when there is none. Anything but a plain file there is refused (see the header). */
function readExistingRecord(lockPath: string, subject: string): string | undefined {
  const stats = lstatSync(lockPath, { throwIfNoEntry: false });
  if (stats === undefined) return undefined;
  if (!stats.isFile()) {
    const target = stats.isSymbolicLink() ? readlinkSync(lockPath) : undefined;
    const targetExists = target !== undefined && lstatSync(path.resolve(path.dirname(lockPath), target), { throwIfNoEntry: false }) !== undefined;
    throw new UsageError(
      `${subject}: cannot take the lock: ${lockPath} is ${describeNotALock(stats, target, targetExists)}, not a lock file (local-dev makes its locks as plain files)`,
      {
        fix: `remove it (rm${stats.isDirectory() ? ' -r' : ''} ${lockPath}) and run the command again`,
      },
    );
  }
  return readTextIfExists(lockPath);
}

/** Takes away a lock whose holder is dead, unless it changed since it was judged stale. */
function takeOverStale(lockPath: string, staleRecord: string): boolean {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    // Gone already: another command took it over first; the caller simply tries again.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (readFileSync(aside, 'utf8') === staleRecord) {
    rmSync(aside, { force: true });
    return true;
  }
  // We moved a live lock made after our check: put it back without overwriting anything. (If a
  // third command created a lock in these microseconds, link fails and that command's lock stands.)
  try {
    linkSync(aside, lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  rmSync(aside, { force: true });
  return false;
}

/**
 * Removes the lock at `lockPath` when its holder is dead, exactly as a waiting command takes one over
 * (a lock made again since it was read stays); true when it removed it. For tidying up, as clean does.
 */
export function removeStaleLock(lockPath: string): boolean {
  const record = readTextIfExists(lockPath);
  if (record === undefined) return false;
  const holder = parseHolder(record);
  if (holder !== undefined && isProcessAlive(holder.pid, holder.startTime)) return false;
  return takeOverStale(lockPath, record);
}

/**
 * Pure: the pid of the command that made a lock's leftover file, its temporary (`<lock>.<pid>-<nonce>.tmp`,
 * written while it takes the lock) or its set-aside (`<lock>.stale-<pid>-<nonce>`, while it takes one over).
 */
export function lockLeftoverPid(name: string): number | undefined {
  const match = /\.lock\.(?:stale-)?(\d+)-[0-9a-f]+(?:\.tmp)?$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function acquireLock(lockPath: string, options: LockOptions): Promise<HeldLock> {
  const lock = await acquire(lockPath, options);
  if (lock === undefined) throw new Error(`lock invariant broken: ${lockPath} acquired without the lock`);
  return lock;
}

/**
 * Takes the lock, waiting for a live owner. With `unwritable`, a lock folder that refuses writes
 * gives undefined (after waiting for a live owner, whose lock can still be read), and `unwritable`
 * hears why.
 */
async function acquire(lockPath: string, options: LockOptions, unwritable?: (problem: string) => void): Promise<HeldLock | undefined> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const reportEveryMs = options.reportEveryMs ?? DEFAULT_REPORT_EVERY_MS;
  const startedAt = Date.now();
  const command = commandOfThisRun();
  let lastHolder = '';
  let lastSaidAt = 0;
  for (;;) {
    let refused: Error | undefined;
    try {
      const record = tryCreate(lockPath, options.purpose, command);
      if (record !== undefined) return { path: lockPath, record };
    } catch (error) {
      if (unwritable === undefined || !isWriteRefused(error)) throw error;
      refused = error as Error;
    }
    const existing = readExistingRecord(lockPath, options.subject);
    const holder = existing === undefined ? undefined : parseHolder(existing);
    const alive = holder !== undefined && isProcessAlive(holder.pid, holder.startTime);
    if (refused && !alive) {
      // Nobody holds it, or a dead owner does (taking over would need a write too).
      unwritable?.(`the lock on ${options.subject} (${refused.message})`);
      return undefined;
    }
    if (existing === undefined) continue;
    if (!holder || !alive) {
      if (takeOverStale(lockPath, existing)) {
        const whose = holder ? `\`${holder.command}\` (pid ${holder.pid}; ${holder.purpose}), which is no longer running` : 'an unreadable lock record';
        options.log(`took over the lock on ${options.subject} left by ${whose}`);
      }
      continue;
    }
    const now = Date.now();
    const waited = now - startedAt;
    if (waited >= timeoutMs) {
      throw options.timeoutError(
        `still in use by another local-dev command after waiting ${seconds(waited)}: ${describeHolder(holder, now)}`,
        `let that command finish, or stop it (kill ${holder.commandPid}) and run again; a lock left by a command that has ended is taken over automatically (lock file: ${lockPath})`,
      );
    }
    if (holder.nonce !== lastHolder || now - lastSaidAt >= reportEveryMs) {
      const again = holder.nonce === lastHolder ? 'still ' : '';
      options.log(
        `${again}waiting for ${options.subject}: in use by ${describeHolder(holder, now)}; waited ${seconds(waited)} so far (gives up after ${seconds(timeoutMs)})`,
      );
      lastHolder = holder.nonce;
      lastSaidAt = now;
    }
    await sleep(options.pollMs ?? 200);
  }
}

/** Removes the lock if it is still ours (a lock taken over from us is left to its new owner). */
export function releaseLock(lock: HeldLock): void {
  if (readTextIfExists(lock.path) === lock.record) rmSync(lock.path, { force: true });
}

/** Runs `body` holding the lock at `lockPath`, releasing it however `body` ends. */
export async function withLock<T>(lockPath: string, options: LockOptions, body: (lock: HeldLock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(lockPath, options);
  try {
    return await body(lock);
  } finally {
    releaseLock(lock);
  }
}

/**
 * For work that frees things (stop, down, restart), given `unwritable`: runs `body` holding the
 * lock when the lock folder can be written, and without it when it refuses writes (see the
 * header); `unwritable` hears of each lock not taken or not removed, for the caller to say once
 * the work is done. Without `unwritable`, exactly withLock.
 */
export async function withLockIfWritable<T>(
  lockPath: string,
  options: LockOptions,
  body: () => Promise<T>,
  unwritable?: (problem: string) => void,
): Promise<T> {
  if (unwritable === undefined) return withLock(lockPath, options, body);
  const lock = await acquire(lockPath, options, unwritable);
  try {
    return await body();
  } finally {
    if (lock !== undefined) {
      try {
        releaseLock(lock);
      } catch (error) {
        // Writable when taken, refused since: the lock stays, and is taken over once we have ended.
        if (!isWriteRefused(error)) throw error;
        unwritable(`removing the lock on ${options.subject} (${(error as Error).message})`);
      }
    }
  }
}

/** Pure: the warning for what a command that freed things could not write, or undefined when it wrote everything. */
export function unwrittenWarning(task: string, problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined;
  return [
    `⚠ ${task}: logs/ refused these writes; the work went on without them:`,
    ...problems.map((problem) => `  - ${problem}`),
    '  fix: make logs/ writable again (free disk space, or make it read-write) before the next run',
  ].join('\n');
}
