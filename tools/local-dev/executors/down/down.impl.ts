/**
 * down: stop and remove the service's container (found by compose project + service label),
 * holding the service's lock: a `down` during another command's `up` of it waits, then stops it.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createServiceRunContext } from '../../src/core/run-context';
import { removeServiceContainers } from '../../src/docker/containers';
import { composeProjectName } from '../../src/docker/naming';
import { withServiceLock } from '../../src/docker/service-lock';
import type { DownExecutorSchema } from './schema';

export interface NormalizedDownOptions {
  service: string;
  namespace: string | undefined;
  refresh: boolean;
}

export function normalizeOptions(options: DownExecutorSchema): NormalizedDownOptions {
  return { service: options.service, namespace: options.namespace, refresh: options.refresh ?? false };
}

export default async function downExecutor(options: DownExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const run = createServiceRunContext(context.root, normalizeOptions(options));
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const service = run.service.name;
    const removed = await withServiceLock(run.paths, service, `down ${service}`, log, () => removeServiceContainers(composeProjectName(run.paths.root), service));
    log(removed > 0 ? `${service}: stopped and removed` : `${service}: not running — nothing to stop`);
  });
}
