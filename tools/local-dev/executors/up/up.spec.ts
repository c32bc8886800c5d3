import type { ExecutorContext } from '@nx/devkit';
import { DockerError } from '../../src/core/errors';
import upExecutor, { normalizeOptions } from './up.impl';

jest.mock('../../src/core/run-context', () => ({ createServiceRunContext: jest.fn((root: string, options: object) => ({ root, ...options })) }));
jest.mock('../../src/docker/start', () => ({ startService: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startService } = require('../../src/docker/start') as { startService: jest.Mock };

const context = { root: '/ws', projectName: 'health-api', targetName: 'up' } as ExecutorContext;

describe('up executor', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    startService.mockReset();
  });
  afterEach(() => stderr.mockRestore());

  it('normalizes options', () => {
    expect(normalizeOptions({ service: 'health-api', refresh: true })).toEqual({ service: 'health-api', namespace: undefined, refresh: true });
  });

  it('starts the service in the run context of its namespace', async () => {
    startService.mockResolvedValue({ image: 'local-dev/health-api:1', built: false, started: true });
    await expect(upExecutor({ service: 'health-api', namespace: 's3' }, context)).resolves.toEqual({ success: true });
    expect(startService).toHaveBeenCalledWith({ root: '/ws', service: 'health-api', namespace: 's3', refresh: false }, expect.any(Function));
  });

  it('fails the task with the healthcheck message', async () => {
    startService.mockRejectedValue(new DockerError('health-api was not healthy after 120 s'));
    await expect(upExecutor({ service: 'health-api' }, context)).resolves.toEqual({ success: false });
    expect(stderr).toHaveBeenCalledWith('✖ health-api:up: health-api was not healthy after 120 s\n');
  });
});
