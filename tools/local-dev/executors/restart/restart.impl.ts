/** restart: the stack's (or the named services') containers, then a forced tunnel reconnect (src/stack/restart.ts). */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { openWorkspace } from '../../src/stack/gather';
import { restartStack } from '../../src/stack/restart';
import { selectServices, splitServiceList } from '../../src/stack/select';
import type { RestartExecutorSchema } from './schema';

export interface NormalizedRestartOptions {
  services: string[];
  tunnel: boolean;
  namespace: string | undefined;
}

export function normalizeOptions(options: RestartExecutorSchema): NormalizedRestartOptions {
  return { services: splitServiceList(options.services), tunnel: options.tunnel ?? true, namespace: options.namespace };
}

export default async function restartExecutor(options: RestartExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const { paths, model, namespace } = openWorkspace(context.root, normalized.namespace);
    await restartStack({
      paths,
      model,
      namespace,
      services: selectServices(model, normalized.services),
      named: normalized.services.length > 0,
      tunnel: normalized.tunnel,
      log: (line) => process.stdout.write(`${line}\n`),
    });
  });
}
