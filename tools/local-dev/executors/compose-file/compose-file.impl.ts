/**
 * compose-file (docker-compose:generate): writes docker-compose.yml for the namespace of the run.
 * One task per run, which every service's `up` depends on, so the file is written once and never
 * by several tasks racing.
 */
import type { ExecutorContext } from '@nx/devkit';
import { composeDocument } from '../../src/compose/document';
import { renderCompose } from '../../src/compose/write';
import { writeFileAtomically } from '../../src/core/atomic-write';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createRunContext } from '../../src/config/run-context';
import { workspaceId } from '../../src/core/naming';
import type { ComposeFileExecutorSchema } from './schema';

export interface NormalizedComposeFileOptions {
  namespace: string | undefined;
  refresh: boolean;
}

export function normalizeOptions(options: ComposeFileExecutorSchema): NormalizedComposeFileOptions {
  return { namespace: options.namespace, refresh: options.refresh ?? false };
}

export default async function composeFileExecutor(options: ComposeFileExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const run = createRunContext(context.root, normalizeOptions(options));
    const document = composeDocument(run.model, { namespace: run.namespace, workspaceId: workspaceId(run.paths.root) });
    writeFileAtomically(run.paths.composeFile, renderCompose(document, run.namespace));
    process.stdout.write(`docker-compose.yml: ${run.model.services.length} services, namespace ${run.namespace}, network ${run.model.network}\n`);
  });
}
