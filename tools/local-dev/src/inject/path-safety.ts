/**
 * Where injected files may go: inside the clone, never into its .git, never through a symlink
 * that leads out. Checked twice: lexically when planning (pure), and against the disk right before
 * writing (a symlink can appear in a clone at any time, e.g. committed by someone).
 */
import { lstatSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

/** A problem with a dest as written in config.yaml, or undefined when it is a plain relative path. */
export function checkDestLexically(dest: string): string | undefined {
  if (dest.trim() === '') return 'is empty';
  if (path.posix.isAbsolute(dest) || path.win32.isAbsolute(dest)) return 'is an absolute path; it must be relative to the clone';
  const normalized = path.posix.normalize(dest.replace(/\\/g, '/'));
  if (normalized === '.' || normalized.endsWith('/')) return 'names a folder, not a file';
  if (normalized === '..' || normalized.startsWith('../')) return 'leads outside the clone ("..")';
  if (normalized.split('/')[0] === '.git') return "points into the clone's .git folder";
  return undefined;
}

/** The normalized form used for every comparison and in the manifest: forward slashes, no "./". */
export function normalizeDest(dest: string): string {
  return path.posix.normalize(dest.replace(/\\/g, '/'));
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  // The parent itself ('') is inside too: it neither starts with '..' nor is absolute.
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

function lstatOrUndefined(file: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Checks `dest` against the disk. Returns a problem (why writing there would escape or clobber
 * something that is not a file), or undefined when writing `cloneRoot/dest` is safe now.
 */
export function checkDestOnDisk(cloneRoot: string, dest: string): string | undefined {
  const realRoot = realpathSync(cloneRoot);
  const absolute = path.join(cloneRoot, dest);
  // The deepest folder on the way that exists decides where the file really lands.
  let existing = path.dirname(absolute);
  while (!lstatOrUndefined(existing)) existing = path.dirname(existing);
  const realParent = realpathSync(existing);
  if (!isInside(realRoot, realParent)) {
    // Never the clone's root itself: that resolves to realRoot, which is inside.
    return `${path.relative(cloneRoot, existing)} resolves to ${realParent}, outside the clone (a symlink leads out)`;
  }
  if (isInside(path.join(realRoot, '.git'), realParent)) return "resolves into the clone's .git folder";
  if (!lstatOrUndefined(existing)?.isDirectory() && !lstatOrUndefined(realParent)?.isDirectory()) {
    return `${path.relative(cloneRoot, existing)} is a file, not a folder`;
  }
  const target = lstatOrUndefined(absolute);
  if (target?.isSymbolicLink()) return 'is a symlink in the clone; local-dev does not write through symlinks';
  if (target && !target.isFile()) return 'exists and is not a regular file';
  return undefined;
}
