/**
 * The service's container: finding it (by compose project + service labels), checking the host
 * ports it will publish are free, starting it with compose, removing it, and the network.
 */
import type { ServiceModel } from '../config/model';
import { exec } from '../core/exec';
import { ChildProcessError, DockerError } from '../core/errors';
import { describeHolder, findPortHolder, isPortFree } from '../core/port-owner';
import { publishedPorts } from '../compose/document';
import { composeEnvironment, type ComposeCommand } from './client';
import { COMPOSE_LABELS, LABELS } from './naming';

export interface ContainerInfo {
  id: string;
  image: string;
  state: string;
  definition: string;
}

/** Pure: parses `docker ps --format '{{.ID}}\t{{.Image}}\t{{.State}}\t{{.Label …}}'` lines. */
export function parseContainerLines(output: string): ContainerInfo[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, image, state, definition] = line.split('\t');
      return { id, image, state, definition: definition ?? '' };
    });
}

/** The containers compose made for this service in this workspace's project (normally one). */
export async function findServiceContainers(project: string, service: string): Promise<ContainerInfo[]> {
  const result = await exec('docker', [
    'ps', '--all', '--no-trunc',
    '--filter', `label=${COMPOSE_LABELS.project}=${project}`,
    '--filter', `label=${COMPOSE_LABELS.service}=${service}`,
    '--format', `{{.ID}}\t{{.Image}}\t{{.State}}\t{{.Label "${LABELS.definition}"}}`,
  ]);
  return parseContainerLines(result.stdout);
}

/** Pure: is this container already what `up` would start (running, same image, same definition)? */
export function isCurrent(container: ContainerInfo | undefined, image: string, definition: string): boolean {
  return container !== undefined && container.state === 'running' && container.image === image && container.definition === definition;
}

/**
 * Fails before starting when a host port the service publishes is taken by someone else, naming
 * the port and who holds it. Ports held by this service's own running container are fine.
 */
export async function checkHostPorts(service: ServiceModel, ownContainerRunning: boolean): Promise<void> {
  if (ownContainerRunning) return;
  const problems: string[] = [];
  for (const port of publishedPorts(service)) {
    if (await isPortFree(port.host, port.hostIp ?? '0.0.0.0')) continue;
    problems.push(`host port ${port.host} ("${port.text}") is taken by ${await describePortUser(port.host)}`);
  }
  if (problems.length > 0) {
    throw new DockerError(`cannot start ${service.name}: ${problems.join('; ')}`, {
      fix: `stop what holds the port, or publish ${service.name} on another host port in repos_docker_files/config.yaml`,
    });
  }
}

async function describePortUser(port: number): Promise<string> {
  const holder = findPortHolder(port);
  // Published by a container: docker-proxy holds it (or nothing visible does); name the container.
  if (!holder || /docker-proxy/.test(holder.command)) {
    const names = (await exec('docker', ['ps', '--filter', `publish=${port}`, '--format', '{{.Names}}'])).stdout.trim();
    if (names) return `the container ${names.split('\n').join(', ')}`;
  }
  return describeHolder(holder);
}

export interface ComposeTarget {
  compose: ComposeCommand;
  project: string;
  composeFile: string;
  /** Extra variables for compose (the image of the current hash). */
  env: Record<string, string>;
}

/** Pure: the compose arguments for starting one service without its dependencies or a build. */
export function composeUpArgs(target: Omit<ComposeTarget, 'env'>, service: string): string[] {
  return [...target.compose.prefix, '--project-name', target.project, '--file', target.composeFile, 'up', '--detach', '--no-deps', '--no-build', service];
}

export async function composeUp(target: ComposeTarget, service: string): Promise<void> {
  const env = { ...(await composeEnvironment(target.compose)), ...target.env };
  try {
    await exec(target.compose.program, composeUpArgs(target, service), { env, tailLines: 30 });
  } catch (error) {
    if (error instanceof ChildProcessError) {
      throw new DockerError(`docker compose could not start ${service}:\n${error.outputTail}`, {
        fix: 'fix the problem named above, then run again',
        cause: error,
      });
    }
    throw error;
  }
}

/** Stops and removes the service's containers (only ours: selected by project and service label). */
export async function removeServiceContainers(project: string, service: string): Promise<number> {
  const containers = await findServiceContainers(project, service);
  if (containers.length > 0) await exec('docker', ['rm', '--force', ...containers.map((container) => container.id)]);
  return containers.length;
}

/** Creates the shared network when missing, labelled as ours. Tolerates a parallel task winning the race. */
export async function ensureNetwork(name: string, workspace: string): Promise<void> {
  try {
    await exec('docker', ['network', 'inspect', '--format', '{{.Name}}', name]);
    return;
  } catch (error) {
    if (!(error instanceof ChildProcessError && /no such network|not found/i.test(error.outputTail))) throw error;
  }
  try {
    await exec('docker', ['network', 'create', '--label', `${LABELS.workspace}=${workspace}`, name]);
  } catch (error) {
    if (error instanceof ChildProcessError && /already exists/i.test(error.outputTail)) return;
    throw error;
  }
}

/** The host port a container port is published on, or undefined when it is not published. */
export function publishedHostPort(service: ServiceModel, containerPort: number): { host: string; port: number } | undefined {
  const mapping = service.ports.find((candidate) => candidate.container === containerPort && candidate.protocol === 'tcp');
  if (!mapping) return undefined;
  const host = !mapping.hostIp || mapping.hostIp === '0.0.0.0' ? '127.0.0.1' : mapping.hostIp;
  return { host, port: mapping.host };
}

/** The container's address on a network (for a healthcheck port that is not published). */
export async function containerAddress(containerId: string, network: string): Promise<string> {
  const result = await exec('docker', ['inspect', '--format', `{{with index .NetworkSettings.Networks "${network}"}}{{.IPAddress}}{{end}}`, containerId]);
  const address = result.stdout.trim();
  if (!address) throw new DockerError(`container ${containerId.slice(0, 12)} has no address on network ${network}`);
  return address;
}
