/**
 * tunnel-up: make sure the supervised Redis tunnel for the run's namespace is up and answers PING.
 * Reuses a healthy tunnel, switches one that points at another namespace, starts one otherwise
 * (see src/tunnel/control.ts). Every service's `up` depends on this target, so by default it is
 * best effort: a tunnel that cannot start or is still retrying is reported loudly and the target
 * succeeds, so the services still start. With `redis.required: true` in config.yaml it fails instead.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createRunContext } from '../../src/config/run-context';
import { settleTunnel } from '../../src/runtime-state/tunnel-state';
import { bringUpTunnel, DEFAULT_WAIT_MS } from '../../src/tunnel/control';
import { formatBestEffortWarning } from '../../src/tunnel/status';
import type { TunnelUpExecutorSchema } from './schema';

export interface NormalizedTunnelUpOptions {
  namespace: string | undefined;
  refresh: boolean;
  reconnect: boolean;
}

export function normalizeOptions(options: TunnelUpExecutorSchema): NormalizedTunnelUpOptions {
  return { namespace: options.namespace, refresh: options.refresh ?? false, reconnect: options.reconnect ?? false };
}

export default async function tunnelUpExecutor(options: TunnelUpExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const normalized = normalizeOptions(options);
    const run = createRunContext(context.root, normalized);
    const outcome = await bringUpTunnel(run, {
      reconnect: normalized.reconnect,
      timeoutMs: DEFAULT_WAIT_MS,
      report: (line) => process.stdout.write(`${line}\n`),
    });
    if (!outcome.healthy) process.stderr.write(`${formatBestEffortWarning(outcome.problem, outcome.reading)}\n`);
    // So the next run's hash of this state finds this run in Nx's cache (src/runtime-state/settled.ts).
    settleTunnel(run.paths.root);
  });
}
