/**
 * inject-config for one clone: read what exists, plan (pure), apply. Called by the owner service's
 * task, for every service built from the clone (workers' inject-config tasks are no-ops that wait
 * for it).
 */
import * as path from 'node:path';
import type { RepoModel, WorkspaceModel } from '../config/model';
import type { WorkspacePaths } from '../core/workspace';
import { applyInjection, type Log } from './apply';
import type { Manifest } from './manifest';
import { readInventory } from './inventory';
import { planInjection } from './plan';

export interface InjectRequest {
  paths: WorkspacePaths;
  model: WorkspaceModel;
  repo: RepoModel;
  namespace: string;
  log: Log;
  now?: Date;
}

export async function injectConfigs({ paths, model, repo, namespace, log, now }: InjectRequest): Promise<Manifest> {
  const services = repo.services.map((name) => {
    const service = model.services.find((candidate) => candidate.name === name);
    if (!service) throw new Error(`model invariant broken: ${repo.owner} lists unknown service ${name}`);
    return service;
  });
  const inventory = readInventory(paths, namespace, repo, services);
  const plan = planInjection({ namespace, repo, services, inventory });
  const target = { root: path.join(paths.cloned, repo.dir), display: `cloned/${repo.dir}` };
  return applyInjection(target, plan, namespace, paths.root, log, now);
}
