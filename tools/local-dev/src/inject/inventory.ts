/**
 * Reading which source files exist for a clone's injection: the disk facts the pure plan needs.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { RepoModel, ServiceModel } from '../config/model';
import { UsageError } from '../core/errors';
import type { WorkspacePaths } from '../core/workspace';
import { EXAMPLE_SUFFIX, type Inventory } from './plan';

function isFile(file: string): boolean {
  try {
    // Followed through symlinks: a secret may live in a password store and be linked here.
    return statSync(file).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw error;
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

export function readInventory(paths: WorkspacePaths, namespace: string, repo: RepoModel, services: ServiceModel[]): Inventory {
  const namespaceDir = path.join(paths.configs, namespace);
  const configFiles = new Set<string>();
  for (const entry of repo.configs) {
    for (const candidate of [entry.source, `${entry.source}${EXAMPLE_SUFFIX}`]) {
      if (isFile(path.join(namespaceDir, candidate))) configFiles.add(candidate);
    }
  }
  const dockerfiles = new Set<string>();
  for (const service of services) {
    for (const candidate of [`${namespace}/${service.dockerfile}`, service.dockerfile]) {
      if (isFile(path.join(paths.dockerfiles, candidate))) dockerfiles.add(candidate);
    }
  }
  const debugDir = path.join(namespaceDir, 'debug-configs', repo.dir);
  const debugFiles = listFiles(debugDir).map((file) => ({ path: file, text: readFileSync(path.join(debugDir, file), 'utf8') }));
  return { configFiles, dockerfiles, debugFiles };
}
