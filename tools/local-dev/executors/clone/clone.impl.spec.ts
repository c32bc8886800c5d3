/** The clone executor's wiring; the git work itself (src/git) is mocked here and tested for real in e2e/. */
import type { ExecutorContext } from '@nx/devkit';
import { GitError } from '../../src/core/errors';
import { createServiceRunContext } from '../../src/config/run-context';
import { ensureClone } from '../../src/tasks/ensure-clone';
import cloneExecutor, { normalizeOptions } from './clone.impl';

jest.mock('../../src/tasks/ensure-clone');
jest.mock('../../src/config/run-context');

const context = { root: '/ws', projectName: 'health-api', targetName: 'clone' } as ExecutorContext;
const run = { paths: { root: '/ws' }, repo: { owner: 'health-api', dir: 'health-api' }, refresh: false };

let stdout: jest.SpiedFunction<typeof process.stdout.write>;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;
beforeEach(() => {
  jest.clearAllMocks();
  jest.mocked(createServiceRunContext).mockReturnValue(run as never);
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

it('normalizes options: no optional fields left', () => {
  expect(normalizeOptions({ service: 'x' })).toEqual({ service: 'x', namespace: undefined, refresh: false, undo: false });
  // An empty --namespace= is passed on as it is, so the run context refuses it (never read as the default).
  expect(normalizeOptions({ service: 'x', namespace: '', refresh: true })).toEqual({ service: 'x', namespace: '', refresh: true, undo: false });
  expect(normalizeOptions({ service: 'x', namespace: 's2' })).toEqual({ service: 'x', namespace: 's2', refresh: false, undo: false });
});

it('passes --refresh through and prints the status, prefixed with the service', async () => {
  jest.mocked(ensureClone).mockResolvedValue({
    action: { type: 'kept' },
    branch: 'master',
    head: 'abc1234',
    changedFiles: 0,
    remote: { upstream: 'origin/master', ahead: 0, behind: 0 },
  });
  await expect(cloneExecutor({ service: 'health-api', refresh: true }, context)).resolves.toEqual({ success: true });
  expect(createServiceRunContext).toHaveBeenCalledWith('/ws', { service: 'health-api', namespace: undefined, refresh: true, undo: false });
  expect(jest.mocked(ensureClone).mock.calls[0][0]).toMatchObject({ refresh: true, repo: run.repo });
  expect(stdout.mock.calls.map((call) => call[0])).toEqual([
    'health-api: kept master at abc1234 as it is (nothing pulled without --refresh)\n',
    'health-api: up to date with origin/master\n',
  ]);
});

it('turns a failure into {success:false} with the message and the fix', async () => {
  jest.mocked(ensureClone).mockRejectedValue(new GitError('cloned/health-api', 'cannot read x', { fix: 'check your SSH key' }));
  await expect(cloneExecutor({ service: 'health-api' }, context)).resolves.toEqual({ success: false });
  expect(stderr).toHaveBeenCalledWith('✖ health-api:clone: cloned/health-api: cannot read x\n  fix: check your SSH key\n');
});

it('does nothing when inject-config --undo forwards its options', async () => {
  await expect(cloneExecutor({ service: 'health-api', undo: true }, context)).resolves.toEqual({ success: true });
  expect(ensureClone).not.toHaveBeenCalled();
  expect(stdout).toHaveBeenCalledWith('health-api: left cloned/health-api alone (inject-config --undo)\n');
});
