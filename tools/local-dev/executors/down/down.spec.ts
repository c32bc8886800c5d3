import type { ExecutorContext } from '@nx/devkit';
import downExecutor, { normalizeOptions } from './down.impl';

jest.mock('../../src/core/run-context', () => ({ createServiceRunContext: jest.fn((root: string, options: { service: string }) => ({ paths: { root }, service: { name: options.service } })) }));
jest.mock('../../src/docker/containers', () => ({ removeServiceContainers: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { removeServiceContainers } = require('../../src/docker/containers') as { removeServiceContainers: jest.Mock };

const context = { root: '/ws', projectName: 'oms-api', targetName: 'down' } as ExecutorContext;

describe('down executor', () => {
  let stdout: jest.SpyInstance;
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => stdout.mockRestore());

  it('normalizes options', () => {
    expect(normalizeOptions({ service: 'oms-api' })).toEqual({ service: 'oms-api', namespace: undefined, refresh: false });
  });

  it('removes the service\'s containers of this workspace\'s compose project and says so', async () => {
    removeServiceContainers.mockResolvedValueOnce(1).mockResolvedValueOnce(0);
    await expect(downExecutor({ service: 'oms-api' }, context)).resolves.toEqual({ success: true });
    expect(removeServiceContainers).toHaveBeenCalledWith(expect.stringMatching(/^local-dev-[0-9a-f]{8}$/), 'oms-api');
    expect(stdout).toHaveBeenCalledWith('oms-api: stopped and removed\n');
    await expect(downExecutor({ service: 'oms-api' }, context)).resolves.toEqual({ success: true });
    expect(stdout).toHaveBeenCalledWith('oms-api: not running — nothing to stop\n');
  });
});
