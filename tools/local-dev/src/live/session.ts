/**
 * The dev target's bookkeeping, as the live record (./state.ts) holds it, and its words:
 * - each dev process writes itself as its service's watcher (registerWatcher) and takes itself out
 *   when it ends (unregisterWatcher); the container stays live, so status keeps saying so;
 * - the one process watching a clone (the holder of logs/live/<clone>.watch.lock) syncs for every
 *   service of that clone whose record names a live watcher and that has not left live mode
 *   (`leftAt`, the dashboard's Rebuild): watchedServices;
 * - after each sync the record of the container that received the files grows (recordSync); a
 *   rebuild starts a fresh record for the new container (recordRebuilt).
 * The orchestration (the watch, the lock, the rebuild through `up`'s startService) lives one floor
 * up, in tasks/live-session.ts.
 */
import * as path from 'node:path';
import { isProcessAlive, processStartTime } from '../core/proc';
import type { WorkspacePaths } from '../core/workspace';
import type { SyncOutcome } from './sync';
import { liveRecordsDir, plural, readLiveRecord, sameContainer, updateLiveRecord, type LiveRecord } from './state';
import type { Handover } from './watch';

/** The lock the one watcher of a clone holds: logs/live/<clone dir>.watch.lock. */
export function cloneWatchLockPath(paths: WorkspacePaths, cloneDir: string): string {
  return path.join(liveRecordsDir(paths), `${cloneDir}.watch.lock`);
}

/** What a clone's watch leaves the next one (live/watch.ts): logs/live/<clone dir>.watch-snapshot and .watch-owed.json. */
export function cloneHandover(paths: WorkspacePaths, cloneDir: string): Handover {
  return {
    snapshot: path.join(liveRecordsDir(paths), `${cloneDir}.watch-snapshot`),
    owed: path.join(liveRecordsDir(paths), `${cloneDir}.watch-owed.json`),
  };
}

export interface RunningContainer {
  id: string;
  image: string;
}

/** Pure: the record once `pid` watches `container` (a record of another container starts afresh; leaving live mode is undone). */
export function withWatcher(
  record: LiveRecord | undefined,
  service: string,
  container: RunningContainer,
  watcher: { pid: number; startTime: string },
): LiveRecord {
  const base: LiveRecord =
    record !== undefined && sameContainer(record.container, container.id)
      ? { ...record }
      : { service, container: container.id, image: container.image, files: 0, lastAt: '', lastSummary: '' };
  delete base.leftAt;
  return { ...base, watcher };
}

/** This process now watches `service`'s container (see the header). */
export async function registerWatcher(paths: WorkspacePaths, service: string, container: RunningContainer): Promise<void> {
  const watcher = { pid: process.pid, startTime: processStartTime(process.pid) };
  await updateLiveRecord(paths, service, (record) => withWatcher(record, service, container, watcher));
}

/** Takes this process out of `service`'s record, if it is still the watcher there (the synced files stay counted). */
export async function unregisterWatcher(paths: WorkspacePaths, service: string): Promise<void> {
  await updateLiveRecord(paths, service, (record) => {
    if (record?.watcher?.pid !== process.pid) return undefined;
    const { watcher: _gone, ...rest } = record;
    return rest;
  });
}

/** Pure: the record after `count` paths were synced into `container` (another container's record starts afresh, keeping the watcher). */
export function afterSync(record: LiveRecord | undefined, service: string, container: RunningContainer, count: number, summary: string, at: Date): LiveRecord {
  const same = record !== undefined && sameContainer(record.container, container.id);
  return {
    ...(record ?? {}),
    service,
    container: same ? record.container : container.id,
    image: same ? record.image : container.image,
    files: (same ? record.files : 0) + count,
    lastAt: at.toISOString(),
    lastSummary: summary,
  };
}

export async function recordSync(paths: WorkspacePaths, service: string, container: RunningContainer, count: number, summary: string): Promise<void> {
  await updateLiveRecord(paths, service, (record) => afterSync(record, service, container, count, summary, new Date()));
}

/** After a rebuild the new container is its image again: a fresh record for it, the watcher kept. */
export async function recordRebuilt(paths: WorkspacePaths, service: string, container: RunningContainer, summary: string): Promise<void> {
  await updateLiveRecord(paths, service, (record) => ({
    service,
    container: container.id,
    image: container.image,
    files: 0,
    lastAt: new Date().toISOString(),
    lastSummary: summary,
    watcher: record?.watcher,
    // Left live mode while the rebuild ran (the dashboard's Rebuild): still left.
    leftAt: record?.leftAt,
  }));
}

export type WatchVerdict = 'watched' | 'left' | 'not watched';

/** Pure: whether the clone's watcher syncs for a service with this record. */
export function watchVerdict(record: LiveRecord | undefined, watcherAlive: boolean): WatchVerdict {
  if (record?.watcher === undefined || !watcherAlive) return 'not watched';
  return record.leftAt === undefined ? 'watched' : 'left';
}

/** Each service's verdict, from its record and whether its dev process still runs. */
export function watchedServices(paths: WorkspacePaths, services: readonly string[]): Map<string, WatchVerdict> {
  return new Map(
    services.map((service) => {
      const record = readLiveRecord(paths, service);
      const alive = record?.watcher !== undefined && isProcessAlive(record.watcher.pid, record.watcher.startTime);
      return [service, watchVerdict(record, alive)];
    }),
  );
}

/** Pure: a duration as the output says it: "140 ms" under a second, "8.1 s" above. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What followed a sync: a restart (with the time until healthy) or nothing (the app reloads itself). */
export type AfterSync = { restarted: false } | { restarted: true; healthyMs: number };

/** Pure: the line of one sync, without the service's name: "synced 2 files in 140 ms; restarted (healthy in 0.6 s)". */
export function syncSummary(outcome: SyncOutcome, ms: number, after: AfterSync): string {
  const written = [...(outcome.files > 0 ? [plural(outcome.files, 'file')] : []), ...(outcome.folders > 0 ? [plural(outcome.folders, 'folder')] : [])];
  const parts = [...written, ...(outcome.deleted > 0 ? [`${outcome.deleted} deleted`] : [])];
  const what =
    written.length === 0
      ? outcome.deleted > 0
        ? `deleted ${plural(outcome.deleted, 'path')}`
        : 'synced 0 files'
      : `synced ${parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`}`;
  const then = after.restarted ? `restarted (healthy in ${duration(after.healthyMs)})` : 'the app reloads itself';
  const skipped = outcome.skipped.length === 0 ? '' : `; not synced: ${outcome.skipped.map((entry) => `${entry.source} (${entry.why})`).join(', ')}`;
  return `${what} in ${duration(ms)}; ${then}${skipped}`;
}

/** Pure: how many paths a sync changed in the container, as the record counts them. */
export function syncedCount(outcome: SyncOutcome): number {
  return outcome.files + outcome.folders + outcome.deleted;
}

/** Pure: the line of one rebuild, without the service's name: "requirements.txt changed: rebuilt and restarted in 8.1 s". */
export function rebuildSummary(because: readonly string[], ms: number): string {
  return `${because.join(', ')} changed: rebuilt and restarted in ${duration(ms)}`;
}
