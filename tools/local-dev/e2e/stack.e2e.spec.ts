/**
 * build-image, compose-file, up, down and logs against the real Docker engine, called as Nx calls
 * them (the executors with an ExecutorContext) on a temp workspace whose clones the test prepares
 * the way clone + inject-config leave them. Every `docker` process goes through a counting wrapper,
 * so "a no-op run starts zero builds" is proved by counting `docker build` invocations.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import buildImageExecutor from '../executors/build-image/build-image.impl';
import composeFileExecutor from '../executors/compose-file/compose-file.impl';
import downExecutor from '../executors/down/down.impl';
import logsExecutor from '../executors/logs/logs.impl';
import upExecutor from '../executors/up/up.impl';
import { loadConfig } from '../src/config/load';
import { checkHostPorts } from '../src/docker/ports';
import { workspaceId } from '../src/core/naming';
import {
  countingDocker,
  crashingDockerfile,
  docker,
  executorContext,
  freePort,
  get,
  git,
  httpDockerfile,
  injectDockerfile,
  makeClone,
  removeByWorkspaceLabel,
  secretDockerfile,
  shortLivedDockerfile,
  slowListenerDockerfile,
  TOKEN_NAME,
  workerDockerfile,
} from './fixtures/stack/stack';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(180_000);

const SLOW_LISTEN_SECONDS = 4;
const TOKEN = `ghp_e2e_${Math.random().toString(36).slice(2)}_secret`;

describe('build-image and up on a real Docker engine', () => {
  let workspace: TempWorkspace;
  let wsId: string;
  let ports: { alpha: number; beta: number; slow: number };
  let network: string;
  const wrapperDir = path.join(tmpdir(), `local-dev-docker-wrapper-${process.pid}`);
  const dockerLog = path.join(wrapperDir, 'invocations.log');
  const originalPath = process.env.PATH;
  let output: string;

  const context = (project: string, target: string, runTasks: string[] = []) => executorContext(workspace.root, project, target, runTasks);
  const builds = () =>
    readFileSync(dockerLog, 'utf8')
      .split('\n')
      .filter((line) => /^build /.test(line));
  const captured = async <T>(body: () => Promise<T>): Promise<T> => {
    output = '';
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output += chunk.toString();
        return true;
      }),
    );
    try {
      return await body();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  };
  const up = (service: string) => captured(() => upExecutor({ service }, context(service, 'up')));
  const build = (service: string) => captured(() => buildImageExecutor({ service }, context(service, 'build-image')));
  /** Shows the executor's output when it failed, instead of a bare `success: false`. */
  const expectSuccess = (result: { success: boolean }) => expect({ ...result, output: result.success ? '' : output }).toEqual({ success: true, output: '' });
  const containerOf = (service: string) =>
    docker(['ps', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${service}`]);

  beforeAll(async () => {
    ports = { alpha: await freePort(), beta: await freePort(), slow: await freePort() };
    network = `ld-e2e-${process.pid}`;
    workspace = createTempWorkspace({
      name: 'stack',
      config: `
network: ${network}
default-namespace: s1
services:
  alpha:
    repo: file:///nowhere/alpha.git
    ports: ["${ports.alpha}:8080"]
    debug-port: 5678
    build-secrets: [${TOKEN_NAME}]
    healthcheck: { http: /health, timeout: 30 }
    configs:
      - { source: alpha.env, dest: .env, required: false }
    workers:
      alpha-worker:
        healthcheck: { tcp: 9000, timeout: 30 }
  beta:
    repo: file:///nowhere/beta.git
    ports: ["${ports.beta}:8081"]
    debug-port: 5678
    depends-on: [alpha]
    healthcheck: { http: /health, timeout: 30 }
    workers:
      beta-misconfigured:
        dockerfile: beta.dev.Dockerfile
        healthcheck: { http: /missing, port: 8081, timeout: 2 }
  crashy:
    repo: file:///nowhere/crashy.git
    healthcheck: { tcp: 7000, timeout: 30 }
  slow:
    repo: file:///nowhere/slow.git
    ports: ["${ports.slow}:7100"]
    healthcheck: { tcp: 7100, timeout: 30 }
  brief:
    repo: file:///nowhere/brief.git
`,
      files: {
        'repos_docker_files/alpha.dev.Dockerfile': secretDockerfile(8080),
        'repos_docker_files/alpha-worker.dev.Dockerfile': workerDockerfile(9000),
        'repos_docker_files/beta.dev.Dockerfile': httpDockerfile(8081),
        'repos_docker_files/crashy.dev.Dockerfile': crashingDockerfile(),
        'repos_docker_files/slow.dev.Dockerfile': slowListenerDockerfile(7100, SLOW_LISTEN_SECONDS),
        'repos_docker_files/brief.dev.Dockerfile': shortLivedDockerfile(),
      },
    });
    wsId = workspaceId(workspace.root);
    makeClone(path.join(workspace.root, 'cloned/alpha'), { 'version.txt': 'alpha 1\n' });
    makeClone(path.join(workspace.root, 'cloned/beta'), { 'version.txt': 'beta 1\n' });
    makeClone(path.join(workspace.root, 'cloned/crashy'), { 'README.md': 'crashes\n' });
    makeClone(path.join(workspace.root, 'cloned/slow'), { 'README.md': 'slow\n' });
    makeClone(path.join(workspace.root, 'cloned/brief'), { 'README.md': 'brief\n' });
    for (const [dir, file] of [
      ['alpha', 'alpha.dev.Dockerfile'],
      ['alpha', 'alpha-worker.dev.Dockerfile'],
      ['beta', 'beta.dev.Dockerfile'],
      ['crashy', 'crashy.dev.Dockerfile'],
      ['slow', 'slow.dev.Dockerfile'],
      ['brief', 'brief.dev.Dockerfile'],
    ]) {
      injectDockerfile(workspace.root, dir, file);
    }
    countingDocker(wrapperDir, dockerLog);
    process.env.PATH = `${wrapperDir}${path.delimiter}${originalPath}`;
    process.env[TOKEN_NAME] = TOKEN;
    await expect(captured(() => composeFileExecutor({}, context('docker-compose', 'generate')))).resolves.toEqual({ success: true });
  });

  afterAll(() => {
    process.env.PATH = originalPath;
    delete process.env[TOKEN_NAME];
    if (workspace) {
      removeByWorkspaceLabel(wsId);
      workspace.remove();
    }
    rmSync(wrapperDir, { recursive: true, force: true });
  });

  it('brings the stack up: containers run, ports answer, services reach each other by name', async () => {
    for (const service of ['alpha', 'alpha-worker', 'beta']) {
      expectSuccess(await up(service));
      expect(output).toContain(`${service}: healthy`);
    }
    expect(builds()).toHaveLength(3);
    expect(await get(`http://127.0.0.1:${ports.alpha}/health`)).toBe('ok\n');
    expect(await get(`http://127.0.0.1:${ports.beta}/version.txt`)).toBe('beta 1\n');
    expect(docker(['exec', containerOf('beta'), 'wget', '-qO-', 'http://alpha:8080/health'])).toBe('ok');
    expect(docker(['exec', containerOf('alpha'), 'sh', '-c', 'echo | nc alpha-worker 9000'])).toBe('worker');
    // The secret reached the build (its length was recorded) …
    expect(docker(['exec', containerOf('alpha'), 'cat', '/token-length'])).toBe(String(TOKEN.length));
  });

  it('gives each debugger its own host port, with DEBUG_PORT and the Redis address in the environment', () => {
    const debugPorts = ['alpha', 'beta'].map((service) =>
      docker(['port', containerOf(service), '5678/tcp'])
        .split('\n')[0]
        .split(':')
        .pop(),
    );
    expect(new Set(debugPorts).size).toBe(2);
    const environment = docker(['exec', containerOf('alpha'), 'env']);
    expect(environment).toMatch(/^DEBUG_PORT=5678$/m);
    expect(environment).toMatch(/^REDIS_HOST=host\.docker\.internal$/m);
    expect(docker(['exec', containerOf('alpha'), 'grep', 'host.docker.internal', '/etc/hosts'])).toMatch(/host\.docker\.internal/);
  });

  it('keeps the build token out of the image, its history, the compose file and the output', () => {
    const image = docker(['inspect', '--format', '{{.Config.Image}}', containerOf('alpha')]);
    expect(image).toMatch(/^local-dev\/alpha:[0-9a-f]{12}$/);
    const saved = path.join(workspace.root, 'alpha.tar');
    docker(['save', '--output', saved, image]);
    expect(readFileSync(saved).includes(TOKEN)).toBe(false);
    expect(readFileSync(saved).includes(`${TOKEN_NAME}=`)).toBe(false);
    expect(docker(['history', '--no-trunc', image])).not.toContain(TOKEN);
    expect(readFileSync(path.join(workspace.root, 'docker-compose.yml'), 'utf8')).not.toContain(TOKEN);
    expect(readFileSync(dockerLog, 'utf8')).not.toContain(TOKEN);
  });

  it('a no-op re-run starts no build and leaves the containers alone', async () => {
    const before = builds().length;
    const logLength = readFileSync(dockerLog, 'utf8').length;
    const alphaContainer = containerOf('alpha');
    for (const service of ['alpha', 'alpha-worker', 'beta']) {
      expectSuccess(await build(service));
      expectSuccess(await up(service));
      expect(output).toContain(`${service}: already running`);
    }
    expect(builds()).toHaveLength(before);
    // Only cheap queries ran (most over the engine's socket, so not even a docker process): no
    // build, no run or start, no compose, no network change.
    const commands = readFileSync(dockerLog, 'utf8')
      .slice(logLength)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[0]);
    expect(commands.filter((command) => !['image', 'inspect', 'ps'].includes(command))).toEqual([]);
    expect(containerOf('alpha')).toBe(alphaContainer);
  });

  it('a change in one repo rebuilds only the services built from it', async () => {
    writeFileSync(path.join(workspace.root, 'cloned/beta/version.txt'), 'beta 2\n');
    const before = builds().length;
    for (const service of ['alpha', 'alpha-worker', 'beta']) expectSuccess(await build(service));
    expect(
      builds()
        .slice(before)
        .map((line) => /--tag local-dev\/([^:]+):/.exec(line)?.[1]),
    ).toEqual(['beta']);
    writeFileSync(path.join(workspace.root, 'cloned/alpha/notes.txt'), 'change alpha\n');
    git(path.join(workspace.root, 'cloned/alpha'), 'add', 'notes.txt');
    git(path.join(workspace.root, 'cloned/alpha'), 'commit', '-q', '-m', 'change alpha');
    const afterBeta = builds().length;
    for (const service of ['alpha', 'alpha-worker', 'beta']) expectSuccess(await build(service));
    expect(
      builds()
        .slice(afterBeta)
        .map((line) => /--tag local-dev\/([^:]+):/.exec(line)?.[1]),
    ).toEqual(['alpha', 'alpha-worker']);
    expectSuccess(await up('beta'));
    expect(await get(`http://127.0.0.1:${ports.beta}/version.txt`)).toBe('beta 2\n');
  });

  it('rebuilds a deleted image on the next up', async () => {
    const image = docker(['inspect', '--format', '{{.Config.Image}}', containerOf('beta')]);
    await expect(captured(() => downExecutor({ service: 'beta' }, context('beta', 'down')))).resolves.toEqual({ success: true });
    expect(containerOf('beta')).toBe('');
    docker(['rmi', image]);
    const before = builds().length;
    expectSuccess(await up('beta'));
    expect(builds().length).toBe(before + 1);
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', image])).toMatch(/^sha256:/);
  });

  it('fails before any build of the run when a required token is missing, naming the services that need it', async () => {
    delete process.env[TOKEN_NAME];
    try {
      writeFileSync(path.join(workspace.root, 'cloned/alpha/new-file.txt'), 'forces a rebuild\n');
      writeFileSync(path.join(workspace.root, 'cloned/beta/new-file.txt'), 'forces a rebuild\n');
      const before = builds().length;
      // alpha and beta build in the same run; beta's task (which needs no token) must not build either.
      const runTasks = ['alpha:build-image', 'beta:build-image', 'beta:up'];
      for (const service of ['beta', 'alpha']) {
        await expect(captured(() => buildImageExecutor({ service }, context(service, 'build-image', runTasks)))).resolves.toEqual({ success: false });
        expect(output).toContain(`${TOKEN_NAME} (needed by alpha) — nothing was built`);
        expect(output).toContain('.env.local');
      }
      expect(builds().length).toBe(before);
      // …and .env.local at the workspace root is read when the environment has no token.
      writeFileSync(path.join(workspace.root, '.env.local'), `${TOKEN_NAME}=${TOKEN}\n`);
      expectSuccess(await build('alpha'));
      expect(output).not.toContain(TOKEN);
    } finally {
      process.env[TOKEN_NAME] = TOKEN;
    }
  });

  it('refuses to start on a host port someone else holds, naming the port and the process', async () => {
    await captured(() => downExecutor({ service: 'beta' }, context('beta', 'down')));
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.beta, '0.0.0.0', resolve));
    try {
      await expect(up('beta')).resolves.toEqual({ success: false });
      expect(output).toContain(`host port ${ports.beta}`);
      expect(output).toContain(`pid ${process.pid}`);
      expect(containerOf('beta')).toBe('');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('skips only the host ports its own running container publishes: a newly configured port is still checked', async () => {
    expectSuccess(await up('beta'));
    const squatter = net.createServer();
    const added = await freePort();
    await new Promise<void>((resolve) => squatter.listen(added, '0.0.0.0', resolve));
    try {
      const beta = loadConfig(workspace.root).services.find((service) => service.name === 'beta')!;
      const withNewPort = { ...beta, ports: [...beta.ports, { host: added, container: 9999, protocol: 'tcp' as const }] };
      const failure = checkHostPorts(withNewPort, containerOf('beta'), wsId);
      await expect(failure).rejects.toThrow(`host port ${added} ("127.0.0.1:${added}:9999") is taken by pid ${process.pid}`);
      await expect(failure).rejects.not.toThrow(`host port ${ports.beta} `);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("refuses to start from a docker-compose.yml another namespace's run rewrote", async () => {
    await captured(() => downExecutor({ service: 'beta' }, context('beta', 'down')));
    expectSuccess(await captured(() => composeFileExecutor({ namespace: 's2' }, context('docker-compose', 'generate'))));
    try {
      await expect(up('beta')).resolves.toEqual({ success: false });
      expect(output).toContain('another run for namespace s2 rewrote docker-compose.yml (this run is for namespace s1); run one namespace at a time');
      expect(containerOf('beta')).toBe('');
    } finally {
      expectSuccess(await captured(() => composeFileExecutor({}, context('docker-compose', 'generate'))));
    }
  });

  it('waits for a docker-compose.yml that an overlapping run is restoring (Nx deletes it, then copies it back)', async () => {
    // Another run's docker-compose:generate that is an Nx cache hit restores the file by deleting
    // and copying it: an `up` reading it in between must wait for it, not fail.
    await captured(() => downExecutor({ service: 'beta' }, context('beta', 'down')));
    const file = path.join(workspace.root, 'docker-compose.yml');
    const text = readFileSync(file, 'utf8');
    rmSync(file);
    const starting = up('beta');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    writeFileSync(file, text);
    expectSuccess(await starting);
    expect(containerOf('beta')).not.toBe('');
  });

  it('a TCP check on a published port waits for the app, not for docker-proxy', async () => {
    const started = Date.now();
    expectSuccess(await up('slow'));
    // docker-proxy accepted on the published port from the first moment; the app only after 4 s.
    expect(docker(['logs', containerOf('slow')])).toContain('listening now');
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_LISTEN_SECONDS * 1000);
    expect(output).toContain('slow: healthy (port 7100 accepts)');
  });

  it('without a healthcheck, up returns once the engine runs the container, as docker-compose up -d does: no fixed wait', async () => {
    // brief runs for 1 s, then exits: a fixed grace of a few seconds would have seen it exit.
    expectSuccess(await up('brief'));
    expect(output).toContain('brief: healthy (running; no healthcheck to wait for)');
  });

  it('fails fast when the container exits, printing its last log lines', async () => {
    const started = Date.now();
    await expect(up('crashy')).resolves.toEqual({ success: false });
    expect(output).toContain('crashy stopped while starting');
    expect(output).toContain('boom: missing DATABASE_URL');
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it('fails after the healthcheck timeout, saying what the check saw and printing the last log lines', async () => {
    await expect(up('beta-misconfigured')).resolves.toEqual({ success: false });
    expect(output).toContain('beta-misconfigured was not healthy after 2 s (GET /missing answered 404)');
    // busybox httpd -v logs each answer ("[::ffff:172.x.y.z]:port: response:404"): the container's log lines.
    expect(output).toMatch(/\]:\d+: response:404/);
  });

  it("prints a service's logs", async () => {
    // Earlier tests leave beta running; without a container there is nothing to show.
    await captured(() => downExecutor({ service: 'beta' }, context('beta', 'down')));
    await expect(captured(() => logsExecutor({ service: 'beta', tail: 50 }, context('beta', 'logs')))).resolves.toEqual({ success: false });
    expect(output).toContain('beta has no container');
    await expect(captured(() => logsExecutor({ service: 'crashy', tail: 5 }, context('crashy', 'logs')))).resolves.toEqual({ success: true });
    expect(output).toContain('boom: missing DATABASE_URL');
  });
});
