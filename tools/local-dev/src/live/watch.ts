/**
 * Watching a clone for live code: the OS's file events (@parcel/watcher: inotify on Linux, FSEvents
 * on macOS), never polling, so a clone where nothing changes costs nothing but a blocked native
 * thread. Events are gathered into bursts — a save-all, a formatter run, a `git checkout` of a
 * thousand files — and handed on as ONE list of changes: the burst ends after QUIET_MS without an
 * event, or MAX_MS after it began, whichever is first (so a never-ending stream of writes still
 * syncs every second). While the handler works on one burst, the next one gathers, and is handed
 * on once the handler is done: never two syncs of one clone at once, never a storm.
 *
 * A git command rewriting the work tree (checkout, rebase, stash) can take longer than MAX_MS on a
 * busy laptop; cutting its burst in two would sync a half-switched branch first. So while git holds
 * its index lock (`busy`), the burst keeps gathering, up to MAX_BUSY_MS.
 *
 * A folder that appears (made, or moved in whole: inotify then says nothing of what is inside it)
 * is handed on as its files too, read without following symbolic links. So the events of those
 * files, which the OS may deliver a moment later as a burst of their own, would sync them twice:
 * a write is handed on only when the file differs (inode, size, mode, mtime in ns) from what was
 * last handed on for that path.
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { subscribe, type AsyncSubscription, type Event } from '@parcel/watcher';
import type { FileChange } from './plan';

export const QUIET_MS = 100;
export const MAX_MS = 1000;
/** The longest a burst waits for a git command that holds the index lock. */
export const MAX_BUSY_MS = 30_000;

/** Never watched at all: git's own churn and dependency trees are no business of live code. */
const NOT_WATCHED = ['.git', 'node_modules'];

export interface BurstTiming {
  quietMs: number;
  maxMs: number;
}

export interface WatchOptions {
  timing?: BurstTiming;
  /** True while a burst must not be cut yet (git holds the clone's index lock); asked only when a burst would end. */
  busy?: () => boolean;
}

export interface CloneWatch {
  /** Stops watching; a burst being handled is finished first, one still gathering is dropped. */
  close(): Promise<void>;
}

/** Pure: parcel's events (absolute paths) → changes relative to the clone, posix; the clone itself is no change. */
export function changesOf(clone: string, events: readonly Pick<Event, 'path' | 'type'>[]): { change: FileChange; created: boolean }[] {
  return events.flatMap((event) => {
    const relative = path.relative(clone, event.path);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return [];
    const change: FileChange = { path: relative.split(path.sep).join('/'), kind: event.type === 'delete' ? 'delete' : 'write' };
    return [{ change, created: event.type === 'create' }];
  });
}

/** Everything below a folder of the clone, as writes (symbolic links listed, never followed; .git and node_modules left out). */
export function filesBelow(clone: string, folder: string): FileChange[] {
  const found: FileChange[] = [];
  const visit = (relative: string) => {
    let names: string[];
    try {
      names = readdirSync(path.join(clone, relative));
    } catch (error) {
      // Gone or replaced by a file since the event: the sync reads each path again and says what it found.
      if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error;
    }
    for (const name of names) {
      if (NOT_WATCHED.includes(name)) continue;
      const child = `${relative}/${name}`;
      found.push({ path: child, kind: 'write' });
      const stats = lstatSync(path.join(clone, child), { throwIfNoEntry: false });
      if (stats?.isDirectory()) visit(child);
    }
  };
  visit(folder);
  return found;
}

/** Pure: what tells one version of a path from the next (undefined: the path is gone). */
export function stampOf(stats: BigIntStats | undefined): string | undefined {
  return stats === undefined ? undefined : `${stats.ino}:${stats.size}:${stats.mode}:${stats.mtimeNs}`;
}

/**
 * The changes worth handing on: a write whose path is as it was when last handed on is dropped
 * (see the header); `handedOn` remembers each path's stamp, and forgets a deleted one.
 */
export function newChanges(clone: string, changes: readonly FileChange[], handedOn: Map<string, string>): FileChange[] {
  const fresh: FileChange[] = [];
  for (const change of changes) {
    if (change.kind === 'delete') {
      handedOn.delete(change.path);
      fresh.push(change);
      continue;
    }
    const stamp = stampOf(lstatSync(path.join(clone, change.path), { bigint: true, throwIfNoEntry: false }));
    if (stamp !== undefined && handedOn.get(change.path) === stamp) continue;
    if (stamp === undefined) handedOn.delete(change.path);
    else handedOn.set(change.path, stamp);
    fresh.push(change);
  }
  return fresh;
}

/** The burst's changes in order, each created folder followed by what is inside it now. */
function expandCreatedFolders(clone: string, gathered: { change: FileChange; created: boolean }[]): FileChange[] {
  return gathered.flatMap(({ change, created }) => {
    if (!created || change.kind !== 'write') return [change];
    const stats = lstatSync(path.join(clone, change.path), { throwIfNoEntry: false });
    return stats?.isDirectory() ? [change, ...filesBelow(clone, change.path)] : [change];
  });
}

/**
 * Watches `clone` until closed. `onBurst` gets each burst's changes (never two at once); an error
 * it throws, or one of the watcher itself, goes to `onError` and the watch goes on.
 */
export async function watchClone(
  clone: string,
  onBurst: (changes: FileChange[]) => Promise<void>,
  onError: (error: unknown) => void,
  options: WatchOptions = {},
): Promise<CloneWatch> {
  const timing = options.timing ?? { quietMs: QUIET_MS, maxMs: MAX_MS };
  let pending: { change: FileChange; created: boolean }[] = [];
  let firstAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let handling: Promise<void> | undefined;
  let closed = false;
  const handedOn = new Map<string, string>();

  const flush = () => {
    timer = undefined;
    if (closed || pending.length === 0) return;
    if (handling) return; // the burst after the one being handled: handed on when that one is done
    if (options.busy?.() && Date.now() - firstAt < MAX_BUSY_MS) {
      timer = setTimeout(flush, timing.quietMs);
      return;
    }
    const burst = pending;
    pending = [];
    handling = (async () => {
      try {
        const changes = newChanges(clone, expandCreatedFolders(clone, burst), handedOn);
        if (changes.length > 0) await onBurst(changes);
      } catch (error) {
        onError(error);
      } finally {
        handling = undefined;
        if (pending.length > 0) schedule();
      }
    })();
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    const untilCap = firstAt + timing.maxMs - Date.now();
    timer = setTimeout(flush, Math.max(0, Math.min(timing.quietMs, untilCap)));
  };

  const subscription: AsyncSubscription = await subscribe(
    clone,
    (error, events) => {
      if (error) {
        onError(error);
        return;
      }
      const changes = changesOf(clone, events);
      if (closed || changes.length === 0) return;
      if (pending.length === 0) firstAt = Date.now();
      pending.push(...changes);
      if (!handling) schedule();
    },
    { ignore: [...NOT_WATCHED.map((name) => path.join(clone, name)), '**/node_modules/**', '**/node_modules'] },
  );
  return {
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      await subscription.unsubscribe();
      await handling;
    },
  };
}
