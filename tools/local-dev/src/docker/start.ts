/**
 * Starting one service, as the up executor does it:
 *   image for the current input hash (built if missing) → already running with that image and
 *   definition? → else port preflight, network, `compose up -d --no-deps --no-build <service>` →
 *   wait for the healthcheck.
 * The "already current" check costs one `docker ps`, so a no-op `up` never spawns compose.
 */
import { existsSync } from 'node:fs';
import { composeDocument } from '../compose/document';
import { UsageError } from '../core/errors';
import type { ServiceRunContext } from '../core/run-context';
import { detectCompose } from './client';
import { checkHostPorts, composeUp, containerAddress, ensureNetwork, findServiceContainers, isCurrent, publishedHostPort } from './containers';
import { waitUntilHealthy, type HealthTarget } from './health';
import { ensureImage } from './image';
import { composeProjectName, imageVariable, LABELS, workspaceId } from './naming';

export interface StartResult {
  image: string;
  built: boolean;
  /** False when the running container was already current and compose was not run. */
  started: boolean;
}

export async function startService(run: ServiceRunContext, log: (line: string) => void): Promise<StartResult> {
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
    if (!existsSync(run.paths.composeFile)) {
      throw new UsageError('docker-compose.yml has not been generated', { fix: 'run nx run docker-compose:generate (nx run <service>:up does it for you)' });
    }
    await checkHostPorts(service, running !== undefined);
    await ensureNetwork(run.model.network, workspaceId(run.paths.root));
    log(`${service.name}: starting ${ensured.image}${running ? ' (replacing the outdated container)' : ''}`);
    await composeUp({ compose: await detectCompose(), project, composeFile: run.paths.composeFile, env: { [imageVariable(service.name)]: ensured.image } }, service.name);
    started = true;
  }
  const container = (await findServiceContainers(project, service.name)).find((candidate) => candidate.image === ensured.image);
  if (!container) throw new Error(`compose reported success but no container of ${service.name} runs ${ensured.image}`);
  await waitUntilHealthy(healthTarget(run, container.id));
  log(`${service.name}: healthy${describeCheck(run)}`);
  return { image: ensured.image, built: ensured.built, started };
}

function healthTarget(run: ServiceRunContext, containerId: string): HealthTarget {
  const check = run.service.healthcheck;
  const endpoint = async () => {
    if (check.type === 'none') return { host: '', port: 0 };
    // Not published: reach the container on its network address (works where the engine is local).
    return publishedHostPort(run.service, check.port) ?? { host: await containerAddress(containerId, run.model.network), port: check.port };
  };
  return { service: run.service.name, containerId, healthcheck: check, endpoint };
}

function describeCheck(run: ServiceRunContext): string {
  const check = run.service.healthcheck;
  if (check.type === 'http') return ` (GET ${check.path} on port ${check.port})`;
  if (check.type === 'tcp') return ` (port ${check.port} accepts)`;
  return ' (running)';
}
