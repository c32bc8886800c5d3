/**
 * Carrying out one planned sync (./plan.ts) on a running container: the changed files go in as
 * one tar archive through `docker cp - <container>:/`, the deleted paths go with one
 * `docker exec <container> rm -rf -- …`, then, when the service asks for it, a restart of its
 * program (a SIGHUP to the live supervisor, or `docker restart`) and the same health wait `up` uses.
 *
 * Why a tar through the engine's API and no bind mount: a remote engine (DOCKER_HOST) cannot see
 * the laptop's clone, and `docker cp` works the same on every engine. Why `docker cp -a`: the
 * files belong to the container's user (the one its process runs as, who may rewrite them), not to
 * whatever uid the laptop has. Modes come from lstat; a symbolic link is never followed (it could
 * point anywhere on the laptop) and is reported as skipped — nor is a link among the source's
 * folders (a folder of the clone replaced by a link to elsewhere): the real path of the source's
 * folder must be the clone's real path plus that folder. A source that vanished between the event
 * and the sync is deleted in the container instead, as the next burst would do anyway.
 */
import { lstatSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { ServiceModel } from '../config/model';
import { exec } from '../core/exec';
import { containerCallError, copyIntoContainer, type ArchiveEntry } from '../docker/archive';
import { healthEndpoint } from '../docker/containers';
import { waitUntilHealthy } from '../docker/health';
import { supervisedProgram, waitProgramEnded } from '../docker/live-supervisor';

/** One write of a sync: a clone-relative source and its absolute target in the container. */
export interface SyncWrite {
  source: string;
  target: string;
}

export interface SyncWork {
  writes: SyncWrite[];
  deletes: string[];
}

/** What a sync did, for its one line of output and the live record. */
export interface SyncOutcome {
  /** Regular files written. */
  files: number;
  /** Folders made (or their mode set). */
  folders: number;
  /** Paths deleted in the container (planned deletes, and sources that vanished before the sync). */
  deleted: number;
  /** Clone paths not synced, with why: symbolic links (never followed), sockets, devices. */
  skipped: { source: string; why: string }[];
}

/** A source as lstat found it: what the archive carries for it, or why it carries nothing. */
export type ReadSource =
  | { kind: 'file'; target: string; mode: number; mtime: Date; data: Buffer }
  | { kind: 'folder'; target: string; mode: number; mtime: Date }
  | { kind: 'gone'; target: string }
  | { kind: 'skipped'; source: string; why: string };

/** How long one docker call of a sync may take (a big archive on a slow remote engine included). */
const SYNC_CALL_TIMEOUT_MS = 120_000;
/** rm's arguments per `docker exec`: a checkout deleting thousands of files stays under ARG_MAX. */
const DELETES_PER_CALL = 500;

/** Pure: a target's name inside the archive extracted at "/" (absolute, normalized, never "/" itself). */
export function archiveName(target: string): string {
  if (!path.posix.isAbsolute(target) || path.posix.normalize(target) !== target || target === '/' || target.endsWith('/')) {
    throw new Error(`live sync invariant broken: "${target}" is not a normalized absolute path below /`);
  }
  return target.slice(1);
}

/** Pure: what lstat's answer means for the archive. */
export function sourceFromStats(write: SyncWrite, stats: Stats | undefined): Exclude<ReadSource, { kind: 'file' }> | { kind: 'read-file' } {
  if (stats === undefined) return { kind: 'gone', target: write.target };
  if (stats.isSymbolicLink()) return { kind: 'skipped', source: write.source, why: 'a symbolic link (never followed)' };
  if (stats.isDirectory()) return { kind: 'folder', target: write.target, mode: stats.mode & 0o7777, mtime: stats.mtime };
  if (!stats.isFile()) return { kind: 'skipped', source: write.source, why: 'neither a file nor a folder' };
  return { kind: 'read-file' };
}

/** Pure: why a source is not read when its folder's real path is not where the clone says (undefined: it is). */
export function linkedFolderProblem(source: string, realClone: string, realFolder: string | undefined): string | undefined {
  const folder = path.posix.dirname(source);
  if (folder === '.' || realFolder === undefined) return undefined;
  const expected = path.join(realClone, ...folder.split('/'));
  return realFolder === expected ? undefined : `below a symbolic link (${folder} leads to ${realFolder}; never followed)`;
}

/**
 * What `read` finds at a path of the clone, or undefined when the path is gone: it or a folder on
 * its way was removed (ENOENT) or replaced by a file (ENOTDIR) since the event.
 */
export function unlessGone<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Reads each write's source from the clone (its folder checked for links, lstat, then its bytes). */
export function readSources(clone: string, writes: readonly SyncWrite[]): ReadSource[] {
  const realClone = realpathSync(clone);
  const realFolders = new Map<string, string | undefined>();
  const realFolderOf = (source: string) => {
    const folder = path.posix.dirname(source);
    if (!realFolders.has(folder))
      realFolders.set(
        folder,
        unlessGone(() => realpathSync(path.join(clone, ...folder.split('/')))),
      );
    return realFolders.get(folder);
  };
  return writes.map((write) => {
    const linked = linkedFolderProblem(write.source, realClone, realFolderOf(write.source));
    if (linked !== undefined) return { kind: 'skipped', source: write.source, why: linked };
    const file = path.join(clone, ...write.source.split('/'));
    const seen = sourceFromStats(write, lstatOrUndefined(file));
    if (seen.kind !== 'read-file') return seen;
    const stats = lstatOrUndefined(file);
    try {
      // Read after lstat: the archive's size is the bytes read, so a file growing meanwhile stays whole.
      const data = readFileSync(file);
      return { kind: 'file', target: write.target, mode: (stats?.mode ?? 0o644) & 0o7777, mtime: stats?.mtime ?? new Date(), data };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone', target: write.target };
      throw error;
    }
  });
}

function lstatOrUndefined(file: string): Stats | undefined {
  return unlessGone(() => lstatSync(file));
}

/** Pure: the archive entries of the files and folders read, named from "/". */
export function archiveEntriesOf(sources: readonly ReadSource[]): ArchiveEntry[] {
  return sources.flatMap((source): ArchiveEntry[] => {
    if (source.kind === 'folder') return [{ type: 'directory', name: archiveName(source.target), mode: source.mode, mtime: source.mtime }];
    if (source.kind === 'file') return [{ type: 'file', name: archiveName(source.target), mode: source.mode, mtime: source.mtime, data: source.data }];
    return [];
  });
}

/**
 * Applies one sync to the container: deletes first (a folder deleted and made again in one burst
 * is deleted, then its new files written), then the archive.
 */
export async function syncIntoContainer(service: string, containerId: string, clone: string, work: SyncWork): Promise<SyncOutcome> {
  const sources = readSources(clone, work.writes);
  const deletes = [...work.deletes, ...sources.flatMap((source) => (source.kind === 'gone' ? [source.target] : []))];
  for (const target of deletes) archiveName(target); // the same invariant as for writes: absolute, below /
  for (let start = 0; start < deletes.length; start += DELETES_PER_CALL) {
    await containerCall(service, containerId, ['exec', containerId, 'rm', '-rf', '--', ...deletes.slice(start, start + DELETES_PER_CALL)]);
  }
  await copyIntoContainer(containerId, archiveEntriesOf(sources), {
    subject: service,
    keepOwners: true,
    goneFix: goneFix(service),
    timeoutMs: SYNC_CALL_TIMEOUT_MS,
  });
  return {
    files: sources.filter((source) => source.kind === 'file').length,
    folders: sources.filter((source) => source.kind === 'folder').length,
    deleted: deletes.length,
    skipped: sources.flatMap((source) => (source.kind === 'skipped' ? [{ source: source.source, why: source.why }] : [])),
  };
}

/**
 * Restarts the service's program, then up's health wait; returns the ms from the restart until healthy.
 * A container created under the live supervisor (../docker/live-supervisor.ts) gets a SIGHUP: only
 * its program starts again, once the old one is gone; any other gets `docker restart`. Either way
 * it is the same container with the same host ports: a debugger re-attaches.
 */
export async function restartContainer(service: ServiceModel, containerId: string, network: string): Promise<number> {
  const startedAt = Date.now();
  const program = await supervisedProgram(containerId);
  if (program) {
    await containerCall(service.name, containerId, ['kill', '--signal', 'HUP', containerId]);
    await waitProgramEnded(service.name, containerId, program);
  } else {
    await containerCall(service.name, containerId, ['restart', containerId]);
  }
  await waitUntilHealthy({
    service: service.name,
    containerId,
    healthcheck: service.healthcheck,
    endpoint: () => healthEndpoint(service, containerId, network),
  });
  return Date.now() - startedAt;
}

/** A gone container's fix, as dev says it: up, and the watch goes on. */
function goneFix(service: string): string {
  return `start it again with \`nx run ${service}:up\`; dev keeps watching and syncs the changes not synced with the next one`;
}

/** A docker call on the service's container; its failures said as archive.ts says them. */
async function containerCall(service: string, containerId: string, args: string[]): Promise<void> {
  try {
    await exec('docker', args, { timeoutMs: SYNC_CALL_TIMEOUT_MS });
  } catch (error) {
    throw containerCallError(error, args[0], containerId, { subject: service, goneFix: goneFix(service) });
  }
}
