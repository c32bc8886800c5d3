/**
 * The thin layer that collects the stack's facts (./facts.ts) from git, disk and Docker. It judges
 * nothing (./model.ts does) and changes nothing: every command here only reads.
 *
 * Docker is asked few, machine-readable questions for the whole workspace at once: one
 * `docker ps --format '{{json .}}'` and one `docker inspect` for its containers, one
 * `docker images` for its images, one `docker network ls` — selected by this workspace's label.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfigCached } from '../config/cached-load';
import { repoOf, type WorkspaceModel } from '../config/model';
import { headerNamespace } from '../compose/check';
import { composeDocument } from '../compose/document';
import { ChildProcessError, isLocalDevError } from '../core/errors';
import { exec } from '../core/exec';
import { listNamespaces, resolveNamespace } from '../core/namespace';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { readBuildRecordImage } from '../docker/build-record';
import { serviceImage } from '../docker/image';
import { hashFileOrAbsent } from '../docker/input-hash';
import { composeProjectName, LABELS, workspaceFilter, workspaceId } from '../docker/naming';
import { inspectFolder } from '../git/inspect';
import { readStatus } from '../git/status';
import { readManifest } from '../inject/manifest';
import { readTunnelState } from '../tunnel/state';
import { parseContainerIds, parseContainerInspect, parseImageReferences, parseJsonLines, type ContainerFacts } from './docker-facts';
import type { CloneFacts, EngineFacts, ImageFacts, InjectionFacts, ServiceFacts, StackFacts } from './facts';
import { projectStack, type StackModel } from './model';
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

export interface Workspace {
  paths: WorkspacePaths;
  model: WorkspaceModel;
  namespace: string;
}

/** The workspace's config and the namespace to compare against (a bad --namespace is refused here). */
export function openWorkspace(workspaceRoot: string, requested: string | undefined): Workspace {
  const paths = workspacePaths(workspaceRoot);
  const model = loadConfigCached(workspaceRoot);
  // The last run's namespace only while its folder exists: stop or clean must not fail on a namespace removed since.
  const last = lastRunNamespace(paths);
  const namespace = resolveNamespace(paths, requested ?? (last !== undefined && listNamespaces(paths).includes(last) ? last : undefined), model.defaultNamespace);
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

export async function gatherStackModel(request: StackRequest): Promise<StackModel> {
  return projectStack(await gatherStackFacts(request));
}

export async function gatherStackFacts(request: StackRequest): Promise<StackFacts> {
  const workspace = openWorkspace(request.workspaceRoot, request.namespace);
  const { paths, model, namespace } = workspace;
  const id = workspaceId(paths.root);
  const docker = await gatherDocker(paths.root, model.network);
  const definitions = composeDocument(model, { namespace, workspaceId: id }).services;
  const clones = new Map<string, Promise<CloneFacts>>();
  const cloneOf = (dir: string) => {
    let found = clones.get(dir);
    if (!found) {
      found = gatherClone(path.join(paths.cloned, dir));
      clones.set(dir, found);
    }
    return found;
  };
  const services = await mapLimit(model.services, CONCURRENCY, async (service): Promise<ServiceFacts> => {
    const repo = repoOf(model, service);
    const clone = await cloneOf(repo.dir);
    return {
      service,
      repo,
      clone,
      image: await gatherImage(workspace, service.name, clone, docker.images),
      containers: docker.containers.filter((container) => container.service === service.name),
      definition: definitions[service.name]?.labels[LABELS.definition] ?? '',
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

interface DockerFacts {
  engine: EngineFacts;
  containers: ContainerFacts[];
  images: Set<string>;
  networkExists: boolean | undefined;
}

/** This workspace's containers (by label, with `docker inspect`'s detail), images and the network. */
export async function gatherDocker(workspaceRoot: string, network: string): Promise<DockerFacts> {
  let ids: string[];
  try {
    ids = parseContainerIds((await exec('docker', ['ps', '--all', '--no-trunc', ...workspaceFilter(workspaceRoot), '--format', '{{json .}}'], { timeoutMs: DOCKER_TIMEOUT_MS })).stdout);
  } catch (error) {
    // No engine is a fact the model reports (with clones and tunnel still shown), not a crash.
    if (!(error instanceof ChildProcessError)) throw error;
    return { engine: { reachable: false, error: error.outputTail.split('\n').pop() || error.message }, containers: [], images: new Set(), networkExists: undefined };
  }
  const [containers, images, networks] = await Promise.all([
    ids.length === 0 ? Promise.resolve([]) : exec('docker', ['inspect', '--type', 'container', ...ids], { timeoutMs: DOCKER_TIMEOUT_MS }).then((result) => parseContainerInspect(result.stdout)),
    exec('docker', ['images', ...workspaceFilter(workspaceRoot), '--format', '{{json .}}'], { timeoutMs: DOCKER_TIMEOUT_MS }).then((result) => parseImageReferences(result.stdout)),
    exec('docker', ['network', 'ls', '--filter', `name=${network}`, '--format', '{{json .}}'], { timeoutMs: DOCKER_TIMEOUT_MS }).then((result) => parseJsonLines<{ Name?: string }>(result.stdout)),
  ]);
  // The name filter matches substrings: keep the exact name.
  return { engine: { reachable: true }, containers, images, networkExists: networks.some((entry) => entry.Name === network) };
}

/** How a clone stands: branch, ahead/behind, changes, and what inject-config put there. */
export async function gatherClone(folder: string): Promise<CloneFacts> {
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
    state: 'clone',
    branch: status.branch,
    head: status.oid,
    upstream: status.upstream,
    aheadBehind: status.aheadBehind,
    changed: status.changed,
    injection: readInjection(folder, found.gitDir),
  };
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

async function gatherImage(workspace: Workspace, service: string, clone: CloneFacts, existing: Set<string>): Promise<ImageFacts> {
  const recorded = readBuildRecordImage(workspace.paths, service);
  if (clone.state !== 'clone') return { wanted: undefined, wantedError: 'not cloned yet', wantedExists: false, recorded };
  const serviceModel = workspace.model.services.find((candidate) => candidate.name === service);
  if (!serviceModel) throw new Error(`model invariant broken: no service ${service}`);
  try {
    const { image } = await serviceImage({ ...workspace, refresh: false, service: serviceModel, repo: repoOf(workspace.model, serviceModel) });
    return { wanted: image, wantedError: undefined, wantedExists: existing.has(image), recorded };
  } catch (error) {
    // No Dockerfile yet, a clone without commits: the model says so for this service.
    if (isLocalDevError(error)) return { wanted: undefined, wantedError: error.message, wantedExists: false, recorded };
    throw error;
  }
}

/** `items` mapped with at most `limit` calls in flight, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, body: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
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
