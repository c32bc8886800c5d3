import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import type { LogsExecutorSchema } from './schema';

export default async function logsExecutor(options: LogsExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    throw new UsageError(`logs is not implemented yet (namespace ${options.namespace ?? 'default'})`);
  });
}
