/**
 * tunnel-status reads the real state file (no mocks needed): absent, running, stale, and --json.
 */
import type { ExecutorContext } from '@nx/devkit';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../../src/core/workspace';
import { writeTunnelState } from '../../src/tunnel/state';
import tunnelStatusExecutor, { normalizeOptions } from './tunnel-status.impl';

let root: string;
let stdout: jest.SpiedFunction<typeof process.stdout.write>;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-tunnel-status-'));
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stdout.mockRestore();
  rmSync(root, { recursive: true, force: true });
});

const context = () => ({ root, projectName: 'redis-tunnel', targetName: 'status', cwd: root, isVerbose: false }) as ExecutorContext;
const printed = () => stdout.mock.calls.map((call) => String(call[0])).join('');

describe('tunnel-status executor', () => {
  it('normalizes every option', () => {
    expect(normalizeOptions({})).toEqual({ json: false, namespace: undefined });
  });

  it('says when no tunnel was started', async () => {
    expect(await tunnelStatusExecutor({}, context())).toEqual({ success: true });
    expect(printed()).toContain('Redis tunnel: not started');
  });

  it('reports a healthy-looking state whose supervisor is dead as STALE', async () => {
    const now = new Date().toISOString();
    writeTunnelState(workspacePaths(root), {
      pid: 999_999_999,
      namespace: 's1',
      deployment: 'redis',
      port: 6379,
      addresses: ['127.0.0.1'],
      status: 'healthy',
      restarts: 0,
      startedAt: now,
      updatedAt: now,
    });
    await tunnelStatusExecutor({}, context());
    expect(printed()).toMatch(/^Redis tunnel: STALE/);
  });

  it('prints the reading as JSON with --json', async () => {
    await tunnelStatusExecutor({ json: true }, context());
    expect(JSON.parse(printed())).toEqual({ condition: 'absent' });
  });
});
