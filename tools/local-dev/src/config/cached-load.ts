/**
 * loadConfig with a disk cache, for executors: every task process needs the model, and parsing it
 * means loading yaml and zod (~65 ms) for a config that rarely changes. The validated model is
 * kept in Nx's workspace data folder keyed by the config text and the code that turns it into a
 * model; only a successful load is cached, so a broken config is always reported afresh.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readKeyedCache, workspaceDataFile, writeKeyedCache } from '../core/keyed-cache';
import type { WorkspaceModel } from './model';
import { CONFIG_PATH } from './paths';

/** The code that decides the model: a change to any of it must not be answered from the cache. */
const MODEL_SOURCES = ['model.ts', 'rules.ts', 'schema.ts', 'patterns.ts', 'load.ts'];

let modelCodeVersion: string | undefined;

export function loadConfigCached(workspaceRoot: string): WorkspaceModel {
  let text: string;
  try {
    text = readFileSync(path.join(workspaceRoot, CONFIG_PATH), 'utf8');
  } catch {
    // Missing or unreadable: loadConfig reports it properly (file, fix).
    return loadUncached(workspaceRoot);
  }
  modelCodeVersion ??= MODEL_SOURCES.map((file) => readFileSync(path.join(__dirname, file), 'utf8')).join('\0');
  const key = createHash('sha256').update(`${modelCodeVersion}\0${text}`).digest('hex');
  const file = workspaceDataFile(workspaceRoot, 'local-dev-model.json');
  const cached = readKeyedCache<WorkspaceModel>(file, key);
  if (cached) return cached;
  const model = loadUncached(workspaceRoot);
  writeKeyedCache(file, key, model);
  return model;
}

function loadUncached(workspaceRoot: string): WorkspaceModel {
  // Lazy on purpose: yaml and zod load only when the config (or its code) changed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadConfig } = require('./load') as typeof import('./load');
  return loadConfig(workspaceRoot);
}
