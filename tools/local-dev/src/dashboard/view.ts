/**
 * What the dashboard page shows, projected purely from the stack model (src/stack/model.ts), the
 * CPU/memory samples kept by the server, and logs/run_metrics.json. The page renders this view
 * and judges nothing: every "is it stale, and why", "did it crash" comes from the model.
 */
import type { CacheState, ImageOutcome, RunMetricsFile, RunProgress } from '../core/run-record';
import type { ContainerEnd } from '../stack/container-end';
import type { Problem, ServiceState, ServiceView, StackModel } from '../stack/model';
import { liveLine } from '../stack/live-view';

/**
 * The colour a state is drawn in: a crash, or a process that ended by itself, is red; a container
 * someone stopped (`docker stop`, local-dev) is grey, like one not started: nothing broke.
 */
export type Tone = 'ok' | 'busy' | 'idle' | 'bad';

const TONES: Record<ServiceState, Tone> = {
  'not-cloned': 'idle',
  cloned: 'idle',
  'image-building': 'busy',
  'image-ready': 'idle',
  starting: 'busy',
  running: 'ok',
  healthy: 'ok',
  unhealthy: 'bad',
  stopped: 'idle',
  exited: 'bad',
  crashed: 'bad',
};

/** The words the page shows for a state (the list: "not cloned", "image building" …). */
const LABELS: Record<ServiceState, string> = {
  'not-cloned': 'not cloned',
  cloned: 'cloned',
  'image-building': 'image building',
  'image-ready': 'image ready',
  starting: 'starting',
  running: 'running',
  healthy: 'healthy',
  unhealthy: 'unhealthy',
  stopped: 'stopped',
  exited: 'exited',
  crashed: 'crashed',
};

/** One reading of a container's CPU (percent of one core) and memory (bytes), at `at` (ms). */
export interface Sample {
  at: number;
  cpuPercent: number;
  memoryBytes: number;
}

export interface ServiceCard {
  name: string;
  kind: 'service' | 'worker';
  state: ServiceState;
  stateLabel: string;
  tone: Tone;
  branch: string | undefined;
  wantedBranch: string | undefined;
  dirty: boolean;
  changedFiles: number;
  /**
   * fresh: the container runs the image its inputs call for; stale (with why); live: its image plus
   * files the dev target synced into it; unknown (no container or image yet).
   */
  image: { freshness: 'fresh' | 'stale' | 'live' | 'unknown'; why: string | undefined; wanted: string | undefined };
  /** Dev's part (the model's live view) with the line the card shows; null: the container is its image and no dev watches. */
  live: { files: number; lastAt: string | null; watching: boolean; line: string } | null;
  /** Host ports as links (http on 127.0.0.1). */
  links: { url: string; host: number; container: number }[];
  debugPort: number | undefined;
  restarts: number | undefined;
  /** `end`: how it came to stop (the model's containerEnd), shown on the card with its problem. */
  container: { id: string; status: string; exitCode: number; end: ContainerEnd | undefined } | undefined;
  cpu: number[];
  memory: number[];
  problems: Problem[];
}

export interface TunnelCard {
  namespace: string | undefined;
  /** healthy, degraded … (the supervisor's word), or "not running". */
  status: string;
  healthy: boolean;
  tone: Tone;
  lastPing: string | undefined;
  reconnects: number | undefined;
  port: number | undefined;
  lines: string[];
}

export interface RunTask {
  task: string;
  state: string;
  cacheHit: boolean;
  /** hit, miss, or off (a target Nx never caches); known once the run has ended (run-record.ts). */
  cache: CacheState | undefined;
  /** build-image only, when it ran: where the image came from — present, pulled (the team's registry) or built. */
  image: ImageOutcome | undefined;
  durationMs: number | undefined;
}

export interface RunCard {
  command: string;
  state: RunProgress['state'];
  startedAt: string;
  durationMs: number | undefined;
  tasks: RunTask[];
  cacheHits: number;
  failed: string[];
}

export interface DashboardView {
  generatedAt: string;
  namespace: string;
  engine: { reachable: boolean; error: string | undefined };
  services: ServiceCard[];
  tunnel: TunnelCard;
  run: RunCard | undefined;
  /** Per service: build-image durations (ms) over the recorded runs, oldest first (null: not built in that run). */
  buildTimes: { service: string; durations: (number | null)[] }[];
  problems: (Problem & { subject: string })[];
}

export function toneOf(state: ServiceState): Tone {
  return TONES[state];
}

/** Pure: the image is fresh, stale (the model's reason) or unknown (nothing runs to compare). */
export function imageFreshness(service: ServiceView): ServiceCard['image'] {
  if (service.container && service.live !== null && service.live.files > 0) {
    return { freshness: 'live', why: `its image + ${service.live.files} synced file${service.live.files === 1 ? '' : 's'}`, wanted: service.image.wanted };
  }
  const stale = service.problems.find((problem) => problem.kind === 'stale-image');
  if (stale) return { freshness: 'stale', why: stale.message.replace(/^stale image: /, ''), wanted: service.image.wanted };
  if (service.container?.current) return { freshness: 'fresh', why: undefined, wanted: service.image.wanted };
  const unknown = service.problems.find((problem) => problem.kind === 'image-unknown');
  return { freshness: 'unknown', why: unknown?.message ?? (service.image.exists ? 'built, not running' : 'not built yet'), wanted: service.image.wanted };
}

export function serviceCard(service: ServiceView, samples: readonly Sample[]): ServiceCard {
  return {
    name: service.name,
    kind: service.kind,
    state: service.state,
    stateLabel: LABELS[service.state],
    tone: toneOf(service.state),
    branch: service.repo.branch,
    wantedBranch: service.repo.wantedBranch,
    dirty: service.repo.dirty,
    changedFiles: service.repo.changedFiles,
    image: imageFreshness(service),
    links: service.ports
      .filter((port) => port.protocol === 'tcp')
      .map((port) => ({ url: `http://127.0.0.1:${port.host}/`, host: port.host, container: port.container })),
    debugPort: service.debugPort?.host,
    restarts: service.container?.restarts,
    container: service.container
      ? { id: service.container.id, status: service.container.status, exitCode: service.container.exitCode, end: service.container.end }
      : undefined,
    cpu: samples.map((sample) => sample.cpuPercent),
    memory: samples.map((sample) => sample.memoryBytes),
    live: service.live === null ? null : { ...service.live, line: liveLine(service.live) as string },
    // The live line has its own row on the card.
    problems: service.problems.filter((problem) => problem.kind !== 'live'),
  };
}

export function tunnelCard(tunnel: StackModel['tunnel']): TunnelCard {
  const status = tunnel.condition === 'running' ? (tunnel.status ?? 'unknown') : tunnel.condition === 'absent' ? 'not started' : tunnel.condition;
  return {
    namespace: tunnel.namespace,
    status,
    healthy: tunnel.healthy,
    tone: tunnel.healthy ? 'ok' : tunnel.condition === 'absent' || tunnel.condition === 'stopped' ? 'idle' : 'bad',
    lastPing: tunnel.lastCheckAt,
    reconnects: tunnel.restarts,
    port: tunnel.port,
    lines: tunnel.lines,
  };
}

export function runCard(run: RunProgress | undefined): RunCard | undefined {
  if (!run) return undefined;
  const tasks = Object.entries(run.tasks).map(([task, progress]) => ({
    task,
    state: progress.state,
    cacheHit: progress.cacheHit,
    cache: progress.cache ?? (progress.cacheHit ? 'hit' : undefined),
    image: progress.image,
    durationMs: progress.durationMs,
  }));
  return {
    command: run.command,
    state: run.state,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    tasks,
    cacheHits: tasks.filter((task) => task.cacheHit).length,
    failed: tasks.filter((task) => task.state === 'failure').map((task) => task.task),
  };
}

/** Pure: build-image time per service over the recorded runs, oldest run first. */
export function buildTimes(metrics: RunMetricsFile | undefined, services: readonly string[]): DashboardView['buildTimes'] {
  const runs = [...(metrics?.runs ?? [])].reverse();
  return services.map((service) => ({
    service,
    durations: runs.map((run) => run.tasks.find((task) => task.project === service && task.target === 'build-image')?.durationMs ?? null),
  }));
}

export function dashboardView(model: StackModel, samples: ReadonlyMap<string, readonly Sample[]>, metrics: RunMetricsFile | undefined): DashboardView {
  return {
    generatedAt: model.generatedAt,
    namespace: model.namespace,
    engine: model.engine,
    services: model.services.map((service) => serviceCard(service, samples.get(service.name) ?? [])),
    tunnel: tunnelCard(model.tunnel),
    run: runCard(model.run),
    buildTimes: buildTimes(
      metrics,
      model.services.map((service) => service.name),
    ),
    problems: model.problems,
  };
}

/**
 * Pure: the view without what changes on every poll (the time it was made), so the server pushes
 * a snapshot only when something a user can see changed.
 */
export function changeKey(view: DashboardView): string {
  return JSON.stringify({ ...view, generatedAt: undefined });
}
