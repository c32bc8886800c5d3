/**
 * What each inferred target does, for `nx show project <name> --web`, `nx show project --json` and
 * Nx Console: every target gets `metadata` (description, technologies, help) and every service project
 * `targetGroups`, as the official plugins (@nx/docker) do.
 *
 * The words come from executors.json, the executors' one description each (Nx prints them too), so
 * a target's help can never drift from its executor's. `help.command` is run by `nx graph` through
 * a shell when the user asks for help: it is a fixed command naming one of our executors, never
 * text from config.yaml (a project name included).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';

/** tools/local-dev/executors.json, relative to the workspace root (the help command runs there). */
const PLUGIN_ROOT = 'tools/local-dev';
const EXECUTORS_FILE = path.join(__dirname, '..', '..', 'executors.json');

interface ExecutorEntry {
  description: string;
  schema: string;
}

let executorEntries: Record<string, ExecutorEntry> | undefined;
/** executors.json's entries, read once per process (static data shipped with the plugin). */
export function executorCatalog(): Record<string, ExecutorEntry> {
  executorEntries ??= (JSON.parse(readFileSync(EXECUTORS_FILE, 'utf8')) as { executors: Record<string, ExecutorEntry> }).executors;
  return executorEntries;
}

/** The tools each executor drives: Nx Console shows their icons. */
const TECHNOLOGIES: Record<string, string[]> = {
  clone: ['git'],
  'inject-config': ['git'],
  'tunnel-up': ['kubernetes', 'redis'],
  'tunnel-down': ['kubernetes', 'redis'],
  'tunnel-restart': ['kubernetes', 'redis'],
  'tunnel-status': ['kubernetes', 'redis'],
};

/** The fixed shell command `nx graph` runs to show an executor's options (see runtime/target-help.js). */
export function helpCommand(executor: string): string {
  if (!/^[a-z][a-z-]*$/.test(executor)) throw new Error(`not an executor name: ${executor}`);
  return `node ${PLUGIN_ROOT}/runtime/target-help.js ${executor}`;
}

/** Our executor's short name from a target's `executor` (`@local-dev/nx-plugin:up` → `up`). */
function ownExecutor(target: TargetConfiguration, prefix: string): string | undefined {
  return target.executor?.startsWith(`${prefix}:`) ? target.executor.slice(prefix.length + 1) : undefined;
}

/**
 * `metadata` for one target. `delegate` describes a target that only waits for another project's
 * (a worker's clone and inject-config are its owner's): it gets the owner's executor help.
 */
export function targetMetadata(
  executor: string,
  project: string,
  target: string,
  delegate?: { project: string },
): NonNullable<TargetConfiguration['metadata']> {
  const entry = executorCatalog()[executor];
  if (!entry) throw new Error(`executors.json has no executor "${executor}"`);
  const description = delegate
    ? `Waits for ${delegate.project}:${target}: a worker shares its owner's clone. (${delegate.project}:${target}: ${entry.description})`
    : entry.description;
  return {
    description,
    technologies: TECHNOLOGIES[executor] ?? ['docker'],
    help: { command: helpCommand(executor), example: { options: exampleOptions(executor) } },
    // Not read by Nx: the line a user types, shown beside the help in `nx show project --json`.
    example: `npx nx run ${project}:${target}${'namespace' in schemaProperties(executor) ? ' --namespace=s2' : ''}`,
  };
}

/** The example Nx Console and `nx graph` show: the options a user most often passes. */
function exampleOptions(executor: string): Record<string, unknown> {
  const properties = schemaProperties(executor);
  const example: Record<string, unknown> = {};
  if ('namespace' in properties) example.namespace = 's2';
  if ('follow' in properties) example.follow = true;
  return example;
}

export interface SchemaProperty {
  type?: string;
  description?: string;
  default?: unknown;
}

/** The options an executor's schema.json declares. */
export function schemaProperties(executor: string): Record<string, SchemaProperty> {
  const entry = executorCatalog()[executor];
  if (!entry) throw new Error(`executors.json has no executor "${executor}"`);
  const schema = JSON.parse(readFileSync(path.join(path.dirname(EXECUTORS_FILE), entry.schema), 'utf8')) as { properties?: Record<string, SchemaProperty> };
  return schema.properties ?? {};
}

/**
 * Adds `metadata` to every target whose executor is ours (or that waits for an owner's), and returns
 * the project's `targetGroups`: the run chain, then what else acts on the service.
 */
export function documentTargets(
  project: string,
  targets: Record<string, TargetConfiguration>,
  executorPrefix: string,
  owner?: string,
): Record<string, TargetConfiguration> {
  return Object.fromEntries(
    Object.entries(targets).map(([name, target]) => {
      const executor = ownExecutor(target, executorPrefix);
      if (executor) return [name, { ...target, metadata: targetMetadata(executor, project, name) }];
      if (owner && target.executor === 'nx:noop') return [name, { ...target, metadata: targetMetadata(name, project, name, { project: owner }) }];
      return [name, target];
    }),
  );
}

/** The groups `nx show project --web` shows a service's targets in. */
export const SERVICE_TARGET_GROUPS = {
  'run chain (clone → inject-config → build-image → up)': ['clone', 'inject-config', 'build-image', 'up'],
  'day to day': ['dev', 'down', 'logs'],
};

/** The text `node tools/local-dev/runtime/target-help.js <executor>` prints. */
export function helpText(executor: string): string {
  const entry = executorCatalog()[executor];
  if (!entry) {
    return `unknown executor "${executor}"; local-dev's executors: ${Object.keys(executorCatalog()).join(', ')}\n`;
  }
  const lines = [entry.description, '', 'Options (pass them after the target, e.g. --namespace=s2):'];
  for (const [name, property] of Object.entries(schemaProperties(executor))) {
    if (name === 'service') continue; // set by the plugin, never typed
    const shown = property.default === undefined ? '' : ` (default: ${JSON.stringify(property.default)})`;
    lines.push(`  --${name}  ${property.type ?? ''}${shown}`, `      ${property.description ?? ''}`);
  }
  lines.push('', 'More: README.md and docs/ in the workspace.');
  return `${lines.join('\n')}\n`;
}
