/**
 * readStatus against real repositories: what one `git status --porcelain=v2` call must tell the
 * clone task (branch, HEAD, upstream and ahead/behind, changed files).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseStatusV2, readStatus } from './status';

describe('readStatus', () => {
  let folder: string;
  let clone: string;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', ...args], { cwd, stdio: 'pipe' })
      .toString()
      .trim();
  const commit = (cwd: string, file: string, content: string) => {
    writeFileSync(path.join(cwd, file), content);
    git(cwd, 'add', '-A');
    git(cwd, 'commit', '-q', '-m', `${file}: ${content.trim()}`);
  };

  beforeEach(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-status-'));
    const origin = path.join(folder, 'origin');
    execFileSync('git', ['init', '-q', '-b', 'main', origin]);
    commit(origin, 'app.py', 'v1\n');
    clone = path.join(folder, 'clone');
    execFileSync('git', ['clone', '-q', origin, clone]);
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('reads a clean clone: branch, full HEAD, upstream level with it, nothing changed', async () => {
    await expect(readStatus(clone)).resolves.toEqual({
      oid: git(clone, 'rev-parse', 'HEAD'),
      branch: 'main',
      upstream: 'origin/main',
      aheadBehind: { ahead: 0, behind: 0 },
      changed: [],
    });
  });

  it('counts local commits and fetched remote commits', async () => {
    commit(clone, 'mine.py', 'local\n');
    commit(path.join(folder, 'origin'), 'app.py', 'v2\n');
    commit(path.join(folder, 'origin'), 'app.py', 'v3\n');
    git(clone, 'fetch', '-q');
    expect((await readStatus(clone)).aheadBehind).toEqual({ ahead: 1, behind: 2 });
  });

  it('lists staged, unstaged, renamed and untracked files once each, names with spaces whole', async () => {
    commit(clone, 'old name.py', 'x\n');
    writeFileSync(path.join(clone, 'app.py'), 'edited\n');
    renameSync(path.join(clone, 'old name.py'), path.join(clone, 'new name.py'));
    git(clone, 'add', '-A');
    writeFileSync(path.join(clone, 'app.py'), 'edited again\n');
    writeFileSync(path.join(clone, 'untracked file.txt'), 'u\n');
    writeFileSync(path.join(clone, '.gitignore'), 'ignored.log\n');
    writeFileSync(path.join(clone, 'ignored.log'), 'i\n');
    expect((await readStatus(clone)).changed.sort()).toEqual(['.gitignore', 'app.py', 'new name.py', 'untracked file.txt']);
  });

  it('says so when HEAD is detached or the branch has no upstream', async () => {
    git(clone, 'switch', '-q', '--detach');
    expect(await readStatus(clone)).toMatchObject({ branch: undefined, upstream: undefined, aheadBehind: undefined });
    git(clone, 'switch', '-q', '-c', 'topic');
    expect(await readStatus(clone)).toMatchObject({ branch: 'topic', upstream: undefined, aheadBehind: undefined });
  });

  it('reads a repository without commits', () => {
    expect(parseStatusV2('# branch.oid (initial)\0# branch.head main\0? a.txt\0')).toEqual({
      oid: undefined,
      branch: 'main',
      upstream: undefined,
      aheadBehind: undefined,
      changed: ['a.txt'],
    });
  });
});
