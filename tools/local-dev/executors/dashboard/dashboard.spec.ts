import type { ExecutorContext } from '@nx/devkit';
import { startDashboard, type DashboardState } from '../../src/dashboard/daemon';
import dashboardExecutor, { normalizeOptions } from './dashboard.impl';

jest.mock('../../src/stack/gather', () => ({ openWorkspace: jest.fn(() => ({ paths: { root: '/ws' }, model: {}, namespace: 's1' })) }));
// The real DEFAULT_PORT (the test below checks the executor's default is the dashboard's own), a mocked start.
jest.mock('../../src/dashboard/daemon', () => ({
  ...jest.requireActual<typeof import('../../src/dashboard/daemon')>('../../src/dashboard/daemon'),
  startDashboard: jest.fn(),
}));

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
    const state: DashboardState = {
      pid: 42,
      startTime: '1',
      port: 9999,
      url: 'http://127.0.0.1:9999/',
      namespace: undefined,
      startedAt: '2026-01-01T00:00:00.000Z',
    };
    try {
      jest.mocked(startDashboard).mockResolvedValueOnce({ state, reused: false });
      await expect(dashboardExecutor({}, context)).resolves.toEqual({ success: true });
      expect(startDashboard).toHaveBeenCalledWith({ root: '/ws' }, { port: 9999, namespace: undefined }, expect.any(Function));
      expect(stdout).toHaveBeenCalledWith('dashboard started (pid 42): http://127.0.0.1:9999/\n');
      jest.mocked(startDashboard).mockResolvedValueOnce({ state, reused: true });
      await expect(dashboardExecutor({}, context)).resolves.toEqual({ success: true });
      expect(stdout).toHaveBeenCalledWith('dashboard already running (pid 42): http://127.0.0.1:9999/\n');
    } finally {
      stdout.mockRestore();
    }
  });
});
