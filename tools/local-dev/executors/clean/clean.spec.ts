import type { ExecutorContext } from '@nx/devkit';
import { UsageError } from '../../src/core/errors';
import { cleanStack } from '../../src/stack/clean';
import cleanExecutor, { normalizeOptions } from './clean.impl';

jest.mock('../../src/stack/gather', () => ({
  openWorkspace: jest.fn(() => ({ paths: { root: '/ws' }, model: { network: 'n', services: [] }, namespace: 's1' })),
}));
jest.mock('../../src/stack/clean', () => ({ cleanStack: jest.fn() }));

describe('clean executor', () => {
  const context = { root: '/ws', projectName: 'stack', targetName: 'clean' } as ExecutorContext;

  it('normalizes options: never forced unless asked', () => {
    expect(normalizeOptions({})).toEqual({ force: false, namespace: undefined });
    expect(normalizeOptions({ force: true })).toEqual({ force: true, namespace: undefined });
  });

  it('passes --force on, and shows a refusal with its fix', async () => {
    jest.mocked(cleanStack).mockResolvedValue({ images: 0, removedClones: [], backedUp: {} });
    await expect(cleanExecutor({ force: true }, context)).resolves.toEqual({ success: true });
    expect(jest.mocked(cleanStack).mock.calls[0][0]).toMatchObject({ force: true, paths: { root: '/ws' } });
    jest.mocked(cleanStack).mockRejectedValue(new UsageError('clean would lose work', { fix: 'commit it' }));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(cleanExecutor({}, context)).resolves.toEqual({ success: false });
      expect(stderr).toHaveBeenCalledWith('✖ stack:clean: clean would lose work\n  fix: commit it\n');
    } finally {
      stderr.mockRestore();
    }
  });
});
