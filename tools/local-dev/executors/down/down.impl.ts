/** down: stop and remove the service's container (found by compose project + service label). */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createServiceRunContext } from '../../src/core/run-context';
import { removeServiceContainers } from '../../src/docker/containers';
import { composeProjectName } from '../../src/docker/naming';
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
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const run = createServiceRunContext(context.root, normalizeOptions(options));
    const removed = await removeServiceContainers(composeProjectName(run.paths.root), run.service.name);
    process.stdout.write(removed > 0 ? `${run.service.name}: stopped and removed\n` : `${run.service.name}: not running — nothing to stop\n`);
  });
}
