/**
 * The README's demo command end to end, exactly as a newcomer types it in this repository, on the
 * sample stack's real runtimes (Django under debugpy, Go under delve, Node under its inspector):
 * `npm run demo`, every page, a debugger attached to each runtime through the port local-dev
 * published with the launch configuration it injected (a breakpoint in a request handler stops the
 * request, a local variable is read, the request completes), a second run (nothing recreated), a
 * restart and a rebuild (the debugger ports unchanged), then `npm run demo -- --down` (nothing of it
 * left running). Real git, real Docker, a real local redis-server: no stand-in anywhere.
 *
 * It uses the repository's own examples/demo/ (gitignored run-time files only) and the demo's fixed
 * ports (18080–18083, 6399, and the debugger ports from 5726, which other suites' services take too),
 * and it stops a demo you were running. So it runs only when asked, alone: `.ci/run` runs it after
 * `npm test` with LOCAL_DEV_E2E_DEMO=1; by hand:
 *
 *   LOCAL_DEV_E2E_DEMO=1 npx jest --runInBand tools/local-dev/e2e/demo.e2e.spec.ts
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../src/config/load';
import { exec } from '../src/core/exec';
import { isProcessAlive } from '../src/core/proc';
import { workspacePaths } from '../src/core/workspace';
import { pingRedis } from '../src/tunnel/redis-ping';
import { readTunnelState } from '../src/tunnel/state';
import { debugpyRound, delveRound, inspectorRound, launchConfiguration, lineOf, type DebugRound } from './support/demo-debuggers';
import { REPO_ROOT } from './support/temp-workspace';

jest.setTimeout(25 * 60_000);

const DEMO = path.join(REPO_ROOT, 'examples', 'demo');
const model = loadConfig(DEMO);
const names = model.services.map((service) => service.name);
const withPages = model.services.filter((service) => service.ports.length > 0);
const debuggable = model.services.filter((service) => service.debug);
const clone = (name: string) => path.join(DEMO, 'cloned', model.services.find((service) => service.name === name)?.dir ?? name);
const port = (name: string) => withPages.find((service) => service.name === name)?.ports[0].host ?? 0;
/** What configs/s1/demo.env (made from its template by the demo) says, as each page must show it. */
const S1_VALUE = /DEMO_NAMESPACE_VALUE=(.*)/.exec(readFileSync(path.join(DEMO, 'configs', 's1', 'demo.env.example'), 'utf8'))?.[1];

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** `npm run demo -- <args>` in the repository root, as the README says; never throws. */
const npmRunDemo = (args: string[] = []) => run('npm', ['run', 'demo', ...(args.length > 0 ? ['--', ...args] : [])], REPO_ROOT);
/** Any nx command in the demo workspace, as docs/demo.md shows them. */
const nxInDemo = (args: string[]) => run(path.join(DEMO, 'node_modules', '.bin', 'nx'), args, DEMO, { NX_DAEMON: 'false', NX_TUI: 'false' });

/** Fails with the end of what the command printed, so a CI log says why. */
function expectSuccess(result: Run, what: string): void {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}; its output ends with:\n${result.output.split('\n').slice(-80).join('\n')}`);
}

/** service → "<container id> <image>" of its running container, for every demo service. */
async function containers(): Promise<Record<string, string>> {
  const listed: Record<string, string> = {};
  for (const name of names) {
    const { stdout } = await exec('docker', [
      'ps',
      '-a',
      '--filter',
      `label=io.local-dev.service=${name}`,
      '--filter',
      'status=running',
      '--format',
      '{{.ID}} {{.Image}}',
    ]);
    listed[name] = stdout.trim();
  }
  return listed;
}

/** service → "<host address>:<host port>" its debugger's container port is published on, read from the engine. */
async function publishedDebugPorts(): Promise<Record<string, string>> {
  const running = await containers();
  const published: Record<string, string> = {};
  for (const service of debuggable) {
    const { stdout } = await exec('docker', ['inspect', '--format', '{{json .NetworkSettings.Ports}}', running[service.name].split(' ')[0]]);
    const bindings = (JSON.parse(stdout) as Record<string, { HostIp: string; HostPort: string }[] | null>)[`${service.debug?.containerPort}/tcp`] ?? [];
    published[service.name] = bindings.map((binding) => `${binding.HostIp}:${binding.HostPort}`).join(' ');
  }
  return published;
}

async function page(name: string): Promise<string> {
  try {
    const response = await fetch(`http://localhost:${port(name)}/`, { signal: AbortSignal.timeout(30_000) });
    return await response.text();
  } catch (error) {
    throw new Error(`GET http://localhost:${port(name)}/ (${name}) failed: ${(error as Error).message}`, { cause: error });
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not true within the time limit');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The Django handler's breakpoint: after its locals are set, before the page is made. */
async function djangoRound(name: string, views: string): Promise<DebugRound> {
  const file = path.join(clone(name), views);
  return debugpyRound(launchConfiguration(clone(name)), clone(name), { file, line: lineOf(file, 'lines = [') }, `http://localhost:${port(name)}/`);
}

async function goRound(): Promise<DebugRound> {
  const file = path.join(clone('demo-orders'), 'cmd', 'orders-api', 'main.go');
  return delveRound(
    launchConfiguration(clone('demo-orders')),
    clone('demo-orders'),
    { file, line: lineOf(file, 'w.Header().Set("Content-Type"') },
    `http://localhost:${port('demo-orders')}/`,
  );
}

const catalogItems = path.join(clone('demo-catalog'), 'items.txt');
const DEMO_E2E_ENV = 'LOCAL_DEV_E2E_DEMO';
const asked = process.env[DEMO_E2E_ENV] === '1';

afterAll(async () => {
  if (!asked) return;
  // Whatever happened above: the sample clone back as the remote has it, and nothing left running.
  if (existsSync(catalogItems)) await exec('git', ['-C', path.dirname(catalogItems), 'checkout', '--', 'items.txt']);
  await npmRunDemo(['--down']);
});

(asked ? describe : describe.skip)(`npm run demo on the real runtimes (the README command; runs with ${DEMO_E2E_ENV}=1, as .ci/run does)`, () => {
  let running: Record<string, string>;
  let debugPorts: Record<string, string>;

  it('runs the sample stack: every page shows its injected value and Redis; one API calls the other by name; the workers consume orders from Redis', async () => {
    expect(S1_VALUE).toBeDefined();
    const first = await npmRunDemo();
    expectSuccess(first, 'npm run demo');
    for (const service of withPages) expect(first.output).toContain(`http://localhost:${service.ports[0].host}/`);
    for (const service of debuggable) expect(first.output).toContain(`debugger: 127.0.0.1:${service.debug?.hostPort}`);
    expect(first.output).toContain('Try next:');

    for (const service of withPages) {
      const text = await page(service.name);
      expect(text).toContain(`service: ${service.name}`);
      expect(text).toContain(`namespace value: ${S1_VALUE}`);
      expect(text).toContain(`redis: PONG at host.docker.internal:${model.redis.port}`);
    }
    expect(await page('demo-api')).toContain('demo-catalog says: apple banana cherry');
    expect(await page('demo-web')).toContain('registry token: passed to the build as a BuildKit secret (32 bytes); not in the image');
    expect(await page('demo-web')).toMatch(/demo-api says: visits: \d+/);
    const ordered = await fetch(`http://localhost:${port('demo-orders')}/orders`, { method: 'POST' });
    expect(ordered.status).toBe(202);
    await eventually(
      async () =>
        /processed by demo-orders-worker: [1-9]/.test(await page('demo-orders')) && /sent by demo-orders-mailer: [1-9]/.test(await page('demo-orders')),
    );

    running = await containers();
    for (const name of names) expect(running[name]).toMatch(/^[0-9a-f]{12} local-dev\//);
  });

  it('publishes each debugger on its own 127.0.0.1 port, the one its injected launch.json names', async () => {
    debugPorts = await publishedDebugPorts();
    expect(debugPorts).toEqual(Object.fromEntries(debuggable.map((service) => [service.name, `127.0.0.1:${service.debug?.hostPort}`])));
    // demo-api and demo-catalog both listen on container port 5678: never one host port for two.
    expect(new Set(Object.values(debugPorts)).size).toBe(debuggable.length);
    expect(launchConfiguration(clone('demo-api'))).toMatchObject({
      type: 'debugpy',
      request: 'attach',
      connect: { host: '127.0.0.1', port: 5726 },
      pathMappings: [{ localRoot: '${workspaceFolder}', remoteRoot: '/app' }],
    });
    expect(launchConfiguration(clone('demo-catalog'))).toMatchObject({ type: 'debugpy', connect: { port: 5727 } });
    expect(launchConfiguration(clone('demo-orders'))).toMatchObject({
      type: 'go',
      request: 'attach',
      mode: 'remote',
      host: '127.0.0.1',
      port: 5728,
      substitutePath: [{ from: '${workspaceFolder}', to: '/app' }],
    });
    expect(launchConfiguration(clone('demo-web'))).toMatchObject({
      type: 'node',
      request: 'attach',
      address: '127.0.0.1',
      port: 5729,
      localRoot: '${workspaceFolder}',
      remoteRoot: '/app',
    });
    const launchPort = (name: string) => {
      const configuration = launchConfiguration(clone(name));
      return (configuration.connect as { port?: number } | undefined)?.port ?? configuration.port;
    };
    for (const service of debuggable) expect(`127.0.0.1:${launchPort(service.name)}`).toBe(debugPorts[service.name]);
  });

  it('debugpy (Django, autoreload on): a breakpoint in the view stops the request at that line with its locals; it completes after continue', async () => {
    const views = path.join(clone('demo-api'), 'demo_api', 'views.py');
    const round = await djangoRound('demo-api', path.join('demo_api', 'views.py'));
    // Reported at the local path: the injected pathMappings map /app back to the clone.
    expect(round.stop).toMatchObject({ file: views, line: lineOf(views, 'lines = [') });
    expect(round.stop.locals.namespace_value).toBe(`'${S1_VALUE}'`);
    expect(round.stop.locals.visits).toMatch(/^\d+$/);
    expect(round.response.status).toBe(200);
    expect(round.response.body).toContain(`visits: ${round.stop.locals.visits}`);
  });

  it('delve (Go, headless DAP): a breakpoint in the handler stops the request at that line with its locals; it completes after continue', async () => {
    const round = await goRound();
    const main = path.join(clone('demo-orders'), 'cmd', 'orders-api', 'main.go');
    expect(round.stop).toMatchObject({ file: main, line: lineOf(main, 'w.Header().Set("Content-Type"') });
    expect(round.stop.locals.pong).toBe('"PONG"');
    expect(round.stop.locals.processed).toMatch(/^[1-9]\d*$/);
    expect(round.response.status).toBe(200);
    expect(round.response.body).toContain(`orders processed by demo-orders-worker: ${round.stop.locals.processed}`);
  });

  it('the Node inspector (CDP): a breakpoint in the request handler stops it at that line with its locals; it completes after resume', async () => {
    const server = path.join(clone('demo-web'), 'server.js');
    const round = await inspectorRound(
      launchConfiguration(clone('demo-web')),
      clone('demo-web'),
      { file: server, line: lineOf(server, 'const lines = [') },
      `http://localhost:${port('demo-web')}/`,
    );
    expect(round.stop.line).toBe(lineOf(server, 'const lines = ['));
    expect(round.stop.locals.namespaceValue).toBe(S1_VALUE);
    expect(round.stop.locals.pong).toBe('PONG');
    expect(round.response.status).toBe(200);
    expect(round.response.body).toContain(`namespace value: ${S1_VALUE}`);
  });

  it('a second run recreates nothing; a restart and a rebuild keep every debugger on its port, and the debugger still attaches', async () => {
    expectSuccess(await npmRunDemo(), 'npm run demo (again)');
    expect(await containers()).toEqual(running);

    expectSuccess(await nxInDemo(['run', 'stack:restart']), 'nx run stack:restart');
    await eventually(async () => (await page('demo-orders')).includes('service: demo-orders'), 120_000);
    expect(await publishedDebugPorts()).toEqual(debugPorts);
    expect((await goRound()).response.status).toBe(200);

    appendFileSync(catalogItems, 'durian\n');
    expectSuccess(await npmRunDemo(), 'npm run demo (after the edit)');
    const after = await containers();
    for (const name of names.filter((other) => other !== 'demo-catalog')) expect(after[name]).toBe(running[name]);
    expect(after['demo-catalog'].split(' ')[1]).not.toBe(running['demo-catalog'].split(' ')[1]);
    expect(await page('demo-catalog')).toContain('items: apple banana cherry durian');
    expect(await publishedDebugPorts()).toEqual(debugPorts);
    const round = await djangoRound('demo-catalog', path.join('demo_catalog', 'views.py'));
    expect(round.stop.locals.names).toBe("['apple', 'banana', 'cherry', 'durian']");
    expect(round.response.body).toContain('items: apple banana cherry durian');
  });

  it('npm run demo -- --down leaves no container, supervisor, redis-server or network', async () => {
    const before = readTunnelState(workspacePaths(DEMO));
    expect(before.condition === 'running' && before.state).toMatchObject({ mode: 'local', status: 'healthy', port: model.redis.port });
    const redisServerPid = before.condition === 'running' ? before.state.kubectlPid : undefined;
    expect(redisServerPid).toBeGreaterThan(0);

    expectSuccess(await npmRunDemo(['--down']), 'npm run demo -- --down');
    for (const name of names) {
      const { stdout } = await exec('docker', ['ps', '-a', '--filter', `label=io.local-dev.service=${name}`, '--format', '{{.Names}}']);
      expect(stdout.trim()).toBe('');
    }
    const redis = readTunnelState(workspacePaths(DEMO));
    expect(redis.condition).toBe('stopped');
    if (redis.condition === 'stopped') expect(isProcessAlive(redis.state.pid)).toBe(false);
    expect(isProcessAlive(redisServerPid as number)).toBe(false);
    expect((await pingRedis('127.0.0.1', model.redis.port, 500)).ok).toBe(false);
    const networks = await exec('docker', ['network', 'ls', '--filter', `name=^${model.network}$`, '--format', '{{.Name}}']);
    expect(networks.stdout.trim()).toBe('');
  });
});
