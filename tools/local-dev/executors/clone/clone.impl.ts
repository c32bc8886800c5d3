/**
 * clone: make cloned/<dir> of the service's repo exist on its configured branch and report how it
 * stands. One Nx task per repo, so repos clone in parallel and one failure does not stop the others.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createServiceRunContext } from '../../src/config/run-context';
import { describeCloneStatus } from '../../src/git/describe';
import { ensureClone } from '../../src/tasks/ensure-clone';
import type { CloneExecutorSchema } from './schema';

export interface NormalizedCloneOptions {
  service: string;
  /** undefined → config.yaml's default-namespace; '' is refused (both by the run context). */
  namespace: string | undefined;
  refresh: boolean;
  /** inject-config --undo forwards its options to its clone dependency; then there is nothing to do. */
  undo: boolean;
}

export function normalizeOptions(options: CloneExecutorSchema): NormalizedCloneOptions {
  return {
    service: options.service,
    namespace: options.namespace,
    refresh: options.refresh ?? false,
    undo: options.undo ?? false,
  };
}

/** Prefixes every line with the service, so parallel output stays readable. */
export function prefixedLog(prefix: string, write: (text: string) => void = (text) => process.stdout.write(text)): (line: string) => void {
  return (line) => write(`${prefix}: ${line}\n`);
}

export default async function cloneExecutor(options: CloneExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const normalized = normalizeOptions(options);
    const run = createServiceRunContext(context.root, normalized);
    const log = prefixedLog(run.repo.owner);
    if (normalized.undo) return log(`left cloned/${run.repo.dir} alone (inject-config --undo)`);
    const status = await ensureClone({ paths: run.paths, repo: run.repo, refresh: normalized.refresh, log });
    for (const line of describeCloneStatus(status)) log(line);
  });
}
