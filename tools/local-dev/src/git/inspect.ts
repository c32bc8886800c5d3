/**
 * What is in cloned/<dir> right now, asked of git without changing anything.
 *
 * cloned/ lives inside the local-dev workspace, which is itself a git repo: `git -C cloned/x`
 * in a plain folder would happily answer for the workspace. So a folder is a clone only when git's
 * top level for it is the folder itself.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { ChildProcessError } from '../core/errors';
import { git, gitQuery } from './git';

export type FolderState =
  | { type: 'missing' }
  | { type: 'empty-folder' }
  | { type: 'not-a-clone'; why: string }
  | { type: 'clone'; gitDir: string; originUrl: string | undefined };

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
  const topLevel = await topLevelOf(folder);
  if (topLevel === undefined || realpathSync(topLevel) !== realpathSync(folder)) {
    return { type: 'not-a-clone', why: 'it is not a git repository (no .git of its own)' };
  }
  const gitDir = (await git(['rev-parse', '--absolute-git-dir'], { cwd: folder })).stdout;
  const originUrl = await gitQuery(['remote', 'get-url', 'origin'], { cwd: folder }, [2, 128]);
  return { type: 'clone', gitDir, originUrl };
}

/** git's top level for `folder`, or undefined when it is in no repository. */
async function topLevelOf(folder: string): Promise<string | undefined> {
  try {
    return (await git(['rev-parse', '--show-toplevel'], { cwd: folder })).stdout;
  } catch (error) {
    // Only "not a git repository" means no repo; anything else (e.g. "dubious ownership" when
    // the folder belongs to another user) is a real problem the user must see as it is.
    if (error instanceof ChildProcessError && /not a git repository/i.test(error.outputTail)) return undefined;
    throw error;
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
