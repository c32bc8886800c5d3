/**
 * The docker CLI for the day-to-day commands, through the one exec helper, with a timeout and one
 * clear message when no engine answers (instead of a raw `docker` failure per command); the
 * workspace's containers as the CLI lists them; and the words every view uses for an engine that
 * does not answer (status, doctor, the dashboard, a failed command), defined once here.
 */
import { ChildProcessError, DockerError } from '../core/errors';
import { exec, type ExecResult } from '../core/exec';
import { LABELS, workspaceFilter } from '../core/naming';

export const ENGINE_TIMEOUT_MS = 15_000;

/** What to do when the engine does not answer: one fix, wherever it is said. */
export const ENGINE_DOWN_FIX = 'start Docker (or check DOCKER_HOST / `docker context ls`), then run again';

/** Pure: the one sentence for an engine that does not answer, with what the engine (or the CLI) said. */
export function engineDownMessage(detail: string): string {
  return `the Docker engine does not answer: ${detail}`;
}

/** Pure: `--format '{{json .}}'` output, one JSON object per line → the objects. */
export function parseJsonLines<T>(output: string): T[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Pure: does this docker failure mean "no engine" (rather than a bad request)? */
export function isEngineUnreachable(error: ChildProcessError): boolean {
  return (
    error.exitCode === null ||
    /cannot connect to the docker daemon|is the docker daemon running|error during connect|connection refused|no such file or directory.*docker\.sock|command not found/i.test(
      error.outputTail,
    )
  );
}

export function engineUnreachableError(error: ChildProcessError): DockerError {
  return new DockerError(engineDownMessage(error.outputTail.split('\n').pop() || error.message), {
    fix: `${ENGINE_DOWN_FIX} — nothing was changed`,
    cause: error,
  });
}

/** `docker <args>`; an engine that does not answer becomes one DockerError saying so. */
export async function docker(args: readonly string[], timeoutMs = ENGINE_TIMEOUT_MS): Promise<ExecResult> {
  try {
    return await exec('docker', args, { timeoutMs });
  } catch (error) {
    if (error instanceof ChildProcessError && isEngineUnreachable(error)) throw engineUnreachableError(error);
    throw error;
  }
}

export interface LabelledContainer {
  id: string;
  service: string;
  state: string;
  name: string;
}

/**
 * Every container of this workspace (its io.local-dev.workspace label), optionally only running
 * ones, with the service label — from `docker ps --format '{{json .}}'`.
 */
export async function workspaceContainers(workspaceRoot: string, options: { running?: boolean; service?: string } = {}): Promise<LabelledContainer[]> {
  const result = await docker([
    'ps',
    ...(options.running ? [] : ['--all']),
    '--no-trunc',
    ...workspaceFilter(workspaceRoot, options.service),
    '--format',
    '{{json .}}',
  ]);
  return parseWorkspaceContainers(result.stdout);
}

/** Pure: `docker ps --format '{{json .}}'` lines → id, service label, state, name. */
export function parseWorkspaceContainers(output: string): LabelledContainer[] {
  return parseJsonLines<{ ID?: string; Labels?: string; State?: string; Names?: string }>(output).map((entry) => ({
    id: entry.ID ?? '',
    service: labelValue(entry.Labels ?? '', LABELS.service) ?? '',
    state: entry.State ?? '',
    name: entry.Names ?? '',
  }));
}

/** Pure: one label's value from docker ps's "a=1,b=2" Labels field. */
export function labelValue(labels: string, key: string): string | undefined {
  for (const pair of labels.split(',')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at) === key) return pair.slice(at + 1);
  }
  return undefined;
}
