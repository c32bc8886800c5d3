/**
 * restart: the stack's (or the named services') containers, then a forced tunnel reconnect
 * (src/stack/restart.ts). A logs/ that refuses writes does not keep the containers from
 * restarting: what could not be written is said after the work, as a warning.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { unwrittenWarning } from '../../src/core/lock';
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
  const task = `${context.projectName}:${context.targetName}`;
  return runAtEdge(task, async () => {
    const normalized = normalizeOptions(options);
    const { paths, model, namespace } = openWorkspace(context.root, normalized.namespace);
    const unwritten: string[] = [];
    try {
      await restartStack({
        paths,
        model,
        namespace,
        services: selectServices(model, normalized.services),
        named: normalized.services.length > 0,
        tunnel: normalized.tunnel,
        log: (line) => process.stdout.write(`${line}\n`),
        unwritable: (problem) => unwritten.push(problem),
      });
    } finally {
      // Also when the tunnel failed after the containers restarted without their locks.
      const warning = unwrittenWarning(task, unwritten);
      if (warning) process.stderr.write(`${warning}\n`);
    }
  });
}
