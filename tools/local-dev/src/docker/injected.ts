/**
 * Which files inject-config put into a service's clone. They are invisible to git (so the clone
 * state does not see them) but they are in the build context, so their contents go into the
 * input hash: every file in inject-config's manifest (.git/local-dev/injected.json), plus — so a
 * clone injected by hand or by an older version counts too — the model's config dests and the
 * Dockerfile copy.
 */
import * as path from 'node:path';
import type { ServiceRunContext } from '../config/run-context';
import { readManifest } from '../inject/manifest';

/** Paths relative to the clone root, sorted. */
export function injectedFiles(run: Pick<ServiceRunContext, 'repo' | 'service' | 'paths'>): string[] {
  const clone = path.join(run.paths.cloned, run.repo.dir);
  const manifest = readManifest(path.join(clone, '.git'), run.repo.dir);
  const files = new Set<string>([
    path.posix.basename(run.service.dockerfile),
    ...run.repo.configs.map((entry) => entry.dest),
    ...(manifest?.files.map((entry) => entry.dest) ?? []),
  ]);
  return [...files].sort();
}

/**
 * The injected files that are secrets: config.yaml's `configs:` entries (namespace files from
 * configs/<ns>/), by the model and by the manifest. The rest (the Dockerfile copy, IDE configs, the
 * generated ignore file) are the same for the whole team. Paths relative to the clone root, sorted.
 */
export function injectedSecretFiles(run: Pick<ServiceRunContext, 'repo' | 'paths'>): string[] {
  const clone = path.join(run.paths.cloned, run.repo.dir);
  const manifest = readManifest(path.join(clone, '.git'), run.repo.dir);
  const files = new Set<string>([
    ...run.repo.configs.map((entry) => entry.dest),
    ...(manifest?.files.filter((entry) => entry.kind === 'config').map((entry) => entry.dest) ?? []),
  ]);
  return [...files].sort();
}
