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
    return namespacesAmong(readdirSync(paths.configs, { withFileTypes: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The entries of configs/ that are namespaces: plain-named folders, sorted (a disk lists them in its own order). */
export function namespacesAmong(entries: ReadonlyArray<{ name: string; isDirectory(): boolean }>): string[] {
  return entries
    .filter((entry) => entry.isDirectory() && PLAIN_NAME.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Returns the namespace to use, or throws a UsageError that lists the ones that exist.
 * `requested` undefined means no --namespace was given (the default applies); an empty one is
 * `--namespace=` with its value forgotten, and is refused rather than read as the default: running
 * s1's secrets when the user meant another namespace is the mistake this check exists to stop.
 */
export function resolveNamespace(paths: WorkspacePaths, requested: string | undefined, defaultNamespace: string): string {
  if (requested !== undefined && requested.trim() === '') {
    const existing = listNamespaces(paths);
    throw new UsageError('--namespace is empty', {
      fix: `give a namespace, e.g. --namespace=${existing[0] ?? defaultNamespace}, or leave the flag out to use config.yaml's default-namespace (${defaultNamespace})${existing.length > 0 ? `; namespaces here: ${existing.join(', ')}` : ''}`,
    });
  }
  const namespace = requested ?? defaultNamespace;
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
      fix:
        existing.length === 0
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
