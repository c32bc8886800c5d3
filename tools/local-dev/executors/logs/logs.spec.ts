import type { ExecutorContext } from '@nx/devkit';
import { showLogs } from '../../src/stack/logs';
import logsExecutor, { normalizeOptions } from './logs.impl';

jest.mock('../../src/stack/gather', () => ({ openWorkspace: jest.fn(() => ({ model: { services: [{ name: 'bifrost' }, { name: 'oms-web' }] } })) }));
jest.mock('../../src/stack/logs', () => ({ ...jest.requireActual<typeof import('../../src/stack/logs')>('../../src/stack/logs'), showLogs: jest.fn() }));

const context = (projectName: string) => ({ root: '/ws', projectName, targetName: 'logs' }) as ExecutorContext;

describe('logs executor', () => {
  it('normalizes options with the schema defaults; the project\'s own service comes first', () => {
    expect(normalizeOptions({ service: 'bifrost' })).toEqual({ services: ['bifrost'], namespace: undefined, follow: false, tail: 200, since: undefined });
    expect(normalizeOptions({ services: 'oms-web,bifrost', follow: true, tail: 5, since: '10m' })).toEqual({ services: ['oms-web', 'bifrost'], namespace: undefined, follow: true, tail: 5, since: '10m' });
  });

  it('a service project shows its service; the stack project all of them', async () => {
    jest.mocked(showLogs).mockResolvedValue(undefined);
    await expect(logsExecutor({ service: 'oms-web' }, context('oms-web'))).resolves.toEqual({ success: true });
    expect(jest.mocked(showLogs).mock.calls[0][0]).toMatchObject({ workspaceRoot: '/ws', services: ['oms-web'], follow: false, tail: 200 });
    await logsExecutor({}, context('stack'));
    expect(jest.mocked(showLogs).mock.calls[1][0]).toMatchObject({ services: ['bifrost', 'oms-web'] });
  });

  it('refuses an unknown service with the close one, before asking Docker', async () => {
    jest.mocked(showLogs).mockClear();
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(logsExecutor({ services: 'bifrots' }, context('stack'))).resolves.toEqual({ success: false });
      expect(stderr).toHaveBeenCalledWith('✖ stack:logs: no service "bifrots" in repos_docker_files/config.yaml\n  fix: "bifrots": did you mean "bifrost"?\n');
      expect(showLogs).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
  });
});
