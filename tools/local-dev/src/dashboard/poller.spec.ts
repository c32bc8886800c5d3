import type { StackModel } from '../stack/model';
import type { StatsRow } from '../stack/stats';
import { Poller, withSamples } from './poller';
import type { DashboardView } from './view';

function model(state: string): StackModel {
  return {
    generatedAt: new Date().toISOString(), namespace: 's1', engine: { reachable: true, error: undefined }, network: { name: 'n', exists: true },
    workspace: { root: '/ws', id: 'x', composeProject: 'p' }, orphans: [], run: undefined, problems: [],
    services: [{ name: 'api', kind: 'service', state, repo: { branch: 'main', dirty: false, changedFiles: 0 }, image: { wanted: undefined, exists: false, recorded: undefined }, container: undefined, ports: [], debugPort: undefined, problems: [] }],
    tunnel: { condition: 'absent', status: undefined, namespace: undefined, port: undefined, restarts: undefined, lastCheckAt: undefined, healthy: false, lines: [], problems: [] },
  } as unknown as StackModel;
}

const row = (service: string, cpuPercent: number): StatsRow => ({ service, container: 'c', cpuPercent, memoryBytes: 10, memoryLimitBytes: 100, memoryPercent: 10, netRxBytes: 0, netTxBytes: 0, restarts: 0 });

describe('Poller', () => {
  it('pushes a view only when something visible changed, and polls only while someone listens', async () => {
    const states = ['running', 'running', 'exited'];
    let gathers = 0;
    const poller = new Poller({ model: async () => model(states[Math.min(gathers++, states.length - 1)]), stats: async () => [], metrics: () => undefined, log: () => undefined, modelIntervalMs: 10, statsIntervalMs: 1000 });
    const pushed: string[] = [];
    const unsubscribe = poller.subscribe((view: DashboardView) => pushed.push(view.services[0].state));
    while (gathers < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    unsubscribe();
    expect(pushed).toEqual(['running', 'exited']);
    const after = gathers;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gathers).toBeLessThanOrEqual(after + 1);
  });

  it('a change seen while a gather runs is gathered once more after it (that gather may have read Docker before it)', async () => {
    const releases: (() => void)[] = [];
    let state = 'running';
    const poller = new Poller({
      // Like docker ps: what the gather reads is what was true when it started.
      model: () => {
        const seen = state;
        return new Promise((resolve) => releases.push(() => resolve(model(seen))));
      },
      stats: async () => [], metrics: () => undefined, log: () => undefined,
    });
    const first = poller.refresh();
    state = 'exited';
    const second = poller.refresh();
    const third = poller.refresh();
    expect(third).toBe(second);
    releases.shift()?.();
    expect((await first).services[0].state).toBe('running');
    while (releases.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    releases.shift()?.();
    expect((await second).services[0].state).toBe('exited');
  });

  it('an engine event triggers a gather at once, without waiting for the next tick', async () => {
    let changed = () => undefined as void;
    let gathers = 0;
    const poller = new Poller({
      model: async () => model(gathers++ === 0 ? 'running' : 'exited'),
      stats: async () => [], metrics: () => undefined, log: () => undefined, modelIntervalMs: 60_000, statsIntervalMs: 60_000,
      watchEngine: (callback) => {
        changed = callback;
        return () => (changed = () => undefined);
      },
    });
    const pushed: string[] = [];
    const unsubscribe = poller.subscribe((view) => pushed.push(view.services[0].state));
    while (pushed.length < 1) await new Promise((resolve) => setTimeout(resolve, 1));
    changed();
    while (pushed.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    unsubscribe();
    expect(pushed).toEqual(['running', 'exited']);
  });

  it('keeps the last samples per service for the sparklines', () => {
    let history = new Map();
    for (let index = 0; index < 5; index++) history = withSamples(history, [row('api', index), row('web', 10 * index)], index, 3);
    expect(history.get('api').map((sample: { cpuPercent: number }) => sample.cpuPercent)).toEqual([2, 3, 4]);
    expect(history.get('web')).toHaveLength(3);
    expect(withSamples(new Map(), [row('api', Number.NaN)], 1).get('api')).toEqual([{ at: 1, cpuPercent: 0, memoryBytes: 10 }]);
  });
});
