/**
 * tunnel-down's wiring: stops the workspace's tunnel whatever the namespace, even with a broken
 * config. The tunnel itself is mocked here; e2e/tunnel*.e2e.spec.ts stops real processes.
 */
import type { ExecutorContext } from '@nx/devkit';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TunnelError } from '../../src/core/errors';
import { stopTunnel } from '../../src/tunnel/control';
import tunnelDownExecutor from './tunnel-down.impl';

jest.mock('../../src/tunnel/control', () => ({
  ...jest.requireActual<typeof import('../../src/tunnel/control')>('../../src/tunnel/control'),
  stopTunnel: jest.fn(),
}));
const stop = stopTunnel as jest.MockedFunction<typeof stopTunnel>;

let root: string;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;
let stdout: jest.SpiedFunction<typeof process.stdout.write>;

beforeEach(() => {
  // No config.yaml at all: stopping must not depend on a valid config.
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-tunnel-down-'));
  stop.mockReset();
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stderr.mockRestore();
  stdout.mockRestore();
  rmSync(root, { recursive: true, force: true });
});

const context = () => ({ root, projectName: 'redis-tunnel', targetName: 'down', cwd: root, isVerbose: false }) as ExecutorContext;

describe('tunnel-down executor', () => {
  it('stops the tunnel of this workspace and prints what it did', async () => {
    stop.mockImplementation(async (_paths, report) => report('Redis tunnel: stopped'));
    expect(await tunnelDownExecutor({ namespace: 's2' }, context())).toEqual({ success: true });
    expect(stop.mock.calls[0][0].logs).toBe(path.join(root, 'logs'));
    expect(stdout).toHaveBeenCalledWith('Redis tunnel: stopped\n');
  });

  it('fails with the error and its fix', async () => {
    stop.mockRejectedValue(
      new TunnelError('another local-dev command has been managing the Redis tunnel for over 90 s', { fix: 'wait for it to finish and retry' }),
    );
    expect(await tunnelDownExecutor({}, context())).toEqual({ success: false });
    expect(String(stderr.mock.calls[0][0])).toContain('fix: wait for it to finish and retry');
  });
});
