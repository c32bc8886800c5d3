/**
 * What every executor needs, resolved once at the start of a task: where the workspace is, the
 * validated config model, the namespace of the run and (for per-service tasks) the service.
 * Passed down explicitly; nothing below reads globals or process.cwd().
 */
import { loadConfigCached } from './cached-load';
import { findService, repoOf, type RepoModel, type ServiceModel, type WorkspaceModel } from './model';
import { didYouMean } from '../core/did-you-mean';
import { UsageError } from '../core/errors';
import { resolveNamespace } from '../core/namespace';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';

/** Options every task of the up chain accepts, because dependsOn forwards them along the chain. */
export interface RunOptions {
  /** configs/<namespace>/ to use; defaults to config.yaml's default-namespace. */
  namespace?: string;
  /** Bring clones to the remote branch head (saving local work first). */
  refresh?: boolean;
}

/** An open workspace: its paths, its validated config, and the namespace settled for this command. */
export interface Workspace {
  paths: WorkspacePaths;
  model: WorkspaceModel;
  namespace: string;
}

export interface RunContext extends Workspace {
  refresh: boolean;
}

export interface ServiceRunContext extends RunContext {
  service: ServiceModel;
  repo: RepoModel;
}

/** The one way a workspace is opened (the run chain here, the stack commands through stack/gather.ts's openWorkspace). */
export function createRunContext(workspaceRoot: string, options: RunOptions): RunContext {
  const paths = workspacePaths(workspaceRoot);
  const model = loadConfigCached(workspaceRoot);
  const namespace = resolveNamespace(paths, options.namespace, model.defaultNamespace);
  return { paths, model, namespace, refresh: options.refresh ?? false };
}

export function createServiceRunContext(workspaceRoot: string, options: RunOptions & { service: string }): ServiceRunContext {
  return serviceRunContext(createRunContext(workspaceRoot, options), options.service);
}

/** A run's context narrowed to one of its services (refused, with the close name, when unknown). */
export function serviceRunContext(run: RunContext, serviceName: string): ServiceRunContext {
  const service = findService(run.model, serviceName);
  if (!service) {
    const known = run.model.services.map((candidate) => candidate.name);
    const suggestion = didYouMean(serviceName, known);
    throw new UsageError(`no service "${serviceName}" in config.yaml`, {
      fix: suggestion ? `did you mean "${suggestion}"?` : `services: ${known.join(', ')}`,
    });
  }
  return { ...run, service, repo: repoOf(run.model, service) };
}
