import { apiContainer, apiRepo as repo, apiService, OLD_IMAGE as OLD, WANTED_IMAGE as WANTED } from '../../testing/stack-facts';
import type { RunMetricsFile, RunProgress } from '../core/run-record';
import type { ContainerFacts } from '../stack/docker-facts';
import type { ServiceFacts } from '../stack/facts';
import { projectService, projectTunnel, type StackModel } from '../stack/model';
import type { TunnelState } from '../tunnel/state';
import { buildTimes, changeKey, dashboardView, imageFreshness, runCard, serviceCard, tunnelCard } from './view';

const service = apiService({
  ports: [{ host: 8000, container: 8080, protocol: 'tcp' }],
  healthcheck: { type: 'http', path: '/health', port: 8080, timeoutSeconds: 90 },
});
const container = (overrides: Partial<ContainerFacts> = {}) => apiContainer({ name: 'ld_api_1', health: 'healthy', restartCount: 2, ...overrides });

function facts(overrides: Partial<ServiceFacts> = {}): ServiceFacts {
  return {
    service,
    repo,
    definition: 'def1',
    containers: [container()],
    lock: undefined,
    clone: { state: 'clone', branch: 'main', head: 'abc', upstream: 'origin/main', aheadBehind: { ahead: 0, behind: 0 }, changed: [], injection: undefined },
    image: { wanted: WANTED, wantedError: undefined, wantedExists: true, recorded: WANTED },
    live: { kind: 'image' },
    ...overrides,
  };
}

const tunnelState: TunnelState = {
  mode: 'tunnel',
  namespace: 's1',
  deployment: 'redis',
  port: 6379,
  addresses: ['127.0.0.1'],
  pid: process.pid,
  status: 'healthy',
  restarts: 3,
  lastCheckAt: '2026-11-29T10:00:00.000Z',
  startedAt: '2026-11-29T09:00:00.000Z',
  updatedAt: '2026-11-29T10:00:00.000Z',
};

describe('the dashboard view of the stack model', () => {
  it('a healthy service: green, its branch, fresh image, port links, debug port, restarts', () => {
    const card = serviceCard(projectService(facts(), 's1', true), [
      { at: 1, cpuPercent: 1.5, memoryBytes: 100 },
      { at: 2, cpuPercent: 3, memoryBytes: 200 },
    ]);
    expect(card).toMatchObject({
      state: 'healthy',
      stateLabel: 'healthy',
      tone: 'ok',
      branch: 'main',
      dirty: false,
      image: { freshness: 'fresh' },
      links: [{ url: 'http://127.0.0.1:8000/', host: 8000, container: 8080 }],
      debugPort: 5726,
      restarts: 2,
      cpu: [1.5, 3],
      memory: [100, 200],
    });
  });

  it('a container stopped from outside (docker stop, exit 143) is "stopped", grey, saying who; one that exited 3 by itself is "crashed", red', () => {
    const stopped = serviceCard(
      projectService(
        facts({
          containers: [container({ status: 'exited', exitCode: 143, health: undefined, end: { signals: ['SIGTERM'], stopCommand: true, oom: false } })],
        }),
        's1',
        true,
      ),
      [],
    );
    expect(stopped).toMatchObject({
      state: 'stopped',
      stateLabel: 'stopped',
      tone: 'idle',
      container: { status: 'exited', exitCode: 143, end: { how: 'stopped', by: '`docker stop` from outside local-dev', signal: 'SIGTERM' } },
    });
    expect(stopped.problems.map((problem) => [problem.kind, problem.severity])).toEqual([['stopped', 'warning']]);
    expect(stopped.problems[0].message).toContain('stopped by `docker stop` from outside local-dev (SIGTERM; exit code 143)');
    const crashed = serviceCard(
      projectService(
        facts({ containers: [container({ status: 'exited', exitCode: 3, health: undefined, end: { signals: [], stopCommand: false, oom: false } })] }),
        's1',
        true,
      ),
      [],
    );
    expect(crashed).toMatchObject({ state: 'crashed', stateLabel: 'crashed', tone: 'bad', container: { end: { how: 'crashed', exitCode: 3 } } });
    expect(crashed.problems.map((problem) => [problem.kind, problem.severity])).toEqual([['crashed', 'error']]);
  });

  it("a stale image says why (the model's reason), and a dirty clone is flagged with its count", () => {
    const view = projectService(
      facts({
        clone: {
          state: 'clone',
          branch: 'main',
          head: 'abc',
          upstream: 'origin/main',
          aheadBehind: { ahead: 0, behind: 0 },
          changed: ['a.py'],
          injection: undefined,
        },
        containers: [container({ image: OLD })],
        image: { wanted: WANTED, wantedError: undefined, wantedExists: false, recorded: OLD },
      }),
      's1',
      true,
    );
    const card = serviceCard(view, []);
    expect(card).toMatchObject({ dirty: true, changedFiles: 1, image: { freshness: 'stale' } });
    expect(card.image.why).toMatch(/uncommitted or untracked file/);
    expect(card.image.why).not.toMatch(/^stale image/);
  });

  it('a live container (dev synced files into it): its line with the last sync and whether dev watches, image "live", not fresh; one line, not a problem too', () => {
    const lastAt = new Date(2026, 11, 5, 14, 2, 11).toISOString();
    const live = (watching: boolean) =>
      serviceCard(projectService(facts({ live: { kind: 'live', files: 3, lastAt, lastSummary: 'synced 1 file in 40 ms', watching } }), 's1', true), []);
    expect(live(true)).toMatchObject({
      image: { freshness: 'live', why: 'its image + 3 synced files' },
      live: { files: 3, lastAt, watching: true, line: 'live: image + 3 files synced, last at 14:02:11 (dev watching)' },
      problems: [],
    });
    expect(live(false).live?.line).toBe('live: image + 3 files synced, last at 14:02:11 (dev stopped)');
    // Dev watching, nothing synced yet: the image is still fresh, the card says dev watches.
    expect(serviceCard(projectService(facts({ live: { kind: 'watching' } }), 's1', true), [])).toMatchObject({
      image: { freshness: 'fresh' },
      live: { files: 0, lastAt: null, watching: true, line: 'live: watching, nothing synced yet' },
    });
    expect(serviceCard(projectService(facts(), 's1', true), []).live).toBeNull();
  });

  it('not cloned: grey, image unknown, no container, no restart count', () => {
    const card = serviceCard(
      projectService(
        facts({
          clone: { state: 'missing' },
          containers: [],
          image: { wanted: undefined, wantedError: 'not cloned yet', wantedExists: false, recorded: undefined },
        }),
        's1',
        true,
      ),
      [],
    );
    expect(card).toMatchObject({
      state: 'not-cloned',
      stateLabel: 'not cloned',
      tone: 'idle',
      container: undefined,
      restarts: undefined,
      image: { freshness: 'unknown' },
    });
  });

  it('a built image with no container yet is "unknown: built, not running"', () => {
    const service = projectService(facts({ containers: [] }), 's1', true);
    expect(imageFreshness(service)).toEqual({ freshness: 'unknown', why: 'built, not running', wanted: WANTED });
  });

  it('the tunnel: namespace, healthy, last PING, reconnects; a stale supervisor is red', () => {
    const now = new Date('2026-11-29T10:00:01Z');
    expect(tunnelCard(projectTunnel({ condition: 'running', state: tunnelState }, now, 's1'))).toMatchObject({
      namespace: 's1',
      status: 'healthy',
      healthy: true,
      tone: 'ok',
      lastPing: '2026-11-29T10:00:00.000Z',
      reconnects: 3,
    });
    expect(tunnelCard(projectTunnel({ condition: 'stale', state: tunnelState }, now, 's1'))).toMatchObject({ status: 'stale', healthy: false, tone: 'bad' });
    expect(tunnelCard(projectTunnel({ condition: 'absent' }, now, 's1'))).toMatchObject({ status: 'not started', tone: 'idle' });
  });

  it('the run: tasks with state, duration and cache state (hit, miss, off); failures listed', () => {
    const run: RunProgress = {
      version: 1,
      runId: 'r1',
      command: 'nx run-many -t up',
      state: 'failure',
      startedAt: '2026-11-29T10:00:00Z',
      updatedAt: '2026-11-29T10:00:09Z',
      durationMs: 9000,
      tasks: {
        'api:build-image': { state: 'success', cacheHit: true, durationMs: 5 },
        'api:up': { state: 'failure', cacheHit: false, cache: 'miss', durationMs: 4000 },
        'api:clone': { state: 'success', cacheHit: false, cache: 'off', durationMs: 700 },
      },
    };
    expect(runCard(run)).toEqual({
      command: 'nx run-many -t up',
      state: 'failure',
      startedAt: '2026-11-29T10:00:00Z',
      durationMs: 9000,
      cacheHits: 1,
      failed: ['api:up'],
      tasks: [
        // A progress file written before cache states were recorded still shows its hits.
        { task: 'api:build-image', state: 'success', cacheHit: true, cache: 'hit', durationMs: 5 },
        { task: 'api:up', state: 'failure', cacheHit: false, cache: 'miss', durationMs: 4000 },
        { task: 'api:clone', state: 'success', cacheHit: false, cache: 'off', durationMs: 700 },
      ],
    });
    expect(runCard(undefined)).toBeUndefined();
  });

  it.each([['present'], ['pulled'], ['built']] as const)(
    "the run: build-image's image outcome (%s) beside its cache state; none for other tasks or a cache hit",
    (image) => {
      const run: RunProgress = {
        version: 1,
        runId: 'r2',
        command: 'nx run-many -t up',
        state: 'success',
        startedAt: '2026-11-29T10:00:00Z',
        updatedAt: '2026-11-29T10:00:09Z',
        tasks: {
          'api:build-image': { state: 'success', cacheHit: false, cache: 'miss', image, durationMs: 900 },
          'web:build-image': { state: 'success', cacheHit: true, cache: 'hit', durationMs: 3 },
          'api:up': { state: 'success', cacheHit: false, cache: 'miss', durationMs: 2000 },
        },
      };
      expect(runCard(run)?.tasks.map((task) => [task.task, task.cache, task.image])).toEqual([
        ['api:build-image', 'miss', image],
        ['web:build-image', 'hit', undefined],
        ['api:up', 'miss', undefined],
      ]);
    },
  );

  it('build time per service over the recorded runs, oldest first, null where a run did not build it', () => {
    const metric = (runId: string, ms: number | undefined) => ({
      runId,
      command: 'nx',
      startedAt: '',
      finishedAt: '',
      durationMs: 0,
      result: 'success' as const,
      summary: { tasks: 1, cacheHits: 0, failures: 0 },
      tasks:
        ms === undefined
          ? []
          : [{ task: 'api:build-image', project: 'api', target: 'build-image', durationMs: ms, cacheHit: false, result: 'success' as const }],
    });
    const metrics: RunMetricsFile = { version: 1, runs: [metric('new', 1200), metric('mid', undefined), metric('old', 9000)] };
    expect(buildTimes(metrics, ['api', 'web'])).toEqual([
      { service: 'api', durations: [9000, null, 1200] },
      { service: 'web', durations: [null, null, null] },
    ]);
    expect(buildTimes(undefined, ['api'])).toEqual([{ service: 'api', durations: [] }]);
  });

  it('changeKey ignores only the time the view was made', () => {
    const model = {
      generatedAt: '2026-11-29T10:00:00Z',
      namespace: 's1',
      engine: { reachable: true, error: undefined },
      network: { name: 'n', exists: true },
      workspace: { root: '/ws', id: 'x', composeProject: 'p' },
      services: [projectService(facts(), 's1', true)],
      orphans: [],
      tunnel: projectTunnel({ condition: 'absent' }, new Date(), 's1'),
      run: undefined,
      problems: [],
    } as StackModel;
    const first = dashboardView(model, new Map(), undefined);
    expect(changeKey(dashboardView({ ...model, generatedAt: '2026-11-29T10:00:05Z' }, new Map(), undefined))).toBe(changeKey(first));
    const stopped = { ...model, services: [projectService(facts({ containers: [container({ status: 'exited', exitCode: 137 })] }), 's1', true)] };
    expect(changeKey(dashboardView(stopped, new Map(), undefined))).not.toBe(changeKey(first));
  });
});
