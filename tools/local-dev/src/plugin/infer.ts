/**
 * Model → Nx projects. Pure: the same model always gives the same projects, so the plugin can
 * cache the result by config hash and the tests can snapshot it.
 *
 * Every service (and every worker) becomes a project at services/<name>/ with the chain
 *   clone → inject-config → build-image → up
 * plus down and logs. Two shared projects carry what several services need once per run:
 * `docker-compose` (writes docker-compose.yml) and `redis-tunnel` (the supervised port-forward).
 * Every dependsOn forwards the task's params, so `--namespace=s2` reaches the whole chain.
 */
import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import type { RepoModel, ServiceModel, WorkspaceModel } from '../config/model';
import { CONFIG_PATH } from '../config/paths';

/** The executors' package, as installed from tools/local-dev (see package.json devDependencies). */
export const EXECUTORS = '@local-dev/nx-plugin';
export const SERVICES_ROOT = 'services';
export const COMPOSE_PROJECT = 'docker-compose';
export const TUNNEL_PROJECT = 'redis-tunnel';
/** Prints a fingerprint of a clone's code (HEAD, changes, untracked files) and of secret files. */
export const STATE_SCRIPT = 'tools/local-dev/bin/input-state.sh';

type InferredProject = Omit<ProjectConfiguration, 'root'> & { root: string };

const forward = (target: string, projects?: string[]) =>
  projects ? { projects, target, params: 'forward' as const } : { target, params: 'forward' as const };

export function serviceRoot(name: string): string {
  return `${SERVICES_ROOT}/${name}`;
}

/** Inputs of what is injected into a clone and built from it, for the given Dockerfiles. */
function cloneInputs(dockerfiles: string[], repo: RepoModel): TargetConfiguration['inputs'] {
  const secretSources = repo.configs.map((entry) => `configs/*/${entry.source}`);
  return [
    ...dockerfiles.flatMap((dockerfile) => [`{workspaceRoot}/repos_docker_files/${dockerfile}`, `{workspaceRoot}/repos_docker_files/*/${dockerfile}`]),
    ...repo.configs.map((entry) => `{workspaceRoot}/configs/*/${entry.source}.example`),
    `{workspaceRoot}/configs/*/debug-configs/${repo.dir}/**/*`,
    // cloned/ and the real secret files are gitignored, so file inputs cannot see them: a runtime
    // input fingerprints them (git HEAD + diff + untracked files, and the secrets' content).
    { runtime: ['sh', STATE_SCRIPT, `cloned/${repo.dir}`, ...secretSources].join(' ') },
  ];
}

/** Inputs that decide whether a service's image must be rebuilt. */
export function buildInputs(service: ServiceModel, repo: RepoModel): TargetConfiguration['inputs'] {
  return cloneInputs([service.dockerfile], repo);
}

/** The owner's inject-config injects for the whole clone, so every Dockerfile built from it counts. */
function injectInputs(repo: RepoModel, model: WorkspaceModel): TargetConfiguration['inputs'] {
  const dockerfiles = model.services.filter((service) => repo.services.includes(service.name)).map((service) => service.dockerfile);
  return cloneInputs(dockerfiles, repo);
}

function serviceTargets(service: ServiceModel, repo: RepoModel, model: WorkspaceModel): Record<string, TargetConfiguration> {
  const isWorker = service.kind === 'worker';
  const options = { service: service.name };
  return {
    // A worker shares its owner's clone: its clone and inject-config only wait for the owner's.
    clone: isWorker
      ? { executor: 'nx:noop', dependsOn: [forward('clone', [service.owner])], cache: false }
      : { executor: `${EXECUTORS}:clone`, options, cache: false },
    'inject-config': isWorker
      ? { executor: 'nx:noop', dependsOn: [forward('inject-config', [service.owner])], cache: false }
      : {
          executor: `${EXECUTORS}:inject-config`,
          options,
          dependsOn: [forward('clone')],
          inputs: injectInputs(repo, model),
          cache: false,
        },
    'build-image': {
      executor: `${EXECUTORS}:build-image`,
      options,
      dependsOn: [forward('inject-config')],
      inputs: buildInputs(service, repo),
      // The image is not a file Nx can restore; the executor checks for the image of this input
      // hash itself and builds only when it is missing.
      cache: false,
    },
    up: {
      executor: `${EXECUTORS}:up`,
      options,
      dependsOn: [
        forward('build-image'),
        { dependencies: true, target: 'up', params: 'forward' },
        forward('generate', [COMPOSE_PROJECT]),
        forward('up', [TUNNEL_PROJECT]),
      ],
      cache: false,
    },
    down: { executor: `${EXECUTORS}:down`, options, cache: false },
    logs: { executor: `${EXECUTORS}:logs`, options, cache: false },
  };
}

function sharedProjects(): InferredProject[] {
  return [
    {
      name: COMPOSE_PROJECT,
      root: serviceRoot(COMPOSE_PROJECT),
      tags: ['local-dev:shared'],
      metadata: { description: 'Generates docker-compose.yml for the namespace of the run, once per run.', technologies: ['docker'] },
      targets: {
        generate: { executor: `${EXECUTORS}:compose-file`, cache: false },
      },
    },
    {
      name: TUNNEL_PROJECT,
      root: serviceRoot(TUNNEL_PROJECT),
      tags: ['local-dev:shared'],
      metadata: { description: 'The supervised Redis tunnel (kubectl port-forward) every service reaches Redis through.', technologies: ['kubernetes'] },
      targets: {
        up: { executor: `${EXECUTORS}:tunnel-up`, cache: false },
        down: { executor: `${EXECUTORS}:tunnel-down`, cache: false },
        restart: { executor: `${EXECUTORS}:tunnel-restart`, cache: false },
        status: { executor: `${EXECUTORS}:tunnel-status`, cache: false },
      },
    },
  ];
}

/** All projects local-dev infers from the model, keyed by project root. */
export function inferProjects(model: WorkspaceModel): Record<string, InferredProject> {
  const projects: InferredProject[] = model.services.map((service) => {
    const repo = model.repos.find((candidate) => candidate.owner === service.owner);
    if (!repo) throw new Error(`model invariant broken: no repo for ${service.name}`);
    return {
      name: service.name,
      root: serviceRoot(service.name),
      projectType: 'application',
      tags: [`local-dev:${service.kind}`, `repo:${repo.dir}`],
      implicitDependencies: service.dependsOn,
      metadata: { description: describeService(service, repo), technologies: ['docker'] },
      targets: serviceTargets(service, repo, model),
    };
  });
  return Object.fromEntries([...projects, ...sharedProjects()].map((project) => [project.root, project]));
}

function describeService(service: ServiceModel, repo: RepoModel): string {
  const source = service.kind === 'worker' ? `worker of ${service.owner}, built from cloned/${repo.dir}` : `cloned/${repo.dir} from ${repo.url}`;
  return `${service.name}: ${source} (config: ${CONFIG_PATH})`;
}
