/**
 * stop: every container of THIS workspace down (found by its io.local-dev.workspace label, so
 * another checkout's and the user's own containers are never touched), the Redis tunnel stopped,
 * and the shared network removed when nothing is attached to it any more and local-dev created it.
 *
 * Each service's containers are removed holding that service's lock (src/docker/service-lock.ts),
 * so a `stop` during an `up` waits for it, then stops what it started.
 *
 * Stopping never needs a record written first: when logs/ refuses writes (read-only, full), the
 * locks are gone without (src/core/lock.ts withLockIfWritable) and the tunnel's state is left as
 * it was; what was not written comes back in the report, for the caller to say after everything
 * is stopped.
 */
import type { WorkspaceModel } from '../config/model';
import type { WorkspacePaths } from '../core/workspace';
import { LABELS } from '../core/naming';
import { withNetworkLock, withServiceLock } from '../docker/service-lock';
import { stopTunnel } from '../tunnel/control';
import { docker, parseJsonLines, workspaceContainers } from '../docker/cli';

export interface StopReport {
  /** Services whose containers were removed (a service label of '' is a container without one). */
  removed: string[];
  network: 'removed' | 'absent' | 'in-use' | 'not-ours';
  /** The locks and records logs/ refused (see the header); empty when it refused none. */
  unwritten: string[];
}

/**
 * Pure: container ids grouped by service label, in stopping order: services of config.yaml last
 * first (dependents before what they depend on, as compose stops them), then the rest.
 */
export function groupByService(containers: readonly { id: string; service: string }[], configOrder: readonly string[]): Map<string, string[]> {
  const rank = (service: string) => {
    const index = configOrder.indexOf(service);
    return index === -1 ? -1 : index;
  };
  const services = [...new Set(containers.map((container) => container.service))].sort((a, b) => rank(b) - rank(a));
  return new Map(services.map((service) => [service, containers.filter((container) => container.service === service).map((container) => container.id)]));
}

export async function stopStack(paths: WorkspacePaths, model: Pick<WorkspaceModel, 'network' | 'services'>, log: (line: string) => void): Promise<StopReport> {
  const { network } = model;
  // Asking Docker first: with no engine, this fails before anything (the tunnel too) is touched.
  const groups = groupByService(
    await workspaceContainers(paths.root),
    model.services.map((service) => service.name),
  );
  const removed: string[] = [];
  const unwritten: string[] = [];
  const cannotWrite = (problem: string) => unwritten.push(problem);
  for (const service of groups.keys()) {
    const count = await withServiceLock(
      paths,
      service || 'unlabelled',
      `stop ${service}`,
      log,
      async () => {
        // Listed again under the lock: an `up` that held it may have replaced the container.
        const ids = service ? (await workspaceContainers(paths.root, { service })).map((container) => container.id) : (groups.get(service) ?? []);
        if (ids.length > 0) await docker(['rm', '--force', ...ids], 60_000);
        return ids.length;
      },
      cannotWrite,
    );
    if (count > 0) {
      removed.push(service);
      log(`${service || '(unlabelled container)'}: stopped and removed`);
    }
  }
  if (removed.length === 0) log('no container of this workspace was running');
  await stopTunnel(paths, log, cannotWrite);
  const networkOutcome = await withNetworkLock(paths, network, log, () => removeNetworkIfUnused(network), cannotWrite);
  log(
    {
      removed: `network ${network}: removed (nothing attached any more)`,
      absent: `network ${network}: not there`,
      'in-use': `network ${network}: kept — other containers (another workspace's, or your own) are attached`,
      'not-ours': `network ${network}: kept — local-dev did not create it`,
    }[networkOutcome],
  );
  return { removed, network: networkOutcome, unwritten };
}

interface InspectedNetwork {
  Name?: string;
  Containers?: Record<string, unknown> | null;
  Labels?: Record<string, string> | null;
}

/** Pure: what to do with the network, given `docker network inspect` of it (undefined: none). */
export function networkDecision(inspected: InspectedNetwork | undefined): StopReport['network'] | 'remove' {
  if (!inspected) return 'absent';
  if (Object.keys(inspected.Containers ?? {}).length > 0) return 'in-use';
  if (!(inspected.Labels ?? {})[LABELS.workspace]) return 'not-ours';
  return 'remove';
}

async function removeNetworkIfUnused(network: string): Promise<StopReport['network']> {
  const listed = parseJsonLines<{ Name?: string; ID?: string }>(
    (await docker(['network', 'ls', '--no-trunc', '--filter', `name=${network}`, '--format', '{{json .}}'])).stdout,
  );
  // The name filter matches substrings; several networks of one name are possible (see ensureNetwork).
  let outcome: StopReport['network'] = 'absent';
  for (const entry of listed.filter((candidate) => candidate.Name === network)) {
    const [inspected] = JSON.parse((await docker(['network', 'inspect', entry.ID ?? network])).stdout) as InspectedNetwork[];
    const decision = networkDecision(inspected);
    if (decision === 'remove') {
      await docker(['network', 'rm', entry.ID ?? network]);
      if (outcome === 'absent') outcome = 'removed';
    } else {
      outcome = decision;
    }
  }
  return outcome;
}
