/**
 * What is in cloned/<dir> right now, asked of git without changing anything.
 *
 * cloned/ lives inside the local-dev workspace, which is itself a git repo: `git -C cloned/x`
 * in a plain folder would happily answer for the workspace. So a folder is a clone only when it
 * has a repository of its own (git is not allowed to look above it).
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { ChildProcessError } from '../core/errors';
import { git, gitQuery } from './git';

export type FolderState =
  | { type: 'missing' }
  | { type: 'empty-folder' }
  | { type: 'not-a-clone'; why: string }
  | {
      type: 'clone';
      gitDir: string;
      originUrl: string | undefined;
      /** HEAD abbreviated as git abbreviates it; undefined before the first commit. */
      shortHead: string | undefined;
    };

/** Two git processes for a clone (its git dir and HEAD, then origin): this runs on every `up`. */
export async function inspectFolder(folder: string): Promise<FolderState> {
  let stats;
  try {
    stats = lstatSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { type: 'missing' };
    throw error;
  }
  if (!stats.isDirectory()) return { type: 'not-a-clone', why: stats.isSymbolicLink() ? 'it is a symlink' : 'it is a file, not a folder' };
  if (readdirSync(folder).length === 0) return { type: 'empty-folder' };
  const repository = await ownRepository(folder);
  if (repository === undefined) return { type: 'not-a-clone', why: 'it is not a git repository (no .git of its own)' };
  const originUrl = await gitQuery(['remote', 'get-url', 'origin'], { cwd: folder }, [2, 128]);
  return { type: 'clone', ...repository, originUrl };
}

/**
 * The folder's own repository, or undefined when it has none. GIT_CEILING_DIRECTORIES keeps git
 * from walking up into the parent: cloned/ lives inside the workspace's own repo, which git would
 * otherwise happily answer for.
 */
async function ownRepository(folder: string): Promise<{ gitDir: string; shortHead: string | undefined } | undefined> {
  const options = { cwd: folder, env: { GIT_CEILING_DIRECTORIES: path.dirname(realpathSync(folder)) } };
  try {
    const [gitDir, shortHead] = (await git(['rev-parse', '--absolute-git-dir', '--short', 'HEAD'], options)).stdout.split('\n');
    return { gitDir, shortHead };
  } catch (error) {
    // Only "not a git repository" means no repo; anything else (e.g. "dubious ownership" when
    // the folder belongs to another user) is a real problem the user must see as it is.
    if (!(error instanceof ChildProcessError)) throw error;
    if (/not a git repository/i.test(error.outputTail)) return undefined;
    // A repository without any commit yet has no HEAD to abbreviate.
    if (!/needed a single revision|unknown revision/i.test(error.outputTail)) throw error;
    return { gitDir: (await git(['rev-parse', '--absolute-git-dir'], options)).stdout, shortHead: undefined };
  }
}

export async function currentBranch(cwd: string): Promise<string | undefined> {
  return gitQuery(['symbolic-ref', '--short', '-q', 'HEAD'], { cwd });
}

export async function shortHead(cwd: string): Promise<string> {
  return (await git(['rev-parse', '--short', 'HEAD'], { cwd })).stdout;
}

export async function refExists(cwd: string, ref: string): Promise<boolean> {
  return (await gitQuery(['rev-parse', '--verify', '-q', `${ref}^{commit}`], { cwd })) !== undefined;
}

export async function aheadBehind(cwd: string, upstream: string): Promise<{ ahead: number; behind: number }> {
  const { stdout } = await git(['rev-list', '--left-right', '--count', `HEAD...${upstream}`], { cwd });
  const [ahead, behind] = stdout.split(/\s+/).map(Number);
  return { ahead, behind };
}
