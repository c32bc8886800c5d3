/**
 * clone and inject-config against real git: bare remotes made here, real clones, real `git status`.
 * In-process (fast); the nx CLI runs (parallel clone, failures, interruption) are in
 * git-nx.e2e.spec.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { GitError, UsageError } from '../src/core/errors';
import { describeCloneStatus } from '../src/git/describe';
import { ensureClone } from '../src/tasks/ensure-clone';
import { undoInjection } from '../src/inject/apply';
import { injectConfigs } from '../src/inject/inject-configs';
import { manifestPath } from '../src/inject/manifest';
import { makeCatalog, NAMESPACE_FILES, HEALTH_FILES, type Catalog } from './fixtures/git/catalog';
import { GitSandbox, sh, snapshotFiles } from './fixtures/git/repos';
import { canMountTmpfs, withTmpfs } from './fixtures/git/tmpfs';
import { plainWorkspace, type PlainWorkspace } from './fixtures/git/workspace';

const itWithTmpfs = canMountTmpfs() ? it : it.skip;

let sandbox: GitSandbox;
let catalog: Catalog;
let ws: PlainWorkspace;

beforeEach(() => {
  sandbox = new GitSandbox();
  catalog = makeCatalog(sandbox);
  ws = plainWorkspace(catalog.config(), NAMESPACE_FILES);
});

afterEach(() => {
  sandbox.cleanup();
  ws.remove();
});

async function clone(
  service: string,
  options: { refresh?: boolean; env?: Record<string, string>; fetchTimeoutMs?: number; freshFetchMs?: number } = {},
): Promise<string[]> {
  ws.lines.length = 0;
  const run = ws.context(service, { refresh: options.refresh });
  const status = await ensureClone({
    paths: run.paths,
    repo: run.repo,
    refresh: run.refresh,
    log: ws.log,
    env: options.env,
    fetchTimeoutMs: options.fetchTimeoutMs,
    freshFetchMs: options.freshFetchMs,
  });
  return [...ws.lines, ...describeCloneStatus(status)];
}

async function inject(service: string, namespace = 's1'): Promise<string[]> {
  ws.lines.length = 0;
  const run = ws.context(service, { namespace });
  await injectConfigs({ paths: run.paths, model: run.model, repo: run.repo, namespace: run.namespace, log: ws.log });
  return [...ws.lines];
}

const healthDir = () => path.join(ws.root, 'cloned/health-api');
const read = (relative: string) => readFileSync(path.join(healthDir(), relative), 'utf8');
const status = (dir = healthDir()) => sh(dir, 'status', '--porcelain', '--untracked-files=all');

describe('a first clone, then inject-config', () => {
  it('clones, injects every kind of file and git sees nothing to commit', async () => {
    expect(await clone('health-api')).toEqual(expect.arrayContaining([expect.stringMatching(/^cloned file:.*health-api\.git at master \([0-9a-f]{7}\)$/)]));
    const lines = await inject('health-api');
    expect(lines).toEqual([
      'injected config configs/s1/health_secrets.py → app/app/secrets.py (replaces a tracked file, hidden with skip-worktree)',
      'injected config configs/s1/health_creds.json → serviceAccountKey.json',
      'injected Dockerfile repos_docker_files/health-api.dev.Dockerfile → health-api.dev.Dockerfile (health-api; shared, no s1/ override)',
      'injected debug config configs/s1/debug-configs/health-api/.vscode/launch.json.example → .vscode/launch.json',
    ]);
    expect(read('app/app/secrets.py')).toBe('SECRET_KEY = "s1-secret"\n');
    // The first debug host port local-dev hands out; VS Code's own ${…} variables are left alone.
    expect(read('.vscode/launch.json')).toBe('{ "configurations": [{ "name": "attach s1", "connect": { "port": 5726 }, "cwd": "${workspaceFolder}" }] }\n');

    expect(status()).toBe('');
    sh(healthDir(), 'add', '-A');
    expect(sh(healthDir(), 'diff', '--cached', '--name-only')).toBe('');
    sh(healthDir(), 'commit', '-q', '--allow-empty', '-m', 'user commit');
    expect(sh(healthDir(), 'show', '--name-only', '--format=', 'HEAD')).toBe('');
    expect(sh(healthDir(), 'show', 'HEAD:app/app/secrets.py')).toBe(HEALTH_FILES['app/app/secrets.py'].trim());
  });

  it("injects every worker's Dockerfile into the shared clone, with the worker's debug port", async () => {
    await clone('oms-api');
    await inject('oms-api');
    const oms = path.join(ws.root, 'cloned/oms');
    expect(readFileSync(path.join(oms, 'oms-worker.dev.Dockerfile'), 'utf8')).toBe('FROM busybox:1.36\nCMD ["worker"]\n');
    expect(existsSync(path.join(oms, 'oms-api.dev.Dockerfile'))).toBe(true);
    // Only the worker has a debugger here (health-api took 5726).
    expect(readFileSync(path.join(oms, '.vscode/launch.json'), 'utf8')).toBe('{ "port": 5727 }\n');
    expect(status(oms)).toBe('');
  });

  it('fails naming the file and the namespace when a required secret is missing, writing nothing', async () => {
    rmSync(path.join(ws.root, 'configs/s2/health_secrets.py'));
    await clone('health-api');
    const failure = inject('health-api', 's2');
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(/configs\/s2\/health_secrets\.py is missing: health-api needs it \(required: true\) in namespace s2/);
    expect(existsSync(manifestPath(path.join(healthDir(), '.git')))).toBe(false);
    expect(existsSync(path.join(healthDir(), 'health-api.dev.Dockerfile'))).toBe(false);
    expect(read('app/app/secrets.py')).toBe(HEALTH_FILES['app/app/secrets.py']);
  });

  it('refuses a dest behind a symlink that leads out of the clone, and writes nothing at all', async () => {
    await clone('health-api');
    const outside = path.join(sandbox.root, 'outside');
    mkdirSync(outside);
    rmSync(path.join(healthDir(), 'app/app'), { recursive: true });
    symlinkSync(outside, path.join(healthDir(), 'app/app'));
    const failure = inject('health-api');
    await expect(failure).rejects.toThrow(
      /refusing to inject into cloned\/health-api; nothing was written:\n  - cloned\/health-api\/app\/app\/secrets\.py \(from configs\/s1\/health_secrets\.py\): app\/app resolves to .*outside, outside the clone/,
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(path.join(healthDir(), 'health-api.dev.Dockerfile'))).toBe(false);
    expect(existsSync(path.join(healthDir(), 'serviceAccountKey.json'))).toBe(false);
    expect(existsSync(manifestPath(path.join(healthDir(), '.git')))).toBe(false);
  });

  it('refuses a dest that is itself a symlink leading out, and one under a symlinked folder, writing nothing', async () => {
    await clone('health-api');
    const outside = path.join(sandbox.root, 'outside');
    mkdirSync(path.join(outside, 'ide'), { recursive: true });
    writeFileSync(path.join(outside, 'victim.json'), 'not yours\n');
    symlinkSync(path.join(outside, 'victim.json'), path.join(healthDir(), 'serviceAccountKey.json'));
    symlinkSync(path.join(outside, 'ide'), path.join(healthDir(), '.vscode'));
    const failure = inject('health-api');
    await expect(failure).rejects.toThrow(
      [
        'refusing to inject into cloned/health-api; nothing was written:',
        '  - cloned/health-api/serviceAccountKey.json (from configs/s1/health_creds.json): is a symlink in the clone; local-dev does not write through symlinks',
        `  - cloned/health-api/.vscode/launch.json (from configs/s1/debug-configs/health-api/.vscode/launch.json.example): .vscode resolves to ${path.join(outside, 'ide')}, outside the clone (a symlink leads out)`,
      ].join('\n'),
    );
    expect(readFileSync(path.join(outside, 'victim.json'), 'utf8')).toBe('not yours\n');
    expect(readdirSync(path.join(outside, 'ide'))).toEqual([]);
    expect(read('app/app/secrets.py')).toBe(HEALTH_FILES['app/app/secrets.py']);
    expect(existsSync(manifestPath(path.join(healthDir(), '.git')))).toBe(false);
  });

  it('follows symlinked debug configs (a file or a whole folder linked from elsewhere on disk)', async () => {
    const dotfiles = path.join(sandbox.root, 'dotfiles');
    mkdirSync(path.join(dotfiles, 'oms-ide/.vscode'), { recursive: true });
    writeFileSync(path.join(dotfiles, 'launch.json'), '{ "mine": {{debugHostPort}} }\n');
    writeFileSync(path.join(dotfiles, 'oms-ide/.vscode/settings.json'), '{ "ns": "{{namespace}}" }\n');
    const debugConfigs = path.join(ws.root, 'configs/s1/debug-configs');
    symlinkSync(path.join(dotfiles, 'launch.json'), path.join(debugConfigs, 'health-api/.vscode/launch.json'));
    rmSync(path.join(debugConfigs, 'oms'), { recursive: true });
    symlinkSync(path.join(dotfiles, 'oms-ide'), path.join(debugConfigs, 'oms'));
    await clone('health-api');
    expect(await inject('health-api')).toContain('injected debug config configs/s1/debug-configs/health-api/.vscode/launch.json → .vscode/launch.json');
    expect(read('.vscode/launch.json')).toBe('{ "mine": 5726 }\n');
    await clone('oms-api');
    await inject('oms-api');
    expect(readFileSync(path.join(ws.root, 'cloned/oms/.vscode/settings.json'), 'utf8')).toBe('{ "ns": "s1" }\n');
    expect(status(path.join(ws.root, 'cloned/oms'))).toBe('');
  });

  itWithTmpfs('an injection interrupted half way (disk full) leaves nothing that `git add -A` would stage', async () => {
    await clone('health-api');
    // The debug config is written last; its folder is a full 4 KiB disk (the user's file fills it).
    const vscode = path.join(healthDir(), '.vscode');
    mkdirSync(vscode);
    await withTmpfs(vscode, '4k', async () => {
      writeFileSync(path.join(vscode, 'filler'), 'x');
      await expect(inject('health-api')).rejects.toThrow(/^cloned\/health-api: the disk is full while writing .*\.vscode\/launch\.json/);
      expect(read('app/app/secrets.py')).toBe('SECRET_KEY = "s1-secret"\n');
      expect(read('serviceAccountKey.json')).toBe('{"ns": "s1"}\n');
      sh(healthDir(), 'add', '-A');
      expect(sh(healthDir(), 'diff', '--cached', '--name-only')).toBe('.vscode/filler');
      sh(healthDir(), 'reset', '-q');
    });
    // Space again: the next run finishes the job.
    await inject('health-api');
    expect(read('.vscode/launch.json')).toContain('"port": 5726');
    expect(status()).toBe('');
  });

  it('keeps an untracked file of the user that an injected file replaces', async () => {
    await clone('health-api');
    writeFileSync(path.join(healthDir(), 'serviceAccountKey.json'), 'my own key\n');
    const lines = await inject('health-api');
    const saved = lines.find((line) => line.startsWith('saved ')) ?? '';
    expect(saved).toMatch(
      /^saved your untracked file serviceAccountKey\.json to \.git\/local-dev\/saved\/\d{8}T\d{6}Z\/serviceAccountKey\.json before replacing it$/,
    );
    const savedAt = saved.split(' to ')[1].split(' before')[0];
    expect(readFileSync(path.join(healthDir(), savedAt), 'utf8')).toBe('my own key\n');
  });
});

describe('switching namespace and undoing', () => {
  it('replaces s1 files with s2 files, removes what s2 lacks, and undo restores the clone exactly', async () => {
    await clone('health-api');
    const pristine = snapshotFiles(healthDir());
    await inject('health-api', 's1');
    const lines = await inject('health-api', 's2');
    expect(lines).toEqual([
      'removed serviceAccountKey.json (from configs/s1/health_creds.json; namespace s2 has none)',
      'removed .vscode/launch.json (from configs/s1/debug-configs/health-api/.vscode/launch.json.example; namespace s2 has none)',
      'injected config configs/s2/health_secrets.py → app/app/secrets.py (replaces a tracked file, hidden with skip-worktree)',
      'injected Dockerfile repos_docker_files/s2/health-api.dev.Dockerfile → health-api.dev.Dockerfile (health-api; namespace s2 override)',
      'skipped configs/s2/health_creds.json → serviceAccountKey.json: not present in namespace s2 (optional)',
    ]);
    expect(read('app/app/secrets.py')).toBe('SECRET_KEY = "s2-secret"\n');
    expect(existsSync(path.join(healthDir(), 'serviceAccountKey.json'))).toBe(false);
    expect(existsSync(path.join(healthDir(), '.vscode'))).toBe(false);
    expect(readFileSync(path.join(healthDir(), '.git/info/exclude'), 'utf8')).toMatch(/# >>> local-dev.*\n\/health-api\.dev\.Dockerfile\n# <<< local-dev\n$/);
    expect(status()).toBe('');

    await undoInjection({ root: healthDir(), display: 'cloned/health-api' }, ws.log);
    expect(snapshotFiles(healthDir())).toEqual(pristine);
    expect(readFileSync(path.join(healthDir(), '.git/info/exclude'), 'utf8')).not.toContain('local-dev');
    expect(sh(healthDir(), 'ls-files', '-v', 'app/app/secrets.py')).toBe('H app/app/secrets.py');
  });
});

describe('an existing clone without --refresh', () => {
  it('pulls nothing and says how the clone stands against the remote', async () => {
    await clone('health-api');
    const before = sh(healthDir(), 'rev-parse', 'HEAD');
    catalog.health.push('master', { 'app/main.py': 'print("new upstream")\n' });
    catalog.health.push('master', { 'app/other.py': 'x = 1\n' });
    writeFileSync(path.join(healthDir(), 'app/main.py'), 'print("my edit")\n');
    writeFileSync(path.join(healthDir(), 'notes.txt'), 'mine\n');
    sh(healthDir(), 'commit', '-q', '-am', 'my commit');
    writeFileSync(path.join(healthDir(), 'app/main.py'), 'print("my second edit")\n');

    const lines = await clone('health-api');
    expect(lines).toEqual([
      expect.stringMatching(/^kept master at [0-9a-f]{7} as it is \(nothing pulled without --refresh\)$/),
      'kept local changes: 2 files',
      'ahead of origin/master by 1 commit and behind by 2 — --refresh updates it (your local work is saved first)',
    ]);
    expect(sh(healthDir(), 'rev-parse', 'HEAD~1')).toBe(before);
    expect(read('app/main.py')).toBe('print("my second edit")\n');
  });

  it('reuses a fetch made seconds ago and says how old the comparison is; --refresh still fetches', async () => {
    await clone('health-api');
    await clone('health-api'); // an informative fetch, now seconds old
    catalog.health.push('master', { 'app/main.py': 'print("new upstream")\n' });
    expect((await clone('health-api')).at(-1)).toMatch(/^up to date with origin\/master \(as fetched \d+ s ago\)$/);
    expect((await clone('health-api', { freshFetchMs: 0 })).at(-1)).toBe(
      'behind origin/master by 1 commit — --refresh updates it (your local work is saved first)',
    );
    await clone('health-api', { refresh: true });
    expect(read('app/main.py')).toBe('print("new upstream")\n');
  });

  it('works offline: an unreachable remote is a warning, the clone is kept', async () => {
    await clone('health-api');
    sh(healthDir(), 'remote', 'set-url', 'origin', catalog.health.url);
    rmSync(catalog.health.path, { recursive: true });
    mkdirSync(catalog.health.path);
    const lines = await clone('health-api');
    expect(lines).toContainEqual(expect.stringMatching(/^⚠ could not ask the remote \(fatal: .*\); working offline, comparing with the last fetch$/));
    expect(lines).toContain('up to date with origin/master');
  });

  it('offline without an earlier fetch of the branch, does not claim origin lacks it', async () => {
    await clone('health-api');
    sh(healthDir(), 'update-ref', '-d', 'refs/remotes/origin/master');
    rmSync(catalog.health.path, { recursive: true });
    mkdirSync(catalog.health.path);
    const lines = await clone('health-api');
    expect(lines).toContainEqual(expect.stringMatching(/^⚠ could not ask the remote \(fatal: .*\); working offline$/));
    expect(lines).toContain('not compared with origin/master: this clone has never fetched it');
    expect(lines.join('\n')).not.toContain('origin has no branch');
  });

  it('does not wait long for a remote that does not answer', async () => {
    const sshUrl = `ssh://git.example.invalid${catalog.health.path}`;
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthUrl: sshUrl }) });
    // The ssh stand-in reaches git through the request's env only: nothing global is changed.
    const sshEnv = { GIT_SSH_COMMAND: path.join(__dirname, 'fixtures/git/slow-ssh.sh'), GIT_SSH_VARIANT: 'simple' };
    expect(await clone('health-api', { env: sshEnv })).toContainEqual(expect.stringMatching(/^cloned ssh:/));
    const lines = await clone('health-api', { env: { ...sshEnv, SLOW_SSH_BYTES_PER_SECOND: '1' }, fetchTimeoutMs: 1000 });
    // The warning names the limit: git was stopped at it (the stand-in would take ~hours).
    expect(lines).toContain('⚠ could not ask the remote (no answer within 1 s); working offline, comparing with the last fetch');
    expect(process.env.GIT_SSH_COMMAND).toBeUndefined();
  });

  it('switches to a newly configured branch, and refuses while the tree is dirty', async () => {
    await clone('health-api');
    await inject('health-api');
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthBranch: 'develop' }) });
    writeFileSync(path.join(healthDir(), 'scratch.txt'), 'wip\n');
    await expect(clone('health-api')).rejects.toThrow(
      'cloned/health-api: is on master but config.yaml says develop; not switching because it has uncommitted changes (1: scratch.txt)',
    );
    expect(sh(healthDir(), 'branch', '--show-current')).toBe('master');
    expect(read('app/app/secrets.py')).toBe('SECRET_KEY = "s1-secret"\n');

    unlinkSync(path.join(healthDir(), 'scratch.txt'));
    const lines = await clone('health-api');
    expect(lines).toContain('removed 4 injected files (namespace s1)');
    expect(lines).toContainEqual(expect.stringMatching(/^switched master → develop \([0-9a-f]{7}\)$/));
    expect(lines).toContain('up to date with origin/develop');
    expect(read('app/main.py')).toBe('print("health develop")\n');
    await inject('health-api');
    expect(status()).toBe('');
  });
});

describe('clone errors name the repo and the fix', () => {
  it('lists the closest remote branches when the branch does not exist', async () => {
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthBranch: 'develp' }) });
    const failure = clone('health-api');
    await expect(failure).rejects.toThrow(GitError);
    await expect(failure).rejects.toThrow(
      /^cloned\/health-api: branch "develp" does not exist on file:.*health-api\.git \(closest branches on the remote: develop, master, feature\/login\)$/,
    );
    expect(readdirSync(path.join(ws.root, 'cloned'))).toEqual([]);
  });

  it('refuses to switch when the new branch tracks a file that is ignored here (the switch would overwrite it)', async () => {
    catalog.health.push('master', { '.gitignore': '.env\n' });
    catalog.health.push('develop', { '.env': 'TEAM_DEFAULTS=1\n' });
    await clone('health-api');
    writeFileSync(path.join(healthDir(), '.env'), 'TOKEN=mine\n');
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthBranch: 'develop' }) });
    await expect(clone('health-api')).rejects.toThrow(
      'cloned/health-api: is on master but config.yaml says develop; not switching because develop tracks files you have here as ignored files, which the switch would overwrite (1: .env)',
    );
    expect(read('.env')).toBe('TOKEN=mine\n');
    expect(sh(healthDir(), 'branch', '--show-current')).toBe('master');
  });

  it('refuses to switch an existing clone to a branch the remote lacks, listing the closest, and keeps it as it is', async () => {
    await clone('health-api');
    await inject('health-api');
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthBranch: 'feature/logn' }) });
    const failure = clone('health-api');
    await expect(failure).rejects.toThrow(GitError);
    await expect(failure).rejects.toThrow(
      /^cloned\/health-api: branch "feature\/logn" does not exist on file:.*health-api\.git \(closest branches on the remote: feature\/login, /,
    );
    expect(sh(healthDir(), 'branch', '--show-current')).toBe('master');
    expect(read('app/app/secrets.py')).toBe('SECRET_KEY = "s1-secret"\n');
    expect(status()).toBe('');
  });

  it('leaves a folder that is not a git repo untouched, even inside the workspace repo', async () => {
    // cloned/ sits inside the local-dev workspace, itself a git repo: git would answer for it.
    sh(ws.root, 'init', '-q');
    mkdirSync(path.join(healthDir(), 'src'), { recursive: true });
    writeFileSync(path.join(healthDir(), 'src/work.py'), 'precious\n');
    await expect(clone('health-api')).rejects.toThrow(
      'cloned/health-api: exists but it is not a git repository (no .git of its own); local-dev leaves it untouched',
    );
    expect(readFileSync(path.join(healthDir(), 'src/work.py'), 'utf8')).toBe('precious\n');
  });

  it('leaves a clone of another remote untouched, showing both URLs', async () => {
    await clone('health-api');
    sh(healthDir(), 'remote', 'set-url', 'origin', catalog.oms.url);
    const failure = clone('health-api');
    await expect(failure).rejects.toThrow(
      `cloned/health-api: points at ${catalog.oms.url}, but config.yaml says ${catalog.health.url}; local-dev leaves it untouched`,
    );
    expect(sh(healthDir(), 'remote', 'get-url', 'origin')).toBe(catalog.oms.url);
  });

  it('says what to do when the repo cannot be read', async () => {
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthUrl: `file://${sandbox.root}/gone/health-api.git` }) });
    const failure = clone('health-api');
    await expect(failure).rejects.toThrow(
      /^cloned\/health-api: cannot read file:.*gone\/health-api\.git: no access, or no such repository, while cloning\n  git said: fatal: /,
    );
    expect(readdirSync(path.join(ws.root, 'cloned'))).toEqual([]);
  });
});

itWithTmpfs('says the disk is full (on a real full filesystem) and leaves no half-made clone', async () => {
  catalog.health.push('master', { 'assets/big.bin': randomBytes(3_000_000) });
  const cloned = path.join(ws.root, 'cloned');
  mkdirSync(cloned);
  await withTmpfs(cloned, '1m', async () => {
    const failure = clone('health-api');
    await expect(failure).rejects.toThrow(/^cloned\/health-api: the disk is full while cloning\n  git said: .*No space left on device/);
    expect(readdirSync(cloned)).toEqual([]);
  });
});
