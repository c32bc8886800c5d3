/**
 * A first clone, made so that an interruption can never pass for a good clone.
 *
 * git clones into a hidden sibling, cloned/.<dir>.partial-<pid>-<random>, and only a complete
 * clone is renamed to cloned/<dir> (a rename within one folder is atomic). Ctrl-C, a dropped
 * network or a killed process leaves only the partial folder, which is ours by its name and is
 * removed on the next run — unless the process that made it is still running.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { ChildProcessError } from '../core/errors';
import { isProcessAlive } from '../core/proc';
import { classifyGitFailure, describeGitFailure, type FailureContext } from './classify';
import { closestRemoteBranches } from './remote-branches';
import { git, type GitOptions } from './git';
import { ProgressThrottle } from './progress';
import type { GitRemote } from './remote-url';

export type Log = (line: string) => void;

const PARTIAL = /^\.(.+)\.partial-(\d+)-[0-9a-f]+$/;

export function partialFolderName(dir: string, pid: number, random: string): string {
  return `.${dir}.partial-${pid}-${random}`;
}

/** Our own pid's partial folders are from an earlier run only: the clone lock keeps one clone of a dir at a time. */
function isRunning(pid: number): boolean {
  return pid !== process.pid && isProcessAlive(pid);
}

/** Removes interrupted clones of `dir` left in cloned/ by earlier runs. */
export function removeLeftoverPartials(clonedDir: string, dir: string, log: Log): void {
  let names: string[];
  try {
    names = readdirSync(clonedDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    const match = PARTIAL.exec(name);
    if (!match || match[1] !== dir) continue;
    if (isRunning(Number(match[2]))) {
      log(`cloned/${name} is being made by another local-dev run (pid ${match[2]}); leaving it`);
      continue;
    }
    rmSync(path.join(clonedDir, name), { recursive: true, force: true });
    log(`removed cloned/${name}, left by an interrupted clone`);
  }
}

export interface FreshCloneRequest {
  remote: GitRemote;
  branch?: string;
  /** Workspace root: relative repo URLs are relative to it. */
  workspaceRoot: string;
  clonedDir: string;
  dir: string;
  log: Log;
  progressIntervalMs?: number;
  /** Extra environment for git (e.g. GIT_SSH_COMMAND), on top of the process's own. */
  env?: GitOptions['env'];
}

export async function cloneFresh(request: FreshCloneRequest): Promise<void> {
  const { remote, branch, clonedDir, dir, log } = request;
  const display = `cloned/${dir}`;
  mkdirSync(clonedDir, { recursive: true });
  const partial = path.join(clonedDir, partialFolderName(dir, process.pid, randomBytes(4).toString('hex')));
  // git gets the URL without its secret (that travels in git's environment); lines and errors show it as ***.
  log(`cloning ${remote.shown}${branch ? ` (branch ${branch})` : ''} into ${display} …`);
  const startedAt = Date.now();
  try {
    const args = ['clone', '--progress', ...(branch ? ['--branch', branch] : []), '--', remote.url, partial];
    const options = { cwd: request.workspaceRoot, env: request.env, credentials: remote.credentials };
    await withProgress(log, request.progressIntervalMs, (onOutput) => git(args, { ...options, onOutput }));
  } catch (error) {
    removePartialAfterFailure(partial, log);
    if (!(error instanceof ChildProcessError)) throw error;
    const kind = classifyGitFailure(error.outputTail);
    const context: FailureContext = { repo: display, url: remote.shown, branch };
    if (kind === 'branch-missing' && branch) context.closeBranches = await remoteBranchesNear(context, request);
    throw describeGitFailure(kind, error.outputTail, context, 'cloning');
  }
  renameSync(partial, path.join(clonedDir, dir));
  log(`clone complete in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

/**
 * The remote branches closest to the one a clone did not find; a failure to ask is described
 * like the clone's own.
 */
async function remoteBranchesNear(context: FailureContext, request: FreshCloneRequest): Promise<string[]> {
  try {
    const { remote } = request;
    return await closestRemoteBranches(remote.url, context.branch ?? '', request.workspaceRoot, { env: request.env, credentials: remote.credentials });
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    throw describeGitFailure(classifyGitFailure(error.outputTail), error.outputTail, context, 'listing the branches of the remote');
  }
}

/**
 * Runs a git command that was given --progress, printing a throttled progress line every
 * `intervalMs` (and a heartbeat when git is silent), so a long transfer never looks hung.
 */
export async function withProgress<T>(
  log: Log,
  intervalMs: number | undefined,
  run: (onOutput: (chunk: string) => void) => Promise<T>,
  label?: string,
): Promise<T> {
  const progress = new ProgressThrottle(Date.now(), intervalMs);
  const timer = setInterval(
    () => {
      const line = progress.tick(Date.now());
      if (line) log(label ? `${label}: ${line}` : line);
    },
    Math.min(intervalMs ?? 3000, 1000),
  );
  try {
    return await run((chunk) => progress.feed(chunk));
  } finally {
    clearInterval(timer);
  }
}

function removePartialAfterFailure(partial: string, log: Log): void {
  try {
    rmSync(partial, { recursive: true, force: true });
  } catch (error) {
    // Safe to go on: the clone error that follows is what the user must see, and the partial
    // folder is recognisable by its name and removed on the next run.
    log(`could not remove ${path.basename(partial)} now (${(error as Error).message}); the next run removes it`);
  }
}
