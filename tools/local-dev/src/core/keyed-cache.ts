/**
 * A small JSON cache in Nx's workspace data folder (.nx/workspace-data, or NX_WORKSPACE_DATA_DIRECTORY),
 * holding one value under one key (a content hash). Used where recomputing is always correct but
 * costs module loading: the plugin's inferred projects and the executors' config model.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from './atomic-write';

export function workspaceDataFile(workspaceRoot: string, name: string): string {
  const dataDirectory = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? path.join(workspaceRoot, '.nx', 'workspace-data');
  return path.join(dataDirectory, name);
}

/** The cached value when the file holds one for `key`; undefined otherwise. */
export function readKeyedCache<T>(file: string, key: string): T | undefined {
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { key: string; value: T };
    return cached.key === key ? cached.value : undefined;
  } catch {
    // No cache yet, or a torn or older one: the caller recomputes, which is always correct.
    return undefined;
  }
}

export function writeKeyedCache(file: string, key: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomically(file, JSON.stringify({ key, value }));
}
