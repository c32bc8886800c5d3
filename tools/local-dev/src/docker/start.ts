/**
 * Starting one service, as the up executor does it, all of it holding the service's lock (so a
 * second `up` or a `down` of the same service in another command waits; see service-lock.ts):
 *   image for the current input hash (built if missing) → already running with that image and
 *   definition? → else docker-compose.yml is this run's?, port preflight, network,
 *   `compose up -d --no-deps --no-build <service>` → wait for the healthcheck.
 * The "already current" check costs one `docker ps`, so a no-op `up` never spawns compose.
 */
import { readFileSync } from 'node:fs';
import { composeFileMismatch, headerNamespace } from '../compose/check';
import { composeDocument } from '../compose/document';
import { DockerError, UsageError } from '../core/errors';
import type { ServiceRunContext } from '../core/run-context';
import { detectCompose } from './client';
import { addressReachable, composeUp, containerAddress, ensureNetwork, findServiceContainers, isCurrent, publishedHostPort } from './containers';
import { NONE_GRACE_MS, waitUntilHealthy, type HealthEndpoint, type HealthTarget } from './health';
import { checkHostPorts } from './ports';
import { ensureImage } from './image';
import { composeProjectName, imageVariable, LABELS, workspaceId } from './naming';
import { withNetworkLock, withServiceLock } from './service-lock';

export interface StartResult {
  image: string;
  built: boolean;
  /** False when the running container was already current and compose was not run. */
  started: boolean;
}

export function startService(run: ServiceRunContext, log: (line: string) => void): Promise<StartResult> {
  return withServiceLock(run.paths, run.service.name, `up ${run.service.name}`, log, () => startUnderLock(run, log));
}

async function startUnderLock(run: ServiceRunContext, log: (line: string) => void): Promise<StartResult> {
  const { service } = run;
  const ensured = await ensureImage(run, log);
  const project = composeProjectName(run.paths.root);
  const entry = composeDocument(run.model, { namespace: run.namespace, workspaceId: workspaceId(run.paths.root) }).services[service.name];
  const definition = entry.labels[LABELS.definition];
  const running = (await findServiceContainers(project, service.name)).find((container) => container.state === 'running');
  let started = false;
  if (isCurrent(running, ensured.image, definition)) {
    log(`${service.name}: already running ${ensured.image}`);
  } else {
    const composeText = await checkedComposeFile(run, definition);
    await checkHostPorts(service, running?.id, workspaceId(run.paths.root));
    await withNetworkLock(run.paths, run.model.network, log, () => ensureNetwork(run.model.network, workspaceId(run.paths.root)));
    log(`${service.name}: starting ${ensured.image}${running ? ' (replacing the outdated container)' : ''}`);
    const compose = await detectCompose();
    await composeUp({ compose, project, projectDirectory: run.paths.root, composeText, env: { [imageVariable(service.name)]: ensured.image } }, service.name);
    started = true;
  }
  const container = (await findServiceContainers(project, service.name)).find((candidate) => candidate.image === ensured.image);
  if (!container) throw new Error(`compose reported success but no container of ${service.name} runs ${ensured.image}`);
  await waitUntilHealthy(healthTarget(run, container.id));
  log(`${service.name}: healthy${describeCheck(run)}`);
  return { image: ensured.image, built: ensured.built, started };
}

/**
 * How long `up` waits for docker-compose.yml to become this run's again when it is missing or not
 * whole: another run's `docker-compose:generate` that is an Nx cache hit restores the file by
 * deleting it and copying it back (not atomically), so an overlapping run can catch it half way.
 */
const COMPOSE_FILE_SETTLE_MS = 3000;

/** docker-compose.yml's text, once checked to be this run's (compose/check.ts); compose gets exactly this. */
async function checkedComposeFile(run: ServiceRunContext, definition: string): Promise<string> {
  const deadline = Date.now() + COMPOSE_FILE_SETTLE_MS;
  for (;;) {
    const text = readIfExists(run.paths.composeFile);
    const mismatch = text === undefined ? 'missing' : composeFileMismatch(text, { namespace: run.namespace, service: run.service.name, definition });
    if (mismatch === undefined) return text as string;
    // Another namespace's run wrote it: waiting would not change that.
    const otherNamespace = text !== undefined && headerNamespace(text) !== undefined && headerNamespace(text) !== run.namespace;
    if (otherNamespace || Date.now() >= deadline) {
      if (text === undefined) {
        throw new UsageError('docker-compose.yml has not been generated', { fix: 'run nx run docker-compose:generate (nx run <service>:up does it for you)' });
      }
      throw new UsageError(`not starting ${run.service.name}: ${mismatch}`, {
        fix: `run again with one namespace at a time (nx run-many -t up --namespace=${run.namespace}); it regenerates docker-compose.yml`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Where the healthcheck connects. Why not simply the published host port: docker-proxy (and
 * Docker Desktop's forwarder) accepts on it before the app inside listens, so a TCP check there
 * passes at once. The container's own address on the network gives the true answer, and is
 * used whenever this machine reaches it (Linux with a local engine); otherwise the published port
 * is the fallback, with the proxy-aware TCP check (see probeTcp). HTTP needs an answer from the
 * app either way.
 */
function healthTarget(run: ServiceRunContext, containerId: string): HealthTarget {
  const check = run.service.healthcheck;
  const endpoint = async (): Promise<HealthEndpoint> => {
    if (check.type === 'none') return { host: '', port: 0, viaProxy: false };
    const address = await containerAddress(containerId, run.model.network);
    const published = publishedHostPort(run.service, check.port);
    if (address && (!published || (await addressReachable(address, check.port)))) return { host: address, port: check.port, viaProxy: false };
    if (published) return { ...published, viaProxy: true };
    throw new DockerError(`${run.service.name}'s container has no address on network ${run.model.network}, and port ${check.port} is not published`, {
      fix: `publish port ${check.port} of ${run.service.name} in repos_docker_files/config.yaml so the healthcheck can reach it`,
    });
  };
  return { service: run.service.name, containerId, healthcheck: check, endpoint };
}

function describeCheck(run: ServiceRunContext): string {
  const check = run.service.healthcheck;
  if (check.type === 'http') return ` (GET ${check.path} on port ${check.port})`;
  if (check.type === 'tcp') return ` (port ${check.port} accepts)`;
  return ` (still running after ${NONE_GRACE_MS / 1000} s)`;
}
