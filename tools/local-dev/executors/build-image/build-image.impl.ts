import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { BuildImageExecutorSchema } from './schema';

export default async function buildimageExecutor(options: BuildImageExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`build-image is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
