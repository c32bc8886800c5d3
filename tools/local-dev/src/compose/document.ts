/**
 * config model + namespace → the docker-compose.yml document. Pure: the same model always gives
 * the same file, so it is snapshot-tested and the up executor can recompute a service's entry
 * (and its definition hash) without reading the file back.
 *
 * Works with compose v2 and v1.29 alike: a `version:` key (v1 needs it), `${VAR:-default}`
 * interpolation only, an external network referenced by `name:` (file format ≥ 3.5).
 */
import { createHash } from 'node:crypto';
import type { PortMapping, ServiceModel, WorkspaceModel } from '../config/model';
import { imageRepository, imageVariable, LABELS } from '../core/naming';

export const COMPOSE_FILE_VERSION = '3.8';
export const REDIS_HOST_IN_CONTAINERS = 'host.docker.internal';
/** Linux has no host.docker.internal by default; Docker ≥ 20.10 maps it with host-gateway. */
export const HOST_GATEWAY = `${REDIS_HOST_IN_CONTAINERS}:host-gateway`;

export interface ComposeService {
  image: string;
  build: { context: string; dockerfile: string; args?: Record<string, string>; labels: Record<string, string> };
  networks: string[];
  ports?: string[];
  environment: Record<string, string>;
  extra_hosts: string[];
  init: true;
  labels: Record<string, string>;
}

export interface ComposeDocument {
  version: string;
  services: Record<string, ComposeService>;
  networks: Record<string, { external: true; name: string }>;
}

export interface ComposeSettings {
  namespace: string;
  workspaceId: string;
}

/** Compose interpolates `$` in values: a literal `$` from config.yaml must be written `$$`. */
export function escapeDollars(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

/** The value compose passes on for a value escaped by escapeDollars (what `docker run` must be given). */
export function unescapeDollars(value: string): string {
  return value.replace(/\$\$/g, '$$');
}

function escapeAll(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, escapeDollars(value)]));
}

/** Where a port is published when config.yaml names no address: this machine only. */
export const LOOPBACK = '127.0.0.1';

/**
 * Pure: the host address a published port listens on — the one answer the compose file, `docker
 * run` and the port preflight all take. Docker's own default is every interface ("0.0.0.0" and
 * "::"), which on a café's Wi-Fi lets anyone reach the service. A debugger is always on loopback:
 * debugpy and the Node inspector run whatever code they are sent, in a container that holds the
 * namespace's secrets. A service port is on loopback unless config.yaml names an address
 * ("0.0.0.0:8000:8000" shares it with the network on purpose; doctor then says so).
 */
export function publishAddress(kind: 'service' | 'debugger', configured?: string): string {
  if (kind === 'debugger') return LOOPBACK;
  return configured ?? LOOPBACK;
}

/** Pure: whether only this machine reaches a port published on `address` (127.0.0.0/8). */
export function isLoopback(address: string): boolean {
  return address.split('.')[0] === '127';
}

/** A service port as docker-compose.yml and `docker run --publish` write it, its host address always spelled out. */
export function formatPort(mapping: PortMapping): string {
  return `${publishAddress('service', mapping.hostIp)}:${mapping.host}:${mapping.container}${mapping.protocol === 'udp' ? '/udp' : ''}`;
}

/** Every host port a service publishes (its ports and its debugger), with the address it is bound to. */
export interface PublishedPort {
  host: number;
  /** The address it is published on (publishAddress): the one the preflight must find free. */
  hostIp: string;
  protocol: 'tcp' | 'udp';
  /** The mapping as written in docker-compose.yml. */
  text: string;
}

export function publishedPorts(service: ServiceModel): PublishedPort[] {
  const ports: PublishedPort[] = service.ports.map((mapping) => ({
    host: mapping.host,
    hostIp: publishAddress('service', mapping.hostIp),
    protocol: mapping.protocol,
    text: formatPort(mapping),
  }));
  if (service.debug) {
    const hostIp = publishAddress('debugger');
    ports.push({ host: service.debug.hostPort, hostIp, protocol: 'tcp', text: `${hostIp}:${service.debug.hostPort}:${service.debug.containerPort}` });
  }
  return ports;
}

function serviceEntry(model: WorkspaceModel, service: ServiceModel, settings: ComposeSettings): ComposeService {
  const environment: Record<string, string> = {
    ...escapeAll(service.environment),
    REDIS_HOST: REDIS_HOST_IN_CONTAINERS,
    REDIS_PORT: String(model.redis.port),
    LOCAL_DEV_NAMESPACE: settings.namespace,
  };
  if (service.debug) environment.DEBUG_PORT = String(service.debug.containerPort);
  const ports = publishedPorts(service).map((port) => port.text);
  const ownLabels = { [LABELS.service]: service.name, [LABELS.workspace]: settings.workspaceId };
  const entry: ComposeService = {
    image: `\${${imageVariable(service.name)}:-${imageRepository(service.name)}:latest}`,
    build: {
      context: `./cloned/${service.dir}`,
      dockerfile: service.dockerfile,
      ...(Object.keys(service.buildArgs).length > 0 ? { args: escapeAll(service.buildArgs) } : {}),
      labels: ownLabels,
    },
    networks: [model.network],
    ...(ports.length > 0 ? { ports } : {}),
    environment,
    extra_hosts: [HOST_GATEWAY],
    // A tiny init as PID 1 forwards SIGTERM: a server that does not handle it itself as PID 1
    // (shell entrypoints, busybox httpd) then stops at once instead of after Docker's 10 s timeout,
    // which every rebuild-and-restart would otherwise pay.
    init: true,
    labels: { ...ownLabels },
  };
  entry.labels[LABELS.definition] = definitionHash(entry);
  return entry;
}

/**
 * Hash of a service's entry (without this label itself): `up` compares it with the running
 * container's label to know, without running compose, whether the container is current.
 */
export function definitionHash(entry: ComposeService): string {
  const { [LABELS.definition]: _ignored, ...labels } = entry.labels;
  return createHash('sha256')
    .update(JSON.stringify({ ...entry, labels }))
    .digest('hex')
    .slice(0, 12);
}

export function composeDocument(model: WorkspaceModel, settings: ComposeSettings): ComposeDocument {
  return {
    version: COMPOSE_FILE_VERSION,
    services: Object.fromEntries(model.services.map((service) => [service.name, serviceEntry(model, service, settings)])),
    networks: { [model.network]: { external: true, name: model.network } },
  };
}

export function composeHeader(namespace: string): string {
  return [
    `# generated by local-dev, do not edit — from repos_docker_files/config.yaml for namespace ${namespace}.`,
    '# Rewritten on every `nx run-many -t up`; change config.yaml instead. Images come from',
    '# LOCAL_DEV_IMAGE_<SERVICE> (set by local-dev to the image of the current input hash).',
    '',
  ].join('\n');
}
