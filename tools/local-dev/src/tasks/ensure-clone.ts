/**
 * The clone task for one repo: make cloned/<dir> exist, on the configured branch, and say how it
 * stands — without touching local work unless asked to refresh.
 *
 *   missing            → fresh clone (../git/fresh-clone.ts)
 *   not a clone / other remote → refuse, touching nothing
 *   refresh            → save local work (../git/backup.ts), then exactly origin/<branch>
 *   branch differs     → switch (refused when the tree is dirty)
 *   otherwise          → keep as is; only `git fetch` to report ahead/behind (offline is fine)
 *
 * All of it holds the clone's lock (../git/clone-lock.ts): another run waits rather than interleaving.
 * It lives in tasks/ (the floor above the libraries) because a switch or a refresh first takes
 * out what inject-config put in the clone: git and inject never call each other.
 */
import { rmdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { RepoModel } from '../config/model';
import { ChildProcessError, GitError } from '../core/errors';
import { redactCredentials, splitCredentials } from '../core/redact';
import type { WorkspacePaths } from '../core/workspace';
import { undoInjectionUnderLock } from '../inject/apply';
import { changedFiles, ignoredFilesAtRisk, saveLocalWork } from '../git/backup';
import { classifyGitFailure, describeGitFailure, gitSaid, type FailureContext } from '../git/classify';
import type { CloneStatus, RemoteComparison } from '../git/describe';
import { cloneFresh, removeLeftoverPartials, withProgress, type Log } from '../git/fresh-clone';
import { withCloneLock, type CloneLock } from '../git/clone-lock';
import { git, type GitOptions, type RemoteOptions } from '../git/git';
import { aheadBehind, currentBranch, inspectFolder, refExists, shortHead } from '../git/inspect';
import { readStatus, type WorkingTreeStatus } from '../git/status';
import { closestRemoteBranches, remoteDefaultBranch } from '../git/remote-branches';
import { gitRemote, sameRepository, type GitRemote } from '../git/remote-url';

/** How long a fetch that only informs (no --refresh) may take before we carry on offline. */
export const INFORMATIVE_FETCH_TIMEOUT_MS = 30_000;
/**
 * An informative fetch younger than this is reused: two `up`s a few seconds apart do not ask the
 * remote twice (the report says how old the comparison is). --refresh always fetches.
 */
export const FRESH_FETCH_MS = 60_000;

export interface CloneRequest {
  paths: WorkspacePaths;
  repo: RepoModel;
  /** --refresh, or always-refresh: true in config.yaml. */
  refresh: boolean;
  log: Log;
  now?: Date;
  progressIntervalMs?: number;
  /** Limit for the informative fetch of an existing clone; default INFORMATIVE_FETCH_TIMEOUT_MS. */
  fetchTimeoutMs?: number;
  /** Reuse an informative fetch younger than this; default FRESH_FETCH_MS (0: always fetch). */
  freshFetchMs?: number;
  /** Extra environment for the git commands that talk to the remote (e.g. GIT_SSH_COMMAND). */
  env?: GitOptions['env'];
  /** How long to wait for another run holding this clone's lock; default DEFAULT_LOCK_TIMEOUT_MS. */
  lockTimeoutMs?: number;
}

interface Clone {
  root: string;
  /** HEAD abbreviated, as inspectFolder read it (undefined before the first commit). */
  shortHead: string | undefined;
  display: string;
  repo: RepoModel;
  remote: GitRemote;
  log: Log;
  fetchTimeoutMs: number;
  freshFetchMs: number;
  progressIntervalMs: number | undefined;
  env: GitOptions['env'];
  lock: CloneLock;
}

export async function ensureClone(request: CloneRequest): Promise<CloneStatus> {
  const root = path.join(request.paths.cloned, request.repo.dir);
  const display = `cloned/${request.repo.dir}`;
  const refresh = request.refresh || request.repo.alwaysRefresh;
  const lockOptions = { purpose: refresh ? 'clone --refresh' : 'clone', log: request.log, timeoutMs: request.lockTimeoutMs };
  return withCloneLock(root, display, lockOptions, (lock) => ensureCloneUnderLock(request, root, display, lock));
}

async function ensureCloneUnderLock(request: CloneRequest, root: string, display: string, lock: CloneLock): Promise<CloneStatus> {
  const { paths, repo, log } = request;
  const remote = gitRemote(repo.url, display);
  removeLeftoverPartials(paths.cloned, repo.dir, log);
  const state = await inspectFolder(root);
  if (state.type === 'not-a-clone') {
    throw new GitError(display, `exists but ${state.why}; local-dev leaves it untouched`, {
      fix: `move it away (mv ${display} ${display}.old) and re-run to clone ${remote.shown} there`,
    });
  }
  if (state.type === 'missing' || state.type === 'empty-folder') {
    if (state.type === 'empty-folder') rmdirSync(root);
    await cloneFresh({
      remote,
      branch: repo.branch,
      workspaceRoot: paths.root,
      clonedDir: paths.cloned,
      dir: repo.dir,
      log,
      progressIntervalMs: request.progressIntervalMs,
      env: request.env,
    });
    const branch = (await currentBranch(root)) ?? 'HEAD';
    return { action: { type: 'cloned', url: remote.shown }, branch, head: await shortHead(root), changedFiles: 0 };
  }
  if (state.originUrl === undefined || !sameRepository(state.originUrl, repo.url, paths.root)) {
    const origin = state.originUrl === undefined ? '(no origin remote)' : redactCredentials(state.originUrl);
    throw new GitError(display, `points at ${origin}, but config.yaml says ${remote.shown}; local-dev leaves it untouched`, {
      fix: `if config.yaml is right, move the folder away (mv ${display} ${display}.old) and re-run; if the clone is right, fix repo: for ${repo.owner} in repos_docker_files/config.yaml`,
    });
  }
  await removeStoredCredentials(root, display, state.originUrl, log);
  const clone: Clone = {
    root,
    shortHead: state.shortHead,
    display,
    repo,
    remote,
    log,
    fetchTimeoutMs: request.fetchTimeoutMs ?? INFORMATIVE_FETCH_TIMEOUT_MS,
    freshFetchMs: request.freshFetchMs ?? FRESH_FETCH_MS,
    progressIntervalMs: request.progressIntervalMs,
    env: request.env,
    lock,
  };
  return request.refresh || repo.alwaysRefresh ? refreshClone(clone, request.now ?? new Date()) : updateClone(clone);
}

/**
 * A clone made with a token in its URL (by hand, or by local-dev before credentials travelled in
 * git's environment) has it in .git/config in plain text; git needs only the URL without it.
 */
async function removeStoredCredentials(root: string, display: string, originUrl: string, log: Log): Promise<void> {
  const { url, credentials } = splitCredentials(originUrl);
  if (credentials === undefined) return;
  await git(['remote', 'set-url', 'origin', url], { cwd: root });
  log(
    `removed the credentials from origin's URL in ${display}/.git/config (now ${url}): local-dev gives git the ones in config.yaml through its environment; for git by hand in the clone, use a credential helper`,
  );
}

function failureContext(clone: Clone, branch: string): FailureContext {
  return { repo: clone.display, url: clone.remote.shown, branch };
}

function remoteOptions(clone: Clone): RemoteOptions {
  return { env: clone.env, credentials: clone.remote.credentials };
}

/** Updates refs/remotes/origin/<branch> only: the working tree and local branches are untouched. */
async function fetchBranch(clone: Clone, branch: string, timeoutMs?: number): Promise<void> {
  const args = ['fetch', '--progress', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`];
  await withProgress(
    clone.log,
    clone.progressIntervalMs,
    (onOutput) => git(args, { cwd: clone.root, ...remoteOptions(clone), timeoutMs, onOutput }),
    `fetching origin/${branch}`,
  );
}

async function branchMissingError(clone: Clone, branch: string, output: string): Promise<GitError> {
  const context = { ...failureContext(clone, branch), closeBranches: await closestRemoteBranches('origin', branch, clone.root, remoteOptions(clone)) };
  return describeGitFailure('branch-missing', output, context, 'fetching');
}

/** Fetch failures as data: a missing branch, or a warning for anything else (we may be offline). */
async function tryFetch(clone: Clone, branch: string): Promise<{ missing: boolean; warning?: string; output?: string }> {
  try {
    await fetchBranch(clone, branch, clone.fetchTimeoutMs);
    return { missing: false };
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    if (error.exitCode === null) return { missing: false, warning: `no answer within ${clone.fetchTimeoutMs / 1000} s` };
    const kind = classifyGitFailure(error.outputTail);
    if (kind === 'branch-missing') return { missing: true, output: error.outputTail };
    if (kind === 'disk-full') throw describeGitFailure(kind, error.outputTail, failureContext(clone, branch), 'fetching');
    return { missing: false, warning: redactCredentials(gitSaid(error.outputTail).split('\n')[0]), output: error.outputTail };
  }
}

/**
 * How long ago this clone fetched `branch`, when that is recent enough to reuse (FETCH_HEAD is
 * rewritten by every fetch; the remote-tracking ref must exist to compare with). undefined: fetch.
 */
async function recentFetchAge(clone: Clone, branch: string, status: WorkingTreeStatus): Promise<number | undefined> {
  if (clone.freshFetchMs <= 0) return undefined;
  let modified: number;
  try {
    modified = statSync(path.join(clone.root, '.git', 'FETCH_HEAD')).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const age = Date.now() - modified;
  if (age < 0 || age >= clone.freshFetchMs) return undefined;
  return trackedComparison(status, branch) !== undefined || (await refExists(clone.root, `refs/remotes/origin/${branch}`)) ? age : undefined;
}

/**
 * ahead/behind origin/<branch> as `git status` already computed it, when the branch tracks exactly
 * that (the usual case: a clone's branch tracks its origin namesake) and it resolves.
 */
function trackedComparison(status: WorkingTreeStatus, branch: string): RemoteComparison | undefined {
  const upstream = `origin/${branch}`;
  return status.upstream === upstream && status.aheadBehind ? { upstream, ...status.aheadBehind } : undefined;
}

async function compareWithRemote(root: string, branch: string): Promise<RemoteComparison | undefined> {
  const upstream = `origin/${branch}`;
  if (!(await refExists(root, `refs/remotes/${upstream}`))) return undefined;
  return { upstream, ...(await aheadBehind(root, upstream)) };
}

function listFew(files: string[]): string {
  const shown = files.slice(0, 5).join(', ');
  return files.length > 5 ? `${shown}, … (${files.length - 5} more)` : shown;
}

async function updateClone(clone: Clone): Promise<CloneStatus> {
  const { root, display, repo } = clone;
  // One status for the branch, the changed files and (when the fetch is reused) the comparison.
  const status = await readStatus(root);
  const current = status.branch;
  const wanted = repo.branch ?? current;
  const head = clone.shortHead ?? '(no commit yet)';
  if (wanted === undefined) {
    // Detached HEAD and no branch in config.yaml: nothing says where to go, so stay.
    return { action: { type: 'kept' }, branch: 'detached HEAD', head, changedFiles: status.changed.length };
  }
  if (current === wanted) {
    const fetchedAgoMs = await recentFetchAge(clone, wanted, status);
    const fetched = fetchedAgoMs === undefined ? await tryFetch(clone, wanted) : { missing: false };
    // A reused fetch left the remote ref as status saw it; after a fetch, compare again.
    const remote = fetched.missing
      ? undefined
      : ((fetchedAgoMs !== undefined ? trackedComparison(status, wanted) : undefined) ?? (await compareWithRemote(root, wanted)));
    return {
      action: { type: 'kept' },
      branch: wanted,
      head,
      changedFiles: status.changed.length,
      remote,
      remoteBranchMissing: fetched.missing,
      fetchWarning: fetched.warning,
      fetchedAgoMs,
    };
  }

  const from = current ?? `detached HEAD ${head}`;
  const dirty = status.changed;
  if (dirty.length > 0) {
    throw new GitError(
      display,
      `is on ${from} but config.yaml says ${wanted}; not switching because it has uncommitted changes (${dirty.length}: ${listFew(dirty)})`,
      {
        fix: `commit or stash them (git -C ${display} stash push -u), or re-run with --refresh to save them in a backup ref and reset to origin/${wanted}`,
      },
    );
  }
  if (current === undefined) {
    const onABranch = (await git(['for-each-ref', '--contains', 'HEAD', '--format=%(refname)', 'refs/heads', 'refs/remotes'], { cwd: root })).stdout;
    if (onABranch === '') {
      throw new GitError(display, `HEAD is detached at commits no branch contains; switching to ${wanted} would leave them behind`, {
        fix: `keep them on a branch first (git -C ${display} switch -c my-work), then re-run`,
      });
    }
  }
  const fetched = await tryFetch(clone, wanted);
  const hasLocal = await refExists(root, `refs/heads/${wanted}`);
  if (fetched.missing && !hasLocal) throw await branchMissingError(clone, wanted, fetched.output ?? '');
  if (!hasLocal && !(await refExists(root, `refs/remotes/origin/${wanted}`))) {
    throw new GitError(display, `cannot switch to ${wanted}: no such local branch and the remote could not be asked (${fetched.warning})`, {
      fix: 're-run when the remote is reachable',
    });
  }
  // Injected files would block or follow the checkout; inject-config (next task) puts them back.
  await undoInjectionUnderLock({ root, display }, clone.log, clone.lock);
  // git switch overwrites ignored files without a word when the other branch tracks them.
  const overwritten = await ignoredFilesAtRisk(root, hasLocal ? `refs/heads/${wanted}` : `refs/remotes/origin/${wanted}`);
  if (overwritten.length > 0) {
    throw new GitError(
      display,
      `is on ${from} but config.yaml says ${wanted}; not switching because ${wanted} tracks files you have here as ignored files, which the switch would overwrite (${overwritten.length}: ${listFew(overwritten)})`,
      {
        fix: `move them away and re-run, or re-run with --refresh to save them in a backup ref first`,
      },
    );
  }
  if (hasLocal) await git(['switch', '--quiet', wanted], { cwd: root });
  else await git(['switch', '--quiet', '--create', wanted, '--track', `origin/${wanted}`], { cwd: root });
  return {
    action: { type: 'switched', from },
    branch: wanted,
    head: await shortHead(root),
    changedFiles: 0,
    remote: fetched.missing ? undefined : await compareWithRemote(root, wanted),
    remoteBranchMissing: fetched.missing,
    fetchWarning: fetched.warning,
  };
}

async function refreshClone(clone: Clone, now: Date): Promise<CloneStatus> {
  const { root, display, repo } = clone;
  const current = await currentBranch(root);
  const target = repo.branch ?? current ?? (await remoteDefaultBranch('origin', root, remoteOptions(clone)));
  if (target === undefined)
    throw new GitError(display, 'cannot tell which branch to refresh to', { fix: `set branch: for ${repo.owner} in repos_docker_files/config.yaml` });
  // Fetch first: if the remote cannot be reached, nothing has been touched yet.
  try {
    await fetchBranch(clone, target);
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    const kind = classifyGitFailure(error.outputTail);
    if (kind === 'branch-missing') throw await branchMissingError(clone, target, error.outputTail);
    throw describeGitFailure(kind, error.outputTail, failureContext(clone, target), 'fetching for --refresh (nothing was changed)');
  }
  const upstream = `refs/remotes/origin/${target}`;
  // Injected files are not local work: take them out so they are neither saved nor reported.
  await undoInjectionUnderLock({ root, display }, clone.log, clone.lock);
  let atRisk: { name: string; commit: string } | undefined;
  if (current !== target && (await refExists(root, `refs/heads/${target}`))) {
    const unpushed = Number((await git(['rev-list', '--count', `${upstream}..refs/heads/${target}`], { cwd: root })).stdout);
    if (unpushed > 0) atRisk = { name: target, commit: (await git(['rev-parse', `refs/heads/${target}`], { cwd: root })).stdout };
  }
  const backup = await saveLocalWork(root, display, upstream, now, atRisk, await ignoredFilesAtRisk(root, upstream));
  // Clean BEFORE the checkout, under the .gitignore rules the backup was made with: every file it
  // removes is in the backup. After the checkout the target branch's rules would apply, and a
  // file ignored here but not there (never saved) would be deleted.
  await git(['clean', '-fd', '--quiet'], { cwd: root });
  await git(['checkout', '--quiet', '--force', '-B', target, upstream], { cwd: root });
  await git(['branch', '--quiet', `--set-upstream-to=origin/${target}`], { cwd: root });
  // Left now: only files that were ignored and that the target's .gitignore does not ignore.
  const unignored = await changedFiles(root);
  if (unignored.length > 0) {
    clone.log(
      `kept ${unignored.length === 1 ? '1 file' : `${unignored.length} files`} that ${current ?? 'HEAD'} ignored and ${target} does not (yours, never in the repo; now untracked): ${listFew(unignored)}`,
    );
  }
  return {
    action: { type: 'refreshed', backup },
    branch: target,
    head: await shortHead(root),
    changedFiles: (await changedFiles(root)).length,
    remote: await compareWithRemote(root, target),
  };
}
