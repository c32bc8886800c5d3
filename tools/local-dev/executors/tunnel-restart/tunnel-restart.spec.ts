/**
 * tunnel-restart's wiring: always a forced reconnect for the run's namespace. The tunnel itself is
 * mocked here; e2e/tunnel*.e2e.spec.ts runs it for real.
 */
import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TunnelError } from '../../src/core/errors';
import { ensureTunnel } from '../../src/tunnel/control';
import tunnelRestartExecutor, { normalizeOptions } from './tunnel-restart.impl';

jest.mock('../../src/tunnel/control', () => ({
  ...jest.requireActual<typeof import('../../src/tunnel/control')>('../../src/tunnel/control'),
  ensureTunnel: jest.fn(),
}));
const ensure = ensureTunnel as jest.MockedFunction<typeof ensureTunnel>;

let root: string;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-tunnel-restart-'));
  mkdirSync(path.join(root, 'repos_docker_files'));
  writeFileSync(path.join(root, 'repos_docker_files', 'config.yaml'), 'default-namespace: s1\nservices:\n  api:\n    repo: /tmp/api.git\n');
  for (const namespace of ['s1', 's2']) mkdirSync(path.join(root, 'configs', namespace), { recursive: true });
  ensure.mockReset();
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stderr.mockRestore();
  rmSync(root, { recursive: true, force: true });
});

const context = () => ({ root, projectName: 'redis-tunnel', targetName: 'restart', cwd: root, isVerbose: false }) as ExecutorContext;

describe('tunnel-restart executor', () => {
  it('normalizes every option', () => {
    expect(normalizeOptions({})).toEqual({ namespace: undefined, refresh: false });
  });

  it('forces a reconnect for the requested namespace', async () => {
    ensure.mockResolvedValue({} as never);
    expect(await tunnelRestartExecutor({ namespace: 's2' }, context())).toEqual({ success: true });
    expect(ensure.mock.calls[0][0].namespace).toBe('s2');
    expect(ensure.mock.calls[0][0].model.redis).toEqual({ deployment: 'redis', port: 6379, required: false, mode: 'tunnel', namespaceModes: {} });
    expect(ensure.mock.calls[0][1].reconnect).toBe(true);
  });

  it('fails with the tunnel error and its fix', async () => {
    ensure.mockRejectedValue(new TunnelError('the Redis tunnel did not become healthy within 60 s', { fix: 'see logs/redis-tunnel.log' }));
    expect(await tunnelRestartExecutor({}, context())).toEqual({ success: false });
    expect(String(stderr.mock.calls[0][0])).toContain('did not become healthy within 60 s\n  fix: see logs/redis-tunnel.log');
  });
});
