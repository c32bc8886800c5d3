/**
 * Starting a service's container with one `docker` call instead of a compose process.
 *
 * Why: docker-compose v1 is a Python program that takes about a second of CPU to start, and `up`
 * ran one per service; on a 2-core machine starting a stopped stack of 8 cost 8 of them. The
 * container compose would create is fully known here — it is the service's entry in
 * docker-compose.yml (compose/document.ts), whose definition hash `up` has just checked against
 * the file — so `docker run` gets exactly that entry, and the labels compose itself would set, so
 * compose, `down`, `logs`, `status` and up's hasher (src/runtime-state/up-state.ts) find it as before.
 *
 * What `up` does with the service's containers is a pure plan (startPlan): a running, current
 * container is left alone; a stopped one that is current (after a reboot, `docker stop`, a crash) is
 * started again as it is; anything else (none, outdated, paused, restarting) is removed and
 * created afresh from the entry. A container the dev target synced files into is no longer its
 * image even when its image and definition match (src/live/state.ts): it is created afresh too,
 * so that after `up` the container and the clone agree again.
 */
import { unescapeDollars, type ComposeService } from '../compose/document';
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import { isCurrent, type ContainerInfo } from './containers';
import { COMPOSE_LABELS, LABELS } from '../core/naming';
import { supervisorArgs } from './live-supervisor';

/** The container that holds files the dev target synced into it (read by the caller from src/live/state.ts), and how many. */
export interface SyncedContainer {
  id: string;
  files: number;
}

export type StartPlan =
  | { action: 'keep'; id: string }
  | { action: 'restart-stopped'; id: string }
  /** `replacesSynced`: one of the removed containers held synced files (said when it is replaced). */
  | { action: 'create'; remove: string[]; replacesSynced?: SyncedContainer };

/** States of a container that `docker start` brings back as it was. */
const STARTABLE_STATES = new Set(['exited', 'created']);

/**
 * Pure: what `up` does with the service's existing containers to run `image` with `definition`.
 * `synced`: the container that holds synced files, if any; it is never kept or started again as it is.
 */
export function startPlan(containers: ContainerInfo[], image: string, definition: string, synced?: SyncedContainer): StartPlan {
  const remove = containers.map((container) => container.id);
  if (synced !== undefined && remove.includes(synced.id)) return { action: 'create', remove, replacesSynced: synced };
  const matches = (container: ContainerInfo) => container.image === image && container.definition === definition;
  const running = containers.find((container) => container.state === 'running');
  if (running && isCurrent(running, image, definition)) return { action: 'keep', id: running.id };
  const [only] = containers;
  if (containers.length === 1 && matches(only) && STARTABLE_STATES.has(only.state)) return { action: 'restart-stopped', id: only.id };
  return { action: 'create', remove };
}

export interface RunSpec {
  project: string;
  service: string;
  /** The workspace root (compose's project directory), recorded as compose records it. */
  projectDirectory: string;
  image: string;
  entry: ComposeService;
  /**
   * The image's own command, to run under the live supervisor (./live-supervisor.ts) so that the
   * dev target restarts the program, not the container; undefined: the image's command as it is.
   */
  supervise?: string[];
}

/** Compose v1's container name (`<project>_<service>_1`), so messages and `docker ps` read as before. */
export function containerName(project: string, service: string): string {
  return `${project}_${service}_1`;
}

/**
 * Pure: the `docker run` (started, detached) or `docker create` (started later, after the secret
 * files are copied in) arguments for a service's entry in docker-compose.yml.
 */
export function runArgs(spec: RunSpec, verb: 'run' | 'create' = 'run'): string[] {
  const { entry } = spec;
  const labels: Record<string, string> = {
    ...entry.labels,
    [COMPOSE_LABELS.project]: spec.project,
    [COMPOSE_LABELS.service]: spec.service,
    'com.docker.compose.oneoff': 'False',
    'com.docker.compose.container-number': '1',
    'com.docker.compose.project.working_dir': spec.projectDirectory,
    ...(spec.supervise ? { [LABELS.liveSupervisor]: '1' } : {}),
  };
  // The definition label stays the entry's: the container is still what docker-compose.yml says, run under the supervisor.
  const supervised = spec.supervise ? supervisorArgs(spec.supervise) : { beforeImage: [], afterImage: [] };
  return [
    ...(verb === 'run' ? ['run', '--detach'] : ['create']),
    '--name',
    containerName(spec.project, spec.service),
    // Compose gives every container its service name as an alias: services call each other by it.
    ...entry.networks.flatMap((network) => ['--network', network, '--network-alias', spec.service]),
    // Each names its host address (compose/document.ts publishAddress: 127.0.0.1 unless config.yaml
    // says otherwise): a bare "8000:8000" would have Docker publish on every interface.
    ...(entry.ports ?? []).flatMap((port) => ['--publish', port]),
    // The file holds values escaped for compose's interpolation ($$); docker takes them literally.
    ...Object.entries(entry.environment).flatMap(([name, value]) => ['--env', `${name}=${unescapeDollars(value)}`]),
    ...entry.extra_hosts.flatMap((host) => ['--add-host', host]),
    ...(entry.init ? ['--init'] : []),
    ...Object.entries(labels).flatMap(([name, value]) => ['--label', `${name}=${value}`]),
    ...supervised.beforeImage,
    spec.image,
    ...supervised.afterImage,
  ];
}

export async function removeContainers(service: string, ids: string[]): Promise<void> {
  if (ids.length > 0) await engineCommand(['rm', '--force', ...ids], `remove the outdated container of ${service}`);
}

/** Creates and starts the container; returns its id. */
export async function runContainer(spec: RunSpec, beforeStart?: (id: string) => Promise<unknown>): Promise<string> {
  if (!beforeStart) return (await engineCommand(runArgs(spec), `start ${spec.service}`)).trim();
  // create → (the secret files a shareable image was built without, src/docker/secrets-at-up.ts) → start.
  const id = (await engineCommand(runArgs(spec, 'create'), `create the container of ${spec.service}`)).trim();
  await beforeStart(id);
  await engineCommand(['start', id], `start ${spec.service}`);
  return id;
}

async function engineCommand(args: string[], what: string): Promise<string> {
  try {
    return (await exec('docker', args, { timeoutMs: 60_000, tailLines: 30 })).stdout;
  } catch (error) {
    if (error instanceof ChildProcessError) {
      throw new DockerError(`docker could not ${what}:\n${error.outputTail}`, { fix: 'fix the problem named above, then run again', cause: error });
    }
    throw error;
  }
}
