import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import syncProjectFolders from './generator';

const CONFIG = 'repos_docker_files/config.yaml';

describe('the sync-project-folders sync generator', () => {
  it('writes services/<name>/README.md for every inferred project that lacks one, and says the workspace was out of sync', () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(CONFIG, 'services:\n  api:\n    repo: a.git\n    workers:\n      api-worker: {}\n');
    const result = syncProjectFolders(tree);
    for (const name of ['api', 'api-worker', 'docker-compose', 'redis-tunnel', 'stack'])
      expect(tree.read(`services/${name}/README.md`, 'utf8')).toContain(`# ${name}`);
    expect(result?.outOfSyncMessage).toContain(
      'services without a project folder (services/api/, services/api-worker/, services/docker-compose/, services/redis-tunnel/, services/stack/)',
    );
  });

  it('never overwrites a README the user edited, and reports nothing when every folder exists', () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(CONFIG, 'services:\n  api:\n    repo: a.git\n');
    tree.write('services/api/README.md', 'my notes');
    expect(syncProjectFolders(tree)?.outOfSyncMessage).toContain('(services/docker-compose/, services/redis-tunnel/, services/stack/)');
    expect(tree.read('services/api/README.md', 'utf8')).toBe('my notes');
    expect(syncProjectFolders(tree)).toBeUndefined();
  });

  it('does nothing in a workspace without config.yaml', () => {
    const tree = createTreeWithEmptyWorkspace();
    expect(syncProjectFolders(tree)).toBeUndefined();
    expect(tree.listChanges().filter((change) => change.path.startsWith('services/'))).toEqual([]);
  });

  it('stops with the config problems, file and line, when config.yaml is broken', () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(CONFIG, 'services:\n  api:\n    repo: a.git\n    dependson: [web]\n');
    expect(() => syncProjectFolders(tree)).toThrow(`${CONFIG}:4: unknown key "dependson" in services.api`);
  });
});
