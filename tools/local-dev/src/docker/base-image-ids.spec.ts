import { baseImageIds, pickBaseId, repositoryOf } from './base-image-ids';

describe('repositoryOf', () => {
  it.each([
    ['busybox:1.36', 'busybox'],
    ['busybox', 'busybox'],
    ['registry.internal:5000/team/app:1.2', 'registry.internal:5000/team/app'],
    ['registry.internal:5000/team/app', 'registry.internal:5000/team/app'],
    ['busybox@sha256:abc', 'busybox'],
  ])('%s → %s', (reference, repository) => expect(repositoryOf(reference)).toBe(repository));
});

describe('pickBaseId', () => {
  it("takes the digest of the reference's own repository: the same on every laptop that pulled that image", () => {
    const image = { Id: 'sha256:local', RepoDigests: ['mirror.internal/busybox@sha256:m', 'busybox@sha256:hub'] };
    expect(pickBaseId('busybox:1.36', image)).toBe('sha256:hub');
    expect(pickBaseId('other:1', image)).toBe('sha256:m');
  });
  it('takes the local image id for an image built on this machine (no digest)', () => {
    expect(pickBaseId('local-dev/base:1', { Id: 'sha256:local', RepoDigests: [] })).toBe('sha256:local');
    expect(pickBaseId('local-dev/base:1', { Id: 'sha256:local', RepoDigests: null })).toBe('sha256:local');
  });
});

describe('baseImageIds (real engine)', () => {
  it('names an image the engine has by its digest or id, and marks a missing one without pulling it', async () => {
    const ids = await baseImageIds(['busybox:1.36', 'local-dev-test/never-there:0'], 'mark');
    expect(ids['busybox:1.36']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ids['local-dev-test/never-there:0']).toBe('missing');
  });
  it('says which FROM image could not be pulled, and how to fix it', async () => {
    await expect(baseImageIds(['127.0.0.1:9/local-dev-test/never-there:0'], 'pull')).rejects.toThrow(
      /the base image 127\.0\.0\.1:9\/local-dev-test\/never-there:0 \(a FROM line of the Dockerfile\) is not on this engine and could not be pulled/,
    );
  });
});
