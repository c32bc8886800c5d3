/**
 * --refresh against real git: the clone ends exactly at the remote branch head, and every piece of
 * local work (commits, staged, unstaged, deleted, untracked, binary, executable bits) comes back
 * byte for byte with the commands the output prints.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeCloneStatus } from '../src/git/describe';
import { ensureClone } from '../src/tasks/ensure-clone';
import { injectConfigs } from '../src/inject/inject-configs';
import { makeCatalog, NAMESPACE_FILES, type Catalog } from './fixtures/git/catalog';
import { GitSandbox, sh, snapshotFiles } from './fixtures/git/repos';
import { plainWorkspace, type PlainWorkspace } from './fixtures/git/workspace';

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
  options: { refresh?: boolean; env?: Record<string, string>; log?: (line: string) => void; progressIntervalMs?: number } = {},
): Promise<string[]> {
  ws.lines.length = 0;
  const run = ws.context('health-api', { refresh: options.refresh });
  const { env, log = ws.log, progressIntervalMs } = options;
  const status = await ensureClone({ paths: run.paths, repo: run.repo, refresh: run.refresh, log, env, progressIntervalMs });
  return [...ws.lines, ...describeCloneStatus(status)];
}

async function inject(log = ws.log, namespace = 's1'): Promise<void> {
  const run = ws.context('health-api', { namespace });
  await injectConfigs({ paths: run.paths, model: run.model, repo: run.repo, namespace: run.namespace, log });
}

const clonePath = () => path.join(ws.root, 'cloned/health-api');
const binary = Buffer.from([0, 1, 2, 255, 254, 13, 10, 0, 128]);

/** Every kind of local work a developer has in a clone on a Tuesday afternoon. */
function makeLocalWork(dir: string): void {
  writeFileSync(path.join(dir, 'app/feature.py'), 'feature = 1\n');
  sh(dir, 'add', 'app/feature.py');
  sh(dir, 'commit', '-q', '-m', 'local commit 1');
  writeFileSync(path.join(dir, 'logo.bin'), binary);
  sh(dir, 'add', 'logo.bin');
  sh(dir, 'commit', '-q', '-m', 'local commit 2');
  writeFileSync(path.join(dir, 'app/main.py'), 'print("unstaged edit")\r\n');
  writeFileSync(path.join(dir, 'app/staged.py'), 'staged = True\n');
  sh(dir, 'add', 'app/staged.py');
  unlinkSync(path.join(dir, 'README.md'));
  chmodSync(path.join(dir, 'app/feature.py'), 0o755);
  mkdirSync(path.join(dir, 'scratch/deep'), { recursive: true });
  writeFileSync(path.join(dir, 'scratch/deep/notes.md'), '# my notes\n');
  writeFileSync(path.join(dir, 'scratch/data.bin'), binary);
}

/** Runs a printed `git -C cloned/x …` command as the user would paste it, from the workspace root. */
function runPrinted(command: string): void {
  const [program, ...args] = command.trim().split(/\s+/);
  execFileSync(program, args, {
    cwd: ws.root,
    stdio: 'pipe',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
}

describe('--refresh', () => {
  it('resets to the remote head and saves all local work, recoverable byte for byte', async () => {
    await clone();
    const dir = clonePath();
    makeLocalWork(dir);
    const workBefore = snapshotFiles(dir);
    const headBefore = sh(dir, 'rev-parse', 'HEAD');
    const stagedBefore = sh(dir, 'diff', '--cached', '--name-status');
    await inject();
    const upstreamHead = catalog.health.push('master', { 'app/upstream.py': 'new = 1\n' });

    const lines = await clone({ refresh: true });
    expect(lines[0]).toBe('removed 4 injected files (namespace s1)');
    const saved = lines.find((line) => line.startsWith('saved your local work')) ?? '';
    expect(saved).toMatch(
      /^saved your local work \(2 local commits and 6 changed files \(uncommitted and untracked\)\) in refs\/local-dev\/backup\/\d{8}T\d{6}Z and as a git stash$/,
    );
    const ref = /(refs\/local-dev\/backup\/\S+)/.exec(saved)?.[1] as string;
    const restore = lines.slice(lines.indexOf('to get it back:') + 1, lines.indexOf('to get it back:') + 3);
    expect(restore).toEqual([
      `  git -C cloned/health-api switch -c rescued-${ref.split('/').pop()} ${ref}^1`,
      `  git -C cloned/health-api stash apply --index ${ref}`,
    ]);
    expect(lines).toContain('up to date with origin/master');

    // Exactly the remote head: same commit, same files as a fresh clone, nothing else.
    expect(sh(dir, 'rev-parse', 'HEAD')).toBe(upstreamHead);
    expect(sh(dir, 'status', '--porcelain', '--untracked-files=all', '--ignored')).toBe('');
    const fresh = path.join(sandbox.root, 'fresh');
    sh(sandbox.root, 'clone', '-q', catalog.health.url, fresh);
    expect(snapshotFiles(dir)).toEqual(snapshotFiles(fresh));
    expect(sh(dir, 'stash', 'list')).toMatch(new RegExp(`local-dev: saved before refresh .* = ${ref}$`));
    // Injected secrets are not local work: they are nowhere in the backup.
    // (git grep exits 1 for "no match", 128 for a bad ref: only 1 passes.)
    const grep = spawnSync('git', ['grep', '-l', 's1-secret', ref, `${ref}^2`, `${ref}^3`], { cwd: dir, encoding: 'utf8' });
    expect({ status: grep.status, hits: grep.stdout }).toEqual({ status: 1, hits: '' });
    expect(sh(dir, 'show', `${ref}^3:scratch/deep/notes.md`)).toBe('# my notes');

    for (const command of restore) runPrinted(command);
    expect(sh(dir, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(snapshotFiles(dir)).toEqual(workBefore);
    expect(readFileSync(path.join(dir, 'scratch/data.bin')).equals(binary)).toBe(true);
    expect(sh(dir, 'diff', '--cached', '--name-status')).toBe(stagedBefore);
  });

  it('with nothing local, says so; always-refresh: true refreshes without the flag', async () => {
    ws.write({
      'repos_docker_files/config.yaml': catalog
        .config()
        .replace('    branch: master\n    ports: ["8000', '    branch: master\n    always-refresh: true\n    ports: ["8000'),
    });
    await clone();
    catalog.health.push('master', { 'app/upstream.py': 'new = 1\n' });
    const lines = await clone();
    expect(lines).toEqual([expect.stringMatching(/^refreshed to origin\/master \([0-9a-f]{7}\)$/), 'no local work to save', 'up to date with origin/master']);
    expect(sh(clonePath(), 'for-each-ref', 'refs/local-dev')).toBe('');
  });

  it('switches branch on refresh even when dirty, keeping the work of both branches', async () => {
    await clone();
    const dir = clonePath();
    sh(dir, 'switch', '-q', '-c', 'develop', '--track', 'origin/develop');
    writeFileSync(path.join(dir, 'develop-only.txt'), 'on develop\n');
    sh(dir, 'add', '-A');
    sh(dir, 'commit', '-q', '-m', 'unpushed on develop');
    const developHead = sh(dir, 'rev-parse', 'HEAD');
    sh(dir, 'switch', '-q', 'master');
    writeFileSync(path.join(dir, 'dirty.txt'), 'dirty\n');
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthBranch: 'develop' }) });

    const lines = await clone({ refresh: true });
    expect(lines).toContainEqual(expect.stringMatching(/^refreshed to origin\/develop/));
    const extra = lines.find((line) => line.startsWith('saved local branch commits')) ?? '';
    const extraRef = extra.split(' in ')[1];
    expect(sh(dir, 'rev-parse', extraRef)).toBe(developHead);
    expect(sh(dir, 'rev-parse', 'HEAD')).toBe(sh(catalog.health.path, 'rev-parse', 'develop'));
    expect(sh(dir, 'status', '--porcelain')).toBe('');
  });

  it('loses no ignored file: one the target branch does not ignore is kept, one it tracks is backed up', async () => {
    // On develop, .env and settings.local are ignored; master ignores neither and now tracks settings.local.
    catalog.health.push('develop', { '.gitignore': '.env\nsettings.local\n*.log\n' });
    catalog.health.push('master', { '.gitignore': '*.log\n', 'settings.local': 'DEBUG = False\n' });
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthBranch: 'develop' }) });
    await clone();
    const dir = clonePath();
    writeFileSync(path.join(dir, '.env'), 'TOKEN=mine\n');
    writeFileSync(path.join(dir, 'settings.local'), 'DEBUG = True  # mine\n');
    writeFileSync(path.join(dir, 'debug.log'), 'ignored on both\n');
    const workBefore = snapshotFiles(dir);
    await inject();
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthBranch: 'master' }) });

    const lines = await clone({ refresh: true });
    expect(lines).toContain('kept 1 file that develop ignored and master does not (yours, never in the repo; now untracked): .env');
    const saved = lines.find((line) => line.startsWith('saved your local work')) ?? '';
    expect(saved).toMatch(/^saved your local work \(2 local commits and 1 ignored file the new checkout overwrites\) in refs\/local-dev\/backup\//);
    expect(readFileSync(path.join(dir, '.env'), 'utf8')).toBe('TOKEN=mine\n');
    expect(readFileSync(path.join(dir, 'debug.log'), 'utf8')).toBe('ignored on both\n');
    expect(readFileSync(path.join(dir, 'settings.local'), 'utf8')).toBe('DEBUG = False\n');
    const ref = /(refs\/local-dev\/backup\/\S+)/.exec(saved)?.[1] as string;
    // In the backup: the overwritten ignored file; not the ignored file left alone, not an injected secret.
    expect(sh(dir, 'ls-tree', '-r', '--name-only', `${ref}^3`)).toBe('settings.local');

    const restore = lines.slice(lines.indexOf('to get it back:') + 1).filter((line) => line.startsWith('  git'));
    for (const command of restore) runPrinted(command);
    expect(snapshotFiles(dir)).toEqual(workBefore);
  });

  it('waits for another run holding the clone instead of interleaving (refresh, then inject-config)', async () => {
    // The remote is reached through a slow stand-in for ssh, so the refresh's fetch takes a while.
    const sshEnv = { GIT_SSH_COMMAND: path.join(__dirname, 'fixtures/git/slow-ssh.sh'), GIT_SSH_VARIANT: 'simple' };
    ws.write({ 'repos_docker_files/config.yaml': catalog.config({ healthUrl: `ssh://git.example.invalid${catalog.health.path}` }) });
    await clone({ env: sshEnv });
    catalog.health.push('master', { 'assets/blob.bin': randomBytes(10_000) });
    let fetching!: () => void;
    const fetchStarted = new Promise<void>((resolve) => (fetching = resolve));
    const refreshLog = (line: string) => {
      if (line.startsWith('fetching origin/master')) fetching();
    };
    const refresh = clone({ refresh: true, env: { ...sshEnv, SLOW_SSH_BYTES_PER_SECOND: '5000' }, log: refreshLog, progressIntervalMs: 100 });
    await fetchStarted;
    // Now, in the middle of the refresh, another run injects s2 into the same clone.
    const injectLines: string[] = [];
    await inject((line) => injectLines.push(line), 's2');
    await refresh;

    expect(injectLines[0]).toMatch(
      new RegExp(
        `^waiting for cloned/health-api: in use by \`.*\` \\(pid ${process.pid}; clone --refresh, for \\d+ s\\); waited 0 s so far \\(gives up after 600 s\\)$`,
      ),
    );
    // The refresh finished before the injection began: the injected files are there and hidden.
    expect(readFileSync(path.join(clonePath(), 'app/app/secrets.py'), 'utf8')).toBe('SECRET_KEY = "s2-secret"\n');
    expect(sh(clonePath(), 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(readdirSync(path.join(ws.root, 'cloned'))).toEqual(['health-api']);
  });
});
