/**
 * The namespace of a run (s1…s5, qa, auto): which configs/<ns>/ secrets are injected and which
 * Kubernetes namespace the Redis tunnel talks to. Checked once, before anything is touched.
 */
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { didYouMean } from './did-you-mean';
import { UsageError } from './errors';
import type { WorkspacePaths } from './workspace';

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The namespaces that exist: the folders under configs/. */
export function listNamespaces(paths: WorkspacePaths): string[] {
  try {
    return readdirSync(paths.configs, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && PLAIN_NAME.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Returns the namespace to use, or throws a UsageError that lists the ones that exist. */
export function resolveNamespace(paths: WorkspacePaths, requested: string | undefined, defaultNamespace: string): string {
  const namespace = requested === undefined || requested === '' ? defaultNamespace : requested;
  if (!PLAIN_NAME.test(namespace)) {
    throw new UsageError(`namespace "${namespace}" is not a plain folder name`, {
      fix: 'pass --namespace=<name of a folder under configs/>, e.g. --namespace=s2',
    });
  }
  const folder = path.join(paths.configs, namespace);
  if (!isDirectory(folder)) {
    const existing = listNamespaces(paths);
    const suggestion = didYouMean(namespace, existing);
    throw new UsageError(`unknown namespace "${namespace}": configs/${namespace}/ does not exist`, {
      fix: existing.length === 0
        ? `create configs/${namespace}/ with that namespace's secret files (see configs/README.md)`
        : `${suggestion ? `did you mean "${suggestion}"? ` : ''}namespaces here: ${existing.join(', ')}`,
    });
  }
  return namespace;
}

function isDirectory(folder: string): boolean {
  try {
    return statSync(folder).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
