import { composeProjectName, imageLabels, imageName, imageVariable, workspaceFilter, workspaceId } from './naming';

describe('naming', () => {
  it('names images by service and the first 12 hex of the input hash', () => {
    expect(imageName('oms-api', 'abcdef0123456789')).toBe('local-dev/oms-api:abcdef012345');
  });

  it('gives each workspace its own stable id and compose project', () => {
    expect(workspaceId('/home/a/local-dev')).toBe(workspaceId('/home/a/local-dev'));
    expect(workspaceId('/home/a/local-dev')).not.toBe(workspaceId('/home/b/local-dev'));
    expect(composeProjectName('/home/a/local-dev')).toMatch(/^local-dev-[0-9a-f]{8}$/);
  });

  it('labels images with service, workspace and input hash, and filters by them', () => {
    const id = workspaceId('/ws');
    expect(imageLabels('/ws', 'bifrost', 'ff'.repeat(32))).toEqual({
      'io.local-dev.service': 'bifrost',
      'io.local-dev.workspace': id,
      'io.local-dev.input-hash': 'ffffffffffff',
    });
    expect(workspaceFilter('/ws', 'bifrost')).toEqual(['--filter', `label=io.local-dev.workspace=${id}`, '--filter', 'label=io.local-dev.service=bifrost']);
  });

  it('turns a service name into the compose variable carrying its image', () => {
    expect(imageVariable('oms-worker-scheduler')).toBe('LOCAL_DEV_IMAGE_OMS_WORKER_SCHEDULER');
  });
});
