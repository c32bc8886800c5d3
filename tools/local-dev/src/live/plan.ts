/**
 * Live code's planner: a burst of changes in one clone → what each of its services does about it
 * (one sync, one rebuild, or nothing). Pure: the watcher gathers the burst and the sync layer
 * carries the plan out (./sync.ts, ./watch.ts).
 *
 * The rules, in the order they apply to each changed path:
 * 1. Only the last change of a path counts (a save-all or an editor's write-then-rename).
 * 2. .git/ and node_modules/ (at any depth) and the files local-dev injected are never synced, never
 *    deleted in the container and never cause a rebuild: what was injected stays as injected.
 * 3. A service's `ignore` globs drop the path for that service, for syncing and rebuilding alike.
 * 4. A path matching a service's `rebuild-on` makes that service's action one rebuild, whatever
 *    else changed: a new image holds every other change too, and a sync first would be wasted.
 * 5. Otherwise a path under a `sync.from` goes to that entry's `to` plus the part below `from`
 *    (several entries may match); a path under no `from` is left alone.
 * A glob that matches a folder covers everything below it ("**\/__pycache__" ignores its files).
 */
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { LiveSettings } from '../config/model';

export type FileChange = { path: string /* relative to the clone, posix */; kind: 'write' | 'delete' };

export interface LiveService {
  name: string;
  live: LiveSettings;
}

export type LiveAction =
  | {
      service: string;
      kind: 'sync';
      /**
       * A source may be gone by the time it is read (a later burst deletes it): treat it as that
       * burst will, a delete. Carry out `deletes` before `writes`: a folder deleted then made again
       * in one burst is deleted, then its new files written.
       */
      writes: { source: string /* clone-relative */; target: string /* absolute in container */ }[];
      deletes: string[] /* absolute in container */;
      restart: boolean;
    }
  | { service: string; kind: 'rebuild'; because: string[] /* clone paths that matched rebuild-on (first few) */ };

/** How many rebuild-on paths a rebuild action names: enough to say why, short enough for one line. */
export const MAX_REBUILD_REASONS = 3;

/** Folders never synced at any depth (and never watched: live/watch.ts): git's own churn and dependency trees. */
export const NEVER_SYNCED_DIRS: readonly string[] = ['.git', 'node_modules'];
const NEVER_SYNCED_FOLDERS = new Set(NEVER_SYNCED_DIRS);

/** True for .git/ and node_modules/ (at any depth) and their contents, and for the files local-dev injected. */
export function isNeverSynced(clonePath: string, injected: ReadonlySet<string>): boolean {
  if (injected.has(clonePath)) return true;
  return clonePath.split('/').some((part) => NEVER_SYNCED_FOLDERS.has(part));
}

export function planLiveChanges(changes: FileChange[], services: LiveService[], injected: ReadonlySet<string>): LiveAction[] {
  const latest = lastChangePerPath(changes);
  const considered = [...latest.entries()].filter(([clonePath]) => !isNeverSynced(clonePath, injected) && !holdsInjectedFile(clonePath, injected));
  const actions: LiveAction[] = [];
  for (const service of services) {
    const action = planService(service, considered, latest);
    if (action) actions.push(action);
  }
  return actions;
}

interface LatestChange {
  kind: FileChange['kind'];
  /** Position in the burst of the path's last change. */
  order: number;
}

function lastChangePerPath(changes: FileChange[]): Map<string, LatestChange> {
  const latest = new Map<string, LatestChange>();
  changes.forEach((change, order) => {
    assertClonePath(change.path);
    latest.delete(change.path); // re-inserted: the map's order is the order of last changes
    latest.set(change.path, { kind: change.kind, order });
  });
  return latest;
}

/**
 * A folder that holds an injected file: deleting it in the container (`rm -rf`) would delete the
 * injected file too, so it is left as it is there until the next `up`.
 */
function holdsInjectedFile(clonePath: string, injected: ReadonlySet<string>): boolean {
  const prefix = `${clonePath}/`;
  for (const file of injected) if (file.startsWith(prefix)) return true;
  return false;
}

function planService(service: LiveService, considered: [string, LatestChange][], latest: Map<string, LatestChange>): LiveAction | undefined {
  const { live } = service;
  const ignored = globMatcher(live.ignore);
  const rebuilds = globMatcher(live.rebuildOn);
  const relevant = considered.filter(([clonePath]) => !ignored(clonePath));

  const because = relevant.filter(([clonePath]) => rebuilds(clonePath)).map(([clonePath]) => clonePath);
  if (because.length > 0) return { service: service.name, kind: 'rebuild', because: because.slice(0, MAX_REBUILD_REASONS) };

  const writes: { source: string; target: string }[] = [];
  const deletes: string[] = [];
  for (const [clonePath, change] of relevant) {
    if (change.kind === 'write' && deletedLaterWithAFolder(clonePath, change.order, latest)) continue;
    for (const sync of live.sync) {
      const target = targetOf(clonePath, sync.from, sync.to);
      if (target === undefined) continue;
      if (change.kind === 'write') writes.push({ source: clonePath, target });
      else deletes.push(target);
    }
  }
  if (writes.length === 0 && deletes.length === 0) return undefined;
  writes.sort((a, b) => compare(a.target, b.target));
  return { service: service.name, kind: 'sync', writes, deletes: outermostOnly(deletes), restart: live.restart };
}

/** A write whose folder was deleted after it in the same burst: the file is gone, nothing to send. */
function deletedLaterWithAFolder(clonePath: string, order: number, latest: Map<string, LatestChange>): boolean {
  for (let folder = path.posix.dirname(clonePath); folder !== '.'; folder = path.posix.dirname(folder)) {
    const change = latest.get(folder);
    if (change?.kind === 'delete' && change.order > order) return true;
  }
  return false;
}

/** `rm -rf` of a folder takes its contents: deleting them too would only lengthen the command. */
function outermostOnly(deletes: string[]): string[] {
  const sorted = [...new Set(deletes)].sort(compare);
  const kept: string[] = [];
  for (const target of sorted) if (!kept.some((outer) => target.startsWith(`${outer}/`))) kept.push(target);
  return kept;
}

/** Where a clone path goes for one sync entry, or undefined when it is not under that entry's `from`. */
function targetOf(clonePath: string, from: string, to: string): string | undefined {
  let below: string;
  if (from === '') below = clonePath;
  else if (clonePath === from) below = '';
  else if (clonePath.startsWith(`${from}/`)) below = clonePath.slice(from.length + 1);
  else return undefined;
  const target = below === '' ? to : `${to}/${below}`;
  // Both halves are checked (config rules for `to`, assertClonePath for the path); this is the promise itself.
  if (path.posix.normalize(target) !== target || !(target === to || target.startsWith(`${to}/`)) || !path.posix.isAbsolute(to)) {
    throw new Error(`live plan invariant broken: ${clonePath} (from "${from}") would be written to ${target}, outside ${to}`);
  }
  return target;
}

/** The watcher hands over clean clone-relative paths; anything else would be a bug that could reach outside `to`. */
function assertClonePath(clonePath: string): void {
  const clean = clonePath !== '' && !path.posix.isAbsolute(clonePath) && path.posix.normalize(clonePath) === clonePath;
  if (!clean || clonePath === '.' || clonePath === '..' || clonePath.startsWith('../') || clonePath.endsWith('/')) {
    throw new Error(`live plan invariant broken: "${clonePath}" is not a clean path relative to the clone`);
  }
}

/** Matches a path when a glob matches it or one of its folders; dot files are ordinary files here. */
function globMatcher(globs: string[]): (clonePath: string) => boolean {
  if (globs.length === 0) return () => false;
  const isMatch = picomatch(globs, { dot: true });
  return (clonePath) => {
    for (let candidate = clonePath; candidate !== '.'; candidate = path.posix.dirname(candidate)) if (isMatch(candidate)) return true;
    return false;
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
