/**
 * tunnel-status: print the Redis tunnel's state as the supervisor last wrote it, checked against
 * the living processes (a dead supervisor is reported as stale, never as healthy). Printing is the
 * job, so an unhealthy tunnel still succeeds; `--json` gives the raw reading for scripts.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { workspacePaths } from '../../src/core/workspace';
import { readTunnelState } from '../../src/tunnel/state';
import { formatTunnelStatus } from '../../src/tunnel/status';
import type { TunnelStatusExecutorSchema } from './schema';

export interface NormalizedTunnelStatusOptions {
  json: boolean;
  /** Only set when the user named one: then a tunnel for another namespace gets a note. */
  namespace: string | undefined;
}

export function normalizeOptions(options: TunnelStatusExecutorSchema): NormalizedTunnelStatusOptions {
  return { json: options.json ?? false, namespace: options.namespace };
}

export default async function tunnelStatusExecutor(options: TunnelStatusExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const reading = readTunnelState(workspacePaths(context.root));
    const text = normalized.json ? JSON.stringify(reading, null, 2) : formatTunnelStatus(reading, new Date(), normalized.namespace);
    process.stdout.write(`${text}\n`);
  });
}
