/**
 * Watching a clone for live code: the OS's file events (@parcel/watcher: inotify on Linux, FSEvents
 * on macOS), never polling, so a clone where nothing changes costs nothing but a blocked native
 * thread. Events are gathered into bursts — a save-all, a formatter run, a `git checkout` of a
 * thousand files — and handed on as ONE list of changes: the burst ends after QUIET_MS without an
 * event, or MAX_MS after it began, whichever is first (so a never-ending stream of writes still
 * syncs every second); a LARGE_BURST waits LARGE_QUIET_MS, up to LARGE_MAX_MS. While the handler works on one burst, the next one gathers, and is handed
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
 *
 * Nothing is lost between watchers. A change the handler could not carry out (the container was
 * gone, the engine hiccuped) is owed: its version is forgotten and it goes with the next burst.
 * When a watch closes, it writes a snapshot of the clone (@parcel/watcher's writeSnapshot) and the
 * changes it still owes (gathering, or owed) to its handover files; the next watch of the clone
 * starts with those and with every change since the snapshot (getEventsSince), so the edits made
 * while no process watched (a take-over, the moment between `up` and dev's first watch) are synced.
 */
import { existsSync, lstatSync, readdirSync, rmSync, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { getEventsSince, subscribe, writeSnapshot, type AsyncSubscription, type Event } from '@parcel/watcher';
import { writeFileAtomically } from '../core/atomic-write';
import { readJsonIfExists } from '../core/read-if-exists';
import { NEVER_SYNCED_DIRS, type FileChange } from './plan';
import { unlessGone } from './sync';

export const QUIET_MS = 100;
export const MAX_MS = 1000;
/**
 * A burst this big (a checkout, an unpacked folder) waits longer for quiet: the OS's events of one
 * big operation reach us in several deliveries (the watcher's thread hands them on at most every
 * ~500 ms, later on a loaded laptop, after git has already dropped its lock), and 100 ms between
 * two of them cut one checkout into two syncs.
 */
export const LARGE_BURST = 200;
export const LARGE_QUIET_MS = 600;
export const LARGE_MAX_MS = 5000;
/** The longest a burst waits for a git command that holds the index lock. */
export const MAX_BUSY_MS = 30_000;

/** Never watched at all: git's own churn and dependency trees are no business of live code. */
const NOT_WATCHED = NEVER_SYNCED_DIRS;

export interface BurstTiming {
  quietMs: number;
  maxMs: number;
}

export interface WatchOptions {
  timing?: BurstTiming;
  /** True while a burst must not be cut yet (git holds the clone's index lock); asked only when a burst would end. */
  busy?: () => boolean;
  /** Where a closing watch leaves the clone's snapshot and what it still owes, for the next watch of the clone. */
  handover?: Handover;
}

/** The handover files of a clone's watch (see the header). */
export interface Handover {
  snapshot: string;
  owed: string;
}

export interface CloneWatch {
  /** Stops watching: a burst being handled is finished first; what is still owed is left to the next watch (handover). */
  close(): Promise<void>;
  /** Stops watching at once, without waiting for the burst being handled (its changes are left to the next watch as owed). */
  abort(): Promise<void>;
}

/**
 * The handler of a burst: returns the changes it could not carry out (owed: they go with the next
 * burst), or nothing when it carried out all of them.
 */
export type BurstHandler = (changes: FileChange[]) => Promise<FileChange[] | void>;

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
    // Gone or replaced by a file since the event: the sync reads each path again and says what it found.
    const names = unlessGone(() => readdirSync(path.join(clone, relative))) ?? [];
    for (const name of names) {
      if (NOT_WATCHED.includes(name)) continue;
      const child = `${relative}/${name}`;
      found.push({ path: child, kind: 'write' });
      const stats = lstatIfThere(path.join(clone, child));
      if (stats?.isDirectory()) visit(child);
    }
  };
  visit(folder);
  return found;
}

/** lstat, or undefined when the path is gone (its folder too, or replaced by a file since the event). */
function lstatIfThere(file: string): BigIntStats | undefined {
  return unlessGone(() => lstatSync(file, { bigint: true }));
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
    const stamp = stampOf(lstatIfThere(path.join(clone, change.path)));
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
    const stats = lstatIfThere(path.join(clone, change.path));
    return stats?.isDirectory() ? [change, ...filesBelow(clone, change.path)] : [change];
  });
}

/** What @parcel/watcher leaves out, the same for subscribe, writeSnapshot and getEventsSince. */
function ignoredIn(clone: string): string[] {
  return [...NOT_WATCHED.map((name) => path.join(clone, name)), '**/node_modules/**', '**/node_modules'];
}

/**
 * A dev process registering: writes the clone's snapshot, so the edits until a watch of the clone
 * subscribes are found by getEventsSince. When another dev process of the clone still runs (it
 * watches, or waits to take over), a snapshot there is its handover and is kept. When none runs,
 * `up` has just made this service's container the clone: an old handover (snapshot, owed) is
 * dropped, since syncing it again would only mark the fresh container live.
 */
export async function snapshotAtRegistration(clone: string, handover: Handover, othersRunning: boolean): Promise<void> {
  if (othersRunning && existsSync(handover.snapshot)) return;
  if (!othersRunning) rmSync(handover.owed, { force: true });
  await writeSnapshot(clone, handover.snapshot, { ignore: ignoredIn(clone) });
}

/** Pure: the owed changes a handover file holds (anything else in it says nothing). */
export function owedChangesOf(value: unknown): FileChange[] {
  if (!Array.isArray(value)) return [];
  return value.filter((entry: unknown): entry is FileChange => {
    if (typeof entry !== 'object' || entry === null) return false;
    const { path, kind } = entry as Partial<Record<keyof FileChange, unknown>>;
    return typeof path === 'string' && (kind === 'write' || kind === 'delete');
  });
}

/** The changes a previous watch of the clone left (owed, and every change since its snapshot); the handover files are taken (removed). */
async function takeHandover(clone: string, handover: Handover): Promise<{ owed: FileChange[]; since: { change: FileChange; created: boolean }[] }> {
  const owed = owedChangesOf(readJsonIfExists<unknown>(handover.owed));
  const since = existsSync(handover.snapshot) ? changesOf(clone, await getEventsSince(clone, handover.snapshot, { ignore: ignoredIn(clone) })) : [];
  rmSync(handover.owed, { force: true });
  rmSync(handover.snapshot, { force: true });
  return { owed, since };
}

/**
 * Watches `clone` until closed. `onBurst` gets each burst's changes (never two at once) and returns
 * those it could not carry out (owed, see the header); an error it throws (all of the burst owed),
 * or one of the watcher itself, goes to `onError` and the watch goes on.
 */
export async function watchClone(clone: string, onBurst: BurstHandler, onError: (error: unknown) => void, options: WatchOptions = {}): Promise<CloneWatch> {
  const timing = options.timing ?? { quietMs: QUIET_MS, maxMs: MAX_MS };
  let pending: { change: FileChange; created: boolean }[] = [];
  let owed: FileChange[] = [];
  let inFlight: FileChange[] = [];
  let firstAt = 0;
  let lastEventAt = 0;
  /** The burst being gathered saw git holding its index lock (see flush). */
  let gitSeen = false;
  let timer: NodeJS.Timeout | undefined;
  let handling: Promise<void> | undefined;
  let closing = false;
  const handedOn = new Map<string, string>();
  const owe = (changes: readonly FileChange[]) => {
    for (const change of changes) handedOn.delete(change.path);
    owed.push(...changes);
  };

  const flush = () => {
    timer = undefined;
    if (closing || (pending.length === 0 && owed.length === 0)) return;
    if (handling) return; // the burst after the one being handled: handed on when that one is done
    if (options.busy?.() && Date.now() - firstAt < MAX_BUSY_MS) {
      gitSeen = true;
      timer = setTimeout(flush, timing.quietMs);
      return;
    }
    // After a git command, its last events may come in a later delivery than its lock's removal
    // (a checkout's new folder reported at once, the file it writes last a moment later): a longer quiet.
    const settle = gitSeen ? Math.max(timing.quietMs, LARGE_QUIET_MS) - (Date.now() - lastEventAt) : 0;
    if (settle > 0 && Date.now() - firstAt < MAX_BUSY_MS) {
      timer = setTimeout(flush, settle);
      return;
    }
    gitSeen = false;
    const burst = pending;
    const before = owed;
    pending = [];
    owed = [];
    const handle = async () => {
      let changes: FileChange[] = [...before, ...burst.map((gathered) => gathered.change)];
      try {
        // Owed first: a later change of the same path in this burst wins.
        changes = newChanges(clone, [...before, ...expandCreatedFolders(clone, burst)], handedOn);
        inFlight = changes;
        const notCarriedOut = changes.length > 0 ? await onBurst(changes) : undefined;
        if (notCarriedOut) owe(notCarriedOut);
      } catch (error) {
        owe(changes);
        onError(error);
      }
    };
    // `.finally` runs after `handling` is set, even for a burst with nothing new (no await in handle).
    handling = handle().finally(() => {
      handling = undefined;
      inFlight = [];
      if (pending.length > 0 && !closing) schedule();
    });
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    const large = pending.length >= LARGE_BURST;
    const untilCap = firstAt + (large ? Math.max(timing.maxMs, LARGE_MAX_MS) : timing.maxMs) - Date.now();
    timer = setTimeout(flush, Math.max(0, Math.min(large ? Math.max(timing.quietMs, LARGE_QUIET_MS) : timing.quietMs, untilCap)));
  };

  const subscription: AsyncSubscription = await subscribe(
    clone,
    (error, events) => {
      if (error) {
        onError(error);
        return;
      }
      const changes = changesOf(clone, events);
      if (changes.length === 0) return;
      if (pending.length === 0) firstAt = Date.now();
      lastEventAt = Date.now();
      // Gathered while closing too: what is still pending when the snapshot is written is handed over as owed.
      pending.push(...changes);
      if (!handling && !closing) schedule();
    },
    { ignore: ignoredIn(clone) },
  );
  if (options.handover) {
    // After subscribing: a change now comes through the subscription, one before through the snapshot (a change in both is handed on once).
    const taken = await takeHandover(clone, options.handover);
    if (taken.owed.length > 0 || taken.since.length > 0) {
      owed.push(...taken.owed);
      if (pending.length === 0) firstAt = Date.now();
      pending.unshift(...taken.since);
      schedule();
    }
  }

  let stopped = false;
  const stop = async (waitForHandling: boolean) => {
    closing = true;
    if (timer) clearTimeout(timer);
    const cut = waitForHandling ? [] : inFlight;
    if (waitForHandling) await handling;
    // An abort while a close waits for the burst being handled: the abort hands over, the close then has nothing left to do.
    if (stopped) return;
    stopped = true;
    if (options.handover) {
      await writeSnapshot(clone, options.handover.snapshot, { ignore: ignoredIn(clone) });
      const left = [...cut, ...owed, ...expandCreatedFolders(clone, pending)];
      if (left.length > 0) writeFileAtomically(options.handover.owed, `${JSON.stringify(left)}\n`);
    }
    await subscription.unsubscribe();
  };
  return { close: () => stop(true), abort: () => stop(false) };
}
