/**
 * The thin layer that collects the stack's facts (./facts.ts) from git, disk and Docker. It judges
 * nothing (./model.ts does) and changes nothing: every command here only reads.
 *
 * Docker is asked few, machine-readable questions for the whole workspace at once, over the
 * engine's socket when it is the local one (src/docker/queries.ts; the `docker` CLI otherwise):
 * this workspace's containers (by its label) and each one's inspect, its images, the network, and
 * for a container that does not run, the engine's recent events about its end (who sent it which
 * signal). Git is asked per clone (its status, and the state the image's input hash is made of).
 *
 * A `GatherCache` lets the dashboard gather often and cheaply: Docker's answers are kept until it
 * says something changed (its events) and each clone's git answers until the clone's .git changes
 * (a stamp of a few files, read without running git) or they are too old (a working-tree edit
 * leaves .git alone). Files (config, run records, the tunnel's state, injected files, the live
 * records of the dev target) are read on every gather: they cost no process.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { repoOf } from '../config/model';
import { createRunContext, type Workspace } from '../config/run-context';
import { headerNamespace } from '../compose/check';
import { composeDocument } from '../compose/document';
import { ChildProcessError, DockerError, isLocalDevError } from '../core/errors';
import { readLockHolder } from '../core/lock';
import { listNamespaces } from '../core/namespace';
import { isProcessAlive } from '../core/proc';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { readBuildRecordImage } from '../docker/build-record';
import { serviceImage } from '../docker/image';
import { hashFileOrAbsent, readCloneState, type CloneState } from '../docker/input-hash';
import { composeProjectName, LABELS, workspaceId } from '../core/naming';
import { pastEvents } from '../docker/events';
import { imageReferences, inspectContainersJson, listContainers, networkExists } from '../docker/queries';
import { serviceLockPath } from '../docker/service-lock';
import { inspectFolder } from '../git/inspect';
import { readStatus } from '../git/status';
import { readManifest } from '../inject/manifest';
import { readTunnelState } from '../tunnel/state';
import { readLiveState } from '../live/state';
import { containerFacts, endOfLastLife, type ContainerFacts } from './docker-facts';
import type { CloneFacts, EngineFacts, ImageFacts, InjectionFacts, LockFacts, ServiceFacts, StackFacts } from './facts';
import { mainContainer, projectStack, type StackModel } from './model';
import { readProgress } from '../core/run-record';

/** Any single docker query; a hung engine is reported, not waited on forever. */
export const DOCKER_TIMEOUT_MS = 15_000;
/** Services gathered at once (each costs a few git processes; the machine may have 2 cores). */
const CONCURRENCY = 4;

export interface StackRequest {
  workspaceRoot: string;
  /** --namespace as given; undefined: the namespace of the last run (docker-compose.yml), else config.yaml's default. */
  namespace: string | undefined;
  now?: Date;
}

/**
 * The workspace as the stack commands see it: without --namespace, the namespace of the last run
 * (while its folder exists: stop or clean must not fail on a namespace removed since), else
 * config.yaml's default. Opened by createRunContext, the one way; a bad --namespace is refused there.
 */
export function openWorkspace(workspaceRoot: string, requested: string | undefined): Workspace {
  const paths = workspacePaths(workspaceRoot);
  const last = requested === undefined ? lastRunNamespace(paths) : undefined;
  const { model, namespace } = createRunContext(workspaceRoot, {
    namespace: requested ?? (last !== undefined && listNamespaces(paths).includes(last) ? last : undefined),
  });
  return { paths, model, namespace };
}

/** The namespace docker-compose.yml was last generated for, when there is one. */
function lastRunNamespace(paths: WorkspacePaths): string | undefined {
  try {
    return headerNamespace(readFileSync(paths.composeFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function gatherStackModel(request: StackRequest, cache = new GatherCache()): Promise<StackModel> {
  return projectStack(await gatherStackFacts(request, cache));
}

/** A clone's git answers kept for this long at most (a working-tree edit changes nothing in .git). */
export const GIT_MAX_AGE_MS = 30_000;

interface CloneReading {
  /** cloneStamp right after git ran (undefined while it runs): a later stamp that differs means git would answer differently. */
  stamp: string | undefined;
  at: number;
  git: Promise<CloneGit>;
  /** What the image's input hash is made of (for a clone; read on first need, once). */
  state: () => Promise<CloneState>;
}

/** What can be reused from one gather to the next: see the header. One per gathering loop. */
export class GatherCache {
  private docker: Promise<DockerFacts> | undefined;
  private readonly clones = new Map<string, CloneReading>();

  constructor(
    private readonly gitMaxAgeMs = GIT_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Docker said something changed (or may have, unseen): ask it again at the next gather. */
  forgetDocker(): void {
    this.docker = undefined;
  }

  dockerFacts(read: () => Promise<DockerFacts>): Promise<DockerFacts> {
    const reading = (this.docker ??= read());
    // A failed reading is not kept: the next gather asks again.
    reading.catch(() => {
      if (this.docker === reading) this.docker = undefined;
    });
    return reading;
  }

  /** The clone's reading: one under way, or an earlier one whose stamp still holds and is young enough, else a new one. */
  clone(folder: string): CloneReading {
    const kept = this.clones.get(folder);
    if (kept && (kept.stamp === undefined || (this.now() - kept.at < this.gitMaxAgeMs && kept.stamp !== '' && kept.stamp === cloneStamp(folder)))) return kept;
    const git = gatherCloneGit(folder);
    let state: Promise<CloneState> | undefined;
    // Stamped once the git commands asked for have ended: git status and diff may rewrite the index themselves, which is no change.
    let running = 1;
    const ended = () => {
      if (--running === 0) reading.stamp = cloneStamp(folder);
    };
    const reading: CloneReading = {
      stamp: undefined,
      at: this.now(),
      git,
      state: () => {
        if (!state) {
          running++;
          reading.stamp = undefined;
          state = readCloneState(folder);
          state.then(ended, ended);
        }
        return state;
      },
    };
    this.clones.set(folder, reading);
    git.then(ended, () => {
      if (this.clones.get(folder) === reading) this.clones.delete(folder);
    });
    return reading;
  }
}

/**
 * What git's answers about a clone depend on, without running git: size, mtime and inode of the
 * folder (top-level files added or removed), HEAD, the branch HEAD names, index, packed-refs and
 * FETCH_HEAD (not of .git itself: git makes and removes lock files there on every reading).
 * '' when the folder has no .git folder of its own (never trusted).
 */
export function cloneStamp(folder: string): string {
  const gitDir = path.join(folder, '.git');
  const stamp = (file: string) => {
    try {
      const stats = statSync(file);
      return stats.isDirectory() && file !== folder ? 'dir' : `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return '-';
      throw error;
    }
  };
  let head: string;
  try {
    head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw error;
  }
  const ref = head.startsWith('ref: ') ? [path.join(gitDir, head.slice('ref: '.length))] : [];
  return [folder, ...['HEAD', 'index', 'packed-refs', 'FETCH_HEAD'].map((file) => path.join(gitDir, file)), ...ref].map(stamp).join('|') + `|${head}`;
}

export async function gatherStackFacts(request: StackRequest, cache = new GatherCache()): Promise<StackFacts> {
  const workspace = openWorkspace(request.workspaceRoot, request.namespace);
  const { paths, model, namespace } = workspace;
  const id = workspaceId(paths.root);
  const docker = await cache.dockerFacts(() => gatherDocker(paths.root, model.network));
  const definitions = composeDocument(model, { namespace, workspaceId: id }).services;
  const services = await mapLimit(model.services, CONCURRENCY, async (service): Promise<ServiceFacts> => {
    const repo = repoOf(model, service);
    const folder = path.join(paths.cloned, repo.dir);
    const reading = cache.clone(folder);
    const clone = withInjection(await reading.git, folder);
    const containers = docker.containers.filter((container) => container.service === service.name);
    return {
      service,
      repo,
      clone,
      image: await gatherImage(workspace, service.name, clone, docker.images, reading.state),
      containers,
      definition: definitions[service.name]?.labels[LABELS.definition] ?? '',
      lock: liveLock(paths, service.name),
      live: readLiveState(paths, service.name, mainContainer(containers)?.id),
    };
  });
  const known = new Set(model.services.map((service) => service.name));
  return {
    at: request.now ?? new Date(),
    workspace: { root: paths.root, id, composeProject: composeProjectName(paths.root) },
    namespace: { name: namespace, requested: request.namespace !== undefined },
    network: { name: model.network, exists: docker.networkExists },
    engine: docker.engine,
    services,
    orphans: docker.containers.filter((container) => !known.has(container.service)),
    tunnel: readTunnelState(paths, request.now ?? new Date()),
    run: readProgress(paths),
  };
}

/** The local-dev command holding the service's lock right now, if any (a dead holder's record is no holder). */
function liveLock(paths: WorkspacePaths, service: string): LockFacts | undefined {
  const holder = readLockHolder(serviceLockPath(paths, service));
  if (!holder || !isProcessAlive(holder.pid, holder.startTime)) return undefined;
  return { purpose: holder.purpose, command: holder.command, since: holder.since };
}

export interface DockerFacts {
  engine: EngineFacts;
  containers: ContainerFacts[];
  images: Set<string>;
  networkExists: boolean | undefined;
}

/** The events that tell how a container's life ended (see endOfLastLife). */
const END_EVENTS = ['start', 'kill', 'oom', 'die', 'stop'];

/** This workspace's containers (by label, with their inspect and, for those not running, how they ended), images and the network. */
export async function gatherDocker(workspaceRoot: string, network: string): Promise<DockerFacts> {
  const label = `${LABELS.workspace}=${workspaceId(workspaceRoot)}`;
  let ids: string[];
  try {
    ids = (await listContainers([label], [], DOCKER_TIMEOUT_MS)).map((container) => container.id);
  } catch (error) {
    // No engine is a fact the model reports (with clones and tunnel still shown), not a crash.
    if (error instanceof ChildProcessError) return unreachable(error.outputTail.split('\n').pop() || error.message);
    if (error instanceof DockerError) return unreachable(error.message);
    throw error;
  }
  const [containers, images, networkFound] = await Promise.all([
    inspectContainersJson(ids, DOCKER_TIMEOUT_MS).then(containerFacts).then(withEnds),
    imageReferences([label], DOCKER_TIMEOUT_MS),
    networkExists(network, DOCKER_TIMEOUT_MS),
  ]);
  return { engine: { reachable: true }, containers, images, networkExists: networkFound };
}

function unreachable(error: string): DockerFacts {
  return { engine: { reachable: false, error }, containers: [], images: new Set(), networkExists: undefined };
}

/** The containers, each that does not run with how its last life ended (one events query for all of them). */
async function withEnds(containers: ContainerFacts[]): Promise<ContainerFacts[]> {
  const ended = containers.filter(
    (container) => !['running', 'paused', 'restarting', 'created'].includes(container.status) && container.startedAt !== undefined,
  );
  if (ended.length === 0) return containers;
  // From the oldest last start on: each life begins with its "start" event.
  const since = Math.min(...ended.map((container) => Date.parse(container.startedAt as string))) / 1000 - 1;
  const events = await pastEvents(
    { type: ['container'], container: ended.map((container) => container.id), event: END_EVENTS },
    since,
    Date.now() / 1000 + 1,
    DOCKER_TIMEOUT_MS,
  );
  return containers.map((container) => (ended.includes(container) ? { ...container, end: endOfLastLife(events, container.id) } : container));
}

/** A clone as git sees it, without the injected files (read fresh on every gather: see withInjection). */
type CloneGit = CloneFacts | { state: 'clone-git'; facts: Omit<Extract<CloneFacts, { state: 'clone' }>, 'injection'>; gitDir: string };

/** How a clone stands: branch, ahead/behind, changes, and what inject-config put there. */
export async function gatherClone(folder: string): Promise<CloneFacts> {
  return withInjection(await gatherCloneGit(folder), folder);
}

async function gatherCloneGit(folder: string): Promise<CloneGit> {
  let found;
  try {
    found = await inspectFolder(folder);
  } catch (error) {
    if (error instanceof ChildProcessError) return { state: 'unreadable', error: error.outputTail || error.message };
    throw error;
  }
  if (found.type === 'missing' || found.type === 'empty-folder') return { state: 'missing' };
  if (found.type === 'not-a-clone') return { state: 'not-a-clone', why: found.why };
  const status = await readStatus(folder);
  return {
    state: 'clone-git',
    gitDir: found.gitDir,
    facts: { state: 'clone', branch: status.branch, head: status.oid, upstream: status.upstream, aheadBehind: status.aheadBehind, changed: status.changed },
  };
}

function withInjection(reading: CloneGit, folder: string): CloneFacts {
  return reading.state === 'clone-git' ? { ...reading.facts, injection: readInjection(folder, reading.gitDir) } : reading;
}

/** inject-config's manifest, with each recorded file checked against what is on disk now. */
export function readInjection(folder: string, gitDir: string): InjectionFacts | undefined {
  const manifest = readManifest(gitDir, path.basename(folder));
  if (!manifest) return undefined;
  return {
    namespace: manifest.namespace,
    injectedAt: manifest.injectedAt,
    files: manifest.files.map((entry) => {
      const now = hashFileOrAbsent(path.join(folder, entry.dest));
      return { dest: entry.dest, kind: entry.kind, drift: now === 'absent' ? 'missing' : now === entry.sha256 ? 'none' : 'edited' };
    }),
  };
}

async function gatherImage(
  workspace: Workspace,
  service: string,
  clone: CloneFacts,
  existing: Set<string>,
  cloneState: () => Promise<CloneState>,
): Promise<ImageFacts> {
  const recorded = readBuildRecordImage(workspace.paths, service);
  if (clone.state !== 'clone') return { wanted: undefined, wantedError: 'not cloned yet', wantedExists: false, recorded };
  const serviceModel = workspace.model.services.find((candidate) => candidate.name === service);
  if (!serviceModel) throw new Error(`model invariant broken: no service ${service}`);
  try {
    const { image } = await serviceImage({ ...workspace, refresh: false, service: serviceModel, repo: repoOf(workspace.model, serviceModel) }, cloneState);
    return { wanted: image, wantedError: undefined, wantedExists: existing.has(image), recorded };
  } catch (error) {
    // No Dockerfile yet, a clone without commits: the model says so for this service.
    if (isLocalDevError(error)) return { wanted: undefined, wantedError: error.message, wantedExists: false, recorded };
    throw error;
  }
}

/** `items` mapped with at most `limit` calls in flight, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, body: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await body(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
