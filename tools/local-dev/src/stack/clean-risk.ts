/**
 * What of cloned/ is local-dev's to delete, and what would be lost with the rest.
 *
 * local-dev made a folder of cloned/ when it is the clone of a repo of config.yaml: its folder is
 * that repo's `dir` and its origin that repo (the clone task refuses to work in any other folder,
 * so it never made one). Inside such a clone local-dev made only the files its injection manifest
 * lists (../inject/manifest.ts) with the bytes it wrote. Everything else is the user's, even what
 * git ignores or nothing would commit: a `.env.mine`, a local database, an IDE's settings, a
 * folder they cloned there themselves. clean deletes only a folder that is local-dev's and holds
 * nothing of theirs; the rest is listed here with what it holds.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceModel } from '../config/model';
import { redactCredentials } from '../core/redact';
import type { WorkspacePaths } from '../core/workspace';
import { git } from '../git/git';
import { inspectFolder } from '../git/inspect';
import { sameRepository } from '../git/remote-url';
import { readStatus } from '../git/status';
import { sha256 } from '../inject/apply';
import { readManifest } from '../inject/manifest';

/** What would be lost with an entry of cloned/; nothing when every count is 0 and both lists are empty. */
export interface WorkAtRisk {
  dir: string;
  /** Set when local-dev did not make this entry: why it is not local-dev's. */
  notOurs?: string;
  changedFiles: number;
  /** Commits reachable from a local branch or HEAD but from no remote-tracking branch. */
  unpushedCommits: number;
  /** refs/local-dev/backup/* (refresh's backups), stash entries, and inject's saved copies of files it replaced. */
  savedWork: number;
  /** Untracked files git ignores that local-dev did not inject: the user's. */
  ignoredFiles: string[];
  /** Files local-dev injected that were edited since. */
  editedInjected: string[];
}

const nothing = (dir: string): WorkAtRisk => ({ dir, changedFiles: 0, unpushedCommits: 0, savedWork: 0, ignoredFiles: [], editedInjected: [] });

/** Pure: is anything at risk? */
export function atRisk(work: WorkAtRisk): boolean {
  return (
    work.notOurs !== undefined ||
    work.changedFiles > 0 ||
    work.unpushedCommits > 0 ||
    work.savedWork > 0 ||
    work.ignoredFiles.length > 0 ||
    work.editedInjected.length > 0
  );
}

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** Pure: a few paths, the files of one top folder as one entry: ".env.mine, node_modules/ (1200 files)". */
export function summarizePaths(files: readonly string[], shown = 5): string {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const slash = file.indexOf('/');
    const key = slash === -1 ? file : file.slice(0, slash + 1);
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  const entries = [...groups].map(([key, members]) => (members.length === 1 ? members[0] : `${key} (${plural(members.length, 'file')})`));
  return entries.length > shown ? `${entries.slice(0, shown).join(', ')}, … (${entries.length - shown} more)` : entries.join(', ');
}

/** Pure: "cloned/x: 2 uncommitted or untracked files, 1 commit on no remote, 1 ignored file local-dev did not make (.env.mine)". */
export function describeRisk(work: WorkAtRisk): string {
  const parts = [
    work.changedFiles > 0 ? plural(work.changedFiles, 'uncommitted or untracked file') : '',
    work.unpushedCommits > 0 ? `${plural(work.unpushedCommits, 'commit')} on no remote` : '',
    work.savedWork > 0 ? plural(work.savedWork, 'saved stash/backup') : '',
    work.ignoredFiles.length > 0 ? `${plural(work.ignoredFiles.length, 'ignored file')} local-dev did not make (${summarizePaths(work.ignoredFiles)})` : '',
    work.editedInjected.length > 0 ? `${plural(work.editedInjected.length, 'injected file')} edited since (${summarizePaths(work.editedInjected)})` : '',
  ].filter(Boolean);
  const why = [work.notOurs, parts.join(', ')].filter(Boolean).join('; ');
  return `cloned/${work.dir}: ${why}`;
}

/**
 * Pure: hidden entries of cloned/ that local-dev makes beside the clones: a clone's lock
 * (`.<dir>.lock`, with its `.tmp`/`.stale-` siblings while it changes hands; ../git/clone-lock.ts)
 * and an interrupted clone (`.<dir>.partial-<pid>-<hex>`; ../git/fresh-clone.ts).
 */
export function isOwnHiddenEntry(name: string): boolean {
  return /^\.[A-Za-z0-9][A-Za-z0-9._-]*\.(lock(\..+)?|partial-\d+-[0-9a-f]+)$/.test(name);
}

/** Every entry of cloned/ that is not one of local-dev's hidden lock files or partial clones, sorted. */
export function clonedEntries(paths: WorkspacePaths): string[] {
  try {
    return readdirSync(paths.cloned)
      .filter((name) => !isOwnHiddenEntry(name))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Pure: why a clone in cloned/<dir> with this origin is not one local-dev made, or undefined when it is. */
export function whyNotOurs(dir: string, originUrl: string | undefined, model: Pick<WorkspaceModel, 'repos'>, workspaceRoot: string): string | undefined {
  const repo = model.repos.find((candidate) => candidate.dir === dir);
  if (!repo) return `not made by local-dev: no repo of config.yaml clones into cloned/${dir}`;
  if (originUrl === undefined) return `not made by local-dev: it has no origin, and config.yaml's repo for it is ${redactCredentials(repo.url)}`;
  if (!sameRepository(originUrl, repo.url, workspaceRoot))
    return `not made by local-dev: its origin is ${redactCredentials(originUrl)}, config.yaml's repo for it is ${redactCredentials(repo.url)}`;
  return undefined;
}

/** What deleting cloned/<dir> would lose. Reads only (git status, ls-files, for-each-ref). */
export async function measureRisk(paths: WorkspacePaths, model: Pick<WorkspaceModel, 'repos'>, dir: string): Promise<WorkAtRisk> {
  const folder = path.join(paths.cloned, dir);
  const found = await inspectFolder(folder);
  if (found.type === 'missing') return nothing(dir);
  // An empty folder holds nothing to lose, whoever made it.
  if (found.type === 'empty-folder') return nothing(dir);
  if (found.type === 'not-a-clone') {
    const link = lstatSync(folder).isSymbolicLink() ? ` (to ${readlinkSync(folder)})` : '';
    return { ...nothing(dir), notOurs: `not a git clone: ${found.why}${link}` };
  }
  const status = await readStatus(folder);
  // HEAD too: a detached HEAD's commits are on no branch.
  const unpushed =
    status.oid !== undefined ? Number((await git(['rev-list', '--count', 'HEAD', '--branches', '--not', '--remotes'], { cwd: folder })).stdout) : 0;
  const refs = (await git(['for-each-ref', '--format=%(refname)', 'refs/local-dev/backup/', 'refs/stash'], { cwd: folder })).stdout
    .split('\n')
    .filter(Boolean).length;
  const manifest = readManifest(found.gitDir, `cloned/${dir}`);
  const injected = new Map((manifest?.files ?? []).map((entry) => [entry.dest, entry.sha256]));
  const editedInjected = [...injected]
    .filter(([dest, hash]) => {
      const bytes = readIfFile(path.join(folder, dest));
      return bytes !== undefined && sha256(bytes) !== hash;
    })
    .map(([dest]) => dest);
  const ignored = (await git(['ls-files', '--others', '--ignored', '--exclude-standard', '-z'], { cwd: folder })).stdout.split('\0').filter(Boolean);
  return {
    dir,
    notOurs: whyNotOurs(dir, found.originUrl, model, paths.root),
    changedFiles: status.changed.length,
    unpushedCommits: unpushed,
    savedWork: refs + savedCopies(found.gitDir),
    ignoredFiles: ignored.filter((file) => !injected.has(file)),
    editedInjected,
  };
}

/** inject-config's copies of the user's files it replaced: .git/local-dev/saved/<time>/ (../inject/apply.ts). */
function savedCopies(gitDir: string): number {
  try {
    return readdirSync(path.join(gitDir, 'local-dev', 'saved')).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function readIfFile(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
}
