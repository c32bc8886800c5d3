/**
 * The engine questions asked on every `up` and by its hasher, each answered over the local
 * socket when there is one (engine.ts) and by the `docker` CLI otherwise, with one result shape.
 */
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import { engineMessage, engineRequest, localEngineSocket } from './engine';

/** What a list of containers tells about each. */
export interface ContainerSummary {
  id: string;
  /** The image as the container was created with (its name; an id once that name is gone). */
  image: string;
  state: string;
  /** The values of the labels asked for ('' when the container lacks one). */
  labels: Record<string, string>;
}

/** What inspecting one container tells. */
export interface ContainerDetails {
  status: string;
  exitCode: number;
  /** Its IP address on each network it is attached to. */
  addresses: Record<string, string>;
}

const QUERY_TIMEOUT_MS = 15_000;

/** Pure: `label=value` filters as the API's filters parameter. */
export function labelFiltersParameter(labels: string[]): string {
  return encodeURIComponent(JSON.stringify({ label: labels }));
}

/** Every container (running or not) carrying all `labels` (`key=value`), with the values of `labelKeys`. */
export async function listContainers(labels: string[], labelKeys: string[], timeoutMs = QUERY_TIMEOUT_MS): Promise<ContainerSummary[]> {
  const socket = localEngineSocket();
  const pick = (all: Record<string, string> | null | undefined) => Object.fromEntries(labelKeys.map((key) => [key, all?.[key] ?? '']));
  if (socket) {
    const response = await engineRequest<{ Id: string; Image: string; State: string; Labels: Record<string, string> | null }[]>(
      socket, 'GET', `/containers/json?all=1&filters=${labelFiltersParameter(labels)}`, timeoutMs,
    );
    if (response.status !== 200) throw new DockerError(`the Docker engine could not list containers: ${engineMessage(response)}`);
    return (response.body ?? []).map((container) => ({ id: container.Id, image: container.Image, state: container.State, labels: pick(container.Labels) }));
  }
  const result = await exec('docker', [
    'ps', '--all', '--no-trunc',
    ...labels.flatMap((label) => ['--filter', `label=${label}`]),
    '--format', ['{{.ID}}', '{{.Image}}', '{{.State}}', ...labelKeys.map((key) => `{{.Label "${key}"}}`)].join('\t'),
  ], { timeoutMs });
  return parseListLines(result.stdout, labelKeys);
}

/** Pure: the CLI's tab-separated lines (ID, Image, State, then one column per label key). */
export function parseListLines(output: string, labelKeys: string[]): ContainerSummary[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, image, state, ...values] = line.split('\t');
      return { id, image, state, labels: Object.fromEntries(labelKeys.map((key, index) => [key, values[index] ?? ''])) };
    });
}

/** A container's state and addresses. Throws DockerError when it does not exist or the engine does not answer. */
export async function inspectContainer(id: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<ContainerDetails> {
  const socket = localEngineSocket();
  if (socket) {
    const response = await engineRequest<{ State: { Status: string; ExitCode: number }; NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } }>(
      socket, 'GET', `/containers/${encodeURIComponent(id)}/json`, timeoutMs,
    );
    if (response.status !== 200 || !response.body) throw new DockerError(`cannot inspect container ${id.slice(0, 12)}: ${engineMessage(response)}`);
    return { status: response.body.State.Status, exitCode: response.body.State.ExitCode, addresses: addressesOf(response.body.NetworkSettings?.Networks) };
  }
  const result = await cliQuery(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{json .NetworkSettings.Networks}}', id], timeoutMs);
  const [status, exitCode, ...rest] = result.trim().split(' ');
  const networks = JSON.parse(rest.join(' ') || '{}') as Record<string, { IPAddress?: string }> | null;
  return { status, exitCode: Number(exitCode), addresses: addressesOf(networks) };
}

/** Pure: a container's networks (as the engine lists them) → its address on each it has one on. */
function addressesOf(networks: Record<string, { IPAddress?: string }> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(networks ?? {}).flatMap(([name, network]) => (network.IPAddress ? [[name, network.IPAddress]] : [])));
}

/** Starts a stopped container; the engine's reason when it refuses. */
export async function startExisting(id: string, timeoutMs = 60_000): Promise<{ ok: true } | { ok: false; reason: string }> {
  const socket = localEngineSocket();
  if (socket) {
    const response = await engineRequest(socket, 'POST', `/containers/${encodeURIComponent(id)}/start`, timeoutMs);
    // 304: already running.
    return response.status === 204 || response.status === 304 ? { ok: true } : { ok: false, reason: engineMessage(response) };
  }
  try {
    await exec('docker', ['start', id], { timeoutMs, tailLines: 10 });
    return { ok: true };
  } catch (error) {
    if (error instanceof ChildProcessError) return { ok: false, reason: error.outputTail.trim() };
    throw error;
  }
}

/** Whether the engine has the image (by name or id). */
export async function imageExists(image: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<boolean> {
  const cannotAsk = (reason: string, cause?: unknown) =>
    new DockerError(`cannot ask the Docker engine about ${image}: ${reason}`, { fix: 'start Docker (or check DOCKER_HOST / `docker context ls`), then run again', cause });
  const socket = localEngineSocket();
  if (socket) {
    const response = await engineRequest(socket, 'GET', `/images/${encodeURIComponent(image)}/json`, timeoutMs).catch((error: unknown) => {
      throw cannotAsk((error as Error).message, error);
    });
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw cannotAsk(engineMessage(response));
  }
  try {
    await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs });
    return true;
  } catch (error) {
    if (error instanceof ChildProcessError && /no such image/i.test(error.outputTail)) return false;
    throw cannotAsk(error instanceof ChildProcessError ? (error.outputTail.split('\n').pop() ?? error.message) : (error as Error).message, error);
  }
}

/**
 * A `docker` CLI query with a timeout; the output (stdout, or stdout and stderr: `docker logs`
 * writes the container's stderr there). A hung engine is a DockerError saying so.
 */
export async function cliQuery(args: string[], timeoutMs: number, withStderr = false): Promise<string> {
  try {
    const result = await exec('docker', args, { timeoutMs: Math.max(1, Math.round(timeoutMs)) });
    return withStderr ? [result.stdout, result.stderr].filter(Boolean).join('\n') : result.stdout;
  } catch (error) {
    if (error instanceof ChildProcessError && error.exitCode === null && /killed by timeout/.test(error.message)) {
      throw new DockerError(`the Docker engine did not answer \`docker ${args[0]}\` within ${Math.ceil(timeoutMs / 1000)} s`, {
        fix: 'check that Docker is responsive (docker info), restart it if it hangs, then run again',
        cause: error,
      });
    }
    throw error;
  }
}
