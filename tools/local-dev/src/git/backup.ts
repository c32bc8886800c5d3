/**
 * Saving a clone's local work before refresh resets it, in places git users already know.
 *
 * We build a commit in git's own stash format (W with parents HEAD, I = the index and U = the
 * untracked files), using temporary index files so neither the working tree nor the real index is
 * touched while saving. That commit is kept twice: as refs/local-dev/backup/<UTC time> (never
 * expires, lists with `git for-each-ref refs/local-dev`) and as a named entry in `git stash list`.
 * Its first parent is the old HEAD, so local commits are saved by the same ref.
 *
 * Ignored files are not local work for a refresh (`git clean -fd` keeps them), with one exception:
 * an ignored file where the target tree has a tracked file (or a folder) would be overwritten by the
 * checkout, so it joins the untracked files in the backup (as `git stash --all` would put it).
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { git, gitQuery, LOCAL_DEV_IDENTITY } from './git';
import type { BackupSummary } from './describe';
import { readStatus } from './status';

export const BACKUP_REF_PREFIX = 'refs/local-dev/backup/';

/** 2026-11-26T08:07:23.123Z → 20261126T080723Z (ref names cannot hold ":"). */
export function backupStamp(now: Date): string {
  // Stryker disable next-line Regex: equivalent — toISOString always ends in ".sssZ", so the anchor changes nothing.
  return now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export function restoreCommands(displayDir: string, ref: string, stamp: string, hasChanges: boolean): string[] {
  const commands = [`git -C ${displayDir} switch -c rescued-${stamp} ${ref}^1`];
  if (hasChanges) commands.push(`git -C ${displayDir} stash apply --index ${ref}`);
  return commands;
}

export interface LocalWork {
  head: string;
  branch: string;
  /** Commits on HEAD not on the upstream (all of HEAD's history when there is no upstream). */
  localCommits: number;
  changedFiles: number;
}

export async function measureLocalWork(cwd: string, upstream: string | undefined): Promise<LocalWork> {
  const head = (await git(['rev-parse', '--verify', 'HEAD'], { cwd })).stdout;
  const branch = (await gitQuery(['symbolic-ref', '--short', '-q', 'HEAD'], { cwd })) ?? `detached ${head.slice(0, 7)}`;
  const range = upstream ? [`${upstream}..HEAD`] : ['HEAD'];
  const localCommits = Number((await git(['rev-list', '--count', ...range], { cwd })).stdout);
  return { head, branch, localCommits, changedFiles: await countChangedFiles(cwd) };
}

/** Uncommitted and untracked files (not ignored ones) as `git status` counts them. */
export async function countChangedFiles(cwd: string): Promise<number> {
  return (await changedFiles(cwd)).length;
}

export async function changedFiles(cwd: string): Promise<string[]> {
  return (await readStatus(cwd)).changed;
}

/**
 * The ignored files a checkout of a tree tracking `targetTracked` would overwrite: the same path,
 * a tracked file where the ignored one sits in a folder, or tracked files inside a path that is an
 * ignored file. Pure.
 */
export function ignoredFilesInTheWay(ignored: readonly string[], targetTracked: readonly string[]): string[] {
  const files = new Set(targetTracked);
  const folders = new Set<string>();
  for (const file of targetTracked) for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) folders.add(dir);
  return ignored.filter((file) => {
    if (files.has(file) || folders.has(file)) return true;
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) if (files.has(dir)) return true;
    return false;
  });
}

/** Ignored files of the working tree (by its current rules) that checking out `target` would overwrite. */
export async function ignoredFilesAtRisk(cwd: string, target: string): Promise<string[]> {
  // Stryker disable next-line MethodExpression: equivalent — the empty name after the last NUL matches no path.
  const ignored = (await git(['ls-files', '--others', '--ignored', '--exclude-standard', '-z'], { cwd })).stdout.split('\0').filter(Boolean);
  // Stryker disable next-line ConditionalExpression: equivalent — a shortcut; nothing ignored is nothing in the way.
  if (ignored.length === 0) return [];
  // Stryker disable next-line MethodExpression: equivalent — as above.
  const tracked = (await git(['ls-tree', '-r', '-z', '--name-only', target], { cwd })).stdout.split('\0').filter(Boolean);
  return ignoredFilesInTheWay(ignored, tracked);
}

/**
 * Saves HEAD's local commits, staged, unstaged and untracked changes. Returns undefined when
 * there is nothing to save. `localBranchAtRisk` is the target branch when HEAD is elsewhere and
 * that branch has commits the reset would drop. `ignoredInTheWay` (see ignoredFilesAtRisk) are
 * saved with the untracked files.
 */
export async function saveLocalWork(
  cwd: string,
  displayDir: string,
  upstream: string | undefined,
  now: Date,
  localBranchAtRisk: { name: string; commit: string } | undefined,
  ignoredInTheWay: readonly string[],
): Promise<BackupSummary | undefined> {
  const work = await measureLocalWork(cwd, upstream);
  if (work.localCommits === 0 && work.changedFiles === 0 && !localBranchAtRisk && ignoredInTheWay.length === 0) return undefined;
  const stamp = await uniqueStamp(cwd, backupStamp(now));
  const ref = `${BACKUP_REF_PREFIX}${stamp}`;
  const commit = await createStashCommit(cwd, work, ignoredInTheWay);
  const reason = `local-dev: saved before refresh (${displayDir} ${work.branch} at ${work.head.slice(0, 7)})`;
  await git(['update-ref', '-m', reason, ref, commit, ''], { cwd });
  await git(['stash', 'store', '-m', `${reason} = ${ref}`, commit], { cwd });
  const extraRefs: string[] = [];
  if (localBranchAtRisk) {
    const extra = `${ref}-${localBranchAtRisk.name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    await git(['update-ref', '-m', reason, extra, localBranchAtRisk.commit, ''], { cwd });
    extraRefs.push(extra);
  }
  return {
    ref,
    localCommits: work.localCommits,
    changedFiles: work.changedFiles,
    ignoredFiles: ignoredInTheWay.length,
    restoreCommands: restoreCommands(displayDir, ref, stamp, work.changedFiles > 0 || ignoredInTheWay.length > 0),
    extraRefs,
  };
}

async function uniqueStamp(cwd: string, stamp: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? stamp : `${stamp}-${n}`;
    // Stryker disable next-line StringLiteral: equivalent — without --verify the full ref name is a pattern matching only that ref.
    const exists = await gitQuery(['show-ref', '--verify', '-q', `${BACKUP_REF_PREFIX}${candidate}`], { cwd });
    if (exists === undefined) return candidate;
  }
}

/** A stash-format commit of the working tree, built with temporary index files. */
async function createStashCommit(cwd: string, work: LocalWork, ignoredInTheWay: readonly string[]): Promise<string> {
  const gitDir = (await git(['rev-parse', '--absolute-git-dir'], { cwd })).stdout;
  const subject = (await git(['log', '-1', '--format=%s', 'HEAD'], { cwd })).stdout;
  const on = `${work.branch}: ${work.head.slice(0, 7)} ${subject}`;
  const env = { ...LOCAL_DEV_IDENTITY };
  const untrackedIndex = path.join(gitDir, `local-dev-backup-untracked.${process.pid}.index`);
  const worktreeIndex = path.join(gitDir, `local-dev-backup-worktree.${process.pid}.index`);
  try {
    const indexTree = (await git(['write-tree'], { cwd })).stdout;
    const indexCommit = (await git(['commit-tree', indexTree, '-p', work.head, '-m', `index on ${on}`], { cwd, env })).stdout;

    const listed = (await git(['ls-files', '--others', '--exclude-standard', '-z'], { cwd })).stdout;
    const untracked = ignoredInTheWay.reduce((names, file) => `${names}${file}\0`, listed);
    let untrackedCommit: string | undefined;
    if (untracked !== '') {
      const withIndex = { ...env, GIT_INDEX_FILE: untrackedIndex };
      await git(['read-tree', '--empty'], { cwd, env: withIndex });
      await git(['update-index', '--add', '-z', '--stdin'], { cwd, env: withIndex, input: untracked });
      const tree = (await git(['write-tree'], { cwd, env: withIndex })).stdout;
      untrackedCommit = (await git(['commit-tree', tree, '-m', `untracked files on ${on}`], { cwd, env })).stdout;
    }

    const withIndex = { ...env, GIT_INDEX_FILE: worktreeIndex };
    await git(['read-tree', indexTree], { cwd, env: withIndex });
    // Stryker disable next-line StringLiteral: equivalent — GIT_LITERAL_PATHSPECS "" is false as "0" is ("." is the whole tree either way).
    await git(['add', '--update', '--', '.'], { cwd, env: { ...withIndex, GIT_LITERAL_PATHSPECS: '0' } });
    const worktreeTree = (await git(['write-tree'], { cwd, env: withIndex })).stdout;
    const parents = ['-p', work.head, '-p', indexCommit, ...(untrackedCommit ? ['-p', untrackedCommit] : [])];
    return (await git(['commit-tree', worktreeTree, ...parents, '-m', `WIP on ${on}`], { cwd, env })).stdout;
  } finally {
    rmSync(untrackedIndex, { force: true });
    rmSync(worktreeIndex, { force: true });
  }
}
