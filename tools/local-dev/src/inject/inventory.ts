/**
 * Reading which source files exist for a clone's injection: the disk facts the pure plan needs.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { RepoModel, ServiceModel } from '../config/model';
import { UsageError } from '../core/errors';
import { displayPath, type WorkspacePaths } from '../core/workspace';
import { EXAMPLE_SUFFIX, isCommittedPath, type Inventory, type SourceLink } from './plan';

function isFile(file: string): boolean {
  try {
    // Followed through symlinks: a secret may live in a password store and be linked here.
    return statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP') throw error;
    // A link to nothing (the password store is not mounted) is named as such, not "missing".
    if (code !== 'ENOTDIR' && lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
      const target = linkTarget(file);
      if (target instanceof UsageError) throw target;
    }
    return false;
  }
}

/** One entry of a folder walk: a file, or a symlink that leads nowhere (to nothing, or round a loop) with what is wrong. */
export interface WalkedEntry {
  /** Relative to the folder walked, with forward slashes. */
  path: string;
  brokenLink?: UsageError;
}

/**
 * Everything under `folder`, sorted; [] when it does not exist. Symlinks are followed, files and
 * folders alike, like config files (a debug config may be linked from the user's dotfiles): the
 * link is a SOURCE and may point anywhere; where the copy lands is still checked strictly
 * (./path-safety.ts). Each real folder is walked once, so a link back to a folder above it (a
 * loop) ends the walk instead of going round it. The one walk of configs/<namespace>/: inject-config
 * copies what it finds, and its hasher (src/runtime-state/inject-state.ts) looks at the same.
 */
export function walkFolder(folder: string, prefix = '', seen = new Set<string>()): WalkedEntry[] {
  const here = path.join(folder, prefix);
  let entries;
  try {
    entries = readdirSync(here, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && prefix === '') return [];
    throw error;
  }
  const real = realpathSync(here);
  if (seen.has(real)) return [];
  seen.add(real);
  return entries
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry): WalkedEntry[] => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      const kind = entry.isSymbolicLink() ? linkTarget(path.join(folder, relative)) : entry.isDirectory() ? 'folder' : entry.isFile() ? 'file' : 'other';
      if (kind instanceof UsageError) return [{ path: relative, brokenLink: kind }];
      if (kind === 'folder') return walkFolder(folder, relative, seen);
      return kind === 'file' ? [{ path: relative }] : [];
    });
}

/** Files under `folder` (walkFolder); a link to nothing or round a loop is an error, not a silent skip. */
export function listFiles(folder: string): string[] {
  const entries = walkFolder(folder);
  const broken = entries.find((entry) => entry.brokenLink !== undefined)?.brokenLink;
  if (broken) throw broken;
  return entries.map((entry) => entry.path);
}

/** What a symlink points at; what is wrong when it points at nothing or round a loop. */
function linkTarget(link: string): 'file' | 'folder' | 'other' | UsageError {
  let stats;
  try {
    stats = statSync(link);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') {
      return new UsageError(`${link} is a symlink to ${readlinkSync(link)}, which ${code === 'ELOOP' ? 'loops back on itself' : 'does not exist'}`, {
        fix: 'point the link at the real file, or remove it',
      });
    }
    throw error;
  }
  return stats.isDirectory() ? 'folder' : stats.isFile() ? 'file' : 'other';
}

/** Symlinks on the way from `base` (itself not included) down to the existing file base/relative. */
function linksOnTheWay(paths: WorkspacePaths, base: string, relative: string): SourceLink[] {
  const links: SourceLink[] = [];
  let current = base;
  for (const part of relative.split(/[/\\]/).filter((piece) => piece !== '' && piece !== '.')) {
    current = path.join(current, part);
    if (lstatSync(current).isSymbolicLink()) links.push({ link: displayPath(paths, current), target: realpathSync(current) });
  }
  return links;
}

export function readInventory(paths: WorkspacePaths, namespace: string, repo: RepoModel, services: ServiceModel[]): Inventory {
  const namespaceDir = path.join(paths.configs, namespace);
  const links = new Map<string, SourceLink[]>();
  /** Records the links on the way to base/relative; true when one of them is committed (its target is never read). */
  const noteLinks = (base: string, relative: string): boolean => {
    const found = linksOnTheWay(paths, base, relative);
    if (found.length > 0) links.set(displayPath(paths, path.join(base, relative)), found);
    return found.some((link) => isCommittedPath(link.link));
  };
  const configFiles = new Set<string>();
  for (const entry of repo.configs) {
    if (isFile(path.join(namespaceDir, entry.source))) {
      configFiles.add(entry.source);
      noteLinks(namespaceDir, entry.source);
    }
    // Only a hint in messages ("start from …"), never copied.
    if (isFile(path.join(namespaceDir, `${entry.source}${EXAMPLE_SUFFIX}`))) configFiles.add(`${entry.source}${EXAMPLE_SUFFIX}`);
  }
  const dockerfiles = new Set<string>();
  for (const service of services) {
    for (const candidate of [`${namespace}/${service.dockerfile}`, service.dockerfile]) {
      if (isFile(path.join(paths.dockerfiles, candidate))) {
        dockerfiles.add(candidate);
        noteLinks(paths.dockerfiles, candidate);
      }
    }
  }
  const debugDir = path.join(namespaceDir, 'debug-configs', repo.dir);
  const debugFiles = listFiles(debugDir).map((file) => {
    const committedLink = noteLinks(namespaceDir, path.posix.join('debug-configs', repo.dir, file));
    // A committed link is refused by the plan; what it points at is not even read.
    return { path: file, text: committedLink ? '' : readFileSync(path.join(debugDir, file), 'utf8') };
  });
  return { configFiles, dockerfiles, debugFiles, links };
}
