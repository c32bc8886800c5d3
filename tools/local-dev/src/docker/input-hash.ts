/**
 * The input hashes of a service's image: everything the image is built from, cheaply.
 *
 * Two hashes, one on top of the other:
 *   - the PORTABLE hash names the image's content anywhere (another laptop, CI, the team's
 *     registry): the engine's os/architecture, the clone's tree, its uncommitted changes and every
 *     other file the build context sends (git-ignored ones too) as path → content and exec bit
 *     (never `git diff` text, which a user's diff.noprefix or diff.algorithm changes),
 *     the Dockerfile, the build args, the non-secret injected files, the base images' ids, and —
 *     only for an image that holds injected secret files (not shareable) — those files' contents,
 *     the workspace and the namespace, so such an image never names anything outside this laptop;
 *   - the LOCAL hash (the tag `local-dev/<service>:<local hash>`) adds this workspace, the
 *     namespace and the secret files' contents: two checkouts never share or delete each other's
 *     images, and a rotated secret gives a new tag (the container is replaced and gets the new
 *     file at `up`) without a build when the portable hash is the same.
 * `sourceHash` is what Nx hashes build-image with (src/runtime-state/hashers.ts): every input that
 * is a file (no engine state), so it stays expressible as Nx file inputs.
 *
 * Like Garden's versions: a hash of the sources, checked against "does the image for this hash
 * exist" before doing anything. The combine functions are pure; `readCloneState` reads git and disk.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { exec } from '../core/exec';
import { DockerError } from '../core/errors';

/** Bump when what goes into the hash changes, so old images are not mistaken for new ones. */
export const INPUT_HASH_VERSION = 'local-dev-image-v3';

/** What git says of a clone, independent of the user's git configuration (read once per clone). */
export interface CloneState {
  /** `HEAD^{tree}`: the same commit content gives the same tree on every laptop. */
  tree: string;
  /** Uncommitted changes of tracked (or staged) files: path → fileFingerprint (or "deleted"). */
  changes: Record<string, string>;
  /** Every path in git's index: the build context's other files are the ones git does not track. */
  tracked: ReadonlySet<string>;
}

/** What the build context sends, as hashed: the commit's tree, its tracked changes and every other file the context sends. */
export interface ContextContent {
  tree: string;
  /** Tracked changes and the non-tracked files the build context sends (git-ignored ones too): path → fileFingerprint (or "deleted"). */
  changes: Record<string, string>;
}

/** Everything that is a file (or config.yaml) — what Nx hashes; no engine state. */
export interface SourceInputs {
  service: string;
  workspace: string;
  namespace: string;
  clone: ContextContent;
  dockerfile: string;
  /** Non-secret injected files the build context sends (the Dockerfile copy, the generated ignore file; an IDE config the ignore file excludes is not here): path → sha256 or "absent". */
  injected: Record<string, string>;
  /** Injected secret files (config.yaml `configs:` entries): path → sha256 or "absent". */
  secrets: Record<string, string>;
  buildArgs: Record<string, string>;
}

/** Whether the image holds the injected secret files (decided before the build: ./shareability.ts). */
export type SecretPlacement = 'kept-out' | 'in-image';

export interface PortableInputs {
  sources: SourceInputs;
  /** Each FROM image → its RepoDigest when it has one, else the local image id. */
  baseImages: Record<string, string>;
  /**
   * The engine's os/architecture ("linux/amd64"): a multi-arch base's RepoDigest is its index's,
   * the same on an arm64 and an amd64 laptop, while the images built on it are not.
   */
  platform: string;
  secretPlacement: SecretPlacement;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function sortedEntries(record: Record<string, string>): [string, string][] {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent — keys are unique and V8's sort only asks `< 0`.
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function canonicalClone(clone: ContextContent): unknown[] {
  return [clone.tree, sortedEntries(clone.changes)];
}

/** Pure: the hash of every file input (Nx's hash of build-image). */
export function sourceHash(inputs: SourceInputs): string {
  return sha256(
    JSON.stringify([
      INPUT_HASH_VERSION,
      'sources',
      inputs.service,
      inputs.workspace,
      inputs.namespace,
      canonicalClone(inputs.clone),
      sha256(inputs.dockerfile),
      sortedEntries(inputs.injected),
      sortedEntries(inputs.secrets),
      sortedEntries(inputs.buildArgs),
    ]),
  );
}

/** Pure: the hash that names the image's content anywhere (the registry tag, the image's label). */
export function portableInputHash({ sources, baseImages, platform, secretPlacement }: PortableInputs): string {
  const common = [
    INPUT_HASH_VERSION,
    platform,
    sources.service,
    canonicalClone(sources.clone),
    sha256(sources.dockerfile),
    sortedEntries(sources.buildArgs),
    sortedEntries(sources.injected),
    sortedEntries(baseImages),
  ];
  // An image holding secrets is this laptop's alone: its name can never match anyone else's.
  const local = secretPlacement === 'in-image' ? ['holds secrets', sources.workspace, sources.namespace, sortedEntries(sources.secrets)] : ['shareable'];
  return sha256(JSON.stringify([...common, ...local]));
}

/** Pure: the hash of the local tag — the portable hash, scoped to this workspace, namespace and secret files. */
export function localImageHash(portableHash: string, sources: Pick<SourceInputs, 'workspace' | 'namespace' | 'secrets'>): string {
  return sha256(JSON.stringify([INPUT_HASH_VERSION, 'local', portableHash, sources.workspace, sources.namespace, sortedEntries(sources.secrets)]));
}

/**
 * A file as an image sees it: content and exec bit ("x" or "-"); a symlink by its target; a folder
 * (an untracked nested repository, which git lists as one entry) as "folder"; gone as "deleted".
 */
export function fileFingerprint(file: string): string {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'deleted';
    throw error;
  }
  if (stat.isSymbolicLink()) return `link:${readlinkSync(file)}`;
  if (stat.isDirectory()) return 'folder';
  return `${stat.mode & 0o111 ? 'x' : '-'}:${sha256(readFileSync(file))}`;
}

/** Pure: the paths `git status --porcelain=v2 -z` reports as changed or untracked (repository-relative). */
export function changedPaths(porcelain: string): string[] {
  const paths: string[] = [];
  const records = porcelain.split('\0');
  for (let index = 0; index < records.length; index++) {
    const record = records[index];
    if (record === '') continue;
    const kind = record[0];
    // Field counts before the path: "1" has 8, "u" has 10, "2" has 9 then the original path in the next record.
    if (kind === '1') paths.push(record.split(' ').slice(8).join(' '));
    else if (kind === 'u') paths.push(record.split(' ').slice(10).join(' '));
    else if (kind === '2') {
      paths.push(record.split(' ').slice(9).join(' '), records[index + 1]);
      index++;
    } else if (kind === '?') paths.push(record.slice(2));
  }
  return paths;
}

/**
 * The clone's tree, its tracked changes and the paths git tracks, through git (three quick spawns).
 * `-c core.excludesFile=`: a user's global excludes change what git calls untracked, never this.
 */
export async function readCloneState(cloneDir: string): Promise<CloneState> {
  // A clone folder without its own .git (half-cloned, or its .git deleted) must never be answered
  // for by the repository around cloned/ (the workspace's own): git does not look above it.
  const env = { GIT_CEILING_DIRECTORIES: path.dirname(path.resolve(cloneDir)) };
  const git = (args: string[]) => exec('git', ['--no-optional-locks', '-c', 'core.excludesFile=', '-C', cloneDir, ...args], { env });
  let tree: string;
  try {
    // Stryker disable next-line MethodExpression: equivalent — exec strips the final newline and rev-parse prints nothing else.
    tree = (await git(['rev-parse', '--verify', 'HEAD^{tree}'])).stdout.trim();
  } catch (error) {
    throw new DockerError(`${cloneDir} is not a git clone with a commit, so there is nothing to build`, {
      fix: 'run the clone first: nx run <service>:clone (nx run <service>:up does it for you)',
      cause: error,
    });
  }
  // Porcelain v2 is a fixed format whatever the user's config; --no-optional-locks: never take the
  // index lock a concurrent git command (inject, the user) may need. Untracked files are not asked
  // for: the build context says which it sends (contextContent).
  const [status, listed] = await Promise.all([
    git(['status', '--porcelain=v2', '-z', '--untracked-files=no', '--no-renames', '--ignore-submodules=none']),
    git(['ls-files', '-z']),
  ]);
  const changes: Record<string, string> = {};
  for (const file of changedPaths(status.stdout)) changes[file] = fileFingerprint(path.join(cloneDir, file));
  return { tree, changes, tracked: new Set(listed.stdout.split('\0').filter(Boolean)) };
}

/**
 * What the build context sends beyond the commit: the clone's tracked changes, and each file of
 * `sentFiles` (the context's files under the ignore file in effect: build-context.ts contextFiles)
 * that git does not track — git-ignored ones included, as `docker build` sends them — except
 * `leaveOut` (the injected files, hashed on their own).
 */
export function contextContent(cloneDir: string, clone: CloneState, sentFiles: readonly string[], leaveOut: ReadonlySet<string>): ContextContent {
  const changes: Record<string, string> = { ...clone.changes };
  for (const file of sentFiles) {
    if (!clone.tracked.has(file) && !leaveOut.has(file)) changes[file] = fileFingerprint(path.join(cloneDir, file));
  }
  return { tree: clone.tree, changes };
}

export function hashFileOrAbsent(file: string): string {
  try {
    return sha256(readFileSync(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Deleted between listing and reading, or a folder (an untracked submodule): its absence is the state.
    if (code === 'ENOENT' || code === 'EISDIR') return 'absent';
    throw error;
  }
}
