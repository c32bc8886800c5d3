/**
 * stop: every local-dev container of this workspace down, the tunnel stopped, the network removed
 * when empty (src/stack/stop.ts), then the dashboard ended (src/dashboard/daemon.ts). Stopping what
 * is already stopped is not an error.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { stopDashboard } from '../../src/dashboard/daemon';
import { openWorkspace } from '../../src/stack/gather';
import { stopStack } from '../../src/stack/stop';
import type { StopExecutorSchema } from './schema';

export default async function stopExecutor(options: StopExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const workspace = openWorkspace(context.root, options.namespace);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    await stopStack(workspace.paths, workspace.model, log);
    // After the stack: an engine that does not answer stops `stop` before anything is touched.
    await stopDashboard(workspace.paths, log);
  });
}
