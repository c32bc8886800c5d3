/**
 * Model → Nx projects. Pure: the same model always gives the same projects, so the plugin can
 * cache the result by config hash and the tests can snapshot it.
 *
 * Every service (and every worker) becomes a project at services/<name>/ with the chain
 *   clone → inject-config → build-image → up
 * plus dev (live code: up, then sync the clone's changes until Ctrl-C), down and logs. Two shared
 * projects carry what several services need once per run:
 * `docker-compose` (writes docker-compose.yml) and `redis-tunnel` (the supervised port-forward);
 * a third, `stack`, holds the day-to-day commands on the whole stack (status, stats, logs, stop, restart).
 * Every dependsOn forwards the task's params, so `--namespace=s2` reaches the whole chain.
 */
import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import type { RepoModel, ServiceModel, WorkspaceModel } from '../config/model';
import { CONFIG_PATH } from '../config/paths';
import { redactCredentials } from '../core/redact';
import { documentTargets, SERVICE_TARGET_GROUPS } from './target-docs';

/** The executors' package, as installed from tools/local-dev (see package.json devDependencies). */
export const EXECUTORS = '@local-dev/nx-plugin';
export const SERVICES_ROOT = 'services';
export const COMPOSE_PROJECT = 'docker-compose';
export const TUNNEL_PROJECT = 'redis-tunnel';
/**
 * Run by Nx before any task of ours (outside CI), so a service just added to config.yaml gets the
 * project folder Nx needs before its first task runs; `nx sync` / `nx sync:check` run it too.
 */
export const SYNC_PROJECT_FOLDERS = `${EXECUTORS}:sync-project-folders`;

/** The workspace-level project of the day-to-day commands that act on the whole stack. */
export const STACK_PROJECT = 'stack';

/**
 * Hash a task only when the tasks it depends on have finished, so its hasher sees the clone
 * as clone/inject-config left it (after a --refresh pull), not as it was when the run started.
 * Nx defers hashing any task with a `dependentTasksOutputFiles` input; the pattern names a file no
 * task writes, so the input itself adds nothing that could change between identical runs.
 */
const AFTER_DEPENDENCIES = { dependentTasksOutputFiles: '**/.local-dev-hash-after-dependencies', transitive: true };
/** The code that writes docker-compose.yml: a new version of it must regenerate and restart. */
const COMPOSE_SOURCES = ['{workspaceRoot}/tools/local-dev/src/compose/**/*', '{workspaceRoot}/tools/local-dev/src/core/naming.ts'];
/**
 * build-image's one output: which image the service's current inputs call for (src/docker/build-record.ts).
 * Nx restores it with a cache hit, so it always names the image of the hash that hit.
 */
export function buildRecordOutput(service: string): string {
  return `{workspaceRoot}/logs/images/${service}.json`;
}
/**
 * up is hashed with its build-image's record: the record changes exactly when the image does, and
 * reading a file costs Nx nothing.
 */
const BUILD_RECORD_SOURCE = 'tools/local-dev/src/docker/build-record.ts';
const IMAGE_RECORD = { dependentTasksOutputFiles: 'logs/images/*.json', transitive: false };

type InferredProject = Omit<ProjectConfiguration, 'root'> & { root: string };

const forward = (target: string, projects?: string[]) => (projects ? { projects, target, params: 'forward' as const } : { target, params: 'forward' as const });

export function serviceRoot(name: string): string {
  return `${SERVICES_ROOT}/${name}`;
}

/** The committed sources of what is injected into a clone, for the given Dockerfiles. */
function injectedSources(dockerfiles: string[], repo: RepoModel): string[] {
  return [
    ...dockerfiles.flatMap((dockerfile) => [`{workspaceRoot}/repos_docker_files/${dockerfile}`, `{workspaceRoot}/repos_docker_files/*/${dockerfile}`]),
    ...repo.configs.map((entry) => `{workspaceRoot}/configs/*/${entry.source}.example`),
    `{workspaceRoot}/configs/*/debug-configs/${repo.dir}/**/*`,
  ];
}

/**
 * The committed files a service's image is built from. cloned/ and the real secret files are
 * gitignored, so file inputs cannot see them: the executor's hasher (src/runtime-state/hashers.ts)
 * adds the image's own input hash (the clone's code, what is injected in it, the Dockerfile).
 */
export function buildInputs(service: ServiceModel, repo: RepoModel): string[] {
  return injectedSources([service.dockerfile], repo);
}

/**
 * The owner's inject-config injects for the whole clone, so every Dockerfile built from it counts.
 * The clone's code is not an input (injection does not depend on it); the real secret files are,
 * through the executor's hasher, which also checks what is on disk in the clones.
 */
function injectInputs(repo: RepoModel, model: WorkspaceModel): string[] {
  const dockerfiles = model.services.filter((service) => repo.services.includes(service.name)).map((service) => service.dockerfile);
  return injectedSources(dockerfiles, repo);
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
          // Cached so a no-op run starts no process for it: the hash covers the sources (Dockerfiles,
          // templates, debug configs, config.yaml for the ports filled in) and, through the
          // executor's hasher (src/runtime-state/hashers.ts), the real secret files and what is
          // injected in the clones now. A deleted or edited injected file, a refresh that took
          // them out, or any source change runs it again.
          inputs: [...injectInputs(repo, model), `{workspaceRoot}/${CONFIG_PATH}`, AFTER_DEPENDENCIES],
          cache: true,
          outputs: [],
        },
    'build-image': {
      executor: `${EXECUTORS}:build-image`,
      options,
      dependsOn: [forward('inject-config')],
      // config.yaml too: build-args live there.
      // The record's module too: a new record format must not be skipped by an entry cached before it.
      inputs: [...buildInputs(service, repo), `{workspaceRoot}/${CONFIG_PATH}`, `{workspaceRoot}/${BUILD_RECORD_SOURCE}`, AFTER_DEPENDENCIES],
      // Cached so an unchanged service costs no process at all. Safe although an image is not a
      // file Nx can restore: `up` checks that the image of the current input hash exists and
      // builds it when missing (deleted image, or an input Nx does not see), so a cache hit can
      // never leave a service without its image. The output is the record naming that image.
      cache: true,
      outputs: [buildRecordOutput(service.name)],
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
      // Cached so a no-op `up` costs no process: the hash covers the image build-image settled
      // on (its record) and, through the executor's hasher (src/runtime-state/hashers.ts),
      // whether the service's container runs exactly that image and definition. A stopped,
      // removed or replaced container, a deleted image (the engine then shows an id, not the
      // name), a new image or definition misses the cache, and the executor then checks and
      // starts for real.
      inputs: [IMAGE_RECORD, `{workspaceRoot}/${CONFIG_PATH}`, ...COMPOSE_SOURCES, AFTER_DEPENDENCIES],
      cache: true,
      outputs: [],
    },
    // Live code (docs/live.md): up exactly as `up` does (params forwarded: --namespace reaches the
    // whole chain), then watch the clone until Ctrl-C. Continuous, so Nx keeps it running and
    // `nx run-many -t dev` runs one per service; never cached (it is a session, not a result).
    dev: { executor: `${EXECUTORS}:dev`, options, continuous: true, dependsOn: [forward('up')], cache: false },
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
        // A pure function of config.yaml and the namespace (a forwarded param, so in the hash);
        // cached with the file as its output, which Nx restores if it was deleted.
        generate: {
          executor: `${EXECUTORS}:compose-file`,
          inputs: [`{workspaceRoot}/${CONFIG_PATH}`, ...COMPOSE_SOURCES],
          outputs: ['{workspaceRoot}/docker-compose.yml'],
          cache: true,
        },
      },
    },
    {
      name: TUNNEL_PROJECT,
      root: serviceRoot(TUNNEL_PROJECT),
      tags: ['local-dev:shared'],
      metadata: { description: 'The supervised Redis tunnel (kubectl port-forward) every service reaches Redis through.', technologies: ['kubernetes'] },
      targets: {
        // Cached only while our supervisor runs healthy with a fresh PING (the executor's hasher,
        // src/runtime-state/hashers.ts, adds the tunnel's settled token), so a no-op run starts no
        // process for it.
        up: { executor: `${EXECUTORS}:tunnel-up`, inputs: [`{workspaceRoot}/${CONFIG_PATH}`], cache: true, outputs: [] },
        down: { executor: `${EXECUTORS}:tunnel-down`, cache: false },
        restart: { executor: `${EXECUTORS}:tunnel-restart`, cache: false },
        status: { executor: `${EXECUTORS}:tunnel-status`, cache: false },
      },
    },
    {
      name: STACK_PROJECT,
      root: serviceRoot(STACK_PROJECT),
      tags: ['local-dev:shared'],
      metadata: {
        description: 'The whole stack at once: status, stats, logs, stop, restart, the dashboard (docs/day-to-day.md, docs/dashboard.md).',
        technologies: ['docker'],
      },
      // Never cached: each one looks at (or acts on) the stack as it is now.
      targets: Object.fromEntries(STACK_TARGETS.map((target) => [target, { executor: `${EXECUTORS}:${target}`, cache: false }])),
    },
  ];
}

/** The stack project's targets; each has an executor of the same name. */
export const STACK_TARGETS = ['status', 'stats', 'logs', 'stop', 'restart', 'clean', 'doctor', 'dashboard'] as const;

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
      metadata: { description: describeService(service, repo), technologies: ['docker'], targetGroups: SERVICE_TARGET_GROUPS },
      targets: documentTargets(service.name, serviceTargets(service, repo, model), EXECUTORS, service.kind === 'worker' ? service.owner : undefined),
    };
  });
  const shared = sharedProjects().map((project) => ({ ...project, targets: documentTargets(project.name ?? project.root, project.targets ?? {}, EXECUTORS) }));
  return Object.fromEntries([...projects, ...shared].map((project) => [project.root, withProjectFolderSync(project)]));
}

function withProjectFolderSync(project: InferredProject): InferredProject {
  const targets = Object.fromEntries(
    Object.entries(project.targets ?? {}).map(([name, target]) => [name, { ...target, syncGenerators: [SYNC_PROJECT_FOLDERS] }]),
  );
  return { ...project, targets };
}

function describeService(service: ServiceModel, repo: RepoModel): string {
  // Shown by `nx show project` and stored in Nx's project cache: never with a token from the URL.
  const source =
    service.kind === 'worker' ? `worker of ${service.owner}, built from cloned/${repo.dir}` : `cloned/${repo.dir} from ${redactCredentials(repo.url)}`;
  return `${service.name}: ${source} (config: ${CONFIG_PATH})`;
}
