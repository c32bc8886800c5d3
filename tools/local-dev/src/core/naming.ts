/**
 * How local-dev names and labels what it creates in Docker, so it can always find its own images,
 * containers and networks, and never touches anything else in the user's Docker.
 *
 * Every image is `local-dev/<service>:<local input hash, 12 hex>` (scoped to the workspace) and carries
 * `io.local-dev.portable-hash`, the hash of its content anywhere; every image, container and network we
 * create carries `io.local-dev.workspace` (a hash of the workspace root), so two checkouts on one
 * machine stay apart, and every list/remove we run filters by these labels.
 */
import { createHash } from 'node:crypto';

export const LABELS = {
  service: 'io.local-dev.service',
  workspace: 'io.local-dev.workspace',
  inputHash: 'io.local-dev.input-hash',
  /** The hash that names the image's content anywhere (src/docker/input-hash.ts); a pulled image must carry the one asked for. */
  portableHash: 'io.local-dev.portable-hash',
  /** Hash of the service's entry in docker-compose.yml: a running container with another value is stale. */
  definition: 'io.local-dev.definition',
  /** On a container whose program runs under the live supervisor (src/docker/live-supervisor.ts): a restart is a SIGHUP to it. */
  liveSupervisor: 'io.local-dev.live-supervisor',
} as const;

/** Labels docker compose itself puts on the containers it creates. */
export const COMPOSE_LABELS = { project: 'com.docker.compose.project', service: 'com.docker.compose.service' } as const;

export const IMAGE_REPOSITORY_PREFIX = 'local-dev';
export const HASH_LENGTH = 12;

/** Stable id of a workspace: the same checkout gets the same id on every run. */
export function workspaceId(workspaceRoot: string): string {
  return createHash('sha256').update(workspaceRoot).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * The compose project name: fixed per workspace, so `up`, `down` and the user's own
 * `docker compose -p <name> ps` always address the same containers.
 */
export function composeProjectName(workspaceRoot: string): string {
  return `local-dev-${workspaceId(workspaceRoot).slice(0, 8)}`;
}

export function imageRepository(service: string): string {
  return `${IMAGE_REPOSITORY_PREFIX}/${service}`;
}

export function imageName(service: string, inputHash: string): string {
  return `${imageRepository(service)}:${inputHash.slice(0, HASH_LENGTH)}`;
}

/**
 * The image's name in the team's registry: `<registry url>/<service>:<portable hash>` — the same
 * content has the same name on every laptop (the local tag above is this workspace's alone).
 */
export function registryReference(registryUrl: string, service: string, portableHash: string): string {
  return `${registryUrl.replace(/\/+$/, '')}/${service}:${portableHash}`;
}

/**
 * The variable docker-compose.yml reads a service's image from. `up` sets it to the image of the
 * current input hash; without it (a hand-run `docker compose up --build`) the `:latest` tag is used.
 */
export function imageVariable(service: string): string {
  return `LOCAL_DEV_IMAGE_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function imageLabels(workspaceRoot: string, service: string, inputHash: string, portableHash: string): Record<string, string> {
  return {
    [LABELS.service]: service,
    [LABELS.workspace]: workspaceId(workspaceRoot),
    [LABELS.inputHash]: inputHash.slice(0, HASH_LENGTH),
    [LABELS.portableHash]: portableHash,
  };
}

/** `--filter label=…` arguments selecting what this workspace created (optionally one service). */
export function workspaceFilter(workspaceRoot: string, service?: string): string[] {
  const filters = ['--filter', `label=${LABELS.workspace}=${workspaceId(workspaceRoot)}`];
  return service === undefined ? filters : [...filters, '--filter', `label=${LABELS.service}=${service}`];
}
