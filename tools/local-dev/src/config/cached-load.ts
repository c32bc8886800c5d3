/**
 * loadConfig with a disk cache, for executors: every task process needs the model, and parsing it
 * means loading yaml and zod (~65 ms) for a config that rarely changes. The validated model is
 * kept in Nx's workspace data folder keyed by the config text and the code that turns it into a
 * model; only a successful load is cached, so a broken config is always reported afresh.
 *
 * A config whose repo URLs carry credentials (`https://x-access-token:…@host/…`) is never cached:
 * no file local-dev writes may hold a secret (../core/redact.ts), and the clone needs the real URL.
 * Such a workspace parses config.yaml in every task instead (~65 ms each); the credential then
 * lives only in config.yaml and in git's own remote setting in cloned/<dir>/.git/config.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { readKeyedCache, workspaceDataFile, writeKeyedCache } from '../core/keyed-cache';
import { redactCredentials } from '../core/redact';
import type { WorkspaceModel } from './model';
import { CONFIG_PATH } from './paths';

/**
 * The version of local-dev's code, from the compile cache that hashes every source: a change to any
 * of it must not be answered from the cache (runtime/compiled.js). Required by path: this module may
 * run from the compiled tree, where a relative require would resolve from there.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { codeVersion } = require(path.join(__dirname, '..', '..', 'runtime', 'compiled.js')) as { codeVersion(): string };

export function loadConfigCached(workspaceRoot: string): WorkspaceModel {
  let text: string;
  try {
    text = readFileSync(path.join(workspaceRoot, CONFIG_PATH), 'utf8');
  } catch {
    // Missing or unreadable: loadConfig reports it properly (file, fix).
    return loadUncached(workspaceRoot);
  }
  const key = createHash('sha256').update(`${codeVersion()}\0${text}`).digest('hex');
  const file = workspaceDataFile(workspaceRoot, 'local-dev-model.json');
  const cached = readKeyedCache<WorkspaceModel>(file, key);
  // A cached model with a credential can only be one written before this rule.
  if (cached && !hasCredentials(cached)) return cached;
  const model = loadUncached(workspaceRoot);
  // Removing also drops a cache file written before this rule, which may hold the credential.
  if (hasCredentials(model)) rmSync(file, { force: true });
  else writeKeyedCache(file, key, model);
  return model;
}

function hasCredentials(model: WorkspaceModel): boolean {
  return model.repos.some((repo) => redactCredentials(repo.url) !== repo.url);
}

function loadUncached(workspaceRoot: string): WorkspaceModel {
  // Lazy on purpose: yaml and zod load only when the config (or its code) changed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadConfig } = require('./load') as typeof import('./load');
  return loadConfig(workspaceRoot);
}
