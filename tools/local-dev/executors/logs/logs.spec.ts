import type { ExecutorContext } from '@nx/devkit';
import logsExecutor, { logsArgs, normalizeOptions } from './logs.impl';

jest.mock('../../src/core/run-context', () => ({ createServiceRunContext: jest.fn((root: string, options: { service: string }) => ({ paths: { root }, service: { name: options.service } })) }));
jest.mock('../../src/docker/containers', () => ({ findServiceContainers: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findServiceContainers } = require('../../src/docker/containers') as { findServiceContainers: jest.Mock };

const context = { root: '/ws', projectName: 'bifrost', targetName: 'logs' } as ExecutorContext;

describe('logs executor', () => {
  it('normalizes options with the schema defaults', () => {
    expect(normalizeOptions({ service: 'bifrost' })).toEqual({ service: 'bifrost', namespace: undefined, refresh: false, follow: false, tail: 200 });
  });

  it('builds docker logs arguments', () => {
    expect(logsArgs('abc', { follow: false, tail: 50 })).toEqual(['logs', '--tail', '50', 'abc']);
    expect(logsArgs('abc', { follow: true, tail: 0 })).toEqual(['logs', '--follow', '--tail', '0', 'abc']);
  });

  it('says how to start a service that has no container', async () => {
    findServiceContainers.mockResolvedValue([]);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(logsExecutor({ service: 'bifrost' }, context)).resolves.toEqual({ success: false });
      expect(stderr).toHaveBeenCalledWith('✖ bifrost:logs: bifrost has no container\n  fix: start it: nx run bifrost:up\n');
    } finally {
      stderr.mockRestore();
    }
  });
});
