import type { StackModel } from './model';
import { formatStatus, since, table } from './status-text';

const model: StackModel = {
  generatedAt: '2026-11-29T10:10:00Z',
  workspace: { root: '/ws', id: 'abc', composeProject: 'local-dev-abc' },
  namespace: 's1',
  engine: { reachable: true, error: undefined },
  network: { name: 'oh-network', exists: true },
  services: [
    {
      name: 'api',
      kind: 'service',
      owner: 'api',
      state: 'running',
      healthcheck: 'http',
      repo: { dir: 'api', state: 'clone', branch: 'main', wantedBranch: 'main', head: 'abc', ahead: 1, behind: 0, dirty: true, changedFiles: 2 },
      injection: { namespace: 's1', files: 1, drifted: [] },
      image: { wanted: 'local-dev/api:new', exists: false, recorded: 'local-dev/api:old' },
      container: {
        id: '0123',
        name: 'x_api_1',
        status: 'running',
        health: undefined,
        exitCode: 0,
        restarts: 0,
        startedAt: '2026-11-29T10:05:00Z',
        finishedAt: undefined,
        image: 'local-dev/api:old',
        current: false,
        end: undefined,
      },
      ports: [{ host: 8000, container: 8000, protocol: 'tcp', hostIp: undefined }],
      debugPort: { host: 5726, container: 5678 },
      live: null,
      problems: [],
    },
    {
      name: 'api-worker',
      kind: 'worker',
      owner: 'api',
      state: 'crashed',
      healthcheck: 'none',
      repo: { dir: 'api', state: 'clone', branch: 'main', wantedBranch: 'main', head: 'abc', ahead: 1, behind: 0, dirty: true, changedFiles: 2 },
      injection: { namespace: 's1', files: 1, drifted: [] },
      image: { wanted: 'local-dev/api-worker:w', exists: true, recorded: 'local-dev/api-worker:w' },
      container: {
        id: '4567',
        name: 'x_api-worker_1',
        status: 'exited',
        health: undefined,
        exitCode: 3,
        restarts: 0,
        startedAt: undefined,
        finishedAt: '2026-11-29T10:09:00Z',
        image: 'local-dev/api-worker:w',
        current: true,
        end: { how: 'crashed', exitCode: 3, signal: undefined, by: undefined, at: '2026-11-29T10:09:00Z', summary: 'crashed (exit code 3)' },
      },
      ports: [],
      debugPort: undefined,
      live: null,
      problems: [],
    },
  ],
  orphans: [],
  tunnel: {
    condition: 'absent',
    status: undefined,
    namespace: undefined,
    port: undefined,
    restarts: undefined,
    lastCheckAt: undefined,
    healthy: false,
    lines: ['Redis tunnel: not started'],
    problems: [],
  },
  run: {
    version: 1,
    runId: 'r1',
    command: 'nx run-many -t up',
    state: 'success',
    startedAt: '2026-11-29T10:08:00Z',
    updatedAt: '2026-11-29T10:08:30Z',
    finishedAt: '2026-11-29T10:08:30Z',
    durationMs: 30_000,
    tasks: { 'api:up': { state: 'success', cacheHit: false }, 'api:build-image': { state: 'success', cacheHit: true } },
  },
  problems: [{ subject: 'api-worker', kind: 'crashed', severity: 'error', message: 'container crashed (exit code 3)', fix: 'logs' }],
};

describe('formatStatus', () => {
  it('prints one row per service, the tunnel, then problems with their fixes', () => {
    expect(formatStatus(model)).toBe(
      [
        'local-dev stack — namespace s1, compose project local-dev-abc, network oh-network',
        '',
        'SERVICE     STATE    CLONE             IMAGE    CONTAINER            PORTS',
        'api         running  main dirty(2) ↑1  STALE    up 5 min             8000→8000 debug 5726',
        "api-worker  crashed  (api's clone)     current  exited(3) 1 min ago  -",
        '',
        'Redis tunnel: not started',
        '',
        'Last run: nx run-many -t up — success, 1 min ago, took 30 s (2 tasks, 1 from cache)',
        '',
        'Problems:',
        '  ✖ api-worker: container crashed (exit code 3)',
        '      fix: logs',
        '',
      ].join('\n'),
    );
  });

  it('a run in progress says so, with its running tasks', () => {
    const running = {
      ...model,
      run: {
        ...model.run!,
        state: 'running' as const,
        finishedAt: undefined,
        tasks: { 'api:build-image': { state: 'running' as const, cacheHit: false }, 'api:clone': { state: 'success' as const, cacheHit: false } },
      },
    };
    expect(formatStatus(running)).toContain('Run in progress: nx run-many -t up — started 2 min ago, 1/2 tasks done; running: api:build-image');
  });

  it('says how to start when nothing is cloned', () => {
    const empty = { ...model, services: model.services.map((service) => ({ ...service, state: 'not-cloned' as const, container: undefined })), problems: [] };
    expect(formatStatus(empty)).toContain('Nothing is cloned yet: `make run`');
    expect(formatStatus(empty)).toContain('No problems: everything runs as built.');
  });

  it('ages and columns', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    expect(since('2026-11-29T11:59:30Z', now)).toBe('30 s');
    expect(since('2026-11-29T09:00:00Z', now)).toBe('3 h');
    expect(since(undefined, now)).toBe('?');
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toEqual(['a    bb', 'ccc  d']);
  });
});
