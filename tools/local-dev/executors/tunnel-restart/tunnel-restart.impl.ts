import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { TunnelRestartExecutorSchema } from './schema';

export default async function tunnelrestartExecutor(options: TunnelRestartExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`tunnel-restart is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
