/**
 * Says when something the stack model is made of may have changed, so the dashboard gathers on
 * change instead of on a clock (see ./gather.ts' GatherCache for what each change makes it read):
 *
 *   - 'engine': the engine's event stream for this workspace (its label): a container created,
 *     started, died, stopped, removed, its health changed; an image tagged or removed. One long
 *     request on the engine's socket (a `docker events` child for a remote engine). When the stream
 *     ends (the engine restarted), it is opened again after a pause, and 'engine' said once, since
 *     events may have been missed meanwhile.
 *   - 'files': inotify (fs.watch, one per folder, never recursive) on the files the model reads:
 *     docker-compose.yml, repos_docker_files/, logs/progress.json, run_metrics.json and
 *     redis-tunnel.json, logs/locks/, logs/images/, logs/live/, and each clone's .git folder (HEAD, index …;
 *     a working-tree edit is seen by the gather's slow refresh instead).
 *
 * A watched folder that does not exist yet (logs/locks before the first lock, a clone not cloned
 * yet) is watched from the first `follow` after it appears; one that disappears is dropped.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { metricsFile, progressFile } from '../core/run-record';
import type { WorkspacePaths } from '../core/workspace';
import { LABELS, workspaceId } from '../core/naming';
import { followEvents } from '../docker/events';
import { stateFile } from '../tunnel/state';
import { liveRecordsDir } from '../live/state';
import type { StackModel } from './model';

export type StackChange = 'engine' | 'files';

export interface StackWatch {
  /** Watches the folders of this model's clones (and any watched folder that exists by now). */
  follow(model: StackModel): void;
  stop(): void;
}

/** Engine events that change what the model says (not exec_*, not kill: the die that follows says it). */
export const WATCHED_EVENTS = {
  type: ['container', 'image'],
  event: [
    'create',
    'start',
    'restart',
    'die',
    'stop',
    'destroy',
    'pause',
    'unpause',
    'oom',
    'health_status',
    'rename',
    'update',
    'tag',
    'untag',
    'delete',
    'import',
    'load',
    'pull',
  ],
};

/** How long to wait before opening the engine's event stream again after it ended. */
export const RECONNECT_MS = 5000;

/** Files in a clone's .git whose change means git answers differently (written by rename, so the final name is seen). */
const GIT_FILES = new Set(['HEAD', 'index', 'packed-refs', 'FETCH_HEAD', 'ORIG_HEAD', 'COMMIT_EDITMSG']);

/**
 * Pure: the folders to watch and, per folder, the file names that count (undefined: any name
 * except atomic-write temp files, which start with a dot).
 */
export function watchedFolders(paths: WorkspacePaths, cloneDirs: readonly string[]): Map<string, ReadonlySet<string> | undefined> {
  const names = (...files: string[]) => new Set(files.map((file) => path.basename(file)));
  return new Map<string, ReadonlySet<string> | undefined>([
    [paths.root, names(paths.composeFile)],
    [paths.dockerfiles, undefined],
    [paths.logs, names(progressFile(paths), metricsFile(paths), stateFile(paths))],
    [path.join(paths.logs, 'locks'), undefined],
    [path.join(paths.logs, 'images'), undefined],
    // The dev target's live records (src/live/state.ts): a sync, dev starting or stopping.
    [liveRecordsDir(paths), undefined],
    ...[...new Set(cloneDirs)].map((dir): [string, ReadonlySet<string>] => [path.join(paths.cloned, dir, '.git'), GIT_FILES]),
  ]);
}

/** Pure: does a change of `file` in a folder watched for `names` count? */
export function counts(file: string | null, names: ReadonlySet<string> | undefined): boolean {
  // No name (some platforms): count it, to be safe.
  if (file === null) return true;
  return names === undefined ? !path.basename(file).startsWith('.') : names.has(file);
}

/** The folder's inode, or undefined when it is not there (or not a folder). */
function inodeOf(folder: string): number | undefined {
  try {
    const stats = statSync(folder);
    return stats.isDirectory() ? stats.ino : undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

export function watchStack(paths: WorkspacePaths, changed: (what: StackChange) => void, log: (line: string) => void): StackWatch {
  let stopped = false;
  let stopEvents: (() => void) | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let lastError = '';
  const openEvents = () => {
    stopEvents = followEvents(
      { label: [`${LABELS.workspace}=${workspaceId(paths.root)}`], ...WATCHED_EVENTS },
      () => changed('engine'),
      (error) => {
        if (stopped) return;
        // Said once per new message: an engine that stays down would otherwise fill the log.
        const message = error?.message ?? 'the engine ended its event stream';
        if (message !== lastError) log(`engine events: ${message} (opening them again in ${RECONNECT_MS / 1000} s)`);
        lastError = message;
        reconnect = setTimeout(() => {
          openEvents();
          changed('engine');
        }, RECONNECT_MS);
      },
    );
  };
  openEvents();

  /** Each watched folder's watcher and the inode it watches (a folder removed and made again is another one). */
  const watchers = new Map<string, { watcher: FSWatcher; inode: number }>();
  const drop = (folder: string) => {
    watchers.get(folder)?.watcher.close();
    watchers.delete(folder);
  };
  const follow = (cloneDirs: readonly string[]) => {
    if (stopped) return;
    const wanted = watchedFolders(paths, cloneDirs);
    for (const folder of [...watchers.keys()]) if (!wanted.has(folder)) drop(folder);
    for (const [folder, names] of wanted) {
      const inode = inodeOf(folder);
      if (watchers.get(folder)?.inode === inode) continue;
      // Removed (a clone moved away, logs/ cleaned), or removed and made again: watched anew if it is there.
      drop(folder);
      if (inode === undefined) continue;
      let watcher: FSWatcher;
      try {
        watcher = watch(folder, { persistent: false }, (_event, file) => {
          if (counts(file, names)) changed('files');
        });
      } catch (error) {
        // Removed since the stat: watched again once it is back.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      watcher.on('error', () => {
        drop(folder);
        changed('files');
      });
      watchers.set(folder, { watcher, inode });
    }
  };
  follow([]);

  return {
    follow: (model) => follow(model.services.map((service) => service.repo.dir)),
    stop: () => {
      stopped = true;
      clearTimeout(reconnect);
      stopEvents?.();
      for (const folder of [...watchers.keys()]) drop(folder);
    },
  };
}
