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
import { planInjection, type InjectionPlan, type PlannedFile } from './plan';

export interface InjectRequest {
  paths: WorkspacePaths;
  model: WorkspaceModel;
  repo: RepoModel;
  namespace: string;
  log: Log;
  now?: Date;
  /**
   * Files planned from the plan and the clone as it is (the caller's: the generated
   * `<Dockerfile>.dockerignore` of src/docker/build-ignore.ts, which inject/ cannot import).
   */
  moreFiles?: (plan: InjectionPlan, cloneRoot: string) => { files: PlannedFile[]; notes: string[] };
}

export async function injectConfigs({ paths, model, repo, namespace, log, now, moreFiles }: InjectRequest): Promise<Manifest> {
  const services = repo.services.map((name) => {
    const service = model.services.find((candidate) => candidate.name === name);
    if (!service) throw new Error(`model invariant broken: ${repo.owner} lists unknown service ${name}`);
    return service;
  });
  const inventory = readInventory(paths, namespace, repo, services);
  const planned = planInjection({ namespace, repo, services, inventory });
  const target = { root: path.join(paths.cloned, repo.dir), display: `cloned/${repo.dir}` };
  const more = moreFiles && planned.problems.length === 0 ? moreFiles(planned, target.root) : { files: [], notes: [] };
  const plan: InjectionPlan = { ...planned, files: [...planned.files, ...more.files], notes: [...planned.notes, ...more.notes] };
  return applyInjection(target, plan, namespace, paths.root, log, now);
}
