/**
 * The service's container: finding it (by compose project + service labels), removing it, its
 * address, and the network. (Starting it is run-container.ts; the port preflight is ports.ts.)
 */
import * as net from 'node:net';
import type { ServiceModel } from '../config/model';
import { LOOPBACK, publishAddress } from '../compose/document';
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import { COMPOSE_LABELS, LABELS } from '../core/naming';
import type { HealthEndpoint } from './health';
import { inspectContainer, listContainers } from './queries';

export interface ContainerInfo {
  id: string;
  image: string;
  state: string;
  definition: string;
}

/** The containers compose made for this service in this workspace's project (normally one). */
export async function findServiceContainers(project: string, service: string): Promise<ContainerInfo[]> {
  const containers = await listContainers([`${COMPOSE_LABELS.project}=${project}`, `${COMPOSE_LABELS.service}=${service}`], [LABELS.definition]);
  return containers.map((container) => ({ id: container.id, image: container.image, state: container.state, definition: container.labels[LABELS.definition] }));
}

/** Pure: is this container already what `up` would start (running, same image, same definition)? */
export function isCurrent(container: ContainerInfo | undefined, image: string, definition: string): boolean {
  return container !== undefined && container.state === 'running' && container.image === image && container.definition === definition;
}

/** Stops and removes the service's containers (only ours: selected by project and service label). */
export async function removeServiceContainers(project: string, service: string): Promise<number> {
  const containers = await findServiceContainers(project, service);
  if (containers.length > 0) await exec('docker', ['rm', '--force', ...containers.map((container) => container.id)]);
  return containers.length;
}

/** Pure: `docker network ls --format '{{.ID}}\t{{.Name}}\t{{.CreatedAt}}'` → the networks named exactly `name`, oldest first. */
export function parseNetworkLines(output: string, name: string): { id: string; created: string }[] {
  return output
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((fields) => fields.length >= 3 && fields[1] === name)
    .map(([id, , created]) => ({ id, created }))
    .sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
}

async function networksNamed(name: string): Promise<{ id: string; created: string }[]> {
  // The name filter matches substrings ("oh-network" also finds "oh-network-2"): parse keeps exact names.
  const listed = await exec('docker', ['network', 'ls', '--no-trunc', '--filter', `name=${name}`, '--format', '{{.ID}}\t{{.Name}}\t{{.CreatedAt}}'], {
    timeoutMs: 15_000,
  });
  return parseNetworkLines(listed.stdout, name);
}

/**
 * Creates the shared network when missing, labelled as ours. The network is shared by name with
 * every workspace on the engine, and local-dev never removes it (`down` removes containers only).
 *
 * Docker checks the name on create, but not atomically: commands creating it at the same moment
 * (two workspaces starting cold) can each make one, and compose then fails on the ambiguous name.
 * So after creating, it looks again: when there are several, every creator keeps the oldest and
 * removes the one it made itself. (Within one workspace, creation is also serialised by a lock.)
 */
export async function ensureNetwork(name: string, workspace: string): Promise<void> {
  if ((await networksNamed(name)).length > 0) return ensureSingleNetwork(name, undefined);
  let created: string | undefined;
  try {
    created = (await exec('docker', ['network', 'create', '--label', `${LABELS.workspace}=${workspace}`, name], { timeoutMs: 30_000 })).stdout.trim();
  } catch (error) {
    if (!(error instanceof ChildProcessError && /already exists/i.test(error.outputTail))) throw error;
  }
  return ensureSingleNetwork(name, created);
}

/** How long a command waits for the other creators of a duplicate network to remove theirs. */
const DUPLICATE_NETWORK_WAIT_MS = 5000;

async function ensureSingleNetwork(name: string, created: string | undefined): Promise<void> {
  const deadline = Date.now() + DUPLICATE_NETWORK_WAIT_MS;
  let ours = created;
  for (;;) {
    const networks = await networksNamed(name);
    if (networks.length === 1) return;
    if (networks.length === 0) {
      throw new DockerError(`the network ${name} disappeared right after it was created (removed by another command?)`, { fix: 'run again' });
    }
    if (ours !== undefined && networks[0].id !== ours && networks.some((network) => network.id === ours)) {
      await exec('docker', ['network', 'rm', ours], { timeoutMs: 30_000 });
      ours = undefined;
      continue;
    }
    if (Date.now() >= deadline) {
      const extra = networks.slice(1).map((network) => network.id.slice(0, 12));
      throw new DockerError(
        `there are ${networks.length} Docker networks named ${name} (${networks.map((network) => network.id.slice(0, 12)).join(', ')}): compose cannot tell which to use`,
        {
          fix: `keep one: stop the containers attached to the others, then \`docker network rm ${extra.join(' ')}\``,
        },
      );
    }
    // Other commands that created one at the same moment are removing theirs.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Where this machine connects to a container port's published host port, or undefined when it is not
 * published: the address it is bound to (publishAddress, the one rule), or loopback when that is
 * every interface.
 */
export function publishedHostPort(service: ServiceModel, containerPort: number): { host: string; port: number } | undefined {
  const mapping = service.ports.find((candidate) => candidate.container === containerPort && candidate.protocol === 'tcp');
  if (!mapping) return undefined;
  const bound = publishAddress('service', mapping.hostIp);
  return { host: bound === '0.0.0.0' ? LOOPBACK : bound, port: mapping.host };
}

/** The container's address on a network, or undefined when it has none there. */
export async function containerAddress(containerId: string, network: string): Promise<string | undefined> {
  return (await inspectContainer(containerId, 10_000)).addresses[network];
}

/**
 * Whether this machine reaches the container's own address: true on Linux with a local engine
 * (the bridge is a host interface). The kernel's answer decides, not a guess from DOCKER_HOST:
 * a connection or a refusal (RST from the container's namespace) proves a route; a timeout or
 * "unreachable" (Docker Desktop's VM, rootless Docker, a remote engine) does not.
 */
export function addressReachable(address: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * Where a service's healthcheck connects, for `up` and `restart` alike. Why not simply the published
 * host port: docker-proxy (and Docker Desktop's forwarder) accepts on it before the app inside
 * listens, so a TCP check there passes at once. The container's own address on the network gives
 * the true answer, and is used whenever this machine reaches it (Linux with a local engine);
 * otherwise the published port is the fallback, with the proxy-aware TCP check (health.ts's
 * probeTcp). HTTP needs an answer from the app either way. Never a guess: neither reachable is an error.
 */
export async function healthEndpoint(service: ServiceModel, containerId: string, network: string): Promise<HealthEndpoint> {
  const check = service.healthcheck;
  if (check.type === 'none') return { host: '', port: 0, viaProxy: false };
  const address = await containerAddress(containerId, network);
  const published = publishedHostPort(service, check.port);
  if (address && (!published || (await addressReachable(address, check.port)))) return { host: address, port: check.port, viaProxy: false };
  if (published) return { ...published, viaProxy: true };
  throw new DockerError(`${service.name}'s container has no address on network ${network}, and port ${check.port} is not published`, {
    fix: `publish port ${check.port} of ${service.name} in repos_docker_files/config.yaml so the healthcheck can reach it`,
  });
}
