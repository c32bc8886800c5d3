import { composeProjectName, imageLabels, imageName, imageVariable, registryReference, workspaceFilter, workspaceId } from './naming';

describe('naming', () => {
  it('names images by service and the first 12 hex of the input hash', () => {
    expect(imageName('oms-api', 'abcdef0123456789')).toBe('local-dev/oms-api:abcdef012345');
  });

  it('gives each workspace its own stable id and compose project', () => {
    expect(workspaceId('/home/a/local-dev')).toBe(workspaceId('/home/a/local-dev'));
    expect(workspaceId('/home/a/local-dev')).not.toBe(workspaceId('/home/b/local-dev'));
    expect(composeProjectName('/home/a/local-dev')).toMatch(/^local-dev-[0-9a-f]{8}$/);
  });

  it('labels images with service, workspace, input hash and the whole portable hash, and filters by them', () => {
    const id = workspaceId('/ws');
    expect(imageLabels('/ws', 'bifrost', 'ff'.repeat(32), 'ab'.repeat(32))).toEqual({
      'io.local-dev.service': 'bifrost',
      'io.local-dev.workspace': id,
      'io.local-dev.input-hash': 'ffffffffffff',
      'io.local-dev.portable-hash': 'ab'.repeat(32),
    });
    expect(workspaceFilter('/ws', 'bifrost')).toEqual(['--filter', `label=io.local-dev.workspace=${id}`, '--filter', 'label=io.local-dev.service=bifrost']);
  });

  it('names an image in the registry by service and portable hash, whatever the workspace', () => {
    expect(registryReference('registry.internal:5000/local-dev/', 'bifrost', 'ab'.repeat(32))).toBe(
      `registry.internal:5000/local-dev/bifrost:${'ab'.repeat(32)}`,
    );
    expect(registryReference('127.0.0.1:5000', 'bifrost', 'cd')).toBe('127.0.0.1:5000/bifrost:cd');
  });

  it('turns a service name into the compose variable carrying its image', () => {
    expect(imageVariable('oms-worker-scheduler')).toBe('LOCAL_DEV_IMAGE_OMS_WORKER_SCHEDULER');
  });
});
