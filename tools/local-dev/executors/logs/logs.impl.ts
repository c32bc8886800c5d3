/** logs: print (or follow) the service's container output. */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import { exec } from '../../src/core/exec';
import { createServiceRunContext } from '../../src/core/run-context';
import { findServiceContainers } from '../../src/docker/containers';
import { composeProjectName } from '../../src/docker/naming';
import type { LogsExecutorSchema } from './schema';

export interface NormalizedLogsOptions {
  service: string;
  namespace: string | undefined;
  refresh: boolean;
  follow: boolean;
  tail: number;
}

export function normalizeOptions(options: LogsExecutorSchema): NormalizedLogsOptions {
  return { service: options.service, namespace: options.namespace, refresh: options.refresh ?? false, follow: options.follow ?? false, tail: options.tail ?? 200 };
}

/** Pure: the docker arguments for printing a container's logs. */
export function logsArgs(containerId: string, options: Pick<NormalizedLogsOptions, 'follow' | 'tail'>): string[] {
  return ['logs', ...(options.follow ? ['--follow'] : []), '--tail', String(options.tail), containerId];
}

export default async function logsExecutor(options: LogsExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const run = createServiceRunContext(context.root, normalized);
    const [container] = await findServiceContainers(composeProjectName(run.paths.root), run.service.name);
    if (!container) {
      throw new UsageError(`${run.service.name} has no container`, { fix: `start it: nx run ${run.service.name}:up` });
    }
    await exec('docker', logsArgs(container.id, normalized), {
      onOutput: (chunk, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
    });
  });
}
