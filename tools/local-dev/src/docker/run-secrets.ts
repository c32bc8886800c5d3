/**
 * "A missing required token fails before any build": checked for the whole run, not per service.
 * Each build-image task runs in its own process and Nx starts them in parallel, so a check inside
 * oms-web's own task would let health-api build first. Instead every build-image task starts by
 * checking the build secrets of every service whose build-image is in this run (Nx hands each
 * executor the run's task graph), and they all fail, naming every service that needs a missing
 * token, before any of them builds.
 *
 * A token is only required where an image must really be built: a service whose image for the
 * current inputs exists needs none (so a missing token never blocks work on other services).
 */
import type { ServiceModel, WorkspaceModel } from '../config/model';
import { repoOf } from '../config/model';
import { DockerError, UsageError } from '../core/errors';
import type { ServiceRunContext } from '../config/run-context';
import { serviceImage } from './image';
import { imageExists } from './queries';
import { ENV_LOCAL, readEnvLocal } from './secrets';

/** The part of Nx's ExecutorContext.taskGraph read here. */
export interface RunTasks {
  tasks: Record<string, { target: { project: string; target: string } }>;
}

/** Pure: the services whose build-image is in this run (always including `self`). */
export function servicesBuildingInRun(taskGraph: RunTasks | undefined, model: Pick<WorkspaceModel, 'services'>, self: string): ServiceModel[] {
  const building = new Set([self]);
  for (const task of Object.values(taskGraph?.tasks ?? {})) {
    if (task.target.target === 'build-image') building.add(task.target.project);
  }
  return model.services.filter((service) => building.has(service.name));
}

/** Pure: missing secret → the services (of `services`) that need it, in config order. */
export function missingSecrets(
  services: ServiceModel[],
  sources: { environment: Record<string, string | undefined>; envLocal: Record<string, string> },
): Map<string, string[]> {
  const missing = new Map<string, string[]>();
  for (const service of services) {
    for (const name of service.buildSecrets) {
      if (sources.environment[name] || sources.envLocal[name]) continue;
      missing.set(name, [...(missing.get(name) ?? []), service.name]);
    }
  }
  return missing;
}

/** Pure: the error for missing secrets. */
export function missingSecretsError(missing: Map<string, string[]>): UsageError {
  const names = [...missing.keys()];
  const needs = [...missing].map(([name, services]) => `${name} (needed by ${services.join(', ')})`);
  return new UsageError(`build secret${names.length > 1 ? 's' : ''} not set: ${needs.join('; ')} — nothing was built`, {
    fix: `export ${names[0]}=… in your shell, or add the line ${names[0]}=… to ${ENV_LOCAL} at the workspace root (gitignored)`,
  });
}

/** Throws when a service building in this run needs a secret that is not set (see the file comment). */
export async function checkRunBuildSecrets(run: ServiceRunContext, taskGraph: RunTasks | undefined): Promise<void> {
  const candidates = servicesBuildingInRun(taskGraph, run.model, run.service.name).filter((service) => service.buildSecrets.length > 0);
  if (candidates.length === 0) return;
  const sources = { environment: process.env, envLocal: readEnvLocal(run.paths.root) };
  const lacking = candidates.filter((service) => missingSecrets([service], sources).size > 0);
  const mustBuild: ServiceModel[] = [];
  for (const service of lacking) {
    if (!(await imageIsCurrent({ ...run, service, repo: repoOf(run.model, service) }))) mustBuild.push(service);
  }
  const missing = missingSecrets(mustBuild, sources);
  if (missing.size > 0) throw missingSecretsError(missing);
}

async function imageIsCurrent(run: ServiceRunContext): Promise<boolean> {
  let image: string;
  try {
    image = (await serviceImage(run)).image;
  } catch (error) {
    // Its clone is not ready yet (cloned in this very run): it will have to be built.
    if (error instanceof DockerError) return false;
    throw error;
  }
  return imageExists(image);
}
