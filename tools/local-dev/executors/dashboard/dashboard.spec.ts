import type { ExecutorContext } from '@nx/devkit';
import dashboardExecutor, { normalizeOptions } from './dashboard.impl';

jest.mock('../../src/stack/gather', () => ({ openWorkspace: jest.fn(() => ({ paths: { root: '/ws' }, model: {}, namespace: 's1' })) }));
jest.mock('../../src/dashboard/daemon', () => ({ DEFAULT_PORT: 9999, startDashboard: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startDashboard } = require('../../src/dashboard/daemon') as { startDashboard: jest.Mock };

describe('dashboard executor', () => {
  const context = { root: '/ws', projectName: 'stack', targetName: 'dashboard' } as ExecutorContext;
  beforeEach(() => jest.clearAllMocks());

  it('port 9999 unless given; a port that is not one is refused', () => {
    expect(normalizeOptions({})).toEqual({ port: 9999, namespace: undefined });
    expect(normalizeOptions({ port: 8123, namespace: 's2' })).toEqual({ port: 8123, namespace: 's2' });
    expect(() => normalizeOptions({ port: 70000 })).toThrow('--port=70000 is not a TCP port');
  });

  it('starts the dashboard in the background and says where, or that it reuses the running one', async () => {
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      startDashboard.mockResolvedValueOnce({ state: { pid: 42, url: 'http://127.0.0.1:9999/' }, reused: false });
      await expect(dashboardExecutor({}, context)).resolves.toEqual({ success: true });
      expect(startDashboard).toHaveBeenCalledWith({ root: '/ws' }, { port: 9999, namespace: undefined }, expect.any(Function));
      expect(stdout).toHaveBeenCalledWith('dashboard started (pid 42): http://127.0.0.1:9999/\n');
      startDashboard.mockResolvedValueOnce({ state: { pid: 42, url: 'http://127.0.0.1:9999/' }, reused: true });
      await expect(dashboardExecutor({}, context)).resolves.toEqual({ success: true });
      expect(stdout).toHaveBeenCalledWith('dashboard already running (pid 42): http://127.0.0.1:9999/\n');
    } finally {
      stdout.mockRestore();
    }
  });
});
