import type { ExecutorContext } from '@nx/devkit';
import { DockerError } from '../../src/core/errors';
import { ensureImage } from '../../src/docker/image';
import { checkRunBuildSecrets } from '../../src/docker/run-secrets';
import { writeBuildRecord } from '../../src/docker/build-record';
import buildImageExecutor, { normalizeOptions } from './build-image.impl';

jest.mock('../../src/config/run-context', () => ({
  createServiceRunContext: jest.fn((root: string, options: object) => ({ root, ...options, paths: { logs: `${root}/logs` }, service: { name: 'bifrost' } })),
}));
jest.mock('../../src/docker/image', () => ({ ensureImage: jest.fn() }));
jest.mock('../../src/docker/build-record', () => ({ writeBuildRecord: jest.fn() }));
jest.mock('../../src/docker/run-secrets', () => ({ checkRunBuildSecrets: jest.fn() }));

const taskGraph = { roots: [], dependencies: {}, tasks: { 'bifrost:build-image': { target: { project: 'bifrost', target: 'build-image' } } } };
const context = { root: '/ws', projectName: 'bifrost', targetName: 'build-image', taskGraph } as unknown as ExecutorContext;

describe('build-image executor', () => {
  let stderr: jest.SpiedFunction<typeof process.stderr.write>;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    jest.mocked(ensureImage).mockReset();
    jest.mocked(checkRunBuildSecrets).mockReset();
    jest.mocked(writeBuildRecord).mockReset();
  });
  afterEach(() => stderr.mockRestore());

  it('normalizes options: no optional field left', () => {
    expect(normalizeOptions({ service: 'bifrost' })).toEqual({ service: 'bifrost', namespace: undefined, refresh: false });
    expect(normalizeOptions({ service: 'bifrost', namespace: 's2', refresh: true })).toEqual({ service: 'bifrost', namespace: 's2', refresh: true });
  });

  it('ensures the image for the run context of the service and namespace, then records it (the Nx output up is hashed with)', async () => {
    jest.mocked(ensureImage).mockResolvedValue({
      image: 'local-dev/bifrost:1',
      built: false,
      target: { portableHash: 'ab', verdict: { shareable: true, exclude: [], copies: [] } },
    } as unknown as Awaited<ReturnType<typeof ensureImage>>);
    await expect(buildImageExecutor({ service: 'bifrost', namespace: 's2' }, context)).resolves.toEqual({ success: true });
    expect(ensureImage).toHaveBeenCalledWith(expect.objectContaining({ root: '/ws', namespace: 's2', refresh: false }), expect.any(Function));
    expect(writeBuildRecord).toHaveBeenCalledWith(
      { logs: '/ws/logs' },
      { service: 'bifrost', image: 'local-dev/bifrost:1', portableHash: 'ab', shareable: true, localOnly: undefined },
    );
  });

  it('checks the build secrets of the whole run (its task graph) before building', async () => {
    const { UsageError } = jest.requireActual('../../src/core/errors') as typeof import('../../src/core/errors');
    jest.mocked(checkRunBuildSecrets).mockRejectedValue(new UsageError('build secret not set: GITHUB_NPM_TOKEN (needed by oms-web) — nothing was built'));
    await expect(buildImageExecutor({ service: 'bifrost' }, context)).resolves.toEqual({ success: false });
    expect(checkRunBuildSecrets).toHaveBeenCalledWith(expect.objectContaining({ root: '/ws', namespace: undefined, refresh: false }), taskGraph);
    expect(ensureImage).not.toHaveBeenCalled();
    expect(writeBuildRecord).not.toHaveBeenCalled();
  });

  it('turns a failed build into a failed task with the message and fix', async () => {
    jest.mocked(ensureImage).mockRejectedValue(new DockerError('building bifrost failed', { fix: 'fix the Dockerfile' }));
    await expect(buildImageExecutor({ service: 'bifrost' }, context)).resolves.toEqual({ success: false });
    expect(stderr).toHaveBeenCalledWith('✖ bifrost:build-image: building bifrost failed\n  fix: fix the Dockerfile\n');
    expect(writeBuildRecord).not.toHaveBeenCalled();
  });
});
