/**
 * The edge: the only place an error becomes printed text and a failed result.
 *
 * Executors wrap their body in `runAtEdge`. A LocalDevError prints its message and fix (no stack
 * trace: the user did nothing wrong with our code, they need to know what to change). Anything
 * else is a bug in local-dev and prints its full stack so it can be reported.
 */
import { isLocalDevError } from './errors';
import { tightenWorkspacePrivateDirs } from './private-dir';
import { redactCredentials } from './redact';
import { recordTask } from './run-record';

export interface ExecutorResult {
  success: boolean;
}

/** The executor's context, for a task of a run: its name, and where logs/progress.json is kept. */
export interface EdgeTask {
  projectName?: string;
  targetName?: string;
  root: string;
}

/**
 * Runs an executor's body. Given the executor's context (the tasks of a run: clone … up), the task
 * is also recorded in logs/progress.json as running, then as finished, so `status` and the
 * dashboard see it while it runs; read-only commands pass just their name and record nothing.
 */
export async function runAtEdge(where: string | EdgeTask, body: () => Promise<void>): Promise<ExecutorResult> {
  const task = typeof where === 'string' ? where : `${where.projectName}:${where.targetName}`;
  const root = typeof where === 'string' ? undefined : where.root;
  if (root !== undefined) {
    for (const refused of tightenWorkspacePrivateDirs(root)) process.stderr.write(`⚠ ${task}: ${refused}\n`);
    await recordProgress(root, task, 'running');
  }
  let success: boolean;
  try {
    await body();
    success = true;
  } catch (error) {
    process.stderr.write(`${describeFailure(task, error)}\n`);
    success = false;
  }
  if (root !== undefined) await recordProgress(root, task, success ? 'success' : 'failure');
  return { success };
}

/**
 * Progress is for watching a run, not part of it: a record that cannot be written (a full disk, a
 * read-only logs/) is said once per task on stderr, and the task's own work and result stand.
 */
async function recordProgress(root: string, task: string, state: 'running' | 'success' | 'failure'): Promise<void> {
  try {
    await recordTask(root, task, state);
  } catch (error) {
    process.stderr.write(
      `⚠ ${task}: could not update logs/progress.json (${error instanceof Error ? error.message : String(error)}); the task itself is not affected\n`,
    );
  }
}

/**
 * What the user reads for a failure. Redacted as a last safeguard: the modules below redact the
 * URLs they print, but an error carrying a raw command line (a ChildProcessError's arguments, a
 * stack) must not show a token from a repo URL either.
 */
export function describeFailure(task: string, error: unknown): string {
  if (isLocalDevError(error)) return redactCredentials(`✖ ${task}: ${error.describe()}`);
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return redactCredentials(`✖ ${task}: unexpected error (a bug in local-dev — please report it with this output):\n${detail}`);
}
