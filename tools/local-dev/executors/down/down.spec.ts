import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { removeServiceContainers } from '../../src/docker/containers';
import downExecutor, { normalizeOptions } from './down.impl';

jest.mock('../../src/config/run-context', () => ({
  createServiceRunContext: jest.fn((root: string, options: { service: string }) => ({
    paths: (jest.requireActual('../../src/core/workspace') as typeof import('../../src/core/workspace')).workspacePaths(root),
    service: { name: options.service },
  })),
}));
jest.mock('../../src/docker/containers', () => ({ removeServiceContainers: jest.fn() }));

describe('down executor', () => {
  let stdout: jest.SpiedFunction<typeof process.stdout.write>;
  let context: ExecutorContext;
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    context = { root: mkdtempSync(path.join(tmpdir(), 'local-dev-down-')), projectName: 'oms-api', targetName: 'down' } as ExecutorContext;
  });
  afterEach(() => {
    stdout.mockRestore();
    rmSync(context.root, { recursive: true, force: true });
  });

  it('normalizes options', () => {
    expect(normalizeOptions({ service: 'oms-api' })).toEqual({ service: 'oms-api', namespace: undefined, refresh: false });
  });

  it("removes the service's containers of this workspace's compose project and says so", async () => {
    jest.mocked(removeServiceContainers).mockResolvedValueOnce(1).mockResolvedValueOnce(0);
    await expect(downExecutor({ service: 'oms-api' }, context)).resolves.toEqual({ success: true });
    expect(removeServiceContainers).toHaveBeenCalledWith(expect.stringMatching(/^local-dev-[0-9a-f]{8}$/), 'oms-api');
    expect(stdout).toHaveBeenCalledWith('oms-api: stopped and removed\n');
    await expect(downExecutor({ service: 'oms-api' }, context)).resolves.toEqual({ success: true });
    expect(stdout).toHaveBeenCalledWith('oms-api: not running — nothing to stop\n');
  });

  it("removes them holding the service's lock (logs/locks/oms-api.lock), released afterwards", async () => {
    const lock = path.join(context.root, 'logs', 'locks', 'oms-api.lock');
    let heldDuringRemove = false;
    jest.mocked(removeServiceContainers).mockImplementationOnce(async () => {
      heldDuringRemove = existsSync(lock);
      return 1;
    });
    await expect(downExecutor({ service: 'oms-api' }, context)).resolves.toEqual({ success: true });
    expect(heldDuringRemove).toBe(true);
    expect(readdirSync(path.dirname(lock))).toEqual([]);
  });
});
