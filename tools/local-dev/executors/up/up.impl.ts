/**
 * up: start the service's container (after its depends-on services and the tunnel, which Nx runs
 * first) and finish only when its healthcheck passes; see src/docker/start.ts. Builds the image first when the one
 * for the current input hash is missing (e.g. deleted after build-image's Nx cache hit).
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createServiceRunContext } from '../../src/core/run-context';
import { startService } from '../../src/docker/start';
import type { UpExecutorSchema } from './schema';

export interface NormalizedUpOptions {
  service: string;
  namespace: string | undefined;
  refresh: boolean;
}

export function normalizeOptions(options: UpExecutorSchema): NormalizedUpOptions {
  return { service: options.service, namespace: options.namespace, refresh: options.refresh ?? false };
}

export default async function upExecutor(options: UpExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const run = createServiceRunContext(context.root, normalizeOptions(options));
    await startService(run, (line) => process.stdout.write(`${line}\n`));
  });
}
