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
    if (code !== 'ENOTDIR' && lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) linkTargetKind(file);
    return false;
  }
}

/**
 * Files under `folder`, relative to it with forward slashes; [] when it does not exist.
 * Symlinks are followed, files and folders alike, like config files (a debug config may be linked
 * from the user's dotfiles): the link is a SOURCE and may point anywhere; where the copy lands is
 * still checked strictly (./path-safety.ts). A folder reached twice (a link loop) is listed once;
 * a link to nothing is an error, not a silent skip.
 */
export function listFiles(folder: string, prefix = '', seen = new Set<string>()): string[] {
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
  return entries.flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    const kind = entry.isSymbolicLink() ? linkTargetKind(path.join(folder, relative)) : entry.isDirectory() ? 'folder' : entry.isFile() ? 'file' : 'other';
    if (kind === 'folder') return listFiles(folder, relative, seen);
    return kind === 'file' ? [relative] : [];
  });
}

function linkTargetKind(link: string): 'file' | 'folder' | 'other' {
  let stats;
  try {
    stats = statSync(link);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') {
      throw new UsageError(`${link} is a symlink to ${readlinkSync(link)}, which ${code === 'ELOOP' ? 'loops back on itself' : 'does not exist'}`, {
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
