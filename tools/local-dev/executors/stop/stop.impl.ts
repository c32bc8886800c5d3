/**
 * stop: every local-dev container of this workspace down, the tunnel stopped, the network removed
 * when empty (src/stack/stop.ts), then the dashboard ended (src/dashboard/daemon.ts). Stopping what
 * is already stopped is not an error. A logs/ that refuses writes stops nothing from being freed:
 * what could not be written is said last, as a warning.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { isWriteRefused, unwrittenWarning } from '../../src/core/lock';
import { stopDashboard } from '../../src/dashboard/daemon';
import { openWorkspace } from '../../src/stack/gather';
import { stopStack } from '../../src/stack/stop';
import type { StopExecutorSchema } from './schema';

export default async function stopExecutor(options: StopExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  const task = `${context.projectName}:${context.targetName}`;
  return runAtEdge(task, async () => {
    const workspace = openWorkspace(context.root, options.namespace);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const { unwritten } = await stopStack(workspace.paths, workspace.model, log);
    // After the stack: an engine that does not answer stops `stop` before anything is touched.
    try {
      await stopDashboard(workspace.paths, log);
    } catch (error) {
      // Its one write is removing its state file, after the dashboard has ended.
      if (!isWriteRefused(error)) throw error;
      unwritten.push(`removing the dashboard's state file (${(error as Error).message})`);
    }
    const warning = unwrittenWarning(task, unwritten);
    if (warning) process.stderr.write(`${warning}\n`);
  });
}
