import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../core/workspace';
import { writeManifest } from '../inject/manifest';
import { sha256 } from '../inject/apply';
import { atRisk, clonedEntries, describeRisk, isOwnHiddenEntry, measureRisk, summarizePaths, whyNotOurs } from './clean-risk';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();
const none = { dir: 'x', changedFiles: 0, unpushedCommits: 0, savedWork: 0, ignoredFiles: [], editedInjected: [] };

describe('what clean may delete in cloned/', () => {
  it('an entry is at risk with changes, unpushed commits, saved work, ignored files of the user, an edited injected file, or when local-dev did not make it', () => {
    expect(atRisk(none)).toBe(false);
    expect(atRisk({ ...none, changedFiles: 1 })).toBe(true);
    expect(atRisk({ ...none, unpushedCommits: 1 })).toBe(true);
    expect(atRisk({ ...none, savedWork: 1 })).toBe(true);
    expect(atRisk({ ...none, ignoredFiles: ['.env.mine'] })).toBe(true);
    expect(atRisk({ ...none, editedInjected: ['app/secrets.py'] })).toBe(true);
    expect(atRisk({ ...none, notOurs: 'not made by local-dev' })).toBe(true);
    expect(describeRisk({ ...none, changedFiles: 2, unpushedCommits: 1, savedWork: 1 })).toBe(
      'cloned/x: 2 uncommitted or untracked files, 1 commit on no remote, 1 saved stash/backup',
    );
    expect(describeRisk({ ...none, ignoredFiles: ['.env.mine', 'db.sqlite3'], editedInjected: ['app/secrets.py'] })).toBe(
      'cloned/x: 2 ignored files local-dev did not make (.env.mine, db.sqlite3), 1 injected file edited since (app/secrets.py)',
    );
    expect(describeRisk({ ...none, notOurs: 'not a git clone: it is a file, not a folder' })).toBe('cloned/x: not a git clone: it is a file, not a folder');
    expect(describeRisk({ ...none, notOurs: 'not made by local-dev: no repo of config.yaml clones into cloned/x', ignoredFiles: ['a'] })).toBe(
      'cloned/x: not made by local-dev: no repo of config.yaml clones into cloned/x; 1 ignored file local-dev did not make (a)',
    );
  });

  it('summarizes many paths by their top folder', () => {
    expect(summarizePaths(['.env.mine', 'node_modules/a/x.js', 'node_modules/b.js', 'db.sqlite3'])).toBe('.env.mine, node_modules/ (2 files), db.sqlite3');
    expect(summarizePaths(['a', 'b', 'c', 'd/e', 'f', 'g', 'h'], 5)).toBe('a, b, c, d/e, f, … (2 more)');
  });

  it("knows local-dev's own hidden entries: clone locks and interrupted clones, nothing else", () => {
    expect(['.api.lock', '.api.lock.123-abcd.tmp', '.api.lock.stale-12-ab', '.api.partial-42-0a1b'].filter(isOwnHiddenEntry)).toHaveLength(4);
    expect(['.mine', '.git', '.lock', '.api.partial-x-1', 'api.lock', '..api.lock'].filter(isOwnHiddenEntry)).toEqual([]);
  });

  it("a clone is local-dev's when its folder is a repo's dir of config.yaml and its origin that repo", () => {
    const model = {
      repos: [{ url: 'git@github.com:org/api.git', dir: 'api', branch: undefined, alwaysRefresh: false, owner: 'api', services: ['api'], configs: [] }],
    };
    expect(whyNotOurs('api', 'https://github.com/org/api', model, '/ws')).toBeUndefined();
    expect(whyNotOurs('mine', 'https://github.com/org/api', model, '/ws')).toBe('not made by local-dev: no repo of config.yaml clones into cloned/mine');
    expect(whyNotOurs('api', 'https://x:secret@github.com/me/fork.git', model, '/ws')).toBe(
      "not made by local-dev: its origin is https://x:***@github.com/me/fork.git, config.yaml's repo for it is git@github.com:org/api.git",
    );
    expect(whyNotOurs('api', undefined, model, '/ws')).toContain('it has no origin');
  });

  describe('measuring what an entry would lose (real git)', () => {
    let root: string;
    let remote: string;
    let clone: string;
    const model = () => ({ repos: [{ url: remote, dir: 'svc', branch: undefined, alwaysRefresh: false, owner: 'svc', services: ['svc'], configs: [] }] });
    const measure = (dir = 'svc') => measureRisk(workspacePaths(root), model(), dir);
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'local-dev-clean-risk-'));
      const seed = path.join(root, 'seed');
      mkdirSync(seed);
      git(seed, 'init', '-q', '-b', 'main');
      writeFileSync(path.join(seed, 'a.txt'), 'a\n');
      writeFileSync(path.join(seed, '.gitignore'), '.env.*\n*.sqlite3\nnode_modules/\n');
      git(seed, 'add', '-A');
      git(seed, 'commit', '-q', '-m', 'one');
      remote = path.join(root, 'remote.git');
      git(root, 'clone', '-q', '--bare', seed, remote);
      clone = path.join(root, 'cloned', 'svc');
      mkdirSync(path.dirname(clone));
      git(root, 'clone', '-q', remote, clone);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('a fresh clone of a repo of config.yaml loses nothing', async () => {
      expect(await measure()).toEqual({ ...none, dir: 'svc' });
    });

    it('counts untracked files, commits on a local branch no remote has, and stashes', async () => {
      writeFileSync(path.join(clone, 'new.txt'), 'new\n');
      git(clone, 'switch', '-q', '-c', 'feature');
      git(clone, 'commit', '-q', '--allow-empty', '-m', 'mine');
      git(clone, 'switch', '-q', 'main');
      expect(await measure()).toMatchObject({ changedFiles: 1, unpushedCommits: 1, savedWork: 0 });
      git(clone, 'stash', '-q', '-u');
      expect(await measure()).toMatchObject({ changedFiles: 0, unpushedCommits: 1, savedWork: 1 });
    });

    it("lists the user's ignored files, not the files local-dev injected as it wrote them; an injected file edited since is the user's", async () => {
      writeFileSync(path.join(clone, '.env.mine'), 'TOKEN=mine\n');
      mkdirSync(path.join(clone, 'node_modules', 'x'), { recursive: true });
      writeFileSync(path.join(clone, 'node_modules', 'x', 'index.js'), '');
      writeFileSync(path.join(clone, 'node_modules', 'x', 'package.json'), '{}');
      writeFileSync(path.join(clone, 'local.sqlite3'), 'db');
      // What inject-config leaves: the file, hidden by .git/info/exclude, and its manifest entry.
      writeFileSync(path.join(clone, 'secret.py'), 'KEY = 1\n');
      writeFileSync(path.join(clone, 'edited.py'), 'KEY = 2, edited\n');
      writeFileSync(path.join(clone, '.git', 'info', 'exclude'), '/secret.py\n/edited.py\n');
      const entry = (dest: string, text: string) => ({
        dest,
        kind: 'config' as const,
        origin: `configs/s1/${dest}`,
        sha256: sha256(Buffer.from(text)),
        createdDirs: [],
      });
      writeManifest(path.join(clone, '.git'), {
        version: 1,
        namespace: 's1',
        injectedAt: '2026-01-01T00:00:00Z',
        files: [entry('secret.py', 'KEY = 1\n'), entry('edited.py', 'KEY = 2\n'), entry('gone.py', 'x')],
      });
      const risk = await measure();
      expect(risk).toMatchObject({
        changedFiles: 0,
        ignoredFiles: ['.env.mine', 'local.sqlite3', 'node_modules/x/index.js', 'node_modules/x/package.json'],
        editedInjected: ['edited.py'],
      });
      expect(describeRisk(risk)).toBe(
        'cloned/svc: 4 ignored files local-dev did not make (.env.mine, local.sqlite3, node_modules/ (2 files)), 1 injected file edited since (edited.py)',
      );
    });

    it("counts inject-config's saved copies of files it replaced as saved work", async () => {
      mkdirSync(path.join(clone, '.git', 'local-dev', 'saved', '20260101T000000Z'), { recursive: true });
      expect(await measure()).toMatchObject({ savedWork: 1 });
    });

    it('a clean clone local-dev did not make — another folder, or another origin — is not its to delete', async () => {
      git(root, 'clone', '-q', remote, path.join(root, 'cloned', 'experiment'));
      expect(await measure('experiment')).toEqual({
        ...none,
        dir: 'experiment',
        notOurs: 'not made by local-dev: no repo of config.yaml clones into cloned/experiment',
      });
      git(clone, 'remote', 'set-url', 'origin', 'https://example.invalid/me/fork.git');
      expect((await measure()).notOurs).toBe(
        `not made by local-dev: its origin is https://example.invalid/me/fork.git, config.yaml's repo for it is ${remote}`,
      );
    });

    it('a folder, a file or a symlink that is no clone is listed; lock files and partial clones are not', async () => {
      mkdirSync(path.join(root, 'cloned', 'notes'));
      writeFileSync(path.join(root, 'cloned', 'notes', 'todo.txt'), 'x');
      writeFileSync(path.join(root, 'cloned', '.svc.lock'), '');
      mkdirSync(path.join(root, 'cloned', '.svc.partial-1-ab'));
      mkdirSync(path.join(root, 'cloned', '.mine'));
      writeFileSync(path.join(root, 'cloned', '.mine', 'a'), 'a');
      symlinkSync(root, path.join(root, 'cloned', 'link'));
      expect(clonedEntries(workspacePaths(root))).toEqual(['.mine', 'link', 'notes', 'svc']);
      expect((await measure('notes')).notOurs).toBe('not a git clone: it is not a git repository (no .git of its own)');
      expect((await measure('.mine')).notOurs).toBe('not a git clone: it is not a git repository (no .git of its own)');
      expect((await measure('link')).notOurs).toBe(`not a git clone: it is a symlink (to ${root})`);
    });
  });
});
