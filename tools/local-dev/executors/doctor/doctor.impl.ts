/** doctor: check every precondition of a run and print each with its fix (src/stack/doctor.ts); fails when one fails. */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { UsageError } from '../../src/core/errors';
import { formatChecks, runDoctor } from '../../src/stack/doctor';
import { openWorkspace } from '../../src/stack/gather';
import { selectServices, splitServiceList } from '../../src/stack/select';
import type { DoctorExecutorSchema } from './schema';

export interface NormalizedDoctorOptions {
  services: string[];
  namespace: string | undefined;
}

export function normalizeOptions(options: DoctorExecutorSchema): NormalizedDoctorOptions {
  return { services: splitServiceList(options.services), namespace: options.namespace };
}

export default async function doctorExecutor(options: DoctorExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const { paths, model, namespace } = openWorkspace(context.root, normalized.namespace);
    const chosen = new Set(selectServices(model, normalized.services));
    const checks = await runDoctor({
      paths,
      model,
      namespace,
      services: model.services.filter((service) => chosen.has(service.name)),
      environment: process.env,
    });
    process.stdout.write(formatChecks(checks));
    const failed = checks.filter((check) => check.result === 'fail');
    if (failed.length > 0)
      throw new UsageError(`${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((check) => check.name).join(', ')}`, {
        fix: 'see each fix above',
      });
  });
}
