/**
 * status: what is running, and is it what I think it is — one table of the stack model
 * (src/stack/) with every problem and its fix, or the model itself as JSON. Reading is the job,
 * so problems do not fail it; only an engine that does not answer does (after printing what
 * could be read without it).
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { DockerError } from '../../src/core/errors';
import { gatherStackModel, openWorkspace } from '../../src/stack/gather';
import type { StackModel } from '../../src/stack/model';
import { selectServices, splitServiceList } from '../../src/stack/select';
import { formatStatus } from '../../src/stack/status-text';
import type { StatusExecutorSchema } from './schema';
import { ENGINE_DOWN_FIX, engineDownMessage } from '../../src/docker/cli';

export interface NormalizedStatusOptions {
  json: boolean;
  services: string[];
  namespace: string | undefined;
}

export function normalizeOptions(options: StatusExecutorSchema): NormalizedStatusOptions {
  return { json: options.json ?? false, services: splitServiceList(options.services), namespace: options.namespace };
}

/** Pure: the model with only the chosen services (and only their problems). */
export function onlyServices(model: StackModel, names: readonly string[]): StackModel {
  const keep = new Set(names);
  const services = model.services.filter((service) => keep.has(service.name));
  if (services.length === model.services.length) return model;
  return {
    ...model,
    services,
    problems: model.problems.filter((problem) => keep.has(problem.subject) || !model.services.some((service) => service.name === problem.subject)),
  };
}

export default async function statusExecutor(options: StatusExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(`${context.projectName}:${context.targetName}`, async () => {
    const normalized = normalizeOptions(options);
    const chosen = selectServices(openWorkspace(context.root, normalized.namespace).model, normalized.services);
    const model = onlyServices(await gatherStackModel({ workspaceRoot: context.root, namespace: normalized.namespace }), chosen);
    process.stdout.write(normalized.json ? `${JSON.stringify(model, null, 2)}\n` : formatStatus(model));
    if (!model.engine.reachable) {
      throw new DockerError(`${engineDownMessage(model.engine.error ?? 'no answer')}: containers and images are not shown`, { fix: ENGINE_DOWN_FIX });
    }
  });
}
