/**
 * What `up`'s hash needs to know (./hashers.ts): whether each service's container runs as `up`
 * would start it — running, the image its build record names (logs/images/<service>.json, written
 * or restored by build-image) and the definition label docker-compose.yml gives it (written by
 * docker-compose:generate) — as settled tokens (./settled.ts), so `up` is a cache hit exactly when
 * there is nothing to start, including on the first run after the one that started it. A container
 * the dev target synced files into (src/live/state.ts) is never "nothing to start": `up` replaces
 * it, so its `up` is never a cache hit while it holds them, even when image and definition match
 * (an edit synced, then reverted in the clone: the image is current, the container is not).
 *
 * One look at the engine (a list of the workspace's containers) per hashing round, for every
 * service; each service's `up` is hashed with its own token only, so one service's change makes
 * only that service's `up` miss.
 *
 * Only THIS workspace's containers count (label io.local-dev.workspace): another checkout running
 * the same service names must not make this one's `up` look done.
 */
import { serviceDefinitions } from '../compose/check';
import { readTextIfExists } from '../core/read-if-exists';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { readBuildRecordImage } from '../docker/build-record';
import { LABELS, workspaceId } from '../core/naming';
import { listContainers } from '../docker/queries';
import { holdsSyncedFiles } from '../live/state';
import { printedToken, settle, type Observation } from './settled';

/** What the engine says of one container of the workspace. */
export interface ObservedContainer {
  id: string;
  image: string;
  state: string;
  service: string;
  definition: string;
}

/** What `up` would start: the image and the definition, each missing when not known (yet). */
export interface WantedService {
  image?: string;
  definition?: string;
}

/**
 * Pure: one service's observation from its containers and what is wanted. `synced`: the ids of
 * containers that hold files the dev target synced into them.
 */
export function observeService(service: string, containers: ObservedContainer[], wanted: WantedService, synced: ReadonlySet<string> = new Set()): Observation {
  const own = containers.filter((container) => container.service === service).sort((a, b) => a.id.localeCompare(b.id));
  const seen =
    own.length === 0
      ? 'no container'
      : own
          .map(
            (container) => `${container.id} ${container.state} ${container.image} ${container.definition}${synced.has(container.id) ? ' + synced files' : ''}`,
          )
          .join('; ');
  const text = `${service}: ${seen}; wanted ${wanted.image ?? '(no build record)'} ${wanted.definition ?? '(not in docker-compose.yml)'}`;
  const satisfied =
    own.length === 1 &&
    wanted.image !== undefined &&
    wanted.definition !== undefined &&
    own[0].state === 'running' &&
    own[0].image === wanted.image &&
    own[0].definition === wanted.definition &&
    !synced.has(own[0].id);
  return { text, satisfied };
}

/** Every container of the workspace (or of one service), as the engine reports them now. */
export async function workspaceContainers(root: string, service?: string): Promise<ObservedContainer[]> {
  const labels = [`${LABELS.workspace}=${workspaceId(root)}`, ...(service === undefined ? [] : [`${LABELS.service}=${service}`])];
  const containers = await listContainers(labels, [LABELS.service, LABELS.definition]);
  return containers.map((container) => ({
    id: container.id,
    image: container.image,
    state: container.state,
    service: container.labels[LABELS.service],
    definition: container.labels[LABELS.definition],
  }));
}

/** The definition each service has in docker-compose.yml now (none when the file is missing or not YAML). */
function composeDefinitions(paths: WorkspacePaths): Record<string, unknown> {
  const text = readTextIfExists(paths.composeFile);
  if (text === undefined) return {};
  try {
    return serviceDefinitions(text);
  } catch {
    return {};
  }
}

function wantedOf(paths: WorkspacePaths, service: string, definitions: Record<string, unknown>): WantedService {
  const definition = definitions[service];
  return { image: readBuildRecordImage(paths, service), definition: typeof definition === 'string' ? definition : undefined };
}

export function upKey(service: string): string {
  return `up-${service}`;
}

/** The ids of the containers that hold files the dev target synced into them (their services' live records). */
function syncedContainers(paths: WorkspacePaths, containers: ObservedContainer[]): Set<string> {
  return new Set(containers.filter((container) => holdsSyncedFiles(paths, container.service, container.id)).map((container) => container.id));
}

/** Each service's settled or attempt token, from one look at the engine. */
export async function upStateTokens(root: string, services: string[]): Promise<Record<string, string>> {
  const paths = workspacePaths(root);
  const containers = await workspaceContainers(root);
  const definitions = composeDefinitions(paths);
  const synced = syncedContainers(paths, containers);
  return Object.fromEntries(
    services.map((service) => [
      service,
      printedToken(root, upKey(service), observeService(service, containers, wantedOf(paths, service, definitions), synced)),
    ]),
  );
}

/** After `up` of `service` succeeded: records the state it left under the token it ran with. */
export async function settleUp(root: string, service: string): Promise<void> {
  const paths = workspacePaths(root);
  const containers = await workspaceContainers(root, service);
  settle(root, upKey(service), observeService(service, containers, wantedOf(paths, service, composeDefinitions(paths)), syncedContainers(paths, containers)));
}
