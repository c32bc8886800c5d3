import type { ExecutorContext } from '@nx/devkit';
import { DockerError } from '../../src/core/errors';
import stopExecutor from './stop.impl';

jest.mock('../../src/stack/gather', () => ({ openWorkspace: jest.fn(() => ({ paths: { root: '/ws' }, model: { network: 'oh-network', services: [] }, namespace: 's1' })) }));
jest.mock('../../src/stack/stop', () => ({ stopStack: jest.fn() }));
jest.mock('../../src/dashboard/daemon', () => ({ stopDashboard: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stopStack } = require('../../src/stack/stop') as { stopStack: jest.Mock };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stopDashboard } = require('../../src/dashboard/daemon') as { stopDashboard: jest.Mock };

describe('stop executor', () => {
  beforeEach(() => jest.clearAllMocks());
  const context = { root: '/ws', projectName: 'stack', targetName: 'stop' } as ExecutorContext;

  it('stops the workspace\'s stack, then its dashboard', async () => {
    stopStack.mockResolvedValue({ removed: [], network: 'absent' });
    await expect(stopExecutor({}, context)).resolves.toEqual({ success: true });
    expect(stopStack).toHaveBeenCalledWith({ root: '/ws' }, { network: 'oh-network', services: [] }, expect.any(Function));
    expect(stopDashboard).toHaveBeenCalledWith({ root: '/ws' }, expect.any(Function));
  });

  it('an engine that does not answer fails with its message and fix', async () => {
    stopStack.mockRejectedValue(new DockerError('the Docker engine does not answer: Cannot connect', { fix: 'start Docker' }));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(stopExecutor({}, context)).resolves.toEqual({ success: false });
      expect(stderr).toHaveBeenCalledWith('✖ stack:stop: the Docker engine does not answer: Cannot connect\n  fix: start Docker\n');
      expect(stopDashboard).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
  });
});
