/**
 * Build secrets (e.g. GITHUB_NPM_TOKEN): read from the environment, else from the gitignored
 * `.env.local` at the workspace root. Their values only ever travel in a child's environment or a
 * 0600 temp file — never in an argument list, a build arg, the compose file or a log line.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceModel } from '../config/model';
import { UsageError } from '../core/errors';

export const ENV_LOCAL = '.env.local';

/** Parses KEY=VALUE lines (optional `export`, quotes, # comments). Pure. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2];
    const quoted = /^(['"])(.*)\1$/.exec(value);
    value = quoted ? quoted[2] : value.replace(/\s+#.*$/, '');
    values[match[1]] = value;
  }
  return values;
}

export function readEnvLocal(workspaceRoot: string): Record<string, string> {
  try {
    return parseEnvFile(readFileSync(path.join(workspaceRoot, ENV_LOCAL), 'utf8'));
  } catch (error) {
    // No .env.local is the normal case: secrets then come from the environment only.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/**
 * The values of `names`, or a UsageError naming every missing secret and every service that needs
 * it (from the whole model, so the user fixes it once). Pure given its inputs.
 */
export function resolveBuildSecrets(
  names: readonly string[],
  sources: { environment: Record<string, string | undefined>; envLocal: Record<string, string> },
  model: Pick<WorkspaceModel, 'services'>,
): Record<string, string> {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const value = sources.environment[name] || sources.envLocal[name];
    if (value) values[name] = value;
    else missing.push(name);
  }
  if (missing.length > 0) {
    const needs = missing.map((name) => {
      const services = model.services.filter((service) => service.buildSecrets.includes(name)).map((service) => service.name);
      return `${name} (needed by ${services.join(', ')})`;
    });
    throw new UsageError(`build secret${missing.length > 1 ? 's' : ''} not set: ${needs.join('; ')}`, {
      fix: `export ${missing[0]}=… in your shell, or add the line ${missing[0]}=… to ${ENV_LOCAL} at the workspace root (gitignored)`,
    });
  }
  return values;
}
