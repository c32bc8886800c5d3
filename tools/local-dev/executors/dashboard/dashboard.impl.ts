/**
 * dashboard: the web dashboard on 127.0.0.1:<port>, started in the background (src/dashboard/),
 * or the running one reused. Ends at once; `stack:stop` stops the dashboard.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import { DEFAULT_PORT, startDashboard } from '../../src/dashboard/daemon';
import { openWorkspace } from '../../src/stack/gather';
import type { DashboardExecutorSchema } from './schema';

export interface NormalizedDashboardOptions {
  port: number;
  namespace: string | undefined;
}

export function normalizeOptions(options: DashboardExecutorSchema): NormalizedDashboardOptions {
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port=${String(options.port)} is not a TCP port`, { fix: `a whole number from 1 to 65535 (default ${DEFAULT_PORT})` });
  return { port, namespace: options.namespace };
}

export default async function dashboardExecutor(options: DashboardExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    // Refuses a bad --namespace here, before anything starts.
    const { paths } = openWorkspace(context.root, normalized.namespace);
    const { state, reused } = await startDashboard(paths, normalized, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`dashboard ${reused ? 'already running' : 'started'} (pid ${state.pid}): ${state.url}\n`);
  });
}
