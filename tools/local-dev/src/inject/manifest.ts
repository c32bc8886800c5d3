/**
 * The record of what local-dev injected into a clone, kept inside the clone's git dir
 * (.git/local-dev/injected.json) so it travels with the clone, is never committed, and lets
 * refresh, a namespace switch and `clean` undo exactly what was done — no more, no less.
 */
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomically } from '../core/atomic-write';
import * as path from 'node:path';
import { GitError } from '../core/errors';
import type { InjectedKind } from './plan';
import { makePrivateDir } from '../core/private-dir';

export interface ManifestEntry {
  /** Relative to the clone root, forward slashes. */
  dest: string;
  kind: InjectedKind;
  /** Where it came from, workspace-relative (configs/s1/health_secrets.py). */
  origin: string;
  /** sha256 of the bytes we wrote: tells our file from a user's later edit of it. */
  sha256: string;
  /** Set when the file replaced a tracked one: hidden with skip-worktree, restored from the index on undo. */
  tracked?: { blob: string; mode: string };
  /** Folders we created for it (deepest last); removed on undo when empty. */
  createdDirs: string[];
}

export interface Manifest {
  version: 1;
  namespace: string;
  injectedAt: string;
  files: ManifestEntry[];
}

export function manifestPath(gitDir: string): string {
  return path.join(gitDir, 'local-dev', 'injected.json');
}

export function readManifest(gitDir: string, repo: string): Manifest | undefined {
  const file = manifestPath(gitDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Manifest;
    if (parsed.version !== 1 || !Array.isArray(parsed.files)) throw new Error(`unknown manifest version ${String(parsed.version)}`);
    return parsed;
  } catch (error) {
    throw new GitError(repo, `the injection manifest ${file} is unreadable (${(error as Error).message})`, {
      fix: `check the files it lists are not your own work, then delete ${file} and re-run inject-config`,
      cause: error,
    });
  }
}

/** Written via a temporary file and rename, so a crash never leaves half a manifest. */
export function writeManifest(gitDir: string, manifest: Manifest): void {
  const file = manifestPath(gitDir);
  // .git/local-dev/ is the clone's private root: the manifest names secret files, saved/ holds copies of them.
  makePrivateDir(path.dirname(file), path.dirname(file));
  writeFileAtomically(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function removeManifest(gitDir: string): void {
  rmSync(manifestPath(gitDir), { force: true });
}
