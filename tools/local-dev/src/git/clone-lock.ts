/**
 * One local-dev operation at a time per clone. `up --namespace=s1` in one terminal and
 * `up --namespace=s2` (or `up --refresh`) in another would otherwise interleave clone, refresh and
 * inject-config on the same folder: one run's undo removing the other's exclude block while its
 * secrets are on disk, or two gits fighting over index.lock.
 *
 * The lock is the file cloned/.<dir>.lock, beside the clone rather than inside it, so the same
 * lock guards a first clone (no .git yet), a refresh and an injection: there is never a hand-over
 * from one lock to another. It holds who owns it (pid, the pid's start time, what it is doing),
 * is created complete (written to a temp file, then hard-linked into place, which fails if a lock
 * exists) and is removed when the operation ends, whether it succeeded or not.
 *
 * A lock whose process has died (Ctrl-C, kill -9, a crash) is taken over: renamed to a unique name
 * first, and deleted only if the renamed file is still the one judged stale — so two runs finding
 * the same stale lock cannot both take it, and a fresh lock made in between is put back.
 * A live holder is waited for, with a timeout and a message naming it.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { GitError } from '../core/errors';
import { isProcessAlive, processStartTime } from './process-alive';

/** Long enough for a big first clone or refresh by the other run; a message shows we are waiting. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;
const HEARTBEAT_MS = 30_000;

export interface LockHolder {
  pid: number;
  startTime: string;
  /** What the holder is doing, e.g. "clone --refresh" or "inject-config for namespace s2". */
  purpose: string;
  /** The holder's command line. */
  command: string;
  since: string;
  /** Makes every lock record unique, so a re-check after rename compares the very same lock. */
  nonce: string;
}

/** Proof of holding a clone's lock, required by the functions that only run under it. */
export interface CloneLock {
  readonly path: string;
  readonly record: string;
}

export interface LockOptions {
  /** Shown to a run that has to wait for this one. */
  purpose: string;
  log: (line: string) => void;
  timeoutMs?: number;
  pollMs?: number;
}

/** cloned/<dir> → cloned/.<dir>.lock */
export function cloneLockPath(cloneRoot: string): string {
  return path.join(path.dirname(cloneRoot), `.${path.basename(cloneRoot)}.lock`);
}

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'a run whose lock record is unreadable';
  const command = holder.command.length > 160 ? `${holder.command.slice(0, 157)}…` : holder.command;
  return `pid ${holder.pid} (${holder.purpose}; since ${holder.since}; command: ${command})`;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as LockHolder;
    return typeof parsed.pid === 'number' && typeof parsed.nonce === 'string' ? parsed : undefined;
  } catch {
    // Unreadable record (edited or truncated by hand): treated as a dead holder's, see isStale.
    return undefined;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates the lock if nobody holds it; returns the record written, or undefined when it exists. */
function tryCreate(lockPath: string, purpose: string): string | undefined {
  const holder: LockHolder = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    purpose,
    command: process.argv.slice(1).join(' '),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const record = `${JSON.stringify(holder)}\n`;
  const temporary = `${lockPath}.${process.pid}-${holder.nonce}.tmp`;
  writeFileSync(temporary, record);
  try {
    linkSync(temporary, lockPath);
    return record;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Takes away a lock whose holder is dead, unless it changed since it was judged stale. */
function takeOverStale(lockPath: string, staleRecord: string): boolean {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    // Gone already: another run took it over first; the caller simply tries again.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (readFileSync(aside, 'utf8') === staleRecord) {
    rmSync(aside, { force: true });
    return true;
  }
  // We moved a live lock made after our check: put it back without overwriting anything. (If a
  // third run created a lock in these microseconds, link fails and that run's lock stands.)
  try {
    linkSync(aside, lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  rmSync(aside, { force: true });
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function acquireCloneLock(cloneRoot: string, display: string, options: LockOptions): Promise<CloneLock> {
  const lockPath = cloneLockPath(cloneRoot);
  mkdirSync(path.dirname(lockPath), { recursive: true });
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const startedAt = Date.now();
  let lastSaid = '';
  let lastSaidAt = 0;
  for (;;) {
    const record = tryCreate(lockPath, options.purpose);
    if (record !== undefined) return { path: lockPath, record };
    const existing = readOrUndefined(lockPath);
    if (existing === undefined) continue;
    const holder = parseHolder(existing);
    if (!holder || !isProcessAlive(holder.pid, holder.startTime)) {
      if (takeOverStale(lockPath, existing)) {
        options.log(`took over the lock on ${display} left by ${holder ? `pid ${holder.pid} (${holder.purpose}), which is no longer running` : 'an unreadable lock record'}`);
      }
      continue;
    }
    const waited = Date.now() - startedAt;
    if (waited >= timeoutMs) {
      throw new GitError(display, `is still in use by another local-dev run after waiting ${Math.round(waited / 1000)} s: ${describeHolder(holder)}`, {
        fix: `let that run finish, or stop it (kill ${holder.pid}) and re-run; a lock left by a process that has ended is taken over automatically (lock file: ${lockPath})`,
      });
    }
    const said = describeHolder(holder);
    if (said !== lastSaid || Date.now() - lastSaidAt >= HEARTBEAT_MS) {
      options.log(`${lastSaid === said ? 'still waiting' : 'waiting'} for ${display}: in use by another local-dev run, ${said} (waiting up to ${Math.round(timeoutMs / 1000)} s)`);
      lastSaid = said;
      lastSaidAt = Date.now();
    }
    await sleep(options.pollMs ?? 200);
  }
}

/** Removes the lock if it is still ours (a lock taken over from us is left to its new owner). */
export function releaseCloneLock(lock: CloneLock): void {
  if (readOrUndefined(lock.path) === lock.record) rmSync(lock.path, { force: true });
}

/** Runs `body` holding the clone's lock, releasing it however `body` ends. */
export async function withCloneLock<T>(cloneRoot: string, display: string, options: LockOptions, body: (lock: CloneLock) => Promise<T>): Promise<T> {
  const lock = await acquireCloneLock(cloneRoot, display, options);
  try {
    return await body(lock);
  } finally {
    releaseCloneLock(lock);
  }
}
