/**
 * restart: restart the stack's containers (or the named services'), each holding its service's
 * lock and waiting until its healthcheck passes again, then force the Redis tunnel to reconnect
 * (the same code as `nx run redis-tunnel:restart`). `docker restart` also starts a container that
 * stopped or was killed, so this brings a crashed service back on the image it had; a service
 * without any container is refused up front with the command that starts it.
 *
 * A logs/ that refuses writes (read-only, full) does not keep the containers from restarting: the
 * service locks are gone without (src/core/lock.ts withLockIfWritable) and `unwritable` hears it.
 * The tunnel cannot reconnect without writing its state; that is then said as what it is.
 */
import type { WorkspaceModel } from '../config/model';
import { TunnelError, UsageError } from '../core/errors';
import { isWriteRefused } from '../core/lock';
import type { WorkspacePaths } from '../core/workspace';
import { healthEndpoint } from '../docker/containers';
import { waitUntilHealthy } from '../docker/health';
import { withServiceLock } from '../docker/service-lock';
import { DEFAULT_WAIT_MS, ensureTunnel } from '../tunnel/control';
import { docker, workspaceContainers, type LabelledContainer } from '../docker/cli';

export interface RestartRequest {
  paths: WorkspacePaths;
  model: WorkspaceModel;
  namespace: string;
  /** The services to restart, in config order. */
  services: string[];
  /** Whether the user named them (then each must have a container). */
  named: boolean;
  tunnel: boolean;
  log: (line: string) => void;
  /** Given: a logs/ that refuses the service locks does not stop the restart; this hears each, for the caller to say after the work. */
  unwritable?: (problem: string) => void;
}

/** Pure: which services to restart, and the refusal when a named one (or all of them) has no container. */
export function planRestart(services: readonly string[], named: boolean, containers: readonly LabelledContainer[]): { restart: string[]; missing: string[] } {
  const have = new Set(containers.map((container) => container.service));
  const restart = services.filter((service) => have.has(service));
  const missing = services.filter((service) => !have.has(service));
  if (restart.length === 0 || (named && missing.length > 0)) {
    const which =
      restart.length === 0 && !named
        ? 'no service of this workspace has a container'
        : `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no container`;
    throw new UsageError(`${which} to restart — nothing was restarted`, {
      fix:
        restart.length === 0 && !named
          ? 'start the stack first: `make run` (or `npx nx run-many -t up`)'
          : `start ${missing.length === 1 ? 'it' : 'them'}: ${missing.map((service) => `\`nx run ${service}:up\``).join(', ')}`,
    });
  }
  return { restart, missing };
}

export async function restartStack(request: RestartRequest): Promise<void> {
  const { paths, model, log } = request;
  const { restart, missing } = planRestart(request.services, request.named, await workspaceContainers(paths.root));
  for (const name of restart) {
    const service = model.services.find((candidate) => candidate.name === name);
    if (!service) throw new Error(`model invariant broken: no service ${name}`);
    await withServiceLock(
      paths,
      name,
      `restart ${name}`,
      log,
      async () => {
        const containers = (await workspaceContainers(paths.root)).filter((container) => container.service === name);
        if (containers.length === 0) throw new UsageError(`${name}: its container was removed meanwhile`, { fix: `\`nx run ${name}:up\`` });
        await docker(['restart', ...containers.map((container) => container.id)], 120_000);
        log(`${name}: restarted, waiting until healthy …`);
        for (const container of containers)
          await waitUntilHealthy({
            service: name,
            containerId: container.id,
            healthcheck: service.healthcheck,
            endpoint: () => healthEndpoint(service, container.id, model.network),
          });
        log(`${name}: healthy`);
      },
      request.unwritable,
    );
  }
  if (missing.length > 0) log(`not started, so not restarted: ${missing.join(', ')}`);
  if (request.tunnel) {
    try {
      await ensureTunnel({ paths, model, namespace: request.namespace }, { reconnect: true, timeoutMs: DEFAULT_WAIT_MS, report: log });
    } catch (error) {
      if (!isWriteRefused(error)) throw error;
      throw new TunnelError(`the Redis tunnel was not reconnected: logs/ refuses the writes it needs (${(error as Error).message})`, {
        fix: `make logs/ writable again (free disk space, or make it read-write), then \`nx run redis-tunnel:restart\`${restart.length > 0 ? ` (${restart.join(', ')} did restart)` : ''}`,
        cause: error,
      });
    }
  }
}
