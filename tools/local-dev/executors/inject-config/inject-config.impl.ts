/**
 * inject-config: copy the namespace's secret files, the dev Dockerfiles and the IDE debug configs
 * into the clone, invisible to git. Runs for the clone's owner service (workers' inject-config is
 * a no-op waiting for it), covering every service built from that clone.
 */
import type { ExecutorContext } from '@nx/devkit';
import { runAtEdge, type ExecutorResult } from '../../src/core/edge';
import { createServiceRunContext } from '../../src/config/run-context';
import * as path from 'node:path';
import { buildIgnoresFor } from '../../src/docker/build-ignore';
import { undoInjection } from '../../src/inject/apply';
import { injectConfigs } from '../../src/inject/inject-configs';
import { settleInjection } from '../../src/runtime-state/inject-state';
import { prefixedLog } from '../clone/clone.impl';
import type { InjectConfigExecutorSchema } from './schema';

export interface NormalizedInjectOptions {
  service: string;
  namespace: string | undefined;
  /** Accepted because dependsOn forwards it along the chain; clone does the refreshing. */
  refresh: boolean;
  /** Take the injected files out instead (before switching branches by hand; `clean` does the same). */
  undo: boolean;
}

export function normalizeOptions(options: InjectConfigExecutorSchema): NormalizedInjectOptions {
  return {
    service: options.service,
    namespace: options.namespace,
    refresh: options.refresh ?? false,
    undo: options.undo ?? false,
  };
}

export default async function injectConfigExecutor(options: InjectConfigExecutorSchema, context: ExecutorContext): Promise<ExecutorResult> {
  return runAtEdge(context, async () => {
    const normalized = normalizeOptions(options);
    const run = createServiceRunContext(context.root, normalized);
    const log = prefixedLog(run.repo.owner);
    if (normalized.undo) {
      const removed = await undoInjection({ root: path.join(run.paths.cloned, run.repo.dir), display: `cloned/${run.repo.dir}` }, log);
      if (removed === 0) log(`nothing injected in cloned/${run.repo.dir}`);
      return;
    }
    const moreFiles = buildIgnoresFor(run.model, run.paths.root);
    const manifest = await injectConfigs({ paths: run.paths, model: run.model, repo: run.repo, namespace: run.namespace, log, moreFiles });
    log(
      `${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'} injected into cloned/${run.repo.dir} for namespace ${run.namespace}, hidden from git`,
    );
    // So the next run's hash of this state finds this run in Nx's cache (src/runtime-state/settled.ts).
    settleInjection(
      run.paths.root,
      run.model.repos.map((repo) => repo.dir),
    );
  });
}
