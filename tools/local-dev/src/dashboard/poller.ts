/**
 * Keeps the dashboard's view current while someone watches: the stack model is gathered about
 * once a second (one `docker ps`, one `docker inspect`, one `git status` per clone …) and pushed
 * to the listeners only when something visible changed; CPU and memory are sampled every few
 * seconds (`docker stats --no-stream` takes ~2 s and a core), keeping a short history per service
 * for the sparklines. With nobody connected it does not poll at all.
 */
import { spawn } from 'node:child_process';
import { UsageError } from '../core/errors';
import { readJsonIfExists } from '../core/read-if-exists';
import { metricsFile, type RunMetricsFile } from '../core/run-record';
import type { WorkspacePaths } from '../core/workspace';
import { workspaceFilter } from '../docker/naming';
import { gatherStackModel } from '../stack/gather';
import type { StackModel } from '../stack/model';
import { readStats, type StatsRow } from '../stack/stats';
import { changeKey, dashboardView, type DashboardView, type Sample } from './view';

export const MODEL_INTERVAL_MS = 1000;
export const STATS_INTERVAL_MS = 5000;
/** Samples kept per service: five minutes at one every five seconds. */
export const HISTORY = 60;

export interface PollerDeps {
  model: () => Promise<StackModel>;
  /** One CPU/memory reading of the running containers of `services` (empty when none runs). */
  stats: (services: string[]) => Promise<StatsRow[]>;
  metrics: () => RunMetricsFile | undefined;
  /** Calls `changed` on every container event of this workspace (a stop, a start) until the returned function is called. */
  watchEngine?: (changed: () => void) => () => void;
  log: (line: string) => void;
  modelIntervalMs?: number;
  statsIntervalMs?: number;
}

export function workspacePollerDeps(paths: WorkspacePaths, namespace: string | undefined, log: (line: string) => void): PollerDeps {
  return {
    model: () => gatherStackModel({ workspaceRoot: paths.root, namespace }),
    stats: async (services) => {
      try {
        return await readStats(paths.root, services);
      } catch (error) {
        // readStats refuses when no container runs: for a graph that is simply no new point.
        if (error instanceof UsageError) return [];
        throw error;
      }
    },
    metrics: () => readMetrics(paths),
    watchEngine: (changed) => watchContainerEvents(paths.root, changed, log),
    log,
  };
}

/** logs/run_metrics.json, or undefined before the first run (or when it cannot be parsed: written atomically, so only a hand edit). */
export function readMetrics(paths: WorkspacePaths): RunMetricsFile | undefined {
  return readJsonIfExists<RunMetricsFile>(metricsFile(paths));
}

/** Pure: the history with a new reading per service appended, at most `keep` per service. */
export function withSamples(history: ReadonlyMap<string, readonly Sample[]>, rows: readonly StatsRow[], at: number, keep = HISTORY): Map<string, Sample[]> {
  const next = new Map<string, Sample[]>([...history].map(([service, samples]) => [service, [...samples]]));
  for (const row of rows) {
    const samples = next.get(row.service) ?? [];
    samples.push({ at, cpuPercent: Number.isFinite(row.cpuPercent) ? row.cpuPercent : 0, memoryBytes: Number.isFinite(row.memoryBytes) ? row.memoryBytes : 0 });
    next.set(row.service, samples.slice(-keep));
  }
  return next;
}

export class Poller {
  private view: DashboardView | undefined;
  private key = '';
  private samples = new Map<string, Sample[]>();
  private listeners = new Set<(view: DashboardView) => void>();
  private modelTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<DashboardView> | undefined;
  /** A change was seen while a gather ran (which may have read Docker before it): gather once more after it. */
  private again: Promise<DashboardView> | undefined;
  private unwatch: (() => void) | undefined;
  private lastError = '';
  /** Bumped on every start and stop, so a tick of a stopped loop never schedules another. */
  private generation = 0;

  constructor(private readonly deps: PollerDeps) {}

  /** The current view (gathered now if none is fresh). */
  async current(): Promise<DashboardView> {
    return this.view && this.listeners.size > 0 ? this.view : this.refresh();
  }

  /** Calls `listener` with each new view until the returned function is called; polls while anyone listens. */
  subscribe(listener: (view: DashboardView) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /**
   * Gathers the model now and notifies listeners if the view changed. One gather at a time; a
   * refresh asked for during one runs once more right after it, so no change is missed.
   */
  refresh(): Promise<DashboardView> {
    if (this.inFlight) {
      this.again ??= this.inFlight.catch(() => undefined).then(() => {
        this.again = undefined;
        return this.refresh();
      });
      return this.again;
    }
    this.inFlight = (async () => {
      try {
        const model = await this.deps.model();
        const view = dashboardView(model, this.samples, this.deps.metrics());
        const key = changeKey(view);
        this.view = view;
        if (key !== this.key) {
          this.key = key;
          for (const listener of this.listeners) listener(view);
        }
        return view;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  private async sample(): Promise<void> {
    const running = (this.view?.services ?? []).filter((service) => service.container?.status === 'running').map((service) => service.name);
    if (running.length === 0) return;
    this.samples = withSamples(this.samples, await this.deps.stats(running), Date.now());
  }

  private start(): void {
    const generation = ++this.generation;
    const loop = (body: () => Promise<unknown>, interval: number, set: (timer: NodeJS.Timeout) => void) => {
      const tick = () => {
        body()
          .then(() => (this.lastError = ''))
          .catch((error: unknown) => {
            // A failed gather (engine restarting, a clone mid-checkout) is tried again next tick; said once per new message.
            const message = error instanceof Error ? error.message : String(error);
            if (message !== this.lastError) this.deps.log(`poll failed (retrying): ${message}`);
            this.lastError = message;
          })
          .finally(() => {
            if (generation === this.generation) set(setTimeout(tick, interval));
          });
      };
      tick();
    };
    loop(() => this.refresh(), this.deps.modelIntervalMs ?? MODEL_INTERVAL_MS, (timer) => (this.modelTimer = timer));
    // Docker says at once when a container stops or starts: no waiting for the next tick.
    this.unwatch = this.deps.watchEngine?.(() => {
      this.refresh().catch(() => undefined);
    });
    loop(() => this.sample(), this.deps.statsIntervalMs ?? STATS_INTERVAL_MS, (timer) => (this.statsTimer = timer));
  }

  stop(): void {
    this.generation++;
    this.unwatch?.();
    this.unwatch = undefined;
    clearTimeout(this.modelTimer);
    clearTimeout(this.statsTimer);
  }
}

/**
 * `docker events` for this workspace's containers (by label), as a trigger only: what changed is
 * read from the model, never from the event. A child we can end (the exec helper waits for an end
 * that never comes). If it dies (engine restart), the next tick's gather still sees everything.
 */
export function watchContainerEvents(workspaceRoot: string, changed: () => void, log: (line: string) => void): () => void {
  const child = spawn('docker', ['events', ...workspaceFilter(workspaceRoot), '--filter', 'type=container', '--format', '{{.Action}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', () => changed());
  child.on('error', (error) => log(`docker events failed (changes show at the next poll): ${error.message}`));
  return () => child.kill('SIGTERM');
}
