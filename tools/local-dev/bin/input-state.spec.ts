/**
 * input-state.sh is the runtime input that lets Nx see what it otherwise cannot: the code in a
 * gitignored clone and the gitignored secret files. Run against a real git repo.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, 'input-state.sh');

describe('input-state.sh (the clone fingerprint Nx hashes)', () => {
  let root: string;
  const clone = () => path.join(root, 'cloned', 'api');
  const git = (...args: string[]) => execFileSync('git', ['-C', clone(), ...args], { stdio: 'pipe' }).toString();
  /** Runs the script as Nx does: with the argument file the plugin writes (clone, then secret patterns). */
  const stateOf = (cloneFolder: string, ...secrets: string[]) => {
    writeFileSync(path.join(root, 'args.txt'), [cloneFolder, ...secrets].map((line) => `${line}\n`).join(''));
    return execFileSync('sh', [SCRIPT, 'args.txt'], { cwd: root }).toString();
  };
  const state = (...secrets: string[]) => stateOf('cloned/api', ...secrets);

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-state-'));
    mkdirSync(clone(), { recursive: true });
    git('init', '-q', '-b', 'main');
    writeFileSync(path.join(clone(), 'app.py'), 'print("v1")\n');
    writeFileSync(path.join(clone(), 'settings.py'), 'SECRET = "placeholder"\n');
    git('add', '-A');
    git('-c', 'user.email=t@t.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'one');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('changes when a tracked file is edited, and back when the edit is undone', () => {
    const clean = state();
    appendFileSync(path.join(clone(), 'app.py'), 'print("v2")\n');
    const edited = state();
    expect(edited).not.toBe(clean);
    git('checkout', '--', 'app.py');
    expect(state()).toBe(clean);
  });

  it('changes with a new commit and with an untracked file’s content', () => {
    const before = state();
    writeFileSync(path.join(clone(), 'new.py'), 'x = 1\n');
    const withUntracked = state();
    expect(withUntracked).not.toBe(before);
    writeFileSync(path.join(clone(), 'new.py'), 'x = 2\n');
    expect(state()).not.toBe(withUntracked);
    git('add', 'new.py');
    git('-c', 'user.email=t@t.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'two');
    expect(state()).toMatch(/^head [0-9a-f]{40}$/m);
  });

  it('ignores files hidden the way inject-config hides them (info/exclude, skip-worktree)', () => {
    const before = state();
    writeFileSync(path.join(clone(), '.git', 'info', 'exclude'), 'injected.env\n');
    writeFileSync(path.join(clone(), 'injected.env'), 'TOKEN=1\n');
    git('update-index', '--skip-worktree', 'settings.py');
    writeFileSync(path.join(clone(), 'settings.py'), 'SECRET = "s2 value"\n');
    expect(state()).toBe(before);
  });

  it('fingerprints secret files by hash, never printing their content', () => {
    mkdirSync(path.join(root, 'configs', 's1'), { recursive: true });
    writeFileSync(path.join(root, 'configs', 's1', 'api.env'), 'TOKEN=very-secret\n');
    const first = state('configs/s1/api.env');
    expect(first).not.toContain('very-secret');
    writeFileSync(path.join(root, 'configs', 's1', 'api.env'), 'TOKEN=rotated\n');
    expect(state('configs/s1/api.env')).not.toBe(first);
  });

  it('fingerprints only the secret files that exist, each by its own content', () => {
    mkdirSync(path.join(root, 'configs', 's1'), { recursive: true });
    mkdirSync(path.join(root, 'configs', 's2'), { recursive: true });
    writeFileSync(path.join(root, 'configs', 's1', 'api.env'), 'A=1\n');
    writeFileSync(path.join(root, 'configs', 's2', 'api.env'), 'A=2\n');
    expect(state('configs/s1/api.env', 'configs/s3/api.env')).toBe(state('configs/s1/api.env'));
    const both = state('configs/s1/api.env', 'configs/s2/api.env');
    writeFileSync(path.join(root, 'configs', 's2', 'api.env'), 'A=3\n');
    expect(state('configs/s1/api.env', 'configs/s2/api.env')).not.toBe(both);
  });

  it('says "not cloned" for a folder without a repository of its own, even inside another repository', () => {
    execFileSync('git', ['init', '-q', root]);
    mkdirSync(path.join(root, 'cloned', 'half'), { recursive: true });
    expect(stateOf('cloned/half')).toBe('not cloned: cloned/half\n');
  });

  it('never repeats for a clone whose .git is broken, rather than fingerprinting the repository around it', () => {
    execFileSync('git', ['init', '-q', root]);
    mkdirSync(path.join(root, 'cloned', 'broken', '.git'), { recursive: true });
    const first = stateOf('cloned/broken');
    expect(first).toMatch(/input-state failed \(\d+\) at \d+-\d+\n$/);
    expect(stateOf('cloned/broken')).not.toBe(first);
  });

  it('fingerprints untracked files with non-ASCII names, and still the secrets after them', () => {
    mkdirSync(path.join(root, 'configs', 's1'), { recursive: true });
    writeFileSync(path.join(root, 'configs', 's1', 'api.env'), 'A=1\n');
    writeFileSync(path.join(clone(), 'café.py'), 'v1\n');
    const first = state('configs/s1/api.env');
    expect(first).toContain('secrets configs/s1/api.env');
    expect(first).not.toContain('failed');
    writeFileSync(path.join(clone(), 'café.py'), 'v2\n');
    expect(state('configs/s1/api.env')).not.toBe(first);
  });

  it('fingerprints what inject-config recorded by content, not by when it injected', () => {
    const manifest = (sha: string, at: string) =>
      `${JSON.stringify({ version: 1, namespace: 's1', injectedAt: at, files: [{ dest: '.vscode/launch.json', kind: 'debug-config', origin: 'configs/s1/debug-configs/api/.vscode/launch.json', sha256: sha, createdDirs: [] }] }, null, 2)}\n`;
    mkdirSync(path.join(clone(), '.git', 'local-dev'), { recursive: true });
    const file = path.join(clone(), '.git', 'local-dev', 'injected.json');
    writeFileSync(file, manifest('a'.repeat(64), '2026-11-26T10:00:00.000Z'));
    const first = state();
    expect(first).toContain('"sha256": "' + 'a'.repeat(64));
    writeFileSync(file, manifest('a'.repeat(64), '2026-11-26T11:00:00.000Z'));
    expect(state()).toBe(first);
    writeFileSync(file, manifest('b'.repeat(64), '2026-11-26T11:00:00.000Z'));
    expect(state()).not.toBe(first);
  });

  it('says "not cloned" for a clone that does not exist yet', () => {
    expect(stateOf('cloned/missing')).toBe('not cloned: cloned/missing\n');
  });

  it('reads every namespace’s copy of a secret through the namespace wildcard of its pattern', () => {
    for (const namespace of ['s1', 's2']) {
      mkdirSync(path.join(root, 'configs', namespace), { recursive: true });
      writeFileSync(path.join(root, 'configs', namespace, 'api.env'), `A=${namespace}\n`);
    }
    const both = state('configs/*/api.env');
    expect(both).toContain('configs/s1/api.env');
    expect(both).toContain('configs/s2/api.env');
    writeFileSync(path.join(root, 'configs', 's2', 'api.env'), 'A=rotated\n');
    expect(state('configs/*/api.env')).not.toBe(both);
  });

  it('treats what the argument file holds as data: shell syntax in it runs nothing', () => {
    const pwned = path.join(root, 'pwned');
    const hostile = [`x;touch ${pwned};echo`, `\`touch ${pwned}\``, `$(touch ${pwned})`, `configs/*/a b;touch ${pwned}`];
    state(...hostile.map((source) => `configs/*/${source}`));
    stateOf(`cloned/$(touch ${pwned})`);
    expect(existsSync(pwned)).toBe(false);
  });

  it('never repeats when its argument file is missing (the plugin has not written it)', () => {
    const first = execFileSync('sh', [SCRIPT, 'no-such-args.txt'], { cwd: root }).toString();
    expect(first).toMatch(/input-state failed \(\d+\) at \d+-\d+\n$/);
  });
});
