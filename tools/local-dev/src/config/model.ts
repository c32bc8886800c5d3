/**
 * The normalized model every other part of local-dev works from.
 *
 * config.yaml is read once, validated, and turned into these types: no optional field is left for
 * callers to default, workers are services of their own that point at their owner's clone, and
 * derived facts (clone folder, debug host ports, Redis settings) are computed here, purely.
 */
import * as path from 'node:path';
import type { RawConfig, RawService, RawWorker } from './schema';
import { PORT_MAPPING_PATTERN } from './patterns';
import type { RegistrySettings } from './registry';

export const DEFAULT_NETWORK = 'oh-network';
export const DEFAULT_NAMESPACE = 's1';
/** required false: the tunnel is best effort, services start even when it is not healthy. */
export const DEFAULT_REDIS = { deployment: 'redis', port: 6379, required: false, mode: 'tunnel' as RedisMode };
export const DEFAULT_HEALTHCHECK_TIMEOUT_SECONDS = 90;
/** Host ports for debuggers are handed out from here, in config order (the old tool used 5726). */
export const FIRST_DEBUG_HOST_PORT = 5726;

export interface PortMapping {
  hostIp?: string;
  host: number;
  container: number;
  protocol: 'tcp' | 'udp';
}

export type Healthcheck =
  { type: 'http'; path: string; port: number; timeoutSeconds: number } | { type: 'tcp'; port: number; timeoutSeconds: number } | { type: 'none' };

export interface InjectedConfig {
  /** Relative to configs/<namespace>/ (a leading "configs/" in config.yaml is dropped). */
  source: string;
  /** Relative to the clone's root. */
  dest: string;
  required: boolean;
}

export interface RepoModel {
  url: string;
  /** undefined: the remote's default branch. */
  branch?: string;
  /** Folder under cloned/. */
  dir: string;
  alwaysRefresh: boolean;
  /** The service that owns (clones) this repo. */
  owner: string;
  /** Every service built from this clone: the owner first, then its workers. */
  services: string[];
  /** Files injected into this clone from configs/<namespace>/. */
  configs: InjectedConfig[];
}

/** One live.sync entry, normalized: `from` relative to the clone ("" is the whole clone), `to` absolute; neither ends with "/". */
export interface LiveSync {
  from: string;
  to: string;
}

/** A service's live settings (config.yaml `live:`), for the dev target. */
export interface LiveSettings {
  sync: LiveSync[];
  /** Restart the container's process after a sync (false: the app reloads itself). */
  restart: boolean;
  /** Globs relative to the clone: a change there means a new image. */
  rebuildOn: string[];
  /** Globs relative to the clone never synced (beyond .git, node_modules and injected files). */
  ignore: string[];
}

export interface ServiceModel {
  name: string;
  kind: 'service' | 'worker';
  /** The service that owns the clone: itself for a service, the owning service for a worker. */
  owner: string;
  /** Folder under cloned/ this service is built from. */
  dir: string;
  dockerfile: string;
  ports: PortMapping[];
  debug?: { containerPort: number; hostPort: number };
  environment: Record<string, string>;
  buildArgs: Record<string, string>;
  buildSecrets: string[];
  healthcheck: Healthcheck;
  dependsOn: string[];
  /** Absent: the service has no live mode (its dev target only runs `up`). */
  live?: LiveSettings;
}

/** tunnel: kubectl port-forward to the namespace's Redis; local: a supervised redis-server on this machine. */
export type RedisMode = 'tunnel' | 'local';

export interface RedisSettings {
  deployment: string;
  port: number;
  /** An unhealthy Redis stops the run (true) or is reported while services start anyway (false). */
  required: boolean;
  /** The workspace's choice (config.yaml redis.mode). */
  mode: RedisMode;
  /** Per-namespace choices overriding `mode` (redis.namespaces.<ns>.mode). */
  namespaceModes: Record<string, RedisMode>;
}

/** Which Redis a run for `namespace` uses. Absent settings (states and contexts made before local mode) mean the tunnel. */
export function redisModeFor(redis: Partial<Pick<RedisSettings, 'mode' | 'namespaceModes'>>, namespace: string): RedisMode {
  return redis.namespaceModes?.[namespace] ?? redis.mode ?? 'tunnel';
}

export interface WorkspaceModel {
  network: string;
  defaultNamespace: string;
  redis: RedisSettings;
  /** config.yaml's registry (push defaulting to false); the environment may override it: effectiveRegistry in ./registry. */
  registry?: RegistrySettings;
  /** In config order, each worker right after its owner. */
  services: ServiceModel[];
  repos: RepoModel[];
}

/** Folder a repo URL clones into by default: its last path segment without ".git". */
export function defaultCloneDir(url: string): string {
  const lastSegment =
    url
      .replace(/[/\\]+$/, '')
      .split(/[/\\:]/)
      .pop() ?? url;
  return lastSegment.replace(/\.git$/, '');
}

export function parsePortMapping(value: number | string): PortMapping {
  if (typeof value === 'number') return { host: value, container: value, protocol: 'tcp' };
  const match = PORT_MAPPING_PATTERN.exec(value);
  if (!match) throw new Error(`unvalidated port mapping ${value}`);
  const [, hostIp, hostPort, containerPort, protocol] = match;
  const container = Number(containerPort);
  const host = hostPort === undefined ? container : Number(hostPort);
  return { hostIp, host, container, protocol: (protocol as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

/** configs entries name "configs/x" (as the old tool did) or just "x"; both mean configs/<ns>/x. */
export function namespaceRelativeSource(source: string): string {
  return source.replace(/^(\.\/)?configs\//, '');
}

function stringify(values: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, String(value)]));
}

function normalizeHealthcheck(raw: RawWorker['healthcheck'], ports: PortMapping[]): Healthcheck {
  if (!raw) return { type: 'none' };
  const timeoutSeconds = raw.timeout ?? DEFAULT_HEALTHCHECK_TIMEOUT_SECONDS;
  if (raw.tcp !== undefined) return { type: 'tcp', port: raw.tcp, timeoutSeconds };
  // The rules guarantee a port exists when http is used without one.
  const port = raw.port ?? ports[0]?.container ?? 0;
  return { type: 'http', path: raw.http ?? '/', port, timeoutSeconds };
}

function normalizeRunSettings(name: string, kind: 'service' | 'worker', owner: string, dir: string, raw: RawWorker | RawService): ServiceModel {
  const ports = (raw.ports ?? []).map(parsePortMapping);
  return {
    name,
    kind,
    owner,
    dir,
    dockerfile: raw.dockerfile ?? `${name}.dev.Dockerfile`,
    ports,
    debug: undefined,
    environment: stringify(raw.environment),
    buildArgs: stringify(raw['build-args']),
    buildSecrets: raw['build-secrets'] ?? [],
    healthcheck: normalizeHealthcheck(raw.healthcheck, ports),
    dependsOn: raw['depends-on'] ?? [],
    live: raw.live === undefined ? undefined : normalizeLive(raw.live),
  };
}

function normalizeLive(raw: NonNullable<RawWorker['live']>): LiveSettings {
  return {
    sync: raw.sync.map(normalizeLiveSync),
    restart: raw.restart ?? false,
    rebuildOn: raw['rebuild-on'] ?? [],
    ignore: raw.ignore ?? [],
  };
}

/**
 * One live.sync entry as the planner compares paths: "app/" → "app", "." or "./" → "" (the whole
 * clone), "/app/app/" → "/app/app", "app//x" or "./app/x" → the plain path. The schema has already
 * refused ".." parts, absolute `from`s and `to: /`.
 */
export function normalizeLiveSync(entry: LiveSync): LiveSync {
  const clean = (value: string) => {
    const normalized = path.posix.normalize(value).replace(/\/+$/, '');
    return normalized === '.' ? '' : normalized;
  };
  return { from: clean(entry.from), to: clean(entry.to) };
}

/**
 * Hands each debug-port a distinct host port, in config order, skipping host ports that services
 * already publish. Deterministic, so the same config gives the same ports on every run and machine.
 */
export function assignDebugHostPorts(services: ServiceModel[], debugPorts: Map<string, number>, redisPort: number): void {
  const taken = new Set<number>([redisPort, ...services.flatMap((service) => service.ports.map((p) => p.host))]);
  let next = FIRST_DEBUG_HOST_PORT;
  for (const service of services) {
    const containerPort = debugPorts.get(service.name);
    if (containerPort === undefined) continue;
    while (taken.has(next)) next++;
    service.debug = { containerPort, hostPort: next };
    taken.add(next);
  }
}

/** Raw (schema-valid, rule-checked) config → model. Pure. */
export function normalizeConfig(raw: RawConfig): WorkspaceModel {
  const services: ServiceModel[] = [];
  const repos: RepoModel[] = [];
  const debugPorts = new Map<string, number>();
  for (const [name, rawService] of Object.entries(raw.services)) {
    const dir = rawService.dir ?? defaultCloneDir(rawService.repo);
    services.push(normalizeRunSettings(name, 'service', name, dir, rawService));
    if (rawService['debug-port'] !== undefined) debugPorts.set(name, rawService['debug-port']);
    const workerNames: string[] = [];
    for (const [workerName, rawWorker] of Object.entries(rawService.workers ?? {})) {
      const worker = normalizeRunSettings(workerName, 'worker', name, dir, rawWorker ?? {});
      // A worker runs next to its owner: it starts after it, whatever else it depends on.
      worker.dependsOn = [name, ...worker.dependsOn.filter((dependency) => dependency !== name)];
      services.push(worker);
      workerNames.push(workerName);
      if (rawWorker?.['debug-port'] !== undefined) debugPorts.set(workerName, rawWorker['debug-port']);
    }
    repos.push({
      url: rawService.repo,
      branch: rawService.branch,
      dir,
      alwaysRefresh: rawService['always-refresh'] ?? false,
      owner: name,
      services: [name, ...workerNames],
      configs: (rawService.configs ?? []).map((entry) => ({
        source: namespaceRelativeSource(entry.source),
        dest: entry.dest,
        required: entry.required ?? false,
      })),
    });
  }
  const redis: RedisSettings = {
    deployment: raw.redis?.deployment ?? DEFAULT_REDIS.deployment,
    port: raw.redis?.port ?? DEFAULT_REDIS.port,
    required: raw.redis?.required ?? DEFAULT_REDIS.required,
    mode: raw.redis?.mode ?? DEFAULT_REDIS.mode,
    namespaceModes: Object.fromEntries(Object.entries(raw.redis?.namespaces ?? {}).map(([namespace, choice]) => [namespace, choice.mode])),
  };
  assignDebugHostPorts(services, debugPorts, redis.port);
  return {
    network: raw.network ?? DEFAULT_NETWORK,
    defaultNamespace: raw['default-namespace'] ?? DEFAULT_NAMESPACE,
    redis,
    ...(raw.registry ? { registry: { url: raw.registry.url, push: raw.registry.push ?? false } } : {}),
    services,
    repos,
  };
}

export function findService(model: WorkspaceModel, name: string): ServiceModel | undefined {
  return model.services.find((service) => service.name === name);
}

export function repoOf(model: WorkspaceModel, service: ServiceModel): RepoModel {
  const repo = model.repos.find((candidate) => candidate.owner === service.owner);
  if (!repo) throw new Error(`model invariant broken: no repo for ${service.name}`);
  return repo;
}
