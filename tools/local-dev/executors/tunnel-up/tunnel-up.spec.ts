/**
 * tunnel-up's wiring: options → run context → bringUpTunnel; a best-effort outcome without a
 * healthy tunnel → a loud warning and success; errors → a failed result with the fix.
 * The tunnel itself is mocked here; e2e/tunnel*.e2e.spec.ts runs it for real.
 */
import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TunnelError } from '../../src/core/errors';
import { bringUpTunnel } from '../../src/tunnel/control';
import tunnelUpExecutor, { normalizeOptions } from './tunnel-up.impl';

jest.mock('../../src/tunnel/control', () => ({
  ...jest.requireActual<typeof import('../../src/tunnel/control')>('../../src/tunnel/control'),
  bringUpTunnel: jest.fn(),
}));
const ensure = bringUpTunnel as jest.MockedFunction<typeof bringUpTunnel>;

let root: string;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;
let stdout: jest.SpiedFunction<typeof process.stdout.write>;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-tunnel-up-'));
  mkdirSync(path.join(root, 'repos_docker_files'));
  writeFileSync(
    path.join(root, 'repos_docker_files', 'config.yaml'),
    'default-namespace: s1\nredis:\n  deployment: redis-main\n  port: 16379\nservices:\n  api:\n    repo: /tmp/api.git\n',
  );
  for (const namespace of ['s1', 's2']) mkdirSync(path.join(root, 'configs', namespace), { recursive: true });
  ensure.mockReset();
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stderr.mockRestore();
  stdout.mockRestore();
  rmSync(root, { recursive: true, force: true });
});

function context(): ExecutorContext {
  return { root, projectName: 'redis-tunnel', targetName: 'up', cwd: root, isVerbose: false } as ExecutorContext;
}

describe('tunnel-up executor', () => {
  it('normalizes every option', () => {
    expect(normalizeOptions({})).toEqual({ namespace: undefined, refresh: false, reconnect: false });
    expect(normalizeOptions({ namespace: 's2', refresh: true, reconnect: true })).toEqual({ namespace: 's2', refresh: true, reconnect: true });
  });

  it("ensures the tunnel for the default namespace with the model's deployment and port, and prints progress", async () => {
    ensure.mockImplementation(async (_run, options) => {
      options.report('Redis tunnel: healthy');
      return { healthy: true, state: {} as never };
    });
    expect(await tunnelUpExecutor({}, context())).toEqual({ success: true });
    const [run, options] = ensure.mock.calls[0];
    expect(run.namespace).toBe('s1');
    expect(run.model.redis).toEqual({ deployment: 'redis-main', port: 16379, required: false, mode: 'tunnel', namespaceModes: {} });
    expect(run.paths.logs).toBe(path.join(root, 'logs'));
    expect(options.reconnect).toBe(false);
    expect(stdout).toHaveBeenCalledWith('Redis tunnel: healthy\n');
  });

  it('passes --namespace and --reconnect through', async () => {
    ensure.mockResolvedValue({ healthy: true, state: {} as never });
    await tunnelUpExecutor({ namespace: 's2', reconnect: true }, context());
    expect(ensure.mock.calls[0][0].namespace).toBe('s2');
    expect(ensure.mock.calls[0][1].reconnect).toBe(true);
  });

  it('rejects an unknown namespace before touching the tunnel', async () => {
    expect(await tunnelUpExecutor({ namespace: 's9' }, context())).toEqual({ success: false });
    expect(ensure).not.toHaveBeenCalled();
    expect(String(stderr.mock.calls[0][0])).toContain('unknown namespace "s9"');
  });

  it('best effort: a tunnel that is not healthy is reported loudly on stderr and the target still succeeds', async () => {
    ensure.mockResolvedValue({
      healthy: false,
      problem: new TunnelError(
        'the Redis tunnel is not healthy: 2 attempts in a row failed; last error: Unable to connect to the server: dial tcp: lookup k8s.example: no such host',
        { fix: 'check your VPN / network' },
      ),
      reading: {
        condition: 'running',
        state: {
          pid: 4242,
          status: 'degraded',
          failures: 2,
          namespace: 's1',
          deployment: 'redis-main',
          port: 16379,
          addresses: ['127.0.0.1'],
          restarts: 1,
          startedAt: '',
          updatedAt: '',
        },
      },
    });
    expect(await tunnelUpExecutor({}, context())).toEqual({ success: true });
    const printed = String(stderr.mock.calls[0][0]);
    expect(printed).toContain('⚠ Redis tunnel: NOT HEALTHY — the services start anyway');
    expect(printed).toContain('what failed: the Redis tunnel is not healthy: 2 attempts in a row failed; last error: Unable to connect to the server');
    expect(printed).toContain('fix: check your VPN / network');
    expect(printed).toContain('the supervisor (pid 4242) keeps retrying in the background (2 failed attempts in a row so far)');
    expect(printed).toContain('redis: { required: true }');
  });

  it('hands redis.required from config.yaml to the tunnel (strict: no healthy tunnel, no up)', async () => {
    writeFileSync(
      path.join(root, 'repos_docker_files', 'config.yaml'),
      'default-namespace: s1\nredis:\n  required: true\nservices:\n  api:\n    repo: /tmp/api.git\n',
    );
    ensure.mockResolvedValue({ healthy: true, state: {} as never });
    expect(await tunnelUpExecutor({}, context())).toEqual({ success: true });
    expect(ensure.mock.calls[0][0].model.redis.required).toBe(true);
  });

  it('fails with the tunnel error and its fix', async () => {
    ensure.mockRejectedValue(
      new TunnelError('kubectl port-forward failed: Error from server (NotFound): namespaces "s2" not found', { fix: 'check `kubectl get namespaces`' }),
    );
    expect(await tunnelUpExecutor({}, context())).toEqual({ success: false });
    const printed = String(stderr.mock.calls[0][0]);
    expect(printed).toContain('✖ redis-tunnel:up: kubectl port-forward failed: Error from server (NotFound): namespaces "s2" not found');
    expect(printed).toContain('fix: check `kubectl get namespaces`');
  });
});
