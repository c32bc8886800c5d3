import type { StackModel } from '../stack/model';
import type { StatsRow } from '../stack/stats';
import type { StackChange, StackWatch } from '../stack/watch';
import { Poller, withSamples } from './poller';
import type { DashboardView, Sample } from './view';

function model(state: string): StackModel {
  return {
    generatedAt: new Date().toISOString(),
    namespace: 's1',
    engine: { reachable: true, error: undefined },
    network: { name: 'n', exists: true },
    workspace: { root: '/ws', id: 'x', composeProject: 'p' },
    orphans: [],
    run: undefined,
    problems: [],
    services: [
      {
        name: 'api',
        kind: 'service',
        state,
        repo: { branch: 'main', dirty: false, changedFiles: 0 },
        image: { wanted: undefined, exists: false, recorded: undefined },
        container: undefined,
        ports: [],
        debugPort: undefined,
        live: null,
        problems: [],
      },
    ],
    tunnel: {
      condition: 'absent',
      status: undefined,
      namespace: undefined,
      port: undefined,
      restarts: undefined,
      lastCheckAt: undefined,
      healthy: false,
      lines: [],
      problems: [],
    },
  } as unknown as StackModel;
}

const row = (service: string, cpuPercent: number): StatsRow => ({
  service,
  container: 'c',
  cpuPercent,
  memoryBytes: 10,
  memoryLimitBytes: 100,
  memoryPercent: 10,
  netRxBytes: 0,
  netTxBytes: 0,
  restarts: 0,
});

/** A stand-in for src/stack/watch.ts (the real one is driven by real files and the real engine in e2e/dashboard-watch.e2e.spec.ts). */
function fakeWatch() {
  const state = { changed: undefined as ((what: StackChange) => void) | undefined, follows: 0, stopped: 0 };
  const watch = (changed: (what: StackChange) => void): StackWatch => {
    state.changed = changed;
    return { follow: () => void state.follows++, stop: () => void state.stopped++ };
  };
  return { state, watch };
}

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('not within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
};

describe('Poller', () => {
  it('gathers on change, not on a clock: at the start, then only when told, pushing only what changed', async () => {
    const gathers: boolean[] = [];
    const states = ['running', 'running', 'stopped'];
    const { state, watch } = fakeWatch();
    const poller = new Poller({
      model: async (fresh) => model(states[Math.min(gathers.push(fresh.docker) - 1, states.length - 1)]),
      stats: async () => [],
      metrics: () => undefined,
      log: () => undefined,
      watch,
      debounceMs: 1,
      safetyIntervalMs: 60_000,
      statsIntervalMs: 60_000,
    });
    const pushed: string[] = [];
    const unsubscribe = poller.subscribe((view: DashboardView) => pushed.push(view.services[0].state));
    await until(() => pushed.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(gathers).toEqual([true]);
    // A file changed (the tunnel's state, a lock): Docker's answers are reused.
    state.changed?.('files');
    await until(() => gathers.length === 2);
    // The engine said something happened: Docker is asked again.
    state.changed?.('engine');
    await until(() => pushed.length === 2);
    expect(gathers).toEqual([true, false, true]);
    expect(pushed).toEqual(['running', 'stopped']);
    expect(state.follows).toBe(3);
    unsubscribe();
    expect(state.stopped).toBe(1);
  });

  it('a burst of changes makes one gather; nothing is gathered once nobody listens', async () => {
    let gathers = 0;
    const { state, watch } = fakeWatch();
    const poller = new Poller({
      model: async () => model(`running-${gathers++}`),
      stats: async () => [],
      metrics: () => undefined,
      log: () => undefined,
      watch,
      debounceMs: 20,
      safetyIntervalMs: 60_000,
      statsIntervalMs: 60_000,
    });
    const unsubscribe = poller.subscribe(() => undefined);
    await until(() => gathers === 1);
    for (const what of ['engine', 'engine', 'files', 'engine'] as const) state.changed?.(what);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(gathers).toBe(2);
    unsubscribe();
    state.changed?.('engine');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(gathers).toBe(2);
  });

  it('the safety timer asks Docker again without any event', async () => {
    const gathers: boolean[] = [];
    const poller = new Poller({
      model: async (fresh) => model(`running-${gathers.push(fresh.docker)}`),
      stats: async () => [],
      metrics: () => undefined,
      log: () => undefined,
      debounceMs: 1,
      safetyIntervalMs: 10,
      statsIntervalMs: 60_000,
    });
    const unsubscribe = poller.subscribe(() => undefined);
    await until(() => gathers.length >= 3);
    unsubscribe();
    expect(gathers.slice(0, 3)).toEqual([true, true, true]);
  });

  it('a change seen while a gather runs is gathered once more after it (that gather may have read Docker before it)', async () => {
    const releases: (() => void)[] = [];
    let state = 'running';
    const poller = new Poller({
      // Like the engine: what the gather reads is what was true when it started.
      model: () => {
        const seen = state;
        return new Promise((resolve) => releases.push(() => resolve(model(seen))));
      },
      stats: async () => [],
      metrics: () => undefined,
      log: () => undefined,
    });
    const first = poller.refresh();
    state = 'stopped';
    const second = poller.refresh();
    const third = poller.refresh();
    expect(third).toBe(second);
    releases.shift()?.();
    expect((await first).services[0].state).toBe('running');
    await until(() => releases.length > 0);
    releases.shift()?.();
    expect((await second).services[0].state).toBe('stopped');
  });

  it('samples CPU and memory of the running containers only, while someone listens', async () => {
    const asked: string[][] = [];
    const poller = new Poller({
      model: async () =>
        ({
          ...model('running'),
          services: [
            { ...model('running').services[0], container: { id: 'c1', status: 'running' } },
            { ...model('stopped').services[0], name: 'web', container: { id: 'c2', status: 'exited' } },
          ],
        }) as unknown as StackModel,
      stats: async (containers) => {
        asked.push(containers.map((container) => container.id));
        return [row('api', 7)];
      },
      metrics: () => undefined,
      log: () => undefined,
      safetyIntervalMs: 60_000,
      statsIntervalMs: 5,
    });
    const views: DashboardView[] = [];
    const unsubscribe = poller.subscribe((view) => views.push(view));
    await until(() => asked.length >= 2);
    unsubscribe();
    expect(asked[0]).toEqual(['c1']);
    // Each reading reaches the page without waiting for a gather.
    expect(views.map((view) => view.services[0].cpu.length).slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('keeps the last samples per service for the sparklines', () => {
    let history = new Map<string, Sample[]>();
    for (let index = 0; index < 5; index++) history = withSamples(history, [row('api', index), row('web', 10 * index)], index, 3);
    expect(history.get('api')?.map((sample) => sample.cpuPercent)).toEqual([2, 3, 4]);
    expect(history.get('web')).toHaveLength(3);
    expect(withSamples(new Map(), [row('api', Number.NaN)], 1).get('api')).toEqual([{ at: 1, cpuPercent: 0, memoryBytes: 10 }]);
  });
});
