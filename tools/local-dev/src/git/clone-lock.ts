/**
 * One local-dev operation at a time per clone. `up --namespace=s1` in one terminal and
 * `up --namespace=s2` (or `up --refresh`) in another would otherwise interleave clone, refresh and
 * inject-config on the same folder: one run's undo removing the other's exclude block while its
 * secrets are on disk, or two gits fighting over index.lock.
 *
 * The lock (core/lock.ts: pid + start time, safe takeover from a dead owner) is the file
 * cloned/.<dir>.lock, beside the clone rather than inside it, so the same lock guards a first
 * clone (no .git yet), a refresh and an injection: there is never a hand-over from one lock to
 * another.
 */
import * as path from 'node:path';
import { GitError } from '../core/errors';
import { acquireLock, releaseLock, withLock, type HeldLock } from '../core/lock';

/** Proof of holding a clone's lock, required by the functions that only run under it. */
export type CloneLock = HeldLock;

export interface CloneLockOptions {
  /** Shown to a run that has to wait for this one, e.g. "clone --refresh". */
  purpose: string;
  log: (line: string) => void;
  timeoutMs?: number;
  pollMs?: number;
}

/** cloned/<dir> → cloned/.<dir>.lock */
export function cloneLockPath(cloneRoot: string): string {
  return path.join(path.dirname(cloneRoot), `.${path.basename(cloneRoot)}.lock`);
}

function lockOptions(display: string, options: CloneLockOptions) {
  return { ...options, subject: display, timeoutError: (message: string, fix: string) => new GitError(display, message, { fix }) };
}

export function acquireCloneLock(cloneRoot: string, display: string, options: CloneLockOptions): Promise<CloneLock> {
  return acquireLock(cloneLockPath(cloneRoot), lockOptions(display, options));
}

export function releaseCloneLock(lock: CloneLock): void {
  releaseLock(lock);
}

/** Runs `body` holding the clone's lock, releasing it however `body` ends. */
export function withCloneLock<T>(cloneRoot: string, display: string, options: CloneLockOptions, body: (lock: CloneLock) => Promise<T>): Promise<T> {
  return withLock(cloneLockPath(cloneRoot), lockOptions(display, options), body);
}
