/**
 * tunnel-up: make sure the supervised Redis tunnel for the run's namespace is up and answers PING.
 * Reuses a healthy tunnel, switches one that points at another namespace, starts one otherwise
 * (see src/tunnel/control.ts). Every service's `up` depends on this target.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createRunContext } from '../../src/core/run-context';
import { DEFAULT_WAIT_MS, ensureTunnel } from '../../src/tunnel/control';
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
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const run = createRunContext(context.root, normalized);
    await ensureTunnel(run, {
      reconnect: normalized.reconnect,
      timeoutMs: DEFAULT_WAIT_MS,
      report: (line) => process.stdout.write(`${line}\n`),
    });
  });
}
