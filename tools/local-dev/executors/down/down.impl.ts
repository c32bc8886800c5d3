import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { DownExecutorSchema } from './schema';

export default async function downExecutor(options: DownExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`down is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
