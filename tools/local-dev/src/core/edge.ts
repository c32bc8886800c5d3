/**
 * The edge: the only place an error becomes printed text and a failed result.
 *
 * Executors wrap their body in `runAtEdge`. A LocalDevError prints its message and fix (no stack
 * trace: the user did nothing wrong with our code, they need to know what to change). Anything
 * else is a bug in local-dev and prints its full stack so it can be reported.
 */
import { isLocalDevError } from './errors';
import { redactCredentials } from './redact';

export interface ExecutorResult {
  success: boolean;
}

export async function runAtEdge(task: string, body: () => Promise<void>): Promise<ExecutorResult> {
  try {
    await body();
    return { success: true };
  } catch (error) {
    process.stderr.write(`${describeFailure(task, error)}\n`);
    return { success: false };
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
