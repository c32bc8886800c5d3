import type { ExecutorContext } from '@nx/devkit';
import { TunnelError } from '../../src/core/errors';
import { restartStack } from '../../src/stack/restart';
import restartExecutor, { normalizeOptions } from './restart.impl';

jest.mock('../../src/stack/gather', () => ({
  openWorkspace: jest.fn(() => ({ paths: { root: '/ws' }, model: { services: [{ name: 'a' }, { name: 'b' }] }, namespace: 's1' })),
}));
jest.mock('../../src/stack/restart', () => ({ restartStack: jest.fn() }));

describe('restart executor', () => {
  it('normalizes options: the tunnel reconnects unless told not to', () => {
    expect(normalizeOptions({})).toEqual({ services: [], tunnel: true, namespace: undefined });
    expect(normalizeOptions({ services: 'b', tunnel: false })).toEqual({ services: ['b'], tunnel: false, namespace: undefined });
  });

  it('restarts every service, or the named ones (then each must exist)', async () => {
    jest.mocked(restartStack).mockResolvedValue(undefined);
    const context = { root: '/ws', projectName: 'stack', targetName: 'restart' } as ExecutorContext;
    await expect(restartExecutor({}, context)).resolves.toEqual({ success: true });
    expect(jest.mocked(restartStack).mock.calls[0][0]).toMatchObject({ services: ['a', 'b'], named: false, tunnel: true, namespace: 's1' });
    await restartExecutor({ services: 'b', tunnel: false }, context);
    expect(jest.mocked(restartStack).mock.calls[1][0]).toMatchObject({ services: ['b'], named: true, tunnel: false });
  });

  it('says which locks logs/ refused after the restart, also when the tunnel then failed', async () => {
    jest.mocked(restartStack).mockImplementationOnce(async (request) => {
      request.unwritable?.("the lock on a's container (EROFS: read-only file system)");
      throw new TunnelError('the Redis tunnel was not reconnected', { fix: 'make logs/ writable' });
    });
    const said: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((text) => Boolean(said.push(String(text))));
    try {
      await expect(restartExecutor({}, { root: '/ws', projectName: 'stack', targetName: 'restart' } as ExecutorContext)).resolves.toEqual({ success: false });
    } finally {
      stderr.mockRestore();
    }
    expect(said).toEqual([
      "⚠ stack:restart: logs/ refused these writes; the work went on without them:\n  - the lock on a's container (EROFS: read-only file system)\n  fix: make logs/ writable again (free disk space, or make it read-write) before the next run\n",
      '✖ stack:restart: the Redis tunnel was not reconnected\n  fix: make logs/ writable\n',
    ]);
  });
});
