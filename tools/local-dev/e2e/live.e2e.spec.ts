/**
 * Live code end to end: `nx run-many -t dev` (real nx, real engine, busybox services, a local bare
 * remote) watching a clone shared by a service (restart: true, rebuild-on) and its worker (the app
 * reloads itself). Edits, new files, deletes and renames reach the containers; an injected secret
 * is never synced; nothing lands outside sync.to; a restart (the program's, under the live supervisor)
 * keeps the container, its StartedAt and host port, and a second up keeps that container;
 * a rebuild-on file makes a new image and container; a 1,000-file checkout is one sync; a sync
 * that failed (container stopped) is said loudly and its files go with the next one; one
 * watcher for the shared clone; Ctrl-C (SIGINT to nx's process group, as a terminal sends it)
 * exits 0 and leaves the containers running. Then the same sync on a second engine (DOCKER_HOST).
 * One workspace for the whole file: the tests run in order and build on each other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspaceId } from '../src/core/naming';
import { cloneWatchLockPath } from '../src/live/session';
import { readLiveRecord } from '../src/live/state';
import { workspacePaths } from '../src/core/workspace';
import { docker, freePort, get, git, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { startSecondDockerd, type SecondDockerd } from './fixtures/stack/second-dockerd';
import { makeBareRepo } from './fixtures/stack/workspace';
import { createTempWorkspace, initWorkspace, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(300_000);

const NX_ENV = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
const SECRET = 'TOKEN=s1-injected\n';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A `nx …` left running (a continuous target), its output gathered; stop() sends SIGINT to its whole group, as Ctrl-C does. */
interface Running {
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** How many lines match `pattern` so far. */
  count(pattern: RegExp): number;
  interrupt(): Promise<number | null>;
}

function startNx(workspace: TempWorkspace, args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const child: ChildProcess = spawn(path.join(workspace.root, 'node_modules', '.bin', 'nx'), args, {
    cwd: workspace.root,
    env: { ...env, ...NX_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => output.split('\n');
  return {
    output: () => output,
    count: (pattern) => lines().filter((line) => pattern.test(line)).length,
    waitFor: async (pattern, timeoutMs = 180_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines().find((candidate) => pattern.test(candidate));
        if (line !== undefined) return line;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no line matching ${pattern} (exit ${child.exitCode}); output:\n${output}`);
        await sleep(50);
      }
    },
    interrupt: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 60_000)))]);
      clearTimeout(timer);
      if (code === 'timeout') {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        throw new Error(`nx did not end within 60 s of SIGINT; output:\n${output}`);
      }
      return code;
    },
  };
}

/**
 * The api's image: its command runs through sh, so `up` runs it under the live supervisor; it
 * serves what app/ held when it started (a program that loads its code at start), so a new file
 * is served only once the program has restarted.
 */
const apiDockerfile = (port: number) =>
  [
    'FROM busybox:1.36',
    'COPY . /app',
    'RUN mkdir -p /served /app/app && echo ok > /served/health',
    `CMD ["sh", "-c", "cp -r /app/app/. /served/ && exec httpd -f -p ${port} -h /served"]`,
    '',
  ].join('\n');

describe('nx run-many -t dev: live code into running containers (real nx, real engine)', () => {
  let workspace: TempWorkspace;
  let remotes: string;
  let wsId: string;
  let port: number;
  let dev: Running;
  let clone: string;
  const containerOf = (service: string) =>
    docker(['ps', '-q', '--no-trunc', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${service}`]);
  const inContainer = (service: string, ...args: string[]) => docker(['exec', containerOf(service), ...args]);
  const startedAt = (service: string) => docker(['inspect', '--format', '{{.State.StartedAt}}', containerOf(service)]);
  /** Waits until the (n+1)-th line matching `pattern` appears, n being how many there are now; returns it. */
  const nextLine = async (pattern: RegExp, change: () => void) => {
    const before = dev.count(pattern);
    change();
    const deadline = Date.now() + 120_000;
    while (dev.count(pattern) <= before) {
      if (Date.now() > deadline) throw new Error(`no new line matching ${pattern}; output:\n${dev.output()}`);
      await sleep(50);
    }
    return dev
      .output()
      .split('\n')
      .filter((line) => pattern.test(line))[before];
  };
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    writeFileSync(path.join(clone, file), content);
  };

  beforeAll(async () => {
    remotes = path.join(tmpdir(), `local-dev-live-remotes-${process.pid}`);
    mkdirSync(remotes, { recursive: true });
    const bare = makeBareRepo(remotes, 'api', {
      'version.txt': 'api 1\n',
      'requirements.txt': 'django==5\n',
      'README.md': '# api\n',
      '.gitignore': 'app/secret.env\n',
    });
    // The other branch of the burst test: 1,000 files under app/big/ (made in a work tree, pushed).
    const work = path.join(remotes, 'api-big');
    git(remotes, 'clone', '-q', bare, work);
    for (let index = 0; index < 1000; index++) writeFileSync(path.join(work, `f${index}.txt`), `${index}\n`);
    mkdirSync(path.join(work, 'app', 'big'), { recursive: true });
    for (let index = 0; index < 1000; index++) renameSync(path.join(work, `f${index}.txt`), path.join(work, 'app', 'big', `f${index}.txt`));
    git(work, 'checkout', '-q', '-b', 'big');
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'a thousand files');
    git(work, 'push', '-q', 'origin', 'big');
    port = await freePort();
    workspace = createTempWorkspace({
      name: 'live',
      config: `
network: ld-e2e-live-${process.pid}
default-namespace: s1
redis: { mode: local, deployment: redis, port: ${await freePort()} }
services:
  api:
    repo: file://${bare}
    branch: main
    ports: ["${port}:8080"]
    healthcheck: { http: /health, timeout: 60 }
    configs:
      - { source: configs/api.env, dest: app/secret.env, required: true }
    live:
      sync: [{ from: app/, to: /app/app/ }]
      restart: true
      rebuild-on: [requirements.txt]
      ignore: ["**/*.tmp"]
    workers:
      api-worker:
        live:
          sync: [{ from: app/, to: /srv/app/ }]
`,
      files: {
        'repos_docker_files/api.dev.Dockerfile': apiDockerfile(8080),
        'repos_docker_files/api-worker.dev.Dockerfile': ['FROM busybox:1.36', 'COPY app /srv/app', 'CMD ["sleep", "100000"]', ''].join('\n'),
        'configs/s1/api.env': SECRET,
      },
    });
    wsId = workspaceId(workspace.root);
    clone = path.join(workspace.root, 'cloned', 'api');
    await initWorkspace(workspace);
    dev = startNx(workspace, ['run-many', '-t', 'dev', '--projects=api,api-worker']);
    await dev.waitFor(/watching cloned\/api for api, api-worker/);
    // The other dev process says it waits on the one watcher (the order Nx starts them in is its own).
    await dev.waitFor(/cloned\/api is already watched by .*this one takes over when it ends/);
  });

  afterAll(async () => {
    if (dev) await dev.interrupt().catch(() => undefined);
    if (workspace) {
      await workspace.nx(['run', 'redis-tunnel:down'], { env: NX_ENV });
      removeByWorkspaceLabel(wsId);
      workspace.remove();
    }
    if (remotes) rmSync(remotes, { recursive: true, force: true });
  });

  it('brings both up as `up` does, and one process watches the shared clone', async () => {
    expect(await get(`http://127.0.0.1:${port}/health`)).toBe('ok\n');
    expect(dev.count(/watching cloned\/api for/)).toBe(1);
    const lock = JSON.parse(readFileSync(cloneWatchLockPath(workspacePaths(workspace.root), 'api'), 'utf8')) as { pid: number };
    const records = ['api', 'api-worker'].map((service) => readLiveRecord(workspacePaths(workspace.root), service));
    // Both dev processes registered; the lock's holder is one of them.
    expect(records.map((record) => record?.watcher?.pid).sort()).toContain(lock.pid);
    expect(new Set(records.map((record) => record?.watcher?.pid)).size).toBe(2);
  });

  it('runs the api (restart: true, its command through sh) under the live supervisor, and a second up keeps that container', async () => {
    const container = containerOf('api');
    expect(docker(['inspect', '--format', '{{index .Config.Labels "io.local-dev.live-supervisor"}}', container])).toBe('1');
    // The worker (restart: false) runs its image's command as it is.
    expect(docker(['inspect', '--format', '{{index .Config.Labels "io.local-dev.live-supervisor"}}', containerOf('api-worker')])).toBe('');
    const up = await workspace.nx(['run', 'api:up', '--skip-nx-cache'], { env: NX_ENV });
    expect(up.output).toMatch(/api: already running/);
    expect(containerOf('api')).toBe(container);
  });

  it('syncs an edit, a new executable file (mode kept), a delete and a rename into both containers; restarts only the one with restart: true', async () => {
    const apiStartedAt = startedAt('api');
    const apiContainer = containerOf('api');
    const portsBefore = docker(['port', apiContainer]);
    const first = await nextLine(/^api: synced/, () => {
      write('app/views.txt', 'v1\n');
      write('app/tool.sh', '#!/bin/sh\necho tool\n');
      chmodSync(path.join(clone, 'app', 'tool.sh'), 0o755);
      write('app/old-name.txt', 'renamed\n');
      write('app/doomed.txt', 'doomed\n');
    });
    expect(first).toMatch(/^api: synced 4 files in \d+ ms; restarted \(healthy in [\d.]+ (ms|s)\)$/);
    await dev.waitFor(/^api-worker: synced 4 files in \d+ ms; the app reloads itself$/);
    expect(inContainer('api', '/app/app/tool.sh')).toBe('tool');
    expect(inContainer('api', 'stat', '-c', '%a', '/app/app/tool.sh')).toBe('755');
    expect(inContainer('api-worker', 'stat', '-c', '%a', '/srv/app/tool.sh')).toBe('755');
    // The restart was the program's, under the live supervisor: the same container, not restarted
    // (StartedAt kept), the same host port (a debugger re-attaches there), and the new code served.
    expect(containerOf('api')).toBe(apiContainer);
    expect(startedAt('api')).toBe(apiStartedAt);
    expect(docker(['port', apiContainer])).toBe(portsBefore);
    expect(await get(`http://127.0.0.1:${port}/views.txt`)).toBe('v1\n');

    await nextLine(/^api: synced/, () => {
      write('app/views.txt', 'v2\n');
      rmSync(path.join(clone, 'app', 'doomed.txt'));
      renameSync(path.join(clone, 'app', 'old-name.txt'), path.join(clone, 'app', 'new-name.txt'));
    });
    await dev.waitFor(/^api-worker: synced 2 files and 2 deleted/);
    for (const [service, to] of [
      ['api', '/app/app'],
      ['api-worker', '/srv/app'],
    ]) {
      expect(inContainer(service, 'cat', `${to}/views.txt`)).toBe('v2');
      expect(inContainer(service, 'cat', `${to}/new-name.txt`)).toBe('renamed');
      expect(inContainer(service, 'sh', '-c', `ls ${to}/doomed.txt ${to}/old-name.txt 2>&1 | grep -c 'No such file'`)).toBe('2');
    }
    const record = readLiveRecord(workspacePaths(workspace.root), 'api');
    expect(record).toMatchObject({ container: apiContainer, files: 8 });
  });

  it('never syncs an injected secret (its copy stays as injected) nor an ignored file, and writes nothing outside sync.to', async () => {
    expect(readFileSync(path.join(clone, 'app', 'secret.env'), 'utf8')).toBe(SECRET);
    // What the container has at the secret's path as `up` left it (the image may or may not carry it).
    const secretInContainer = () => inContainer('api', 'sh', '-c', 'cat /app/app/secret.env 2>/dev/null || echo absent');
    const asInjected = secretInContainer();
    const line = await nextLine(/^api: synced/, () => {
      write('app/secret.env', 'TOKEN=edited-in-the-clone\n');
      write('app/scratch.tmp', 'ignored\n');
      write('app/marker.txt', 'marker\n');
    });
    expect(line).toMatch(/^api: synced 1 file in/);
    expect(inContainer('api', 'cat', '/app/app/marker.txt')).toBe('marker');
    expect(secretInContainer()).toBe(asInjected);
    expect(inContainer('api', 'ls', '/app/app')).not.toContain('scratch.tmp');
    // Every path the container's file system gained or changed is sync.to, below it, or one of its
    // parents — besides the engine's own init (compose's `init: true`), mounted at /sbin/docker-init,
    // and /served, where the api's program copies app/ each time it starts (apiDockerfile).
    const changed = docker(['diff', containerOf('api')])
      .split('\n')
      .map((entry) => entry.slice(2))
      .filter((entry) => entry !== '/sbin' && entry !== '/sbin/docker-init' && entry !== '/served' && !entry.startsWith('/served/'));
    expect(changed.filter((entry) => !entry.startsWith('/app/app') && !'/app/app'.startsWith(entry))).toEqual([]);
  });

  it('gathers a 1,000-file checkout of another branch into ONE sync per service', async () => {
    git(clone, 'fetch', '-q', 'origin');
    const line = await nextLine(/^api: synced/, () => git(clone, 'checkout', '-q', '-b', 'big', 'origin/big'));
    expect(line).toMatch(/^api: synced 1000 files and 1 folder in/);
    await dev.waitFor(/^api-worker: synced 1000 files and 1 folder in/);
    await sleep(2000);
    expect(dev.count(/^api: synced 1000 files/)).toBe(1);
    expect(dev.count(/^api: synced/)).toBe(4);
    expect(inContainer('api', 'sh', '-c', 'ls /app/app/big | wc -l')).toBe('1000');
  });

  it('rebuilds on a rebuild-on file: a new image and a new container, the sync lines go on into it', async () => {
    const before = { container: containerOf('api'), image: docker(['inspect', '--format', '{{.Image}}', containerOf('api')]) };
    const line = await nextLine(/^api: requirements.txt changed: rebuilt/, () => write('requirements.txt', 'django==5.1\n'));
    expect(line).toMatch(/^api: requirements.txt changed: rebuilt and restarted in [\d.]+ (ms|s)$/);
    expect(containerOf('api')).not.toBe(before.container);
    expect(docker(['inspect', '--format', '{{.Image}}', containerOf('api')])).not.toBe(before.image);
    expect(readLiveRecord(workspacePaths(workspace.root), 'api')).toMatchObject({ container: containerOf('api'), files: 0 });
    await nextLine(/^api: synced/, () => write('app/after-rebuild.txt', 'new container\n'));
    expect(inContainer('api', 'cat', '/app/app/after-rebuild.txt')).toBe('new container');
  });

  it('a sync that failed (the container was stopped) is said loudly, the watch goes on, and its files go with the next sync', async () => {
    const apiContainer = containerOf('api');
    docker(['stop', '-t', '1', apiContainer]);
    const failed = await nextLine(/^✖ api: /, () => write('app/while-stopped.txt', 'A\n'));
    expect(failed).toMatch(/^✖ api: no running container, so nothing was synced/);
    await dev.waitFor(/^ {2}api: 1 change not in the container: app\/while-stopped\.txt; it goes with the next sync$/);
    // The worker's container was running: it got the file at once.
    expect(inContainer('api-worker', 'cat', '/srv/app/while-stopped.txt')).toBe('A');
    docker(['start', apiContainer]);
    const line = await nextLine(/^api: synced/, () => write('app/after-start.txt', 'B\n'));
    expect(line).toMatch(/^api: synced 2 files in/);
    expect(inContainer('api', 'cat', '/app/app/while-stopped.txt')).toBe('A');
    expect(inContainer('api', 'cat', '/app/app/after-start.txt')).toBe('B');
  });

  it('hands the watch over when the watching dev process ends: the other one takes over and syncs for its own service', async () => {
    const paths = workspacePaths(workspace.root);
    const lockFile = cloneWatchLockPath(paths, 'api');
    const holder = (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid;
    const [ending, staying] = readLiveRecord(paths, 'api')?.watcher?.pid === holder ? ['api', 'api-worker'] : ['api-worker', 'api'];
    const watchingLines = dev.count(/watching cloned\/api for/);
    process.kill(holder, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (dev.count(/watching cloned\/api for/) === watchingLines) {
      if (Date.now() > deadline) throw new Error(`no take-over; output:\n${dev.output()}`);
      await sleep(50);
    }
    expect(readLiveRecord(paths, ending)?.watcher).toBeUndefined();
    expect(readLiveRecord(paths, staying)?.watcher?.pid).toBe((JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid);
    const to = staying === 'api' ? '/app/app' : '/srv/app';
    const before = dev.count(new RegExp(`^${ending}: synced`));
    // The new watch may carry more (what changed while the watch changed hands): the file is what counts.
    await nextLine(new RegExp(`^${staying}: synced \\d+ files?`), () => write('app/handed-over.txt', 'still synced\n'));
    expect(inContainer(staying, 'cat', `${to}/handed-over.txt`)).toBe('still synced');
    // The service whose dev process ended is no longer synced (its container stays as it is).
    await sleep(1000);
    expect(dev.count(new RegExp(`^${ending}: synced`))).toBe(before);
  });

  it('ends on Ctrl-C: the dev processes take themselves out of the records and release the lock; the containers keep running', async () => {
    const paths = workspacePaths(workspace.root);
    const code = await dev.interrupt();
    // 130 is Nx's own exit code for a run the user interrupted (128 + SIGINT), whatever its tasks return.
    expect(code).toBe(130);
    expect(containerOf('api')).not.toBe('');
    expect(containerOf('api-worker')).not.toBe('');
    for (const service of ['api', 'api-worker']) expect(readLiveRecord(paths, service)?.watcher).toBeUndefined();
    expect(existsSync(cloneWatchLockPath(paths, 'api'))).toBe(false);
    // Still marked live: the next `up` rebuilds so that image and clone agree again.
    expect(readLiveRecord(paths, 'api')?.files).toBeGreaterThan(0);
  });
});

describe('nx run <svc>:dev with DOCKER_HOST naming a second engine', () => {
  let second: SecondDockerd;
  let workspace: TempWorkspace;
  let remotes: string;
  let dev: Running;
  const engine = () => ({ ...process.env, DOCKER_HOST: second.host, DOCKER_CONTEXT: undefined });

  beforeAll(async () => {
    second = await startSecondDockerd();
    remotes = path.join(tmpdir(), `local-dev-live-remote-engine-${process.pid}`);
    mkdirSync(remotes, { recursive: true });
    const bare = makeBareRepo(remotes, 'solo', { 'index.txt': 'one\n' });
    workspace = createTempWorkspace({
      name: 'live-remote',
      config: `
network: ld-e2e-live-remote-${process.pid}
default-namespace: s1
redis: { mode: local, deployment: redis, port: ${await freePort()} }
services:
  solo:
    repo: file://${bare}
    branch: main
    live:
      sync: [{ from: ., to: /srv/solo }]
`,
      files: { 'repos_docker_files/solo.dev.Dockerfile': ['FROM busybox:1.36', 'COPY . /srv/solo', 'CMD ["sleep", "100000"]', ''].join('\n') },
    });
    await initWorkspace(workspace);
  });

  afterAll(async () => {
    if (dev) await dev.interrupt().catch(() => undefined);
    if (workspace) {
      await workspace.nx(['run', 'redis-tunnel:down'], { env: NX_ENV });
      removeByWorkspaceLabel(workspaceId(workspace.root), engine());
      workspace.remove();
    }
    await second?.stop();
    if (remotes) rmSync(remotes, { recursive: true, force: true });
  });

  it('syncs into the container on that engine (a tar through its API: no bind mount of the laptop)', async () => {
    dev = startNx(workspace, ['run', 'solo:dev'], engine());
    await dev.waitFor(/watching cloned\/solo for solo/);
    const id = docker(['ps', '-q', '--filter', `label=io.local-dev.service=solo`], engine());
    expect(id).not.toBe('');
    writeFileSync(path.join(workspace.root, 'cloned', 'solo', 'index.txt'), 'two\n');
    await dev.waitFor(/^solo: synced 1 file in \d+ ms; the app reloads itself$/);
    expect(docker(['exec', id, 'cat', '/srv/solo/index.txt'], engine())).toBe('two');
    // Nothing of it reached the default engine.
    expect(
      docker(['ps', '-q', '--filter', `label=io.local-dev.workspace=${workspaceId(workspace.root)}`], {
        ...process.env,
        DOCKER_HOST: 'unix:///var/run/docker.sock',
      }),
    ).toBe('');
    expect(await dev.interrupt()).toBe(130);
  });
});
