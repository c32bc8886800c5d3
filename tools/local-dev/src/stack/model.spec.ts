import { apiContainer as container, apiRepo as repo, apiService as serviceModel, OLD_IMAGE as OLD, WANTED_IMAGE as WANTED } from '../../testing/stack-facts';
import type { TunnelReading, TunnelState } from '../tunnel/state';
import type { ContainerFacts } from './docker-facts';
import type { CloneFacts, ServiceFacts, StackFacts } from './facts';
import { mainContainer, projectService, projectStack, projectTunnel, staleImageReason } from './model';

function clone(overrides: Partial<Extract<CloneFacts, { state: 'clone' }>> = {}): CloneFacts {
  return {
    state: 'clone',
    branch: 'main',
    head: 'abcdef1234',
    upstream: 'origin/main',
    aheadBehind: { ahead: 0, behind: 0 },
    changed: [],
    injection: { namespace: 's1', injectedAt: '2026-11-29T10:00:00Z', files: [{ dest: 'api.dev.Dockerfile', kind: 'dockerfile', drift: 'none' }] },
    ...overrides,
  };
}

function facts(overrides: Partial<ServiceFacts> = {}): ServiceFacts {
  return {
    service: serviceModel(),
    repo,
    clone: clone(),
    definition: 'def1',
    containers: [container()],
    lock: undefined,
    image: { wanted: WANTED, wantedError: undefined, wantedExists: true, recorded: WANTED },
    live: { kind: 'image' },
    ...overrides,
  };
}

const kinds = (view: { problems: { kind: string }[] }) => view.problems.map((problem) => problem.kind);

describe('projectService', () => {
  it('a service running its current image, clean clone: healthy-looking, no problem', () => {
    const view = projectService(facts(), 's1', true);
    expect(view).toMatchObject({
      state: 'running',
      repo: { branch: 'main', dirty: false },
      container: { id: '0123456789ab', current: true },
      debugPort: { host: 5726, container: 5678 },
    });
    expect(view.problems).toEqual([]);
  });

  it('flags a dirty clone, with the files', () => {
    const view = projectService(facts({ clone: clone({ changed: ['a.py', 'b.py'] }) }), 's1', true);
    expect(view.repo).toMatchObject({ dirty: true, changedFiles: 2 });
    expect(view.problems).toContainEqual(expect.objectContaining({ kind: 'dirty', message: 'cloned/api has 2 uncommitted or untracked files (a.py, b.py)' }));
  });

  it('flags a stale image and says why: uncommitted work since the build', () => {
    const view = projectService(
      facts({
        clone: clone({ changed: ['a.py'] }),
        containers: [container({ image: OLD })],
        image: { wanted: WANTED, wantedError: undefined, wantedExists: false, recorded: OLD },
      }),
      's1',
      true,
    );
    expect(view.container?.current).toBe(false);
    const stale = view.problems.find((problem) => problem.kind === 'stale-image');
    expect(stale?.message).toBe(
      `stale image: its code or config changed since its image was built (1 uncommitted or untracked file in cloned/api): it runs ${OLD}, the current inputs make ${WANTED}`,
    );
    expect(stale?.fix).toBe('`nx run api:up` rebuilds and restarts it');
  });

  it('a built but not restarted image is named as such', () => {
    expect(staleImageReason(facts({ image: { wanted: WANTED, wantedError: undefined, wantedExists: true, recorded: WANTED } }), OLD, 's1')).toBe(
      `${WANTED} is built but the container still runs ${OLD}`,
    );
  });

  it('a stale image with no visible local change points at commits, Dockerfile, args, namespace or secrets', () => {
    expect(
      staleImageReason(facts({ image: { wanted: WANTED, wantedError: undefined, wantedExists: false, recorded: 'local-dev/api:cccccccccccc' } }), OLD, 's1'),
    ).toContain('changed since it was started (new commits, or a changed Dockerfile, build arg, namespace or secret file)');
  });

  it('compared against another namespace, the stale image says so once, without a definition problem', () => {
    const view = projectService(facts({ containers: [container({ image: OLD, definition: 'other' })] }), 's2', true);
    expect(kinds(view)).toEqual(['namespace', 'stale-image']);
    expect(view.problems[1].message).toBe(`stale image: it runs ${OLD}, built for namespace s1; for s2 the inputs make ${WANTED}`);
    expect(view.problems[1].fix).toBe('`nx run api:up --namespace=s2` rebuilds and restarts it');
  });

  it('a changed compose definition is stale too', () => {
    const view = projectService(facts({ containers: [container({ definition: 'old' })] }), 's1', true);
    expect(kinds(view)).toEqual(['stale-definition']);
    expect(view.container?.current).toBe(false);
  });

  it('a container that exited non-zero by itself crashed; exit 0 exited; OOM is said', () => {
    const crashed = projectService(facts({ containers: [container({ status: 'exited', exitCode: 3, finishedAt: '2026-11-29T10:05:00Z' })] }), 's1', true);
    expect(crashed.state).toBe('crashed');
    expect(crashed.problems[0]).toMatchObject({ kind: 'crashed', severity: 'error', message: 'container crashed (exit code 3) at 2026-11-29T10:05:00Z' });
    const exited = projectService(facts({ containers: [container({ status: 'exited', exitCode: 0 })] }), 's1', true);
    expect(exited.state).toBe('exited');
    expect(kinds(exited)).toEqual(['exited']);
    const oom = projectService(facts({ containers: [container({ status: 'exited', exitCode: 137, oomKilled: true })] }), 's1', true);
    expect(oom.state).toBe('crashed');
    expect(oom.problems[0].message).toContain('killed: out of memory');
  });

  it('a container stopped from outside (docker stop, exit 143) is stopped, not crashed, and says who', () => {
    const stopped = projectService(
      facts({
        containers: [
          container({ status: 'exited', exitCode: 143, finishedAt: '2026-11-29T10:05:00Z', end: { signals: ['SIGTERM'], stopCommand: true, oom: false } }),
        ],
      }),
      's1',
      true,
    );
    expect(stopped.state).toBe('stopped');
    expect(stopped.container?.end).toMatchObject({ how: 'stopped', signal: 'SIGTERM', exitCode: 143, by: '`docker stop` from outside local-dev' });
    expect(stopped.problems).toEqual([
      {
        kind: 'stopped',
        severity: 'warning',
        message: 'container stopped by `docker stop` from outside local-dev (SIGTERM; exit code 143) at 2026-11-29T10:05:00Z',
        fix: '`nx run api:up`, or `nx run stack:restart --services=api`',
      },
    ]);
  });

  it('maps Docker health and container states to one state word', () => {
    const state = (overrides: Partial<ContainerFacts>) => projectService(facts({ containers: [container(overrides)] }), 's1', true).state;
    expect(state({ health: 'healthy' })).toBe('healthy');
    expect(state({ health: 'unhealthy' })).toBe('unhealthy');
    expect(state({ health: 'starting' })).toBe('starting');
    expect(state({ status: 'restarting' })).toBe('starting');
    expect(state({ status: 'created' })).toBe('starting');
    expect(state({ status: 'dead', exitCode: 1 })).toBe('crashed');
    expect(state({ status: 'restarting', exitCode: 2 })).toBe('crashed');
  });

  it('without a container: not-cloned, cloned or image-ready', () => {
    expect(projectService(facts({ clone: { state: 'missing' }, containers: [] }), 's1', true)).toMatchObject({ state: 'not-cloned', problems: [] });
    expect(
      projectService(facts({ containers: [], image: { wanted: WANTED, wantedError: undefined, wantedExists: false, recorded: undefined } }), 's1', true).state,
    ).toBe('cloned');
    const ready = projectService(facts({ containers: [] }), 's1', true);
    expect(ready.state).toBe('image-ready');
    expect(kinds(ready)).toEqual(['not-running']);
  });

  it("drifted injected files and another namespace's config are flagged with the command that fixes them", () => {
    const view = projectService(
      facts({
        clone: clone({
          injection: {
            namespace: 's2',
            injectedAt: 'x',
            files: [
              { dest: 'app/secrets.py', kind: 'config', drift: 'edited' },
              { dest: 'api.dev.Dockerfile', kind: 'dockerfile', drift: 'missing' },
            ],
          },
        }),
      }),
      's1',
      true,
    );
    expect(view.injection.drifted).toEqual([
      { dest: 'app/secrets.py', how: 'edited' },
      { dest: 'api.dev.Dockerfile', how: 'missing' },
    ]);
    expect(view.problems).toContainEqual(expect.objectContaining({ kind: 'drift', fix: '`nx run api:inject-config --namespace=s2` writes them again' }));
    expect(view.problems).toContainEqual(expect.objectContaining({ kind: 'namespace', message: "cloned/api holds s2's config, not s1's" }));
  });

  it('a wrong branch, unpushed and missed commits are reported; a worker leaves its clone to its owner', () => {
    const view = projectService(facts({ clone: clone({ branch: 'feature', aheadBehind: { ahead: 2, behind: 1 } }) }), 's1', true);
    expect(kinds(view)).toEqual(['wrong-branch', 'unpushed', 'behind']);
    const worker = projectService(facts({ service: serviceModel({ name: 'api-worker', kind: 'worker' }), clone: clone({ changed: ['x'] }) }), 's1', true);
    expect(kinds(worker)).toEqual([]);
  });

  it('says nothing about containers when the engine does not answer', () => {
    expect(kinds(projectService(facts({ containers: [] }), 's1', false))).toEqual([]);
  });

  it('the running container speaks for the service', () => {
    expect(mainContainer([container({ id: 'old', status: 'exited' }), container({ id: 'new' })])?.id).toBe('new');
  });
});

function tunnelState(overrides: Partial<TunnelState> = {}): TunnelState {
  return {
    namespace: 's1',
    deployment: 'redis',
    port: 6379,
    addresses: ['127.0.0.1'],
    pid: process.pid,
    status: 'healthy',
    restarts: 0,
    startedAt: '2026-11-29T10:00:00Z',
    updatedAt: '2026-11-29T10:00:00Z',
    lastCheckAt: '2026-11-29T10:00:00Z',
    ...overrides,
  };
}

describe('projectTunnel', () => {
  const now = new Date('2026-11-29T10:00:01Z');
  it('healthy: no problem; degraded, stale or failed to start: a problem with a fix', () => {
    expect(projectTunnel({ condition: 'running', state: tunnelState() }, now, 's1')).toMatchObject({ healthy: true, problems: [] });
    const degraded = projectTunnel(
      { condition: 'running', state: tunnelState({ status: 'degraded', lastError: { message: 'pod gone', fix: 'wait', permanent: false, at: 'x' } }) },
      now,
      's1',
    );
    expect(degraded.problems).toEqual([{ kind: 'tunnel', severity: 'error', message: 'Redis tunnel degraded: pod gone', fix: 'wait' }]);
    const stale = projectTunnel({ condition: 'stale', state: tunnelState({ pid: 42 }) }, now, 's1');
    expect(stale.problems[0].message).toBe('Redis tunnel: its supervisor (pid 42) is gone');
    const failed = projectTunnel(
      {
        condition: 'stopped',
        state: tunnelState({ pid: 0, status: 'stopped', lastError: { message: 'no context', fix: 'kubectl config use-context', permanent: true, at: 'x' } }),
      },
      now,
      's1',
    );
    expect(failed.problems[0]).toMatchObject({ message: 'Redis tunnel not running: no context' });
  });

  it('a healthy tunnel for another namespace is a warning', () => {
    expect(projectTunnel({ condition: 'running', state: tunnelState({ namespace: 's2' }) }, now, 's1').problems[0]).toMatchObject({
      kind: 'namespace',
      severity: 'warning',
    });
  });

  it('carries the tunnel status lines', () => {
    const absent: TunnelReading = { condition: 'absent' };
    expect(projectTunnel(absent, now, 's1')).toMatchObject({
      condition: 'absent',
      healthy: false,
      problems: [],
      lines: [expect.stringContaining('not started')],
    });
  });
});

describe('projectStack', () => {
  const base: StackFacts = {
    at: new Date('2026-11-29T10:00:00Z'),
    workspace: { root: '/ws', id: 'abc', composeProject: 'local-dev-abc' },
    namespace: { name: 's1', requested: false },
    network: { name: 'oh-network', exists: true },
    engine: { reachable: true },
    services: [facts({ containers: [container({ status: 'exited', exitCode: 1 })], clone: clone({ changed: ['x'] }) })],
    orphans: [container({ service: 'gone', name: 'local-dev-x_gone_1' })],
    tunnel: { condition: 'absent' },
    run: undefined,
  };

  it('lists every problem, errors first, each with its subject; orphans are listed', () => {
    const model = projectStack(base);
    expect(model.problems.map((problem) => `${problem.severity} ${problem.subject} ${problem.kind}`)).toEqual(['error api crashed', 'info api dirty']);
    expect(model.orphans).toEqual([{ id: '0123456789ab', name: 'local-dev-x_gone_1', service: 'gone', status: 'running' }]);
    // JSON round trip: the model is plain data (the dashboard and --json read it as is).
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it('a running build-image or up task shows in the service state (from progress.json)', () => {
    const run = {
      version: 1 as const,
      runId: 'r',
      command: 'nx run-many -t up',
      state: 'running' as const,
      startedAt: 'x',
      updatedAt: 'x',
      tasks: { 'api:build-image': { state: 'running' as const, cacheHit: false } },
    };
    expect(projectStack({ ...base, run }).services[0].state).toBe('image-building');
    expect(projectStack({ ...base, run: { ...run, tasks: { 'api:up': { state: 'running', cacheHit: false } } } }).services[0].state).toBe('starting');
    expect(projectStack({ ...base, run: { ...run, state: 'failure' } }).services[0].state).toBe('crashed');
    expect(projectStack({ ...base, run }).run).toBe(run);
  });

  it('an engine that does not answer is the first problem', () => {
    const model = projectStack({ ...base, engine: { reachable: false, error: 'Cannot connect' } });
    expect(model.engine).toEqual({ reachable: false, error: 'Cannot connect' });
    expect(model.problems[0]).toMatchObject({ subject: 'docker', kind: 'engine', severity: 'error' });
  });
});
