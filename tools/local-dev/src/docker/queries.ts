/**
 * The engine's answers about containers, images, networks and stats — for `up`, its hasher and the
 * views — each answered over the local socket when there is one (engine.ts) and by the `docker` CLI
 * otherwise, with one result shape. The engine's events are events.ts's.
 */
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import { ENGINE_DOWN_FIX } from './cli';
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

export const QUERY_TIMEOUT_MS = 15_000;

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
      socket,
      'GET',
      `/containers/json?all=1&filters=${labelFiltersParameter(labels)}`,
      timeoutMs,
    );
    if (response.status !== 200) throw new DockerError(`the Docker engine could not list containers: ${engineMessage(response)}`);
    return (response.body ?? []).map((container) => ({ id: container.Id, image: container.Image, state: container.State, labels: pick(container.Labels) }));
  }
  const result = await exec(
    'docker',
    [
      'ps',
      '--all',
      '--no-trunc',
      ...labels.flatMap((label) => ['--filter', `label=${label}`]),
      '--format',
      ['{{.ID}}', '{{.Image}}', '{{.State}}', ...labelKeys.map((key) => `{{.Label "${key}"}}`)].join('\t'),
    ],
    { timeoutMs },
  );
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
    const response = await engineRequest<{
      State: { Status: string; ExitCode: number };
      NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
    }>(socket, 'GET', `/containers/${encodeURIComponent(id)}/json`, timeoutMs);
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
    new DockerError(`cannot ask the Docker engine about ${image}: ${reason}`, {
      fix: ENGINE_DOWN_FIX,
      cause,
    });
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

/**
 * `docker inspect` of containers, as the engine describes them (the API's and the CLI's JSON are
 * the same objects), in the order given. A container removed since it was listed is left out.
 */
export async function inspectContainersJson(ids: readonly string[], timeoutMs = QUERY_TIMEOUT_MS): Promise<unknown[]> {
  if (ids.length === 0) return [];
  const socket = localEngineSocket();
  if (socket) {
    const responses = await Promise.all(ids.map((id) => engineRequest<unknown>(socket, 'GET', `/containers/${encodeURIComponent(id)}/json`, timeoutMs)));
    return responses.flatMap((response, index) => {
      if (response.status === 404) return [];
      if (response.status !== 200 || response.body === undefined)
        throw new DockerError(`cannot inspect container ${ids[index].slice(0, 12)}: ${engineMessage(response)}`);
      return [response.body];
    });
  }
  try {
    return JSON.parse(await cliQuery(['inspect', '--type', 'container', ...ids], timeoutMs)) as unknown[];
  } catch (error) {
    if (!(error instanceof ChildProcessError && /no such container/i.test(error.outputTail))) throw error;
    // One of them was removed meanwhile and the CLI fails the whole call: ask for each, keeping those still there.
    if (ids.length === 1) return [];
    return (await Promise.all(ids.map((id) => inspectContainersJson([id], timeoutMs)))).flat();
  }
}

/** The "repository:tag" references of the images carrying all `labels`. */
export async function imageReferences(labels: string[], timeoutMs = QUERY_TIMEOUT_MS): Promise<Set<string>> {
  const socket = localEngineSocket();
  if (socket) {
    const response = await engineRequest<{ RepoTags?: string[] | null }[]>(socket, 'GET', `/images/json?filters=${labelFiltersParameter(labels)}`, timeoutMs);
    if (response.status !== 200) throw new DockerError(`the Docker engine could not list images: ${engineMessage(response)}`);
    return new Set((response.body ?? []).flatMap((image) => image.RepoTags ?? []));
  }
  const output = await cliQuery(['images', ...labels.flatMap((label) => ['--filter', `label=${label}`]), '--format', '{{.Repository}}:{{.Tag}}'], timeoutMs);
  return new Set(output.split('\n').filter((line) => line.trim() !== ''));
}

/** Whether a network of exactly this name exists (the engine's name filter matches substrings). */
export async function networkExists(name: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<boolean> {
  const socket = localEngineSocket();
  if (socket) {
    const response = await engineRequest<{ Name?: string }[]>(
      socket,
      'GET',
      `/networks?filters=${encodeURIComponent(JSON.stringify({ name: [name] }))}`,
      timeoutMs,
    );
    if (response.status !== 200) throw new DockerError(`the Docker engine could not list networks: ${engineMessage(response)}`);
    return (response.body ?? []).some((network) => network.Name === name);
  }
  const output = await cliQuery(['network', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}}'], timeoutMs);
  return output.split('\n').includes(name);
}

/** What one stats reading of a container tells (the API's fields; CPU as cumulative counters). */
export interface StatsReading {
  /** Nanoseconds of CPU the container used since it started. */
  containerCpuNs: number;
  /** Nanoseconds of CPU the whole host used (all cores), as a counter. */
  systemCpuNs: number;
  onlineCpus: number;
  /** Memory in use without the page cache, as `docker stats` shows it. */
  memoryBytes: number;
  memoryLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

interface ApiStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
}

/** Pure: the API's stats object → a reading (memory without the inactive page cache, as the CLI computes it). */
export function statsReading(stats: ApiStats): StatsReading {
  const memory = stats.memory_stats ?? {};
  const cache = memory.stats?.total_inactive_file ?? memory.stats?.inactive_file ?? 0;
  const usage = memory.usage ?? 0;
  const networks = Object.values(stats.networks ?? {});
  return {
    containerCpuNs: stats.cpu_stats?.cpu_usage?.total_usage ?? 0,
    systemCpuNs: stats.cpu_stats?.system_cpu_usage ?? 0,
    onlineCpus: stats.cpu_stats?.online_cpus ?? stats.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1,
    memoryBytes: cache < usage ? usage - cache : usage,
    memoryLimitBytes: memory.limit ?? 0,
    netRxBytes: networks.reduce((sum, network) => sum + (network.rx_bytes ?? 0), 0),
    netTxBytes: networks.reduce((sum, network) => sum + (network.tx_bytes ?? 0), 0),
  };
}

/**
 * One stats reading of a running container over the local socket (`one-shot`: the engine answers
 * at once instead of waiting a second for a second sample; CPU % is then the change between two
 * of our own readings). Undefined when there is no local socket (ask the CLI) or the container is gone.
 */
export async function statsOnce(id: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<StatsReading | undefined> {
  const socket = localEngineSocket();
  if (!socket) return undefined;
  const response = await engineRequest<ApiStats>(socket, 'GET', `/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`, timeoutMs);
  if (response.status === 404 || response.status === 409) return undefined;
  if (response.status !== 200 || !response.body) throw new DockerError(`cannot read the stats of container ${id.slice(0, 12)}: ${engineMessage(response)}`);
  return statsReading(response.body);
}
