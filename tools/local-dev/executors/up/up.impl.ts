import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { UpExecutorSchema } from './schema';

export default async function upExecutor(options: UpExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`up is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
