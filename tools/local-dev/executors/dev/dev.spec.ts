import type { ExecutorContext } from '@nx/devkit';
import { runDevSession } from '../../src/tasks/live-session';
import devExecutor, { normalizeOptions } from './dev.impl';

jest.mock('../../src/config/run-context', () => ({ createServiceRunContext: jest.fn(() => ({ service: { name: 'api' } })) }));
// The session is the real one in e2e/live.e2e.spec.ts; here only the executor's wiring to it.
jest.mock('../../src/tasks/live-session', () => ({ runDevSession: jest.fn() }));

const context = { root: '/ws', projectName: 'api', targetName: 'dev' } as ExecutorContext;

describe('dev executor', () => {
  it('normalizes options: the service and the namespace, nothing left undecided beyond that', () => {
    expect(normalizeOptions({ service: 'api' })).toEqual({ service: 'api', namespace: undefined });
    expect(normalizeOptions({ service: 'api', namespace: 's2' })).toEqual({ service: 'api', namespace: 's2' });
  });

  it('runs the session until SIGTERM (what Nx sends its tasks on Ctrl-C), then succeeds', async () => {
    jest.mocked(runDevSession).mockImplementation(async (_run, signals) => signals.stopped);
    const result = devExecutor({ service: 'api' }, context);
    await new Promise((resolve) => setImmediate(resolve));
    process.emit('SIGTERM', 'SIGTERM');
    await expect(result).resolves.toEqual({ success: true });
  });

  it('aborts at the second SIGINT/SIGTERM: a session still finishing its work after the first is told to stop waiting', async () => {
    const heard: string[] = [];
    jest.mocked(runDevSession).mockImplementation(async (_run, signals) => {
      await signals.stopped;
      heard.push('stopped');
      // A rebuild under way, which the first signal waits for; the second one cuts it short.
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 60_000).unref()), signals.aborted.then(() => heard.push('aborted'))]);
    });
    const result = devExecutor({ service: 'api' }, context);
    await new Promise((resolve) => setImmediate(resolve));
    process.emit('SIGINT', 'SIGINT');
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual(['stopped']);
    process.emit('SIGTERM', 'SIGTERM');
    await expect(result).resolves.toEqual({ success: true });
    expect(heard).toEqual(['stopped', 'aborted']);
  });

  it('fails with the session error said at the edge (no stack trace for a known error)', async () => {
    const { UsageError } = jest.requireActual<typeof import('../../src/core/errors')>('../../src/core/errors');
    jest.mocked(runDevSession).mockRejectedValueOnce(new UsageError('api has no running container to sync into', { fix: '`nx run api:up`' }));
    const said: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((text) => Boolean(said.push(String(text))));
    try {
      await expect(devExecutor({ service: 'api' }, context)).resolves.toEqual({ success: false });
    } finally {
      stderr.mockRestore();
    }
    expect(said).toEqual(['✖ api:dev: api has no running container to sync into\n  fix: `nx run api:up`\n']);
  });
});
