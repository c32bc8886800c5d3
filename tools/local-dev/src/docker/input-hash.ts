/**
 * The input hash of a service's image: everything the image is built from, cheaply.
 *
 *   - the clone's code: HEAD, the diff of tracked files, and untracked files (injected files are
 *     excluded by inject-config — skip-worktree / .git/info/exclude — so they do not count twice),
 *   - the Dockerfile's content, the injected files' contents, the build args, the namespace,
 *   - the service and workspace (two checkouts never share or delete each other's images).
 *
 * Like Garden's versions: a hash of the sources, checked against "does the image for this hash
 * exist" before doing anything. `combineInputHash` is pure; `collectInputs` reads git and disk.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { exec } from '../core/exec';
import { DockerError } from '../core/errors';

/** Bump when what goes into the hash changes, so old images are not mistaken for new ones. */
export const INPUT_HASH_VERSION = 'local-dev-image-v1';

export interface CloneState {
  head: string;
  /** sha256 of `git diff HEAD --binary`. */
  diff: string;
  /** Untracked (not ignored) files: path → sha256 of content. */
  untracked: Record<string, string>;
}

export interface ImageInputs {
  service: string;
  workspace: string;
  namespace: string;
  clone: CloneState;
  dockerfile: string;
  /** Injected files: path in the clone → sha256 of content, or "absent". */
  injected: Record<string, string>;
  buildArgs: Record<string, string>;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function sortedEntries(record: Record<string, string>): [string, string][] {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent — keys are unique and V8's sort only asks `< 0`.
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Pure: the same inputs give the same hash, whatever order records were filled in. */
export function combineInputHash(inputs: ImageInputs): string {
  const canonical = JSON.stringify([
    INPUT_HASH_VERSION,
    inputs.service,
    inputs.workspace,
    inputs.namespace,
    inputs.clone.head,
    inputs.clone.diff,
    sortedEntries(inputs.clone.untracked),
    sha256(inputs.dockerfile),
    sortedEntries(inputs.injected),
    sortedEntries(inputs.buildArgs),
  ]);
  return sha256(canonical);
}

/** HEAD + diff + untracked files of a clone, through git (three quick spawns). */
export async function readCloneState(cloneDir: string): Promise<CloneState> {
  // A clone folder without its own .git (half-cloned, or its .git deleted) must never be answered
  // for by the repository around cloned/ (the workspace's own): git does not look above it.
  const env = { GIT_CEILING_DIRECTORIES: path.dirname(path.resolve(cloneDir)) };
  let head: string;
  try {
    // Stryker disable next-line MethodExpression: equivalent — exec strips the final newline and rev-parse prints nothing else.
    head = (await exec('git', ['-C', cloneDir, 'rev-parse', '--verify', 'HEAD'], { env })).stdout.trim();
  } catch (error) {
    throw new DockerError(`${cloneDir} is not a git clone with a commit, so there is nothing to build`, {
      fix: 'run the clone first: nx run <service>:clone (nx run <service>:up does it for you)',
      cause: error,
    });
  }
  const [diff, others] = await Promise.all([
    // rev-parse under the ceiling proved the folder is a repository of its own: these find the same one.
    exec('git', ['-C', cloneDir, 'diff', 'HEAD', '--binary', '--no-ext-diff', '--no-color']),
    exec('git', ['-C', cloneDir, 'ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  const untracked: Record<string, string> = {};
  for (const file of others.stdout.split('\0').filter(Boolean)) {
    untracked[file] = hashFileOrAbsent(path.join(cloneDir, file));
  }
  return { head, diff: sha256(diff.stdout), untracked };
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
