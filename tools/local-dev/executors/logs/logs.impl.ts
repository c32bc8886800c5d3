/**
 * logs: print (or follow) the container output of one service (`nx run <service>:logs`), or of
 * several or all (`nx run stack:logs --services=a,b`), interleaved with a coloured service prefix
 * (src/stack/logs.ts).
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { openWorkspace } from '../../src/stack/gather';
import { showLogs, wantsColour } from '../../src/stack/logs';
import { selectServices, splitServiceList } from '../../src/stack/select';
import type { LogsExecutorSchema } from './schema';

export interface NormalizedLogsOptions {
  /** The services named: the project's own (set by the plugin) and any --services; empty means all. */
  services: string[];
  namespace: string | undefined;
  follow: boolean;
  tail: number;
  since: string | undefined;
}

export function normalizeOptions(options: LogsExecutorSchema): NormalizedLogsOptions {
  const services = [...new Set([...(options.service ? [options.service] : []), ...splitServiceList(options.services)])];
  return { services, namespace: options.namespace, follow: options.follow ?? false, tail: options.tail ?? 200, since: options.since };
}

export default async function logsExecutor(options: LogsExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const { model } = openWorkspace(context.root, normalized.namespace);
    await showLogs({
      workspaceRoot: context.root,
      services: selectServices(model, normalized.services),
      follow: normalized.follow,
      tail: normalized.tail,
      since: normalized.since,
      colour: wantsColour(process.env, process.stdout.isTTY === true),
      output: { stdout: process.stdout, stderr: process.stderr },
    });
  });
}
