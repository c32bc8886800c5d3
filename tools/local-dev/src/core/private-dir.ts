/**
 * The folders that hold what is derived from secrets are the user's alone (0700):
 *   - logs/: run records, the tunnel's and dashboard's state, and clean's backups of clones with the
 *     secret files injected into them;
 *   - .nx/local-dev/: the settled states, with hashes of every injected (secret) file;
 *   - each clone's .git/local-dev/: the injection manifest and saved copies of injected secrets.
 * A file inside one can have any mode: nobody else can reach it. So every folder local-dev makes
 * under them is made 0700 (mkdir's mode, which the umask cannot widen), and the roots themselves are
 * tightened when they exist wider (made by an older local-dev, by `mkdir -p logs`, by a checkout).
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;

/** The workspace's private roots (each clone's .git/local-dev/ is its own: see makePrivateDir's `root`). */
export function workspacePrivateRoots(workspaceRoot: string): string[] {
  return [path.join(workspaceRoot, 'logs'), path.join(workspaceRoot, '.nx', 'local-dev')];
}

/** Pure: whether a folder's mode lets anyone but its owner in. */
export function isWiderThanPrivate(mode: number): boolean {
  return (mode & 0o077) !== 0;
}

/** chmod 0700 when `dir` exists wider; nothing when it does not exist. Throws what chmod throws. */
export function tightenPrivateDir(dir: string): void {
  const stats = statSync(dir, { throwIfNoEntry: false });
  if (stats?.isDirectory() && isWiderThanPrivate(stats.mode)) chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * mkdir -p `dir`, every folder it creates 0700, and `root` (the private root `dir` is under) tightened
 * when it existed wider.
 */
export function makePrivateDir(dir: string, root: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tightenPrivateDir(root);
}

/**
 * Tightens the workspace's private roots. A root that cannot be changed (a read-only logs/, a folder
 * another user owns) is returned with the reason, for the caller to say: keeping the user's
 * commands working (stop must run on a read-only logs/) matters more than this safeguard, and the
 * user learns it was not applied.
 */
export function tightenWorkspacePrivateDirs(workspaceRoot: string): string[] {
  const refused: string[] = [];
  for (const dir of workspacePrivateRoots(workspaceRoot)) {
    try {
      tightenPrivateDir(dir);
    } catch (error) {
      refused.push(`${path.relative(workspaceRoot, dir)}/ stays readable by others: ${(error as Error).message}`);
    }
  }
  return refused;
}
