/**
 * applyInjection / undoInjection against real git repos and real files in a temp folder: the
 * only inject code that writes to disk. Plans are written by hand here (planning has its own spec).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { applyInjection, undoInjection, type CloneTarget } from './apply';
import { withExcludeBlock } from './exclude';
import { manifestPath, readManifest } from './manifest';
import type { InjectionPlan, PlannedFile } from './plan';

let root: string;
let workspace: string;
let target: CloneTarget;
let lines: string[];
const log = (line: string) => lines.push(line);
const NOW = new Date('2026-11-29T08:15:38Z');

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.email=t@local-dev.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A file in the workspace's configs/s1/ with this mode. */
function source(name: string, content: string, mode = 0o644): string {
  const file = path.join(workspace, 'configs/s1', name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
  return `configs/s1/${name}`;
}

function config(origin: string, dest: string): PlannedFile {
  return { dest, kind: 'config', origin, source: { type: 'file', path: origin } };
}

const plan = (...files: PlannedFile[]): InjectionPlan => ({ files, notes: [], problems: [] });
const inClone = (relative: string) => path.join(target.root, relative);
const read = (relative: string) => readFileSync(inClone(relative), 'utf8');
const modeOf = (relative: string) => statSync(inClone(relative)).mode & 0o777;
const gitStatus = () => git(target.root, 'status', '--porcelain', '--untracked-files=all');

async function apply(thePlan: InjectionPlan, namespace = 's1'): Promise<string[]> {
  lines = [];
  await applyInjection(target, thePlan, namespace, workspace, log, NOW);
  return lines;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-apply-'));
  workspace = path.join(root, 'ws');
  const clone = path.join(workspace, 'cloned/app');
  mkdirSync(path.join(clone, 'app'), { recursive: true });
  writeFileSync(path.join(clone, 'app/settings.py'), 'DEBUG = False\n');
  writeFileSync(path.join(clone, 'run.sh'), '#!/bin/sh\necho committed\n');
  chmodSync(path.join(clone, 'run.sh'), 0o755);
  git(clone, 'init', '-q', '-b', 'main');
  git(clone, 'add', '-A');
  git(clone, 'commit', '-q', '-m', 'first');
  target = { root: clone, display: 'cloned/app' };
  lines = [];
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('modes (issue 9 item 2)', () => {
  it("gives a new file its source's mode: 0600 stays 0600, 0640 stays 0640 (not the umask's 0644)", async () => {
    const secret = source('secret.env', 'TOKEN=1\n', 0o600);
    const shared = source('group.env', 'GROUP=1\n', 0o640);
    await apply(plan(config(secret, '.env'), config(shared, 'conf/group.env')));
    expect([modeOf('.env'), modeOf('conf/group.env')]).toEqual([0o600, 0o640]);
  });

  it('keeps a tracked executable runnable, but only for those the source lets read it', async () => {
    const privateScript = source('run.sh', '#!/bin/sh\necho secret\n', 0o600);
    await apply(plan(config(privateScript, 'run.sh')));
    expect([read('run.sh'), modeOf('run.sh')]).toEqual(['#!/bin/sh\necho secret\n', 0o700]);
    chmodSync(path.join(workspace, privateScript), 0o644);
    writeFileSync(path.join(workspace, privateScript), '#!/bin/sh\necho shared\n');
    await apply(plan(config(privateScript, 'run.sh')));
    expect(modeOf('run.sh')).toBe(0o755);
  });

  it('never takes execute from its own earlier copy: a source made non-executable lands non-executable', async () => {
    const tool = source('tool', 'x\n', 0o700);
    await apply(plan(config(tool, 'bin/tool')));
    expect(modeOf('bin/tool')).toBe(0o700);
    chmodSync(path.join(workspace, tool), 0o600);
    expect(await apply(plan(config(tool, 'bin/tool')))).toEqual(['kept config configs/s1/tool → bin/tool (unchanged; mode 0700 → 0600)']);
    expect(modeOf('bin/tool')).toBe(0o600);
  });

  it('narrows a file injected too wide by an earlier version whose content is unchanged', async () => {
    const secret = source('secret.env', 'TOKEN=1\n', 0o600);
    await apply(plan(config(secret, '.env')));
    chmodSync(inClone('.env'), 0o644); // what inject-config did before modes were kept
    expect(await apply(plan(config(secret, '.env')))).toEqual(['kept config configs/s1/secret.env → .env (unchanged; mode 0644 → 0600)']);
    expect(modeOf('.env')).toBe(0o600);
  });

  it("follows a symlinked secret to its file's mode", async () => {
    const vault = path.join(root, 'vault');
    mkdirSync(vault);
    writeFileSync(path.join(vault, 'db.env'), 'PASSWORD=x\n');
    chmodSync(path.join(vault, 'db.env'), 0o600);
    mkdirSync(path.join(workspace, 'configs/s1'), { recursive: true });
    symlinkSync(path.join(vault, 'db.env'), path.join(workspace, 'configs/s1/db.env'));
    await apply(plan(config('configs/s1/db.env', 'db.env')));
    expect([read('db.env'), modeOf('db.env')]).toEqual(['PASSWORD=x\n', 0o600]);
  });
});

describe('invisible to git', () => {
  it('hides a replaced tracked file with skip-worktree and lists new files in the exclude block, keeping the user’s lines', async () => {
    mkdirSync(path.join(target.root, '.git/info'), { recursive: true });
    writeFileSync(path.join(target.root, '.git/info/exclude'), '# mine\n*.log\n');
    const settings = source('settings.py', 'DEBUG = True\n');
    const secret = source('secret.env', 'TOKEN=1\n', 0o600);
    expect(await apply(plan(config(settings, 'app/settings.py'), config(secret, 'deep/er/.env')))).toEqual([
      'injected config configs/s1/settings.py → app/settings.py (replaces a tracked file, hidden with skip-worktree)',
      'injected config configs/s1/secret.env → deep/er/.env',
    ]);
    expect(git(target.root, 'ls-files', '-v', 'app/settings.py')).toBe('S app/settings.py');
    expect(readFileSync(path.join(target.root, '.git/info/exclude'), 'utf8')).toBe(
      '# mine\n*.log\n# >>> local-dev: injected files (managed by local-dev; edits inside this block are lost)\n/deep/er/.env\n# <<< local-dev\n',
    );
    expect(gitStatus()).toBe('');
    git(target.root, 'add', '-A');
    expect(git(target.root, 'diff', '--cached', '--name-only')).toBe('');
  });

  it('undo restores the tracked file from git, removes created files and folders, and gives the exclude file back as it was', async () => {
    writeFileSync(path.join(target.root, '.git/info/exclude'), '*.log\n');
    await apply(plan(config(source('settings.py', 'DEBUG = True\n'), 'app/settings.py'), config(source('secret.env', 'T=1\n'), 'deep/er/.env')));
    lines = [];
    expect(await undoInjection(target, log, NOW)).toBe(2);
    expect(lines).toEqual(['removed 2 injected files (namespace s1)']);
    expect(read('app/settings.py')).toBe('DEBUG = False\n');
    expect(git(target.root, 'ls-files', '-v', 'app/settings.py')).toBe('H app/settings.py');
    expect(existsSync(inClone('deep'))).toBe(false);
    expect(readFileSync(path.join(target.root, '.git/info/exclude'), 'utf8')).toBe('*.log\n');
    expect(existsSync(manifestPath(path.join(target.root, '.git')))).toBe(false);
    expect(gitStatus()).toBe('');
  });
});

describe("nothing of the user's is lost", () => {
  const SAVED = '.git/local-dev/saved/20261129T081538Z';

  it('saves an untracked file and uncommitted edits to a tracked file before replacing them', async () => {
    writeFileSync(inClone('.env'), 'my own\n');
    chmodSync(inClone('.env'), 0o600);
    writeFileSync(inClone('app/settings.py'), 'DEBUG = "my edit"\n');
    expect(await apply(plan(config(source('secret.env', 'T=1\n'), '.env'), config(source('settings.py', 'DEBUG = True\n'), 'app/settings.py')))).toEqual([
      `saved your untracked file .env to ${SAVED}/.env before replacing it`,
      'injected config configs/s1/secret.env → .env',
      `saved your uncommitted changes to app/settings.py to ${SAVED}/app/settings.py before replacing it`,
      'injected config configs/s1/settings.py → app/settings.py (replaces a tracked file, hidden with skip-worktree)',
    ]);
    expect(readFileSync(inClone(`${SAVED}/.env`), 'utf8')).toBe('my own\n');
    expect(statSync(inClone(`${SAVED}/.env`)).mode & 0o777).toBe(0o600); // the saved copy is as private as the original
    expect(readFileSync(inClone(`${SAVED}/app/settings.py`), 'utf8')).toBe('DEBUG = "my edit"\n');
  });

  it('switching namespace removes what the new one lacks and saves a hand-edited injected file first', async () => {
    await apply(plan(config(source('secret.env', 'T=1\n'), '.env'), config(source('extra.env', 'E=1\n'), 'extra.env')));
    writeFileSync(inClone('extra.env'), 'E=edited by hand\n');
    expect(await apply(plan(config(source('secret.env', 'T=1\n'), '.env')), 's2')).toEqual([
      `saved your edited copy of injected file extra.env to ${SAVED}/extra.env before replacing it`,
      'removed extra.env (from configs/s1/extra.env; namespace s2 has none)',
      'kept config configs/s1/secret.env → .env (unchanged)',
    ]);
    expect(existsSync(inClone('extra.env'))).toBe(false);
    expect(readFileSync(inClone(`${SAVED}/extra.env`), 'utf8')).toBe('E=edited by hand\n');
    expect(gitStatus()).toBe('');
  });

  it('writes nothing at all when the plan has problems, or when one dest is unsafe on disk', async () => {
    const broken = { ...plan(config(source('secret.env', 'T=1\n'), '.env')), problems: ['configs/s1/x is missing'] };
    await expect(apply(broken)).rejects.toThrow(
      new UsageError('cannot inject configs into cloned/app (namespace s1); nothing was written:\n  - configs/s1/x is missing'),
    );
    const outside = path.join(root, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, inClone('out'));
    await expect(apply(plan(config('configs/s1/secret.env', '.env'), config('configs/s1/secret.env', 'out/x.env')))).rejects.toThrow(
      /refusing to inject into cloned\/app; nothing was written/,
    );
    expect(existsSync(inClone('.env'))).toBe(false);
    expect(existsSync(path.join(outside, 'x.env'))).toBe(false);
    expect(existsSync(manifestPath(path.join(target.root, '.git')))).toBe(false);
  });

  it('lists every problem and every unsafe dest on its own line, with the fix', async () => {
    const broken = { ...plan(config(source('secret.env', 'T=1\n'), '.env')), problems: ['configs/s1/x is missing', 'configs/s1/y is missing'] };
    await expect(apply(broken)).rejects.toThrow(
      new UsageError('cannot inject configs into cloned/app (namespace s1); nothing was written:\n  - configs/s1/x is missing\n  - configs/s1/y is missing'),
    );
    const outside = path.join(root, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, inClone('out'));
    symlinkSync(path.join(outside, 'target'), inClone('link.env'));
    const refusal = await apply(plan(config('configs/s1/secret.env', 'out/x.env'), config('configs/s1/secret.env', 'link.env'))).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as UsageError).describe()).toBe(
      [
        'refusing to inject into cloned/app; nothing was written:',
        `  - cloned/app/out/x.env (from configs/s1/secret.env): out resolves to ${outside}, outside the clone (a symlink leads out)`,
        '  - cloned/app/link.env (from configs/s1/secret.env): is a symlink in the clone; local-dev does not write through symlinks',
        '  fix: remove the symlink (or change dest in repos_docker_files/config.yaml) so every injected file lands inside the clone',
      ].join('\n'),
    );
  });

  it('says to clone first when the clone is not there', async () => {
    rmSync(target.root, { recursive: true, force: true });
    const refusal = await apply(plan(config(source('secret.env', 'T=1\n'), '.env'))).catch((error: unknown) => error);
    expect((refusal as UsageError).describe()).toBe(
      'cloned/app: is not cloned yet\n  fix: run the clone target first (nx run <service>:clone), which inject-config depends on',
    );
  });

  it('re-injecting the same namespace saves the user’s edit of an earlier injected copy before replacing it', async () => {
    await apply(plan(config(source('secret.env', 'T=1\n'), '.env')));
    writeFileSync(inClone('.env'), 'T=edited by hand\n');
    expect(await apply(plan(config(source('secret.env', 'T=2\n'), '.env')))).toEqual([
      `saved your edited copy of injected file .env to ${SAVED}/.env before replacing it`,
      'injected config configs/s1/secret.env → .env',
    ]);
    expect(readFileSync(inClone(`${SAVED}/.env`), 'utf8')).toBe('T=edited by hand\n');
  });

  it('says what is there instead of a clone: an empty folder, or a folder that is no repository of its own', async () => {
    const refusal = async () => ((await apply(plan(config(source('secret.env', 'T=1\n'), '.env'))).catch((error: unknown) => error)) as UsageError).describe();
    rmSync(path.join(target.root, '.git'), { recursive: true, force: true });
    expect(await refusal()).toMatch(/^cloned\/app: is not a clone \(.+\)\n {2}fix: run the clone target first/);
    rmSync(target.root, { recursive: true, force: true });
    mkdirSync(target.root);
    expect(await refusal()).toBe(
      'cloned/app: is not a clone (empty folder)\n  fix: run the clone target first (nx run <service>:clone), which inject-config depends on',
    );
  });

  it('undo counts one file as one', async () => {
    await apply(plan(config(source('secret.env', 'T=1\n'), '.env')));
    lines = [];
    expect(await undoInjection(target, log, NOW)).toBe(1);
    expect(lines).toEqual(['removed 1 injected file (namespace s1)']);
  });
});

describe('undo and re-inject, as the user left the clone', () => {
  it('undo takes out an injected file the user already deleted, and keeps a folder the user put a file in', async () => {
    await apply(plan(config(source('secret.env', 'T=1\n'), '.env'), config(source('deep.env', 'D=1\n'), 'deep/er/.env')));
    rmSync(inClone('.env'));
    writeFileSync(inClone('deep/er/mine.txt'), 'mine\n');
    expect(await undoInjection(target, log, NOW)).toBe(2);
    expect(existsSync(inClone('deep/er/.env'))).toBe(false);
    expect(readFileSync(inClone('deep/er/mine.txt'), 'utf8')).toBe('mine\n');
  });

  it('records no folders for a file whose folder was there, and writes an exclude file where there was none', async () => {
    rmSync(path.join(target.root, '.git/info'), { recursive: true, force: true });
    await apply(plan(config(source('secret.env', 'T=1\n'), 'app/.env')));
    expect(readManifest(path.join(target.root, '.git'), target.display)?.files.map((entry) => [entry.dest, entry.createdDirs])).toEqual([['app/.env', []]]);
    expect(readFileSync(path.join(target.root, '.git/info/exclude'), 'utf8')).toBe(withExcludeBlock('', ['app/.env']));
  });

  it('undo of a file injected over a tracked one that a commit has since removed deletes it, without asking git to restore it', async () => {
    await apply(plan(config(source('settings.py', 'DEBUG = True\n'), 'app/settings.py')));
    git(target.root, 'update-index', '--no-skip-worktree', 'app/settings.py');
    git(target.root, 'rm', '-q', '--cached', 'app/settings.py');
    git(target.root, 'commit', '-q', '-m', 'settings.py is generated now');
    expect(await undoInjection(target, log, NOW)).toBe(1);
    expect(existsSync(inClone('app/settings.py'))).toBe(false);
  });

  it('hides every replaced tracked file with skip-worktree, not only the first', async () => {
    await apply(plan(config(source('settings.py', 'DEBUG = True\n'), 'app/settings.py'), config(source('run.sh', '#!/bin/sh\necho injected\n'), 'run.sh')));
    expect(git(target.root, 'ls-files', '-v', 'app/settings.py', 'run.sh')).toBe('S app/settings.py\nS run.sh');
    expect(gitStatus()).toBe('');
  });

  it('replaces its own earlier copy without saving it, and calls a user file that happens to match "injected", not "kept"', async () => {
    writeFileSync(inClone('.env'), 'T=1\n');
    expect(await apply(plan(config(source('secret.env', 'T=1\n'), '.env')))).toEqual(['injected config configs/s1/secret.env → .env']);
    expect(await apply(plan(config(source('secret.env', 'T=2\n'), '.env')), 's2')).toEqual(['injected config configs/s1/secret.env → .env']);
    expect(read('.env')).toBe('T=2\n');
  });

  it('in a sha256 repository too, knows an unedited tracked file from an edited one (nothing saved)', async () => {
    rmSync(path.join(target.root, '.git'), { recursive: true, force: true });
    git(target.root, 'init', '-q', '-b', 'main', '--object-format=sha256');
    git(target.root, 'add', '-A');
    git(target.root, 'commit', '-q', '-m', 'first');
    expect(await apply(plan(config(source('settings.py', 'DEBUG = True\n'), 'app/settings.py')))).toEqual([
      'injected config configs/s1/settings.py → app/settings.py (replaces a tracked file, hidden with skip-worktree)',
    ]);
  });
});
