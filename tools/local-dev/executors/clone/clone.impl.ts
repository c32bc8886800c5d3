import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { CloneExecutorSchema } from './schema';

export default async function cloneExecutor(options: CloneExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`clone is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
