import type { ExecutorContext } from '@nx/devkit';
import { runDoctor } from '../../src/stack/doctor';
import doctorExecutor, { normalizeOptions } from './doctor.impl';

jest.mock('../../src/stack/gather', () => ({
  openWorkspace: jest.fn(() => ({ paths: { root: '/ws' }, model: { services: [{ name: 'a' }, { name: 'b' }] }, namespace: 's1' })),
}));
jest.mock('../../src/stack/doctor', () => ({ ...jest.requireActual<typeof import('../../src/stack/doctor')>('../../src/stack/doctor'), runDoctor: jest.fn() }));

describe('doctor executor', () => {
  const context = { root: '/ws', projectName: 'stack', targetName: 'doctor' } as ExecutorContext;

  it('normalizes options', () => {
    expect(normalizeOptions({ services: 'a' })).toEqual({ services: ['a'], namespace: undefined });
  });

  it('checks the chosen services; succeeds with warnings, fails when a check fails', async () => {
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      jest.mocked(runDoctor).mockResolvedValue([{ name: 'x', result: 'warn', detail: 'd' }]);
      await expect(doctorExecutor({ services: 'b' }, context)).resolves.toEqual({ success: true });
      expect(jest.mocked(runDoctor).mock.calls[0][0].services).toEqual([{ name: 'b' }]);
      jest.mocked(runDoctor).mockResolvedValue([{ name: 'kubectl', result: 'fail', detail: 'no context', fix: 'pick one' }]);
      await expect(doctorExecutor({}, context)).resolves.toEqual({ success: false });
      expect(stderr).toHaveBeenCalledWith('✖ stack:doctor: 1 check failed: kubectl\n  fix: see each fix above\n');
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
