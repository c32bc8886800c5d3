import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { InjectConfigExecutorSchema } from './schema';

export default async function injectconfigExecutor(options: InjectConfigExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`inject-config is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
