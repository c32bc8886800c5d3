/** The gathering layer against real git repos on disk (no Docker needed for these parts). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sha256 } from '../docker/input-hash';
import { writeManifest } from '../inject/manifest';
import { workspacePaths } from '../core/workspace';
import { gatherClone, mapLimit, readBuildRecord } from './gather';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });

describe('gather (real git)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'local-dev-gather-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a missing or empty folder is not cloned; a plain folder is not a clone', async () => {
    expect(await gatherClone(path.join(root, 'nothing'))).toEqual({ state: 'missing' });
    mkdirSync(path.join(root, 'empty'));
    expect(await gatherClone(path.join(root, 'empty'))).toEqual({ state: 'missing' });
    mkdirSync(path.join(root, 'plain'));
    writeFileSync(path.join(root, 'plain', 'x'), 'x');
    expect(await gatherClone(path.join(root, 'plain'))).toMatchObject({ state: 'not-a-clone' });
  });

  it('reads branch, ahead/behind, changes and the injected files\' drift', async () => {
    const remote = path.join(root, 'remote.git');
    const seed = path.join(root, 'seed');
    mkdirSync(seed);
    git(seed, 'init', '-q', '-b', 'main');
    writeFileSync(path.join(seed, 'README.md'), 'hi\n');
    git(seed, 'add', '-A');
    git(seed, 'commit', '-q', '-m', 'one');
    git(root, 'clone', '-q', '--bare', seed, remote);
    const clone = path.join(root, 'clone');
    git(root, 'clone', '-q', remote, clone);
    git(clone, 'commit', '-q', '--allow-empty', '-m', 'local');
    writeFileSync(path.join(clone, 'README.md'), 'changed\n');
    writeFileSync(path.join(clone, 'secret.py'), 'EDITED = 1\n');
    writeFileSync(path.join(clone, '.git', 'info', 'exclude'), 'secret.py\nDockerfile\n');
    writeManifest(path.join(clone, '.git'), {
      version: 1,
      namespace: 's2',
      injectedAt: '2026-11-29T10:00:00Z',
      files: [
        { dest: 'secret.py', kind: 'config', origin: 'configs/s2/secret.py', sha256: sha256('ORIGINAL = 1\n'), createdDirs: [] },
        { dest: 'Dockerfile', kind: 'dockerfile', origin: 'repos_docker_files/x', sha256: sha256('FROM x\n'), createdDirs: [] },
      ],
    });
    const facts = await gatherClone(clone);
    expect(facts).toMatchObject({
      state: 'clone',
      branch: 'main',
      upstream: 'origin/main',
      aheadBehind: { ahead: 1, behind: 0 },
      changed: ['README.md'],
      injection: { namespace: 's2', files: [{ dest: 'secret.py', kind: 'config', drift: 'edited' }, { dest: 'Dockerfile', kind: 'dockerfile', drift: 'missing' }] },
    });
  });

  it('reads the build record; none when build-image never ran', () => {
    const paths = workspacePaths(root);
    expect(readBuildRecord(paths, 'svc')).toBeUndefined();
    mkdirSync(path.join(root, 'logs', 'images'), { recursive: true });
    writeFileSync(path.join(root, 'logs', 'images', 'svc.json'), JSON.stringify({ service: 'svc', image: 'local-dev/svc:0123' }));
    expect(readBuildRecord(paths, 'svc')).toBe('local-dev/svc:0123');
  });

  it('mapLimit keeps the order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const result = await mapLimit([5, 1, 3, 2], 2, async (delay) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      running--;
      return delay * 10;
    });
    expect(result).toEqual([50, 10, 30, 20]);
    expect(most).toBe(2);
  });
});
