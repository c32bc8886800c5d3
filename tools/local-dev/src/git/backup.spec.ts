import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backupStamp, ignoredFilesAtRisk, ignoredFilesInTheWay, restoreCommands, saveLocalWork } from './backup';

describe('ignoredFilesInTheWay', () => {
  it('finds the ignored files a checkout of the target tree would overwrite, and only those', () => {
    const ignored = ['.env', 'settings.local', 'build/out.js', 'cache', 'logs/debug.log', 'node_modules/x/index.js'];
    const target = ['.env', 'build', 'cache/keep.txt', 'src/main.py'];
    // .env: tracked by the target; build/out.js: target has a file "build"; cache: target has a folder "cache".
    expect(ignoredFilesInTheWay(ignored, target)).toEqual(['.env', 'build/out.js', 'cache']);
  });

  it('is empty when the target tracks none of them', () => {
    expect(ignoredFilesInTheWay(['debug.log'], ['README.md', 'src/debug.py'])).toEqual([]);
  });

  it('looks at every folder level, on both sides', () => {
    // An ignored file deep inside a path the target tracks as a file, and an ignored path the target has as a deep folder.
    expect(ignoredFilesInTheWay(['vendor/lib/a/b.js', 'out'], ['vendor/lib', 'out/x/y/z.txt'])).toEqual(['vendor/lib/a/b.js', 'out']);
    expect(ignoredFilesInTheWay(['a/b/c.txt'], ['a/b/c.txt/d'])).toEqual(['a/b/c.txt']);
  });
});

describe('backup names and restore commands', () => {
  it('stamps a backup with the UTC time, without characters a ref name cannot hold', () => {
    expect(backupStamp(new Date('2026-11-26T08:07:23.123Z'))).toBe('20261126T080723Z');
  });

  it('tells how to get the commits back, and the changes too when there were some', () => {
    expect(restoreCommands('cloned/api', 'refs/local-dev/backup/S', 'S', false)).toEqual(['git -C cloned/api switch -c rescued-S refs/local-dev/backup/S^1']);
    expect(restoreCommands('cloned/api', 'refs/local-dev/backup/S', 'S', true)).toEqual([
      'git -C cloned/api switch -c rescued-S refs/local-dev/backup/S^1',
      'git -C cloned/api stash apply --index refs/local-dev/backup/S',
    ]);
  });
});

/** saveLocalWork against real repositories: a bare-ish origin, a clone with main tracking origin/main. */
describe('saveLocalWork (real git)', () => {
  const NOW = new Date('2026-11-26T08:07:23.123Z');
  const UPSTREAM = 'refs/remotes/origin/main';
  let folder: string;
  let clone: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: clone, stdio: 'pipe' })
      .toString()
      .trim();
  const write = (file: string, content: string) => writeFileSync(path.join(clone, file), content);
  const read = (file: string) => readFileSync(path.join(clone, file), 'utf8');
  const commit = (file: string, content: string) => {
    write(file, content);
    git('add', '--', file);
    git('commit', '-q', '-m', `${file}: ${content.trim()}`);
  };
  const backupRefs = () => git('for-each-ref', '--format=%(refname)', 'refs/local-dev').split('\n').filter(Boolean);
  const stashes = () => git('stash', 'list', '--format=%gs').split('\n').filter(Boolean);
  /** What a user runs: the printed commands, with `git -C <clone>` as printed. */
  const runPrinted = (command: string) => execFileSync('git', command.split(' ').slice(1), { stdio: 'pipe' });
  /** What refresh does after the backup: the clone becomes origin/main, untracked files gone. */
  const resetLikeRefresh = () => {
    git('clean', '-fd', '--quiet');
    git('checkout', '--quiet', '--force', '-B', 'main', UPSTREAM);
  };

  // The origin and its clone are made with git once, then copied for each test (spawning git is
  // the slow part, and mutation testing runs these tests once per mutant).
  let template: string;
  beforeAll(() => {
    template = mkdtempSync(path.join(os.tmpdir(), 'local-dev-backup-template-'));
    const origin = path.join(template, 'origin');
    execFileSync('git', ['init', '-q', '-b', 'main', origin]);
    clone = origin;
    commit('app.py', 'v1\n');
    commit('.gitignore', '.env\n');
    execFileSync('git', ['clone', '-q', origin, path.join(template, 'clone')]);
  });
  afterAll(() => rmSync(template, { recursive: true, force: true }));

  beforeEach(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-backup-'));
    cpSync(template, folder, { recursive: true });
    clone = path.join(folder, 'clone');
    const config = path.join(clone, '.git', 'config');
    writeFileSync(config, readFileSync(config, 'utf8').replace(path.join(template, 'origin'), path.join(folder, 'origin')));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('writes nothing when nothing is at risk', async () => {
    write('.env', 'ignored, and the target does not track it\n');
    await expect(saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, undefined, [])).resolves.toBeUndefined();
    expect(backupRefs()).toEqual([]);
    expect(stashes()).toEqual([]);
  });

  it('keeps a local branch with unpushed commits even when HEAD is elsewhere and the tree is clean', async () => {
    git('switch', '-q', '-c', 'release/1.2');
    commit('app.py', 'only on release/1.2\n');
    const atRisk = git('rev-parse', 'HEAD');
    git('switch', '-q', '-c', 'elsewhere', UPSTREAM);

    const backup = await saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, { name: 'release/1.2', commit: atRisk }, []);

    expect(backup).toEqual({
      ref: 'refs/local-dev/backup/20261126T080723Z',
      localCommits: 0,
      changedFiles: 0,
      ignoredFiles: 0,
      restoreCommands: ['git -C cloned/api switch -c rescued-20261126T080723Z refs/local-dev/backup/20261126T080723Z^1'],
      extraRefs: ['refs/local-dev/backup/20261126T080723Z-release_1.2'],
    });
    // Nothing uncommitted: the backup commit has HEAD and the index as parents, no untracked-files commit.
    expect(git('rev-list', '--parents', '-n', '1', backup!.ref).split(' ')).toHaveLength(3);
    // The branch's commit is reachable from the extra ref after the branch is reset away.
    git('branch', '-q', '-f', 'release/1.2', UPSTREAM);
    expect(git('log', '-1', '--format=%s', 'refs/local-dev/backup/20261126T080723Z-release_1.2')).toBe('app.py: only on release/1.2');
    expect(git('rev-parse', 'refs/local-dev/backup/20261126T080723Z-release_1.2')).toBe(atRisk);
  });

  it('saves local commits, staged, unstaged and untracked changes, and the printed commands bring them all back', async () => {
    commit('app.py', 'v2, not pushed\n');
    write('app.py', 'v3, unstaged\n');
    write('staged.py', 'staged\n');
    git('add', '--', 'staged.py');
    write('notes.txt', 'untracked\n');
    write('todo list.md', 'second untracked file\n');
    const statusBefore = git('status', '--porcelain=v1');

    const backup = await saveLocalWork(clone, clone, UPSTREAM, NOW, undefined, []);

    expect(backup).toMatchObject({ localCommits: 1, changedFiles: 4, ignoredFiles: 0, extraRefs: [] });
    // Saving touches neither the working tree nor the index, and leaves no temporary index behind.
    expect(git('status', '--porcelain=v1')).toBe(statusBefore);
    expect(readdirSync(path.join(clone, '.git')).filter((name) => name.startsWith('local-dev-backup-'))).toEqual([]);
    const head = git('rev-parse', '--short=7', 'HEAD');
    expect(stashes()).toEqual([`local-dev: saved before refresh (${clone} main at ${head}) = ${backup!.ref}`]);
    expect(backupRefs()).toEqual([backup!.ref]);
    // In git's own stash format, so `git stash show` and `git log` describe it as for any stash.
    const on = `main: ${head} app.py: v2, not pushed`;
    expect(git('log', '-1', '--format=%s', backup!.ref)).toBe(`WIP on ${on}`);
    expect(git('log', '-1', '--format=%s', `${backup!.ref}^2`)).toBe(`index on ${on}`);
    expect(git('log', '-1', '--format=%s', `${backup!.ref}^3`)).toBe(`untracked files on ${on}`);
    // Made by local-dev, not in the user's name (and without needing user.name set).
    expect(git('log', '-1', '--format=%an <%ae> / %cn <%ce>', backup!.ref)).toBe('local-dev <local-dev@localhost> / local-dev <local-dev@localhost>');

    resetLikeRefresh();
    expect(read('app.py')).toBe('v1\n');
    for (const command of backup!.restoreCommands) runPrinted(command);
    expect(git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('rescued-20261126T080723Z');
    expect(git('log', '-1', '--format=%s')).toBe('app.py: v2, not pushed');
    expect(read('app.py')).toBe('v3, unstaged\n');
    expect(read('notes.txt')).toBe('untracked\n');
    expect(read('todo list.md')).toBe('second untracked file\n');
    expect(git('diff', '--cached', '--name-only')).toBe('staged.py');
  });

  it('names a detached HEAD by its commit', async () => {
    git('switch', '-q', '--detach');
    write('notes.txt', 'detached work\n');
    const backup = await saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, undefined, []);
    const head = git('rev-parse', '--short=7', 'HEAD');
    expect(stashes()).toEqual([`local-dev: saved before refresh (cloned/api detached ${head} at ${head}) = ${backup!.ref}`]);
    expect(git('log', '-1', '--format=%s', backup!.ref)).toBe(`WIP on detached ${head}: ${head} .gitignore: .env`);
  });

  it("counts all of HEAD's history as local commits when there is no upstream", async () => {
    const backup = await saveLocalWork(clone, 'cloned/api', undefined, NOW, undefined, []);
    expect(backup).toMatchObject({ localCommits: 2, changedFiles: 0 });
  });

  it('saves the ignored files the checkout would overwrite with the untracked files', async () => {
    // origin/main starts tracking .env, which the clone ignores and has a file for.
    clone = path.join(folder, 'origin');
    write('.env', 'tracked on main now\n');
    git('add', '--force', '--', '.env');
    git('commit', '-q', '-m', 'track .env');
    clone = path.join(folder, 'clone');
    git('fetch', '-q', 'origin');
    await expect(ignoredFilesAtRisk(clone, UPSTREAM)).resolves.toEqual([]);
    write('.env', 'my local secret\n');
    const inTheWay = await ignoredFilesAtRisk(clone, UPSTREAM);
    expect(inTheWay).toEqual(['.env']);

    const backup = await saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, undefined, inTheWay);

    expect(backup).toMatchObject({ localCommits: 0, changedFiles: 0, ignoredFiles: 1 });
    expect(backup!.restoreCommands).toHaveLength(2);
    expect(git('show', `${backup!.ref}^3:.env`)).toBe('my local secret');
  });

  it('fails with git’s own error when the tree cannot be saved (a merge left unfinished), leaving no temporary index behind', async () => {
    git('switch', '-q', '-c', 'side');
    commit('app.py', 'side\n');
    git('switch', '-q', 'main');
    commit('app.py', 'main\n');
    expect(() => git('merge', '-q', 'side')).toThrow();

    // Not an ENOENT from cleaning up index files that were never made: the real cause.
    await expect(saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, undefined, [])).rejects.toThrow(/write-tree/);
    expect(readdirSync(path.join(clone, '.git')).filter((name) => name.startsWith('local-dev-backup-'))).toEqual([]);
    expect(backupRefs()).toEqual([]);
  });

  it('gives a second backup in the same second its own ref, keeping the first', async () => {
    write('notes.txt', 'one\n');
    const first = await saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, undefined, []);
    write('notes.txt', 'two\n');
    const second = await saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, undefined, []);
    const third = await saveLocalWork(clone, 'cloned/api', UPSTREAM, NOW, undefined, []);
    expect([first!.ref, second!.ref, third!.ref]).toEqual([
      'refs/local-dev/backup/20261126T080723Z',
      'refs/local-dev/backup/20261126T080723Z-2',
      'refs/local-dev/backup/20261126T080723Z-3',
    ]);
    expect(second!.restoreCommands[0]).toBe('git -C cloned/api switch -c rescued-20261126T080723Z-2 refs/local-dev/backup/20261126T080723Z-2^1');
    expect(git('show', `${first!.ref}^3:notes.txt`)).toBe('one');
    expect(git('show', `${second!.ref}^3:notes.txt`)).toBe('two');
    expect(existsSync(path.join(clone, 'notes.txt'))).toBe(true);
  });
});
