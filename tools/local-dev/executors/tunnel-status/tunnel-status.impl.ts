import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { TunnelStatusExecutorSchema } from './schema';

export default async function tunnelstatusExecutor(options: TunnelStatusExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`tunnel-status is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
