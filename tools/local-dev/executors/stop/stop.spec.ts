import type { ExecutorContext } from '@nx/devkit';
import { DockerError } from '../../src/core/errors';
import { stopStack } from '../../src/stack/stop';
import { stopDashboard } from '../../src/dashboard/daemon';
import stopExecutor from './stop.impl';

jest.mock('../../src/stack/gather', () => ({
  openWorkspace: jest.fn(() => ({ paths: { root: '/ws' }, model: { network: 'oh-network', services: [] }, namespace: 's1' })),
}));
jest.mock('../../src/stack/stop', () => ({ stopStack: jest.fn() }));
jest.mock('../../src/dashboard/daemon', () => ({ stopDashboard: jest.fn() }));

describe('stop executor', () => {
  beforeEach(() => jest.clearAllMocks());
  const context = { root: '/ws', projectName: 'stack', targetName: 'stop' } as ExecutorContext;

  it("stops the workspace's stack, then its dashboard", async () => {
    jest.mocked(stopStack).mockResolvedValue({ removed: [], network: 'absent', unwritten: [] });
    await expect(stopExecutor({}, context)).resolves.toEqual({ success: true });
    expect(stopStack).toHaveBeenCalledWith({ root: '/ws' }, { network: 'oh-network', services: [] }, expect.any(Function));
    expect(stopDashboard).toHaveBeenCalledWith({ root: '/ws' }, expect.any(Function));
  });

  it('an engine that does not answer fails with its message and fix', async () => {
    jest.mocked(stopStack).mockRejectedValue(new DockerError('the Docker engine does not answer: Cannot connect', { fix: 'start Docker' }));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(stopExecutor({}, context)).resolves.toEqual({ success: false });
      expect(stderr).toHaveBeenCalledWith('✖ stack:stop: the Docker engine does not answer: Cannot connect\n  fix: start Docker\n');
      expect(stopDashboard).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
  });

  it('says what logs/ refused last, after the stack and the dashboard are stopped, and succeeds', async () => {
    const said: string[] = [];
    jest.mocked(stopStack).mockImplementation(async () => {
      said.push('stack stopped');
      return { removed: ['a'], network: 'removed', unwritten: ["the lock on a's container (EROFS: read-only file system)"] };
    });
    jest.mocked(stopDashboard).mockImplementation(async () => {
      said.push('dashboard stopped');
      // Its state file could not be removed: a full or read-only logs/ (a real errno error).
      throw Object.assign(new Error("EROFS: read-only file system, unlink '/ws/logs/dashboard.json'"), { code: 'EROFS' });
    });
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((text) => Boolean(said.push(String(text))));
    try {
      await expect(stopExecutor({}, context)).resolves.toEqual({ success: true });
    } finally {
      stderr.mockRestore();
    }
    expect(said).toEqual([
      'stack stopped',
      'dashboard stopped',
      [
        '⚠ stack:stop: logs/ refused these writes; the work went on without them:',
        "  - the lock on a's container (EROFS: read-only file system)",
        "  - removing the dashboard's state file (EROFS: read-only file system, unlink '/ws/logs/dashboard.json')",
        '  fix: make logs/ writable again (free disk space, or make it read-write) before the next run\n',
      ].join('\n'),
    ]);
  });
});
