/**
 * tunnel-restart: force the Redis tunnel to reconnect (a fresh kubectl), for when a user suspects
 * it even though it reports healthy. Starts the tunnel when none runs; waits for a PING either way.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createRunContext } from '../../src/config/run-context';
import { DEFAULT_WAIT_MS, ensureTunnel } from '../../src/tunnel/control';
import type { TunnelRestartExecutorSchema } from './schema';

export interface NormalizedTunnelRestartOptions {
  namespace: string | undefined;
  refresh: boolean;
}

export function normalizeOptions(options: TunnelRestartExecutorSchema): NormalizedTunnelRestartOptions {
  return { namespace: options.namespace, refresh: options.refresh ?? false };
}

export default async function tunnelRestartExecutor(options: TunnelRestartExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const run = createRunContext(context.root, normalizeOptions(options));
    await ensureTunnel(run, { reconnect: true, timeoutMs: DEFAULT_WAIT_MS, report: (line) => process.stdout.write(`${line}\n`) });
  });
}
