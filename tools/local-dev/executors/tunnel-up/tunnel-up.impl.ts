import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { TunnelUpExecutorSchema } from './schema';

export default async function tunnelupExecutor(options: TunnelUpExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`tunnel-up is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
