/**
 * clone and inject-config through the real nx CLI on a temp workspace: repos clone in parallel,
 * one unreachable repo fails clearly without stopping the others, and a clone killed half way
 * leaves nothing that passes for a clone (the next run cleans up and clones).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createTempWorkspace, initWorkspace, type TempWorkspace } from './support/temp-workspace';
import { HEALTH_FILES, makeCatalog, NAMESPACE_FILES, type Catalog } from './fixtures/git/catalog';
import { GitSandbox, sh } from './fixtures/git/repos';

const SLOW_SSH = path.join(__dirname, 'fixtures/git/slow-ssh.sh');

let sandbox: GitSandbox;
let catalog: Catalog;
let workspace: TempWorkspace | undefined;

beforeEach(() => {
  sandbox = new GitSandbox();
  catalog = makeCatalog(sandbox);
});

afterEach(() => {
  workspace?.remove();
  workspace = undefined;
  sandbox.cleanup();
});

async function makeWorkspace(config: string): Promise<TempWorkspace> {
  const created = createTempWorkspace({ name: 'git', config, files: NAMESPACE_FILES });
  workspace = created;
  await initWorkspace(created);
  return created;
}

it('clones every repo in parallel and reports the unreachable one without stopping the others', async () => {
  const unreachable = `file://${sandbox.root}/nowhere/bifrost.git`;
  const healthUrl = `ssh://git.example.invalid${catalog.health.path}`;
  const omsUrl = `ssh://git.example.invalid${catalog.oms.path}`;
  const config = `${catalog.config({ healthUrl, omsUrl })}  bifrost:
    repo: ${unreachable}
    branch: master
    ports: ["3000:3000"]
`;
  const ws = await makeWorkspace(config);
  const sshEnv = { GIT_SSH_COMMAND: SLOW_SSH, GIT_SSH_VARIANT: 'simple' };
  // Each clone's connection waits until both are open at once (see slow-ssh.sh): clones made one
  // after the other would fail here, whatever the timing.
  const rendezvous = path.join(sandbox.root, 'rendezvous');
  mkdirSync(rendezvous);
  const cloned = await ws.nx(['run-many', '-t', 'clone', '--parallel=3'], {
    env: { ...sshEnv, SLOW_SSH_RENDEZVOUS: rendezvous, SLOW_SSH_RENDEZVOUS_COUNT: '2' },
  });
  expect(cloned.output).toMatch(/health-api: cloned ssh:.*health-api\.git at master/);
  expect(cloned.output).toMatch(/oms-api: cloned ssh:.*oms\.git at master/);
  expect(readdirSync(rendezvous)).toHaveLength(2);
  expect(cloned.code).not.toBe(0);
  expect(cloned.output).toContain(`✖ bifrost:clone: cloned/bifrost: cannot read ${unreachable}: no access, or no such repository, while cloning`);
  expect(cloned.output).toContain('fix: check that the path in config.yaml points at an existing git repository you can read');
  expect(cloned.output).toMatch(/Failed tasks:\s+- bifrost:clone\s/);
  // A worker shares its owner's clone: one clone of oms, and no folder of the failed repo.
  expect(cloned.output.match(/cloning ssh:.*oms\.git/g)).toHaveLength(1);
  expect(readdirSync(path.join(ws.root, 'cloned')).sort()).toEqual(['health-api', 'oms']);

  // The next run keeps the clones as they are and injects; bifrost still fails on its own.
  const injected = await ws.nx(['run-many', '-t', 'inject-config', '--parallel=3'], { env: sshEnv });
  expect(injected.code).not.toBe(0);
  expect(injected.output).toMatch(/Failed tasks:\s+- bifrost:clone\s/);
  expect(injected.output).toMatch(/health-api: kept master at [0-9a-f]{7} as it is \(nothing pulled without --refresh\)/);
  expect(readFileSync(path.join(ws.root, 'cloned/health-api/app/app/secrets.py'), 'utf8')).toBe('SECRET_KEY = "s1-secret"\n');
  expect(readFileSync(path.join(ws.root, 'cloned/oms/oms-worker.dev.Dockerfile'), 'utf8')).toBe(
    NAMESPACE_FILES['repos_docker_files/oms-worker.dev.Dockerfile'],
  );
  expect(sh(path.join(ws.root, 'cloned/oms'), 'status', '--porcelain', '--untracked-files=all')).toBe('');

  // --undo (forwarded to the clone dependency, which then leaves the repo alone) takes them out again.
  const undo = await ws.nx(['run', 'health-api:inject-config', '--undo'], { env: sshEnv });
  expect(undo.code).toBe(0);
  expect(undo.output).toContain('health-api: left cloned/health-api alone (inject-config --undo)');
  // The secret, the dev Dockerfile, its generated .dockerignore (the secret kept out of the image) and the IDE configs.
  expect(undo.output).toContain('health-api: removed 5 injected files (namespace s1)');
  const health = path.join(ws.root, 'cloned/health-api');
  expect(readFileSync(path.join(health, 'app/app/secrets.py'), 'utf8')).toBe(HEALTH_FILES['app/app/secrets.py']);
  expect(sh(health, 'status', '--porcelain', '--untracked-files=all', '--ignored')).toBe('');
}, 60_000);

/** Starts `nx` in its own process group, so the whole tree (nx, executor, git) can be killed at once. */
function startNx(ws: TempWorkspace, args: string[], env: Record<string, string>) {
  const child = spawn(path.join(ws.root, 'node_modules/.bin/nx'), args, {
    cwd: ws.root,
    detached: true,
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters.filter((candidate) => candidate.pattern.test(output))) waiter.resolve();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    output: () => output,
    exited,
    waitFor: (pattern: RegExp, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        onData(Buffer.alloc(0));
      }),
    killGroup: () => process.kill(-(child.pid as number), 'SIGKILL'),
  };
}

it('shows progress during a slow clone, and a clone killed half way is cleaned up and redone next run', async () => {
  // 3 MB that does not compress, served at 300 kB/s through a stand-in for ssh: a ~10 s clone.
  catalog.health.push('master', { 'assets/big.bin': randomBytes(3_000_000) });
  const sshUrl = `ssh://git.example.invalid${catalog.health.path}`;
  const ws = await makeWorkspace(catalog.config({ healthUrl: sshUrl }));
  const sshEnv = { GIT_SSH_COMMAND: SLOW_SSH, GIT_SSH_VARIANT: 'simple' };

  const slow = startNx(ws, ['run', 'health-api:clone'], { ...sshEnv, SLOW_SSH_BYTES_PER_SECOND: '300000' });
  await slow.waitFor(/health-api: receiving objects \d+%, [\d.]+ [KM]iB \| [\d.]+ [KM]iB\/s \(\d+ s\)/, 30_000);
  slow.killGroup();
  await slow.exited;
  const leftovers = readdirSync(path.join(ws.root, 'cloned')).sort();
  // The half-made clone, hidden, and the clone's lock of the killed run.
  expect(leftovers).toEqual(['.health-api.lock', expect.stringMatching(/^\.health-api\.partial-\d+-[0-9a-f]+$/)]);
  const killedPid = /^\.health-api\.partial-(\d+)-/.exec(leftovers[1])?.[1];

  const again = await ws.nx(['run', 'health-api:clone'], { env: sshEnv });
  expect(again.code).toBe(0);
  expect(again.output).toMatch(
    new RegExp(
      `health-api: took over the lock on cloned/health-api left by \`nx run health-api:clone\` \\(pid ${killedPid}; clone\\), which is no longer running`,
    ),
  );
  expect(again.output).toContain(`health-api: removed cloned/${leftovers[1]}, left by an interrupted clone`);
  expect(again.output).toMatch(/health-api: cloned ssh:.*health-api\.git at master/);
  expect(readdirSync(path.join(ws.root, 'cloned'))).toEqual(['health-api']);
  expect(sh(path.join(ws.root, 'cloned/health-api'), 'fsck', '--no-progress')).toBe('');
}, 60_000);
