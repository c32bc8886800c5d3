import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { ComposeFileExecutorSchema } from './schema';

export default async function composefileExecutor(options: ComposeFileExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`compose-file is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
