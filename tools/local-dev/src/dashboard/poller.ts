/**
 * Keeps the dashboard's view current while someone watches, gathering on change rather than on a
 * clock: the stack model is gathered again when the engine reports an event of this workspace or
 * a file the model reads changes (src/stack/watch.ts), a burst of them making one gather; Docker is
 * asked again only after an engine event, and each clone's git only when its .git changed
 * (src/stack/gather.ts' GatherCache). A slow safety gather asks Docker again even without an event
 * (a network removed, an engine restarted unseen), and the cache re-reads git every 30 s at the
 * latest (a working-tree edit leaves .git alone). A new view is pushed only when something visible
 * changed. CPU and memory are read every few seconds (one-shot readings over the engine's socket),
 * keeping a short history per service for the sparklines. With nobody connected nothing runs.
 */
import type { RunMetricsFile } from '../core/run-record';
import { metricsFile } from '../core/run-record';
import { readJsonIfExists } from '../core/read-if-exists';
import type { WorkspacePaths } from '../core/workspace';
import { GatherCache, gatherStackModel } from '../stack/gather';
import type { StackModel } from '../stack/model';
import { StatsSampler, type StatsRow } from '../stack/stats';
import { watchStack, type StackChange, type StackWatch } from '../stack/watch';
import { changeKey, dashboardView, type DashboardView, type Sample } from './view';

/** Docker asked again at least this often, even without an event. */
export const SAFETY_INTERVAL_MS = 10_000;
export const STATS_INTERVAL_MS = 5000;
/** Changes arriving this close together make one gather (`docker stop` alone is four events). */
export const DEBOUNCE_MS = 100;
/** Samples kept per service: five minutes at one every five seconds. */
export const HISTORY = 60;

export interface PollerDeps {
  /** The stack model; `docker: true` asks Docker again instead of reusing its last answers. */
  model: (fresh: { docker: boolean }) => Promise<StackModel>;
  /** One CPU/memory reading of these running containers (no row for a container read for the first time). */
  stats: (containers: { service: string; id: string; restarts: number }[]) => Promise<StatsRow[]>;
  metrics: () => RunMetricsFile | undefined;
  /** Calls `changed` whenever something the model is made of may have changed, until stopped. */
  watch?: (changed: (what: StackChange) => void) => StackWatch;
  log: (line: string) => void;
  safetyIntervalMs?: number;
  statsIntervalMs?: number;
  debounceMs?: number;
}

export function workspacePollerDeps(paths: WorkspacePaths, namespace: string | undefined, log: (line: string) => void): PollerDeps {
  const cache = new GatherCache();
  const sampler = new StatsSampler(paths.root);
  return {
    model: (fresh) => {
      if (fresh.docker) cache.forgetDocker();
      return gatherStackModel({ workspaceRoot: paths.root, namespace }, cache);
    },
    stats: (containers) => sampler.sample(containers),
    metrics: () => readMetrics(paths),
    watch: (changed) => watchStack(paths, changed, log),
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
  private model: StackModel | undefined;
  private view: DashboardView | undefined;
  private key = '';
  private samples = new Map<string, Sample[]>();
  private listeners = new Set<(view: DashboardView) => void>();
  private safetyTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<DashboardView> | undefined;
  /** A change was seen while a gather ran (which may have read before it): gather once more after it. */
  private again: Promise<DashboardView> | undefined;
  /** Docker must be asked again at the next gather (an engine event, the safety timer). */
  private dockerChanged = false;
  private watcher: StackWatch | undefined;
  private lastError = '';
  /** Bumped on every start and stop, so a tick of a stopped loop never schedules another. */
  private generation = 0;

  constructor(private readonly deps: PollerDeps) {}

  /** The current view (gathered now, Docker asked afresh, if nobody keeps one current). */
  async current(): Promise<DashboardView> {
    if (this.view && this.listeners.size > 0) return this.view;
    this.dockerChanged = true;
    return this.refresh();
  }

  /** Calls `listener` with each new view until the returned function is called; watches while anyone listens. */
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
      this.again ??= this.inFlight
        .catch(() => undefined)
        .then(() => {
          this.again = undefined;
          return this.refresh();
        });
      return this.again;
    }
    const docker = this.dockerChanged;
    this.dockerChanged = false;
    this.inFlight = (async () => {
      try {
        const model = await this.deps.model({ docker });
        this.watcher?.follow(model);
        this.model = model;
        return this.publish(model);
      } catch (error) {
        // Not read this time: asked again next time.
        if (docker) this.dockerChanged = true;
        throw error;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** The view of `model` with the current samples, pushed to the listeners when something visible changed. */
  private publish(model: StackModel): DashboardView {
    const view = dashboardView(model, this.samples, this.deps.metrics());
    const key = changeKey(view);
    this.view = view;
    if (key !== this.key) {
      this.key = key;
      for (const listener of this.listeners) listener(view);
    }
    return view;
  }

  /** A change was seen: gather once the burst it belongs to is over. */
  private changed(what: StackChange): void {
    if (what === 'engine') this.dockerChanged = true;
    if (this.debounceTimer) return;
    const generation = this.generation;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      if (generation === this.generation) this.report(this.refresh());
    }, this.deps.debounceMs ?? DEBOUNCE_MS);
  }

  /** A failed gather (engine restarting, a clone mid-checkout) is tried again at the next change or tick; said once per new message. */
  private report(work: Promise<unknown>): void {
    work.then(
      () => (this.lastError = ''),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== this.lastError) this.deps.log(`gather failed (retrying): ${message}`);
        this.lastError = message;
      },
    );
  }

  private async sample(): Promise<void> {
    const running = (this.view?.services ?? []).flatMap((service) =>
      service.container?.status === 'running' ? [{ service: service.name, id: service.container.id, restarts: service.restarts ?? 0 }] : [],
    );
    if (running.length === 0) return;
    this.samples = withSamples(this.samples, await this.deps.stats(running), Date.now());
    // The graphs move without a gather: the last model, with the new samples.
    if (this.model) this.publish(this.model);
  }

  private start(): void {
    const generation = ++this.generation;
    this.watcher = this.deps.watch?.((what) => {
      // A watcher's last word after it was stopped is not a reason to gather.
      if (generation === this.generation) this.changed(what);
    });
    this.dockerChanged = true;
    this.report(this.refresh());
    const safety = () => {
      this.safetyTimer = setTimeout(() => {
        if (generation !== this.generation) return;
        this.changed('engine');
        safety();
      }, this.deps.safetyIntervalMs ?? SAFETY_INTERVAL_MS);
    };
    safety();
    const sampling = () => {
      this.statsTimer = setTimeout(() => {
        if (generation !== this.generation) return;
        const work = this.sample();
        this.report(work);
        void work
          .catch(() => undefined)
          .finally(() => {
            if (generation === this.generation) sampling();
          });
      }, this.deps.statsIntervalMs ?? STATS_INTERVAL_MS);
    };
    sampling();
  }

  stop(): void {
    this.generation++;
    this.watcher?.stop();
    this.watcher = undefined;
    clearTimeout(this.safetyTimer);
    clearTimeout(this.statsTimer);
    clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
  }
}
