/**
 * stop: every local-dev container of this workspace down, the tunnel stopped, the network removed
 * when empty (src/stack/stop.ts). Stopping what is already stopped is not an error.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { openWorkspace } from '../../src/stack/gather';
import { stopStack } from '../../src/stack/stop';
import type { StopExecutorSchema } from './schema';

export default async function stopExecutor(options: StopExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const workspace = openWorkspace(context.root, options.namespace);
    await stopStack(workspace.paths, workspace.model, (line) => process.stdout.write(`${line}\n`));
  });
}
