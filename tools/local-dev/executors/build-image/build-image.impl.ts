/**
 * build-image: the service's image for its current inputs — present, pulled from the team's
 * registry, or built (src/docker/image.ts ensureImage); the outcome is said and recorded for the run
 * table (src/core/run-record.ts). A no-op run therefore starts no `docker build`; a deleted image is
 * pulled or built again. First, the build
 * secrets of every service building in this run are checked (run-secrets.ts), so a missing token
 * stops the run before any service builds. Last, the build record (the task's Nx output, which
 * `up` is hashed with) names the image.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createServiceRunContext } from '../../src/config/run-context';
import { writeBuildRecord } from '../../src/docker/build-record';
import { recordImageOutcome } from '../../src/core/run-record';
import { ensureImage } from '../../src/docker/image';
import { checkRunBuildSecrets } from '../../src/docker/run-secrets';
import type { BuildImageExecutorSchema } from './schema';

export interface NormalizedBuildImageOptions {
  service: string;
  namespace: string | undefined;
  refresh: boolean;
}

export function normalizeOptions(options: BuildImageExecutorSchema): NormalizedBuildImageOptions {
  return { service: options.service, namespace: options.namespace, refresh: options.refresh ?? false };
}

export default async function buildImageExecutor(options: BuildImageExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const run = createServiceRunContext(context.root, normalizeOptions(options));
    await checkRunBuildSecrets(run, context.taskGraph);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const { image, target, outcome } = await ensureImage(run, log);
    await recordImageOutcome(context.root, `${context.projectName}:${context.targetName}`, outcome);
    const { verdict } = target;
    if (!verdict.shareable) log(`${run.service.name}: local-only (never pushed): ${verdict.reason}`);
    writeBuildRecord(run.paths, {
      service: run.service.name,
      image,
      portableHash: target.portableHash,
      shareable: verdict.shareable,
      localOnly: verdict.shareable ? undefined : verdict.reason,
    });
  });
}
