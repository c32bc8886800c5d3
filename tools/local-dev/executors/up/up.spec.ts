import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { DockerError } from '../../src/core/errors';
import { recordRunStart } from '../../src/core/run-record';
import { workspacePaths } from '../../src/core/workspace';
import { isSupervisorAlive, SUPERVISOR_ENTRY_NAME, writeTunnelState, type TunnelState } from '../../src/tunnel/state';
import { startService } from '../../src/tasks/start';
import upExecutor, { normalizeOptions, sayIfRedisUnreachable, startOne } from './up.impl';

// Mocks: the run context (config.yaml and configs/<ns>/ are the config suites' business) and
// starting the container (tasks/start has its own suites on a real engine).
jest.mock('../../src/config/run-context', () => ({
  createServiceRunContext: jest.fn((root: string, options: object) => ({ root, ...options })),
  createRunContext: jest.fn((root: string, options: { namespace?: string }) => ({
    paths: jest.requireActual<typeof import('../../src/core/workspace')>('../../src/core/workspace').workspacePaths(root),
    namespace: options.namespace ?? 's1',
  })),
}));
jest.mock('../../src/tasks/start', () => ({ startService: jest.fn() }));

const context = { root: '/ws', projectName: 'health-api', targetName: 'up' } as ExecutorContext;

describe('up executor', () => {
  let stderr: jest.SpiedFunction<typeof process.stderr.write>;
  let printed: string;
  beforeEach(() => {
    printed = '';
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += chunk.toString();
      return true;
    });
    jest.mocked(startService).mockReset();
  });
  afterEach(() => stderr.mockRestore());

  it('normalizes options', () => {
    expect(normalizeOptions({ service: 'health-api', refresh: true })).toEqual({ service: 'health-api', namespace: undefined, refresh: true });
  });

  it('starts the service in the run context of its namespace', async () => {
    jest.mocked(startService).mockResolvedValue({ image: 'local-dev/health-api:1', built: false, started: true });
    await expect(startOne({ service: 'health-api', namespace: 's3' }, context)).resolves.toEqual({ success: true });
    expect(startService).toHaveBeenCalledWith({ root: '/ws', service: 'health-api', namespace: 's3', refresh: false }, expect.any(Function));
  });

  it('fails the task with the healthcheck message', async () => {
    jest.mocked(startService).mockRejectedValue(new DockerError('health-api was not healthy after 120 s'));
    await expect(startOne({ service: 'health-api' }, context)).resolves.toEqual({ success: false });
    expect(stderr).toHaveBeenCalledWith('✖ health-api:up: health-api was not healthy after 120 s\n');
  });

  describe('Redis not reachable', () => {
    let root: string;
    // A live process whose command line names the supervisor's entry: its state reads as a running supervisor's.
    let supervisor: ChildProcess;
    let state: TunnelState;
    beforeAll(async () => {
      supervisor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', SUPERVISOR_ENTRY_NAME], { stdio: 'ignore' });
      state = { ...degraded, pid: supervisor.pid as number };
      // Until it has exec'd, its command line is still this process's.
      while (!isSupervisorAlive(state.pid)) await new Promise((resolve) => setTimeout(resolve, 5));
    });
    afterAll(() => void supervisor.kill('SIGKILL'));
    const degraded: TunnelState = {
      pid: 0,
      namespace: 's1',
      deployment: 'redis',
      port: 6379,
      addresses: ['127.0.0.1'],
      status: 'degraded',
      restarts: 3,
      failures: 3,
      lastError: {
        kind: 'pod-not-running',
        message: 'error: unable to forward port because pod is not running',
        fix: 'the Redis pod is not running: check `kubectl -n s1 get pods`',
        permanent: false,
        at: new Date().toISOString(),
      },
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'local-dev-up-notice-'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('says so with why and the fix, once per run however many up batches ask', async () => {
      writeTunnelState(workspacePaths(root), state);
      await recordRunStart(root, 'r1', ['node', 'nx', 'run-many', '-t', 'up']);
      await sayIfRedisUnreachable(root, 's1');
      expect(printed).toMatch(/^⚠ Redis: NOT REACHABLE — the services were started without it/);
      expect(printed).toContain(
        '  error: error: unable to forward port because pod is not running\n  fix: the Redis pod is not running: check `kubectl -n s1 get pods`\n',
      );
      const first = printed;
      await sayIfRedisUnreachable(root, 's1');
      expect(printed).toBe(first);
    });

    it('says nothing when the tunnel of the namespace is healthy', async () => {
      writeTunnelState(workspacePaths(root), { ...state, status: 'healthy', failures: 0, lastError: undefined, lastCheckAt: new Date().toISOString() });
      await sayIfRedisUnreachable(root, 's1');
      expect(printed).toBe('');
    });

    it('outside a batch, up says it after starting the service', async () => {
      writeTunnelState(workspacePaths(root), state);
      jest.mocked(startService).mockImplementation(async () => {
        process.stderr.write('health-api: healthy\n');
        return { image: 'local-dev/health-api:1', built: false, started: true };
      });
      await expect(upExecutor({ service: 'health-api', namespace: 's1' }, { ...context, root })).resolves.toEqual({ success: true });
      expect(printed).toMatch(/^health-api: healthy\n⚠ Redis: NOT REACHABLE/);
    });
  });
});
