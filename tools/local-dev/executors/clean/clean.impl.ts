/**
 * clean: stop, then remove local-dev's own images, containers, network, generated files and the
 * clones it made (src/stack/clean.ts). Refuses, changing nothing, while a folder of cloned/ holds
 * anything local-dev did not make (work, ignored files of the user's, a folder it never cloned),
 * unless --force: then each such folder is moved to logs/backups/, never deleted.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { cleanStack } from '../../src/stack/clean';
import { openWorkspace } from '../../src/stack/gather';
import type { CleanExecutorSchema } from './schema';

export interface NormalizedCleanOptions {
  force: boolean;
  namespace: string | undefined;
}

export function normalizeOptions(options: CleanExecutorSchema): NormalizedCleanOptions {
  return { force: options.force ?? false, namespace: options.namespace };
}

export default async function cleanExecutor(options: CleanExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const { paths, model } = openWorkspace(context.root, normalized.namespace);
    await cleanStack({ paths, model, force: normalized.force, now: new Date(), log: (line) => process.stdout.write(`${line}\n`) });
  });
}
