/**
 * Writing a plan into a clone, and taking it out again. The only part of inject/ that touches disk.
 *
 * Everything here runs holding the clone's lock (../git/clone-lock.ts), so two runs never interleave.
 * Order matters so that nothing is half-done, nothing of the user's is lost, and no secret is ever
 * on disk where git could see it:
 *  1. every destination is checked against the disk first; one refusal means nothing is written;
 *  2. files of the previous injection that this one does not have are removed (namespace switch);
 *  3. the manifest is written before the files, so an interruption can always be undone;
 *  4. BEFORE any file is written, tracked destinations get skip-worktree and untracked ones are
 *     listed in .git/info/exclude: a run interrupted at any point (disk full, Ctrl-C) never leaves
 *     a secret that `git add -A` would stage;
 *  5. files are written via temp file + rename; a file we did not write ourselves whose content
 *     would be lost (an untracked file, a modified tracked file, our file edited by hand) is copied
 *     to .git/local-dev/saved/<time>/ first. Each file gets its source's permissions (./file-mode.ts:
 *     a 0600 secret stays 0600), also when only its mode is out of date.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { existingMode, writeFileAtomically } from '../core/atomic-write';
import * as path from 'node:path';
import { GitError, UsageError } from '../core/errors';
import { git } from '../git/git';
import { inspectFolder } from '../git/inspect';
import { backupStamp } from '../git/backup';
import { withCloneLock, type CloneLock } from '../git/clone-lock';
import { withExcludeBlock } from './exclude';
import { formatMode, gitIndexMode, injectedMode } from './file-mode';
import { readManifest, removeManifest, writeManifest, type Manifest, type ManifestEntry } from './manifest';
import { checkDestOnDisk } from './path-safety';
import type { InjectionPlan, PlannedFile } from './plan';
import { makePrivateDir } from '../core/private-dir';

export interface CloneTarget {
  /** Absolute path of cloned/<dir>. */
  root: string;
  /** cloned/<dir>, for messages. */
  display: string;
}

export type Log = (line: string) => void;

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** git's object id for these bytes as a blob (sha1 or sha256 repos, told by the id's length). */
export function gitBlobId(bytes: Buffer, idLength: number): string {
  const hash = createHash(idLength === 64 ? 'sha256' : 'sha1');
  return hash.update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function openClone(target: CloneTarget): Promise<string> {
  const state = await inspectFolder(target.root);
  if (state.type !== 'clone') {
    throw new GitError(
      target.display,
      state.type === 'missing' ? 'is not cloned yet' : `is not a clone (${state.type === 'not-a-clone' ? state.why : 'empty folder'})`,
      {
        fix: 'run the clone target first (nx run <service>:clone), which inject-config depends on',
      },
    );
  }
  return state.gitDir;
}

/** Index entries (mode, blob) for the given paths that git tracks. */
async function trackedEntries(cwd: string, paths: readonly string[]): Promise<Map<string, { mode: string; blob: string }>> {
  const found = new Map<string, { mode: string; blob: string }>();
  // Stryker disable next-line ConditionalExpression: equivalent mutant — with no paths ls-files lists every file, and only planned dests are looked up; this spares a git call
  if (paths.length === 0) return found;
  const { stdout } = await git(['ls-files', '--stage', '-z', '--', ...paths], { cwd });
  // Stryker disable next-line MethodExpression: equivalent mutant — the empty record after the last NUL matches nothing below
  for (const record of stdout.split('\0').filter(Boolean)) {
    // Stryker disable next-line Regex: equivalent mutants (either anchor dropped) — every -z record is exactly one "<mode> <id> <stage>\t<path>"
    const match = /^(\d+) ([0-9a-f]+) \d\t(.*)$/s.exec(record);
    if (match) found.set(match[3], { mode: match[1], blob: match[2] });
  }
  return found;
}

class SavedCopies {
  private readonly folder: string;
  /** The clone's private root (../core/private-dir.ts): these are copies of secret files. */
  private readonly privateRoot: string;
  constructor(
    gitDir: string,
    now: Date,
    private readonly target: CloneTarget,
    private readonly log: Log,
  ) {
    this.privateRoot = path.join(gitDir, 'local-dev');
    this.folder = path.join(this.privateRoot, 'saved', backupStamp(now));
  }
  save(dest: string, why: string): void {
    const copy = path.join(this.folder, dest);
    makePrivateDir(path.dirname(copy), this.privateRoot);
    copyFileSync(path.join(this.target.root, dest), copy);
    this.log(`saved ${why} ${dest} to ${path.relative(this.target.root, copy)} before replacing it`);
  }
}

function writeAtomically(file: string, bytes: Buffer, repo: string, mode?: number): void {
  try {
    writeFileAtomically(file, bytes, { mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new GitError(repo, `the disk is full while writing ${file}`, {
        fix: 'free some space (e.g. `docker system prune`) and re-run inject-config; it rewrites every file',
        cause: error,
      });
    }
    throw error;
  }
}

/** Creates the missing parent folders of `dest`, returning the ones it made (outermost first). */
function makeParents(root: string, dest: string): string[] {
  const missing: string[] = [];
  // Stryker disable next-line StringLiteral: equivalent mutant — at '.' the clone's root exists, so the loop breaks there anyway
  for (let dir = path.posix.dirname(dest); dir !== '.'; dir = path.posix.dirname(dir)) {
    if (readOrDirExists(path.join(root, dir))) break;
    missing.unshift(dir);
  }
  for (const dir of missing) mkdirSync(path.join(root, dir));
  return missing;
}

function readOrDirExists(folder: string): boolean {
  try {
    readdirSync(folder);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function setExcludeBlock(gitDir: string, untracked: readonly string[]): Promise<void> {
  const file = path.join(gitDir, 'info', 'exclude');
  const before = readOrUndefined(file)?.toString('utf8') ?? '';
  const after = withExcludeBlock(before, untracked);
  // Stryker disable next-line ConditionalExpression: equivalent — rewriting the same text changes nothing a user sees.
  if (after === before) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeAtomically(file, Buffer.from(after), gitDir);
}

/** Takes one injected file out, putting back what was there; a hand-edited copy is saved first. */
async function undoEntry(target: CloneTarget, entry: ManifestEntry, saved: SavedCopies): Promise<void> {
  const file = path.join(target.root, entry.dest);
  const current = readOrUndefined(file);
  if (current && sha256(current) !== entry.sha256) saved.save(entry.dest, 'your edited copy of injected file');
  // Stryker disable next-line ConditionalExpression: equivalent — an entry never tracked is not tracked now either (one git call more).
  if (entry.tracked) {
    const stillTracked = (await trackedEntries(target.root, [entry.dest])).has(entry.dest);
    if (stillTracked) {
      await git(['update-index', '--no-skip-worktree', '--', entry.dest], { cwd: target.root });
      await git(['checkout-index', '--force', '--', entry.dest], { cwd: target.root });
      return;
    }
  }
  rmSync(file, { force: true });
  for (const dir of [...entry.createdDirs].reverse()) {
    const folder = path.join(target.root, dir);
    if (readOrDirExists(folder) && readdirSync(folder).length === 0) rmdirSync(folder);
  }
}

/**
 * Removes everything the manifest lists, restoring overwritten tracked files from git.
 * Used by `inject-config --undo` and `clean`. Returns how many files.
 */
export async function undoInjection(target: CloneTarget, log: Log, now = new Date()): Promise<number> {
  return withCloneLock(target.root, target.display, { purpose: 'inject-config --undo', log }, (lock) => undoInjectionUnderLock(target, log, lock, now));
}

/** undoInjection for a caller that already holds the clone's lock (clone: refresh, branch switch). */
export async function undoInjectionUnderLock(target: CloneTarget, log: Log, _lock: CloneLock, now = new Date()): Promise<number> {
  const gitDir = await openClone(target);
  const manifest = readManifest(gitDir, target.display);
  if (!manifest) return 0;
  const saved = new SavedCopies(gitDir, now, target, log);
  for (const entry of manifest.files) await undoEntry(target, entry, saved);
  await setExcludeBlock(gitDir, []);
  removeManifest(gitDir);
  log(`removed ${manifest.files.length} injected file${manifest.files.length === 1 ? '' : 's'} (namespace ${manifest.namespace})`);
  return manifest.files.length;
}

function contentOf(file: PlannedFile, workspaceRoot: string): Buffer {
  return file.source.type === 'text' ? Buffer.from(file.source.text) : readFileSync(path.join(workspaceRoot, file.source.path));
}

/** The source's mode, through symlinks: origin is the workspace-relative file every kind comes from. */
function sourceModeOf(file: PlannedFile, workspaceRoot: string): number {
  return statSync(path.join(workspaceRoot, file.source.type === 'file' ? file.source.path : file.origin)).mode;
}

const KIND_LABEL: Record<PlannedFile['kind'], string> = {
  config: 'config',
  dockerfile: 'Dockerfile',
  'debug-config': 'debug config',
  'build-ignore': 'build context ignore file',
};

export async function applyInjection(
  target: CloneTarget,
  plan: InjectionPlan,
  namespace: string,
  workspaceRoot: string,
  log: Log,
  now = new Date(),
): Promise<Manifest> {
  if (plan.problems.length > 0) {
    throw new UsageError(
      `cannot inject configs into ${target.display} (namespace ${namespace}); nothing was written:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return withCloneLock(target.root, target.display, { purpose: `inject-config for namespace ${namespace}`, log }, () =>
    applyUnderLock(target, plan, namespace, workspaceRoot, log, now),
  );
}

async function applyUnderLock(target: CloneTarget, plan: InjectionPlan, namespace: string, workspaceRoot: string, log: Log, now: Date): Promise<Manifest> {
  const gitDir = await openClone(target);
  const unsafe = plan.files.flatMap((file) => {
    const problem = checkDestOnDisk(target.root, file.dest);
    return problem ? [`${target.display}/${file.dest} (from ${file.origin}): ${problem}`] : [];
  });
  if (unsafe.length > 0) {
    throw new UsageError(`refusing to inject into ${target.display}; nothing was written:\n${unsafe.map((p) => `  - ${p}`).join('\n')}`, {
      fix: 'remove the symlink (or change dest in repos_docker_files/config.yaml) so every injected file lands inside the clone',
    });
  }
  const contents = new Map(plan.files.map((file) => [file.dest, contentOf(file, workspaceRoot)]));
  const previous = readManifest(gitDir, target.display);
  const previousByDest = new Map((previous?.files ?? []).map((entry) => [entry.dest, entry]));
  const saved = new SavedCopies(gitDir, now, target, log);

  for (const entry of previous?.files ?? []) {
    if (contents.has(entry.dest)) continue;
    await undoEntry(target, entry, saved);
    log(`removed ${entry.dest} (from ${entry.origin}; namespace ${namespace} has none)`);
  }

  const tracked = await trackedEntries(
    target.root,
    plan.files.map((file) => file.dest),
  );
  const entries: ManifestEntry[] = plan.files.map((file) => {
    const before = previousByDest.get(file.dest);
    const index = tracked.get(file.dest);
    return {
      dest: file.dest,
      kind: file.kind,
      origin: file.origin,
      sha256: sha256(contents.get(file.dest) as Buffer),
      tracked: index,
      createdDirs: before?.createdDirs ?? [],
    };
  });
  const manifest: Manifest = { version: 1, namespace, injectedAt: now.toISOString(), files: entries };
  writeManifest(gitDir, manifest);
  // Hidden from git before a single byte is written (see 4. above).
  const skipWorktree = entries.filter((entry) => entry.tracked).map((entry) => entry.dest);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent — update-index with an empty list does nothing.
  if (skipWorktree.length > 0) {
    await git(['update-index', '--skip-worktree', '-z', '--stdin'], { cwd: target.root, input: skipWorktree.map((dest) => `${dest}\0`).join('') });
  }
  await setExcludeBlock(
    gitDir,
    entries.filter((entry) => !entry.tracked).map((entry) => entry.dest),
  );

  for (const [i, file] of plan.files.entries()) {
    const entry = entries[i];
    const bytes = contents.get(file.dest) as Buffer;
    const absolute = path.join(target.root, file.dest);
    const current = readOrUndefined(absolute);
    const ours = previousByDest.get(file.dest);
    const index = tracked.get(file.dest);
    if (current && !current.equals(bytes)) {
      const isOurs = ours !== undefined && sha256(current) === ours.sha256;
      const isCommitted = index !== undefined && gitBlobId(current, index.blob.length) === index.blob;
      if (!isOurs && !isCommitted)
        saved.save(file.dest, ours ? 'your edited copy of injected file' : index ? 'your uncommitted changes to' : 'your untracked file');
    }
    if (!current) {
      // equivalent mutant: `true` (an existing file's folders exist: nothing is made or recorded)
      entry.createdDirs = [...entry.createdDirs, ...makeParents(target.root, file.dest)];
      // The folders it made are recorded before the file is written, so undo can remove them.
      writeManifest(gitDir, manifest);
    }
    // What it replaces decides the execute bits: git's mode for a tracked file, the user's file as it is; never our own earlier copy.
    const replacedMode = index ? gitIndexMode(index.mode) : current && !ours ? existingMode(absolute) : undefined;
    const mode = injectedMode(sourceModeOf(file, workspaceRoot), replacedMode);
    const modeBefore = current ? existingMode(absolute) : undefined;
    const unchanged = current?.equals(bytes) && ours !== undefined;
    // Stryker disable next-line ConditionalExpression: equivalent — rewriting the same bytes changes nothing a user sees.
    if (!current?.equals(bytes)) writeAtomically(absolute, bytes, target.display, mode);
    // Stryker disable next-line ConditionalExpression: equivalent — a chmod to the mode it has changes nothing.
    else if (modeBefore !== mode) chmodSync(absolute, mode);
    const modeFixed =
      current?.equals(bytes) && modeBefore !== undefined && modeBefore !== mode ? `mode ${formatMode(modeBefore)} → ${formatMode(mode)}` : undefined;
    const details = [
      file.note,
      index ? 'replaces a tracked file, hidden with skip-worktree' : undefined,
      unchanged ? 'unchanged' : undefined,
      modeFixed,
    ].filter(Boolean);
    log(`${unchanged ? 'kept' : 'injected'} ${KIND_LABEL[file.kind]} ${file.origin} → ${file.dest}${details.length > 0 ? ` (${details.join('; ')})` : ''}`);
  }
  for (const note of plan.notes) log(note);
  return manifest;
}
