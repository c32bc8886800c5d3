/**
 * Starting one service, as the up executor does it, all of it holding the service's lock (so a
 * second `up` or a `down` of the same service in another command waits; see ../docker/service-lock.ts):
 *   image for the current input hash (built if missing) → already running with that image and
 *   definition, holding no files the dev target synced into it (../live/state.ts)? → else
 *   docker-compose.yml is this run's?, port preflight, network, then one `docker start` of its
 *   stopped, current container (no synced files) or one `docker run` of its compose entry
 *   (../docker/run-container.ts; with `live.restart`, under the live supervisor when the image's
 *   command runs through a shell: ../docker/live-supervisor.ts) → wait for the healthcheck →
 *   settle the up state Nx hashes (../runtime-state/up-state.ts).
 * The "already current" check costs one request to the engine; no compose process is started at all.
 * It lives in tasks/ (the floor above the libraries): it uses docker, compose and runtime-state,
 * and none of them calls it.
 */
import { composeFileMismatch, headerNamespace } from '../compose/check';
import { composeDocument, type ComposeService } from '../compose/document';
import { UsageError } from '../core/errors';
import { readTextIfExists } from '../core/read-if-exists';
import type { ServiceRunContext } from '../config/run-context';
import { ensureNetwork, findServiceContainers, healthEndpoint } from '../docker/containers';
import { waitUntilHealthy, type HealthTarget } from '../docker/health';
import { checkHostPorts } from '../docker/ports';
import { ensureImage } from '../docker/image';
import { composeProjectName, LABELS, workspaceId } from '../core/naming';
import { settleUp } from '../runtime-state/up-state';
import { startExisting } from '../docker/queries';
import { removeContainers, runContainer, startPlan, type StartPlan, type SyncedContainer } from '../docker/run-container';
import type { ContainerInfo } from '../docker/containers';
import { readLiveState } from '../live/state';
import * as path from 'node:path';
import { copySecretsIn } from '../docker/secrets-at-up';
import { imageCommand, supervisableCommand } from '../docker/live-supervisor';
import type { SecretCopy } from '../docker/shareability';
import type { WorkspacePaths } from '../core/workspace';
import { withNetworkLock, withServiceLock } from '../docker/service-lock';

export interface StartResult {
  image: string;
  built: boolean;
  /** False when the running container was already current and left alone. */
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
  const existing = await findServiceContainers(project, service.name);
  const plan = startPlan(existing, ensured.image, definition, syncedContainer(run.paths, service.name, existing));
  let containerId: string;
  if (plan.action === 'keep') {
    log(`${service.name}: already running ${ensured.image}`);
    containerId = plan.id;
  } else {
    await checkedComposeFile(run, definition);
    const running = existing.find((container) => container.state === 'running');
    await checkHostPorts(service, running?.id, workspaceId(run.paths.root));
    await networkOnce(run, log);
    containerId = await startContainer(
      run,
      plan,
      { project, image: ensured.image, entry, replacing: running !== undefined, secretCopies: ensured.secretCopies },
      log,
    );
  }
  await waitUntilHealthy(healthTarget(run, containerId));
  log(`${service.name}: healthy${describeCheck(run)}`);
  // So the next run's hash of this state finds this run in Nx's cache (src/runtime-state/settled.ts).
  await settleUp(run.paths.root, service.name);
  return { image: ensured.image, built: ensured.built, started: plan.action !== 'keep' };
}

/** The service's container that holds files the dev target synced into it (a live record names at most one). */
function syncedContainer(paths: WorkspacePaths, service: string, containers: ContainerInfo[]): SyncedContainer | undefined {
  for (const container of containers) {
    const live = readLiveState(paths, service, container.id);
    if (live.kind === 'live') return { id: container.id, files: live.files };
  }
  return undefined;
}

/**
 * The shared network, made when missing, once per process: the `up`s of a batch run in one
 * process, and each asking again (a lock, then a `docker network ls`) queued them one behind the
 * other for nothing. A network removed after that (stack:stop of another command) makes
 * startContainer's `docker run` fail with the engine's message, as before.
 */
const ensuredNetworks = new Map<string, Promise<void>>();
function networkOnce(run: ServiceRunContext, log: (line: string) => void): Promise<void> {
  const key = `${run.paths.root}\0${run.model.network}`;
  let ensured = ensuredNetworks.get(key);
  if (!ensured) {
    ensured = withNetworkLock(run.paths, run.model.network, log, () => ensureNetwork(run.model.network, workspaceId(run.paths.root)));
    // A failure is not remembered: the next service asks again.
    ensured.catch(() => ensuredNetworks.delete(key));
    ensuredNetworks.set(key, ensured);
  }
  return ensured;
}

/** Carries out a plan other than "keep": starts the stopped container, or creates a fresh one. Returns its id. */
async function startContainer(
  run: ServiceRunContext,
  plan: Exclude<StartPlan, { action: 'keep' }>,
  target: { project: string; image: string; entry: ComposeService; replacing: boolean; secretCopies: SecretCopy[] },
  log: (line: string) => void,
): Promise<string> {
  const { service } = run;
  let remove = plan.action === 'create' ? plan.remove : [];
  if (plan.action === 'restart-stopped') {
    log(`${service.name}: starting its stopped container (${target.image})`);
    const restarted = await startExisting(plan.id);
    if (restarted.ok) return plan.id;
    // E.g. its network was removed and made again since: a fresh container joins the new one.
    log(`${service.name}: the engine could not start it (${restarted.reason}); creating it afresh`);
    remove = [plan.id];
  } else if (plan.replacesSynced) {
    log(`${service.name}: starting ${target.image} (replacing the container the dev target synced files into)`);
  } else {
    log(`${service.name}: starting ${target.image}${target.replacing ? ' (replacing the outdated container)' : ''}`);
  }
  await removeContainers(service.name, remove);
  const copies = target.secretCopies;
  const copyIn = copies.length > 0 ? (id: string) => copySecretsIn(service.name, id, path.join(run.paths.cloned, service.dir), copies) : undefined;
  const supervise = service.live?.restart ? supervisableCommand(await imageCommand(target.image)) : undefined;
  const id = await runContainer(
    { project: target.project, service: service.name, projectDirectory: run.paths.root, image: target.image, entry: target.entry, supervise },
    copyIn,
  );
  if (plan.action === 'create' && plan.replacesSynced) {
    const { files } = plan.replacesSynced;
    log(`${service.name}: held ${files} synced file${files === 1 ? '' : 's'}; recreated from its image`);
  }
  return id;
}

/**
 * How long `up` waits for docker-compose.yml to become this run's again when it is missing or not
 * whole: another run's `docker-compose:generate` that is an Nx cache hit restores the file by
 * deleting it and copying it back (not atomically), so an overlapping run can catch it half way.
 */
const COMPOSE_FILE_SETTLE_MS = 3000;

/**
 * docker-compose.yml's text, once checked to be this run's (compose/check.ts). The container is
 * made from the entry whose definition hash the check compared, so it is what the file says.
 */
async function checkedComposeFile(run: ServiceRunContext, definition: string): Promise<string> {
  const deadline = Date.now() + COMPOSE_FILE_SETTLE_MS;
  for (;;) {
    const text = readTextIfExists(run.paths.composeFile);
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

function healthTarget(run: ServiceRunContext, containerId: string): HealthTarget {
  return {
    service: run.service.name,
    containerId,
    healthcheck: run.service.healthcheck,
    endpoint: () => healthEndpoint(run.service, containerId, run.model.network),
  };
}

function describeCheck(run: ServiceRunContext): string {
  const check = run.service.healthcheck;
  if (check.type === 'http') return ` (GET ${check.path} on port ${check.port})`;
  if (check.type === 'tcp') return ` (port ${check.port} accepts)`;
  return ' (running; no healthcheck to wait for)';
}
