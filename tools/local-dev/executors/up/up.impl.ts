/**
 * up: start the service's container (after its depends-on services and the tunnel, which Nx runs
 * first) and finish only when its healthcheck passes; see src/tasks/start.ts. Builds the image first when the one
 * for the current input hash is missing (e.g. deleted after build-image's Nx cache hit).
 *
 * Then, when Redis is not reachable, the run says so with the reason and the fix (once per run,
 * at the end of the up batch: see up.batch.ts): tunnel-up's own warning is a collapsed line by then.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createRunContext, createServiceRunContext } from '../../src/config/run-context';
import { firstTimeInRun } from '../../src/core/run-record';
import { startService } from '../../src/tasks/start';
import { readTunnelState } from '../../src/tunnel/state';
import { formatRedisNotice } from '../../src/tunnel/status';
import type { UpExecutorSchema } from './schema';

export interface NormalizedUpOptions {
  service: string;
  namespace: string | undefined;
  refresh: boolean;
}

export function normalizeOptions(options: UpExecutorSchema): NormalizedUpOptions {
  return { service: options.service, namespace: options.namespace, refresh: options.refresh ?? false };
}

/** One service's up, as a task of the up batch. */
export async function startOne(options: UpExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const run = createServiceRunContext(context.root, normalizeOptions(options));
    await startService(run, (line) => process.stdout.write(`${line}\n`));
  });
}

/** The notice that the services run without Redis, with why and the fix; nothing when Redis is healthy or the run said it already. */
export async function sayIfRedisUnreachable(root: string, namespace: string | undefined): Promise<void> {
  await runAtEdge('up', async () => {
    const run = createRunContext(root, { namespace });
    const notice = formatRedisNotice(readTunnelState(run.paths), new Date(), run.namespace);
    if (notice !== undefined && (await firstTimeInRun(root, 'redis-not-reachable'))) process.stderr.write(`${notice}\n`);
  });
}

/** up outside a batch (Nx's --batch=false): the service, then the notice in its own output. */
export default async function upExecutor(options: UpExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  const result = await startOne(options, context);
  await sayIfRedisUnreachable(context.root, options.namespace);
  return result;
}
