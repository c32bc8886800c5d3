import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../core/workspace';
import { atRisk, cloneFolders, describeRisk, generatedFiles, measureRisk } from './clean';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
const none = { dir: 'x', changedFiles: 0, unpushedCommits: 0, savedWork: 0 };

describe('clean', () => {
  it('a clone is at risk with changes, unpushed commits, saved stashes/backups, or when it is no clone', () => {
    expect(atRisk(none)).toBe(false);
    expect(atRisk({ ...none, changedFiles: 1 })).toBe(true);
    expect(atRisk({ ...none, unpushedCommits: 1 })).toBe(true);
    expect(atRisk({ ...none, savedWork: 1 })).toBe(true);
    expect(atRisk({ ...none, notAClone: 'no .git' })).toBe(true);
    expect(describeRisk({ ...none, changedFiles: 2, unpushedCommits: 1, savedWork: 1 })).toBe('cloned/x: 2 uncommitted or untracked files, 1 commit on no remote, 1 saved stash/backup');
    expect(describeRisk({ ...none, notAClone: 'it is a file, not a folder' })).toBe('cloned/x: not a git clone (it is a file, not a folder)');
  });

  it('removes the compose file, build records and run logs — never backups or locks', () => {
    const paths = workspacePaths('/ws');
    expect(generatedFiles(paths, ['a']).map((file) => path.relative('/ws', file))).toEqual([
      'docker-compose.yml',
      'logs/images/a.json',
      'logs/build_output.log',
      'logs/run_metrics.json',
      'logs/progress.json',
      'logs/redis-tunnel.log',
    ]);
  });

  describe('measuring what a clone would lose (real git)', () => {
    let root: string;
    let clone: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'local-dev-clean-'));
      const seed = path.join(root, 'seed');
      mkdirSync(seed);
      git(seed, 'init', '-q', '-b', 'main');
      writeFileSync(path.join(seed, 'a.txt'), 'a\n');
      git(seed, 'add', '-A');
      git(seed, 'commit', '-q', '-m', 'one');
      git(root, 'clone', '-q', '--bare', seed, path.join(root, 'remote.git'));
      clone = path.join(root, 'cloned', 'svc');
      mkdirSync(path.dirname(clone));
      git(root, 'clone', '-q', path.join(root, 'remote.git'), clone);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('a fresh clone loses nothing', async () => {
      expect(await measureRisk(clone)).toEqual({ dir: 'svc', changedFiles: 0, unpushedCommits: 0, savedWork: 0 });
    });

    it('counts untracked files, commits on a local branch no remote has, and stashes', async () => {
      writeFileSync(path.join(clone, 'new.txt'), 'new\n');
      git(clone, 'switch', '-q', '-c', 'feature');
      git(clone, 'commit', '-q', '--allow-empty', '-m', 'mine');
      git(clone, 'switch', '-q', 'main');
      expect(await measureRisk(clone)).toEqual({ dir: 'svc', changedFiles: 1, unpushedCommits: 1, savedWork: 0 });
      git(clone, 'stash', '-q', '-u');
      expect(await measureRisk(clone)).toEqual({ dir: 'svc', changedFiles: 0, unpushedCommits: 1, savedWork: 1 });
    });

    it('lists the folders of cloned/, not its hidden lock files', () => {
      writeFileSync(path.join(root, 'cloned', '.svc.lock'), '');
      expect(cloneFolders(workspacePaths(root))).toEqual(['svc']);
    });
  });
});
