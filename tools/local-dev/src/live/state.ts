/**
 * Live state: what the dev target did to a service's running container, so everything else can be
 * honest about it. A container that received synced files is no longer its image; `status`, its
 * `--json`, the dashboard, `up` (which replaces such a container) and up's Nx hash all read it here.
 *
 * One record per service, logs/live/<service>.json, keyed by the container that received the files:
 * a record naming another container (the service was rebuilt or recreated since) means nothing,
 * so a new container is "image" without anyone having to delete the record.
 */
import * as path from 'node:path';
import { rmSync } from 'node:fs';
import { writeFileAtomically } from '../core/atomic-write';
import { UsageError } from '../core/errors';
import { withLock } from '../core/lock';
import { isProcessAlive } from '../core/proc';
import { makePrivateDir } from '../core/private-dir';
import { readJsonIfExists } from '../core/read-if-exists';
import type { WorkspacePaths } from '../core/workspace';

export interface LiveRecord {
  service: string;
  /** Full id of the container the files were synced into. */
  container: string;
  /** The image that container was created from. */
  image: string;
  /** Files written or deleted in the container by syncs, since it was created. */
  files: number;
  /** ISO time of the last sync. */
  lastAt: string;
  /** The last sync's line, as the dev target printed it ("synced 2 files in 140 ms; reloaded"). */
  lastSummary: string;
  /** The dev process watching for this service now; absent once it stopped (the container stays live). */
  watcher?: { pid: number; startTime: string };
  /** ISO time live mode was left for this service (the dashboard's Rebuild): the watcher stops syncing it. */
  leftAt?: string;
}

/** What a service's container is, as status and the dashboard say it. */
export type LiveState =
  | { kind: 'image' }
  | { kind: 'live'; files: number; lastAt: string; lastSummary: string; watching: boolean }
  /** dev watches the service but has synced nothing into this container yet: still its image. */
  | { kind: 'watching' };

/** logs/live/: the records (and the watchers' locks); the dashboard watches it. */
export function liveRecordsDir(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'live');
}

export function liveRecordPath(paths: WorkspacePaths, service: string): string {
  return path.join(liveRecordsDir(paths), `${service}.json`);
}

/** The record, or undefined when there is none or it is torn (a torn record says nothing). */
export function readLiveRecord(paths: WorkspacePaths, service: string): LiveRecord | undefined {
  const record = readJsonIfExists<Partial<LiveRecord>>(liveRecordPath(paths, service));
  if (typeof record?.container !== 'string' || typeof record.files !== 'number' || typeof record.lastAt !== 'string') return undefined;
  return record as LiveRecord;
}

/** The lock every read-modify-write of a service's record holds (updateLiveRecord). */
export function liveRecordLockPath(paths: WorkspacePaths, service: string): string {
  return `${liveRecordPath(paths, service)}.lock`;
}

/** Long enough for any writer of a record (they hold its lock for milliseconds). */
const RECORD_LOCK_TIMEOUT_MS = 10_000;

/**
 * Read-modify-write of `service`'s record under its lock, so two writers (the watcher recording a
 * sync, the dashboard's Rebuild setting leftAt) never overwrite each other's change. `change`
 * gets the record as it is now and returns the new one, or undefined to leave it as it is.
 */
export async function updateLiveRecord(
  paths: WorkspacePaths,
  service: string,
  change: (record: LiveRecord | undefined) => LiveRecord | undefined,
): Promise<LiveRecord | undefined> {
  makePrivateDir(liveRecordsDir(paths), paths.logs);
  return withLock(
    liveRecordLockPath(paths, service),
    {
      subject: `the live record of ${service}`,
      purpose: `updating the live record of ${service}`,
      // Waiting a few ms for another writer, or taking over a dead one's lock, is nothing to tell the user.
      log: () => undefined,
      timeoutError: (message, fix) => new UsageError(`the live record of ${service}: ${message}`, { fix }),
      timeoutMs: RECORD_LOCK_TIMEOUT_MS,
      pollMs: 10,
    },
    async () => {
      const next = change(readLiveRecord(paths, service));
      if (next !== undefined) writeLiveRecord(paths, next);
      return next;
    },
  );
}

/** Writes the record as given; for a change of what is there, updateLiveRecord. */
export function writeLiveRecord(paths: WorkspacePaths, record: LiveRecord): void {
  const file = liveRecordPath(paths, record.service);
  makePrivateDir(path.dirname(file), paths.logs);
  writeFileAtomically(file, `${JSON.stringify(record, null, 2)}\n`);
}

export function removeLiveRecord(paths: WorkspacePaths, service: string): void {
  rmSync(liveRecordPath(paths, service), { force: true });
}

/**
 * Pure: the state of the container `containerId` (undefined: no container) from the record.
 * `watcherAlive` says whether the recorded watcher process still runs (a killed dev leaves its pid).
 */
export function liveStateOf(record: LiveRecord | undefined, containerId: string | undefined, watcherAlive: boolean): LiveState {
  if (record === undefined || containerId === undefined || !sameContainer(record.container, containerId)) return { kind: 'image' };
  const watching = record.watcher !== undefined && record.leftAt === undefined && watcherAlive;
  if (record.files === 0) return watching ? { kind: 'watching' } : { kind: 'image' };
  return { kind: 'live', files: record.files, lastAt: record.lastAt, lastSummary: record.lastSummary, watching };
}

/** The engine shows short (12-character) or full ids depending on the command: a prefix is the same container. */
export function sameContainer(a: string, b: string): boolean {
  return a.length > 0 && b.length > 0 && (a.startsWith(b) || b.startsWith(a));
}

/** The live state of `service`'s container, reading the record and whether its watcher still runs. */
export function readLiveState(paths: WorkspacePaths, service: string, containerId: string | undefined): LiveState {
  const record = readLiveRecord(paths, service);
  const alive = record?.watcher !== undefined && isProcessAlive(record.watcher.pid, record.watcher.startTime);
  return liveStateOf(record, containerId, alive);
}

/** True when the container holds synced files, so it is no longer its image and `up` must replace it. */
export function holdsSyncedFiles(paths: WorkspacePaths, service: string, containerId: string): boolean {
  return readLiveState(paths, service, containerId).kind === 'live';
}

/** One line for status and the dashboard: "live: image + 3 files synced, last at 14:02:11". */
export function describeLive(state: LiveState, timeOf: (iso: string) => string): string | undefined {
  if (state.kind === 'image') return undefined;
  if (state.kind === 'watching') return 'live: watching, nothing synced yet';
  return `live: image + ${plural(state.files, 'file')} synced, last at ${timeOf(state.lastAt)} (${state.watching ? 'dev watching' : 'dev stopped'})`;
}

/**
 * Live mode left for `service` (the dashboard's Rebuild, before it runs `up`): its watcher sees
 * `leftAt` and stops syncing it. False when there is no record (nothing was live).
 */
export async function markLiveLeft(paths: WorkspacePaths, service: string, at: Date): Promise<boolean> {
  const record = await updateLiveRecord(paths, service, (now) => (now === undefined ? undefined : { ...now, leftAt: at.toISOString() }));
  return record !== undefined;
}

/** Pure: "1 file", "3 files": the count and its word, as every line of live code says them. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
