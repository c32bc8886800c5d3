/** The inject-config executor's wiring; the injection itself (src/inject) is mocked here and tested for real in e2e/. */
import type { ExecutorContext } from '@nx/devkit';
import { UsageError } from '../../src/core/errors';
import { createServiceRunContext } from '../../src/config/run-context';
import { undoInjection } from '../../src/inject/apply';
import { injectConfigs } from '../../src/inject/inject-configs';
import { settleInjection } from '../../src/runtime-state/inject-state';
import injectConfigExecutor, { normalizeOptions } from './inject-config.impl';

jest.mock('../../src/inject/inject-configs');
jest.mock('../../src/inject/apply');
jest.mock('../../src/config/run-context');
jest.mock('../../src/runtime-state/inject-state');

const context = { root: '/ws', projectName: 'oms-api', targetName: 'inject-config' } as ExecutorContext;
const run = {
  paths: { root: '/ws', cloned: '/ws/cloned' },
  model: { repos: [{ dir: 'oms' }, { dir: 'health' }] },
  repo: { owner: 'oms-api', dir: 'oms' },
  namespace: 's2',
};

let stdout: jest.SpyInstance;
let stderr: jest.SpyInstance;
beforeEach(() => {
  jest.clearAllMocks();
  jest.mocked(createServiceRunContext).mockReturnValue(run as never);
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

it('normalizes options: no optional fields left', () => {
  expect(normalizeOptions({ service: 'x' })).toEqual({ service: 'x', namespace: undefined, refresh: false, undo: false });
  expect(normalizeOptions({ service: 'x', namespace: 's2', refresh: true })).toEqual({ service: 'x', namespace: 's2', refresh: true, undo: false });
});

it("injects for the run's namespace and sums up", async () => {
  jest.mocked(injectConfigs).mockResolvedValue({ version: 1, namespace: 's2', injectedAt: '', files: [{} as never, {} as never] });
  await expect(injectConfigExecutor({ service: 'oms-api', namespace: 's2' }, context)).resolves.toEqual({ success: true });
  expect(createServiceRunContext).toHaveBeenCalledWith('/ws', { service: 'oms-api', namespace: 's2', refresh: false, undo: false });
  expect(jest.mocked(injectConfigs).mock.calls[0][0]).toMatchObject({ namespace: 's2', repo: run.repo });
  expect(stdout).toHaveBeenCalledWith('oms-api: 2 files injected into cloned/oms for namespace s2, hidden from git\n');
  // Recorded for the next run's hash (src/runtime-state/settled.ts), over every clone.
  expect(settleInjection).toHaveBeenCalledWith('/ws', ['oms', 'health']);
});

it('turns a failure into {success:false} with the message', async () => {
  jest.mocked(injectConfigs).mockRejectedValue(new UsageError('configs/s2/oms.yaml is missing'));
  await expect(injectConfigExecutor({ service: 'oms-api' }, context)).resolves.toEqual({ success: false });
  expect(stderr).toHaveBeenCalledWith('✖ oms-api:inject-config: configs/s2/oms.yaml is missing\n');
  expect(settleInjection).not.toHaveBeenCalled();
});

it('--undo takes the injected files out instead of injecting', async () => {
  jest.mocked(undoInjection).mockResolvedValue(3);
  await expect(injectConfigExecutor({ service: 'oms-api', undo: true }, context)).resolves.toEqual({ success: true });
  expect(undoInjection).toHaveBeenCalledWith({ root: '/ws/cloned/oms', display: 'cloned/oms' }, expect.any(Function));
  expect(injectConfigs).not.toHaveBeenCalled();
});
