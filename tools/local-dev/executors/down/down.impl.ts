/**
 * down: stop and remove the service's container (found by compose project + service label),
 * holding the service's lock: a `down` during another command's `up` of it waits, then stops it.
 * A logs/ that refuses the lock file (read-only, full) does not keep the container running: it is
 * removed without the lock, and that is said after, as a warning.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { unwrittenWarning } from '../../src/core/lock';
import { createServiceRunContext } from '../../src/config/run-context';
import { removeServiceContainers } from '../../src/docker/containers';
import { composeProjectName } from '../../src/core/naming';
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
    const unwritten: string[] = [];
    const removed = await withServiceLock(
      run.paths,
      service,
      `down ${service}`,
      log,
      () => removeServiceContainers(composeProjectName(run.paths.root), service),
      (problem) => unwritten.push(problem),
    );
    log(removed > 0 ? `${service}: stopped and removed` : `${service}: not running — nothing to stop`);
    const warning = unwrittenWarning(`${context.projectName}:${context.targetName}`, unwritten);
    if (warning) process.stderr.write(`${warning}\n`);
  });
}
