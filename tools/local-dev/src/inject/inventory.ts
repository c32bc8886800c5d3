/**
 * Reading which source files exist for a clone's injection: the disk facts the pure plan needs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { RepoModel, ServiceModel } from '../config/model';
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

/** Regular files under `folder`, relative to it with forward slashes; [] when it does not exist. */
export function listFiles(folder: string, prefix = ''): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(folder, prefix), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listFiles(folder, relative);
    return entry.isFile() ? [relative] : [];
  });
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
