/**
 * Port preflight: before compose starts a service, every host port it publishes must be free, or
 * `up` fails naming the port and who holds it (instead of compose's "address already in use").
 *
 * Decided per port, not per container: when our own (possibly outdated) container of this service
 * runs, only the host ports `docker port` says it publishes are skipped (compose frees and
 * re-takes them); a port added to config.yaml since is still checked. Each port is tried on the
 * very address it will be published on (publishAddress in compose/document.ts, the one answer the
 * compose file and `docker run` take too): 127.0.0.1:8000 is blocked by a holder on 127.0.0.1,
 * 0.0.0.0 or a dual-stack [::], not by one on another address only; 0.0.0.0:8000 by any IPv4
 * holder. `/udp` mappings are tried with a UDP bind.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { ServiceModel } from '../config/model';
import { exec } from '../core/exec';
import { DockerError } from '../core/errors';
import { describeHolder, findPortHolder } from '../core/port-owner';
import { publishedPorts, type PublishedPort } from '../compose/document';
import { LABELS } from '../core/naming';

/** The folder compose ran in, which compose (v1 and v2) labels every container with. */
const COMPOSE_WORKING_DIR_LABEL = 'com.docker.compose.project.working_dir';

/**
 * What binding host:port ourselves tells. `no-root` is EACCES (a port below 1024 and we are not
 * root): that says nothing about the port being taken — the Docker engine binds published ports
 * with its own privileges — so it is only reported when /proc shows a holder.
 */
export type BindOutcome = 'free' | 'in-use' | 'no-root' | 'no-such-address';

/** Pure: the outcome an error code of bind() stands for, or undefined for an unexpected error. */
export function bindOutcome(code: string | undefined): BindOutcome | undefined {
  if (code === 'EADDRINUSE') return 'in-use';
  if (code === 'EACCES') return 'no-root';
  // No such local address (a host IP of another machine) or no IPv6 on this host: nothing to check there.
  if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') return 'no-such-address';
  return undefined;
}

/** Pure: `docker port <container>` output ("8080/tcp -> 0.0.0.0:18080", "… -> [::]:18080") → {"18080/tcp"}. */
export function parseDockerPort(output: string): Set<string> {
  const published = new Set<string>();
  for (const line of output.split('\n')) {
    // Stryker disable next-line Regex: equivalent — `docker port` prints exactly these lines, trimmed here.
    const match = /^\d+\/(tcp|udp|sctp)\s*->\s*.*:(\d+)\s*$/.exec(line.trim());
    if (match) published.add(`${match[2]}/${match[1]}`);
  }
  return published;
}

/** Pure: the mappings to check, leaving out host ports our own container of this service publishes. */
export function portsToCheck(ports: PublishedPort[], ownPublished: Set<string>): PublishedPort[] {
  return ports.filter((port) => !ownPublished.has(`${port.host}/${port.protocol}`));
}

/** Binds host:port (TCP or UDP) exclusively and lets go at once. */
export function tryBind(port: number, host: string, protocol: 'tcp' | 'udp'): Promise<BindOutcome> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const outcome = bindOutcome(error.code);
      if (outcome) resolve(outcome);
      else reject(error);
    };
    if (protocol === 'udp') {
      const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
      socket.once('error', (error) => {
        socket.close();
        onError(error);
      });
      // Stryker disable next-line BooleanLiteral: equivalent — exclusive matters only in a cluster worker, which this never is.
      socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve('free')));
      return;
    }
    const server = net.createServer();
    server.once('error', onError);
    // Stryker disable next-line BooleanLiteral: equivalent — as above.
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/** The host ports a container publishes, as "port/protocol". */
export async function ownPublishedPorts(containerId: string): Promise<Set<string>> {
  return parseDockerPort((await exec('docker', ['port', containerId], { timeoutMs: 10_000 })).stdout);
}

/**
 * Pure: whether what binding told us means the engine cannot publish the port either. In use is
 * taken. EACCES (`no-root`) is taken only when a holder is visible: the engine binds with its own
 * privileges, so a privileged port we may not bind is usually free for it (see BindOutcome).
 */
export function isTakenForTheEngine(outcome: BindOutcome, holderVisible: boolean): boolean {
  if (outcome === 'in-use') return true;
  if (outcome === 'no-root') return holderVisible;
  return false;
}

/** Why `port` cannot be used, or undefined when it can. `workspace`: this workspace's id. */
async function portProblem(port: PublishedPort, workspace: string, bind: typeof tryBind): Promise<string | undefined> {
  const outcome = await bind(port.host, port.hostIp, port.protocol);
  // Stryker disable next-line ConditionalExpression: equivalent — a shortcut past the /proc lookup; isTakenForTheEngine says "not taken" for these too.
  if (outcome === 'free' || outcome === 'no-such-address') return undefined;
  // /proc is read for TCP listeners only; a UDP port has no holder we can name.
  const holder = port.protocol === 'tcp' ? findPortHolder(port.host) : undefined;
  if (!isTakenForTheEngine(outcome, holder !== undefined)) return undefined;
  if (port.protocol === 'udp') return `host port ${port.host}/udp ("${port.text}") is taken by another process (\`ss -ulpn\` shows which)`;
  return `host port ${port.host} ("${port.text}") is taken by ${await describePortUser(port.host, holder, workspace)}`;
}

/**
 * Fails before starting when a host port the service publishes is taken by someone else, naming
 * every such port and who holds it. `ownContainer` is this service's running container, if any;
 * `workspace` this workspace's id (to tell its containers from another checkout's). `bind` is
 * tryBind; a spec passes another to see a non-root user's EACCES while running as root.
 */
export async function checkHostPorts(
  service: ServiceModel,
  ownContainer: string | undefined,
  workspace: string,
  bind: typeof tryBind = tryBind,
): Promise<void> {
  const own = ownContainer ? await ownPublishedPorts(ownContainer) : new Set<string>();
  const problems: string[] = [];
  for (const port of portsToCheck(publishedPorts(service), own)) {
    const problem = await portProblem(port, workspace, bind);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) {
    throw new DockerError(`cannot start ${service.name}: ${problems.join('; ')}`, {
      fix: `stop what holds the port, or publish ${service.name} on another host port in repos_docker_files/config.yaml`,
    });
  }
}

/** A container publishing a host port, with the labels that say whose it is. */
export interface PublishingContainer {
  name: string;
  /** io.local-dev.workspace: '' for a container local-dev did not make. */
  workspace: string;
  service: string;
  /** The workspace folder compose ran in (compose's project.working_dir label), '' if unknown. */
  folder: string;
}

/** `docker ps --format` for a container's owner labels, read by parsePublishingContainers. */
const OWNER_LABELS_FORMAT = `{{.Names}}\t{{.Label "${LABELS.workspace}"}}\t{{.Label "${LABELS.service}"}}\t{{.Label "${COMPOSE_WORKING_DIR_LABEL}"}}`;

/** The running containers `docker ps` lists for these filters ("publish=8000", "network=x"), with their owner labels. */
export async function containerOwners(filters: string[]): Promise<PublishingContainer[]> {
  const listed = await exec('docker', ['ps', ...filters.flatMap((filter) => ['--filter', filter]), '--format', OWNER_LABELS_FORMAT], { timeoutMs: 10_000 });
  return parsePublishingContainers(listed.stdout);
}

/** Pure: `docker ps --format OWNER_LABELS_FORMAT` lines → the containers. */
export function parsePublishingContainers(output: string): PublishingContainer[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name, workspace = '', service = '', folder = ''] = line.split('\t');
      return { name, workspace, service, folder };
    });
}

/** Pure: "the container X", saying when it is another local-dev workspace's (and how to stop it there). */
export function describeContainer(container: PublishingContainer, workspace: string): string {
  if (container.workspace === '') return `the container ${container.name}`;
  if (container.workspace === workspace) return `the container ${container.name} (${container.service} of this workspace)`;
  const where = container.folder ? ` in ${container.folder}` : '';
  return `the container ${container.name}: ${container.service} of another local-dev workspace${where} (stop it there with \`nx run ${container.service}:down\`)`;
}

async function describePortUser(port: number, holder: ReturnType<typeof findPortHolder>, workspace: string): Promise<string> {
  // Published by a container: docker-proxy holds it (or nothing visible does); name the container.
  if (!holder || /docker-proxy/.test(holder.command)) {
    const containers = await containerOwners([`publish=${port}`]);
    if (containers.length > 0) return containers.map((container) => describeContainer(container, workspace)).join(', ');
  }
  return describeHolder(holder);
}
