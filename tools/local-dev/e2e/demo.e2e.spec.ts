/**
 * The README's demo command end to end, exactly as a newcomer types it in this repository:
 * `npm run demo` (cold), again (nothing rebuilt), after an edit in one sample clone (only that
 * service's image rebuilt), then `npm run demo -- --down` (nothing of it left running). Real git,
 * real Docker, a real local redis-server (redis.mode: local): no stand-in anywhere.
 *
 * It uses the repository's own examples/demo/ (gitignored run-time files only) and the demo's fixed
 * ports (18080–18083, 6399, and 5726, the first debugger port, which stack.e2e's services take too),
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
import { REPO_ROOT } from './support/temp-workspace';

jest.setTimeout(15 * 60_000);

const DEMO = path.join(REPO_ROOT, 'examples', 'demo');
const model = loadConfig(DEMO);
const names = model.services.map((service) => service.name);
const withPages = model.services.filter((service) => service.ports.length > 0);
/** What configs/s1/demo.env (made from its template by the demo) says, as each page must show it. */
const S1_VALUE = /DEMO_NAMESPACE_VALUE=(.*)/.exec(readFileSync(path.join(DEMO, 'configs', 's1', 'demo.env.example'), 'utf8'))?.[1];

interface Run {
  code: number | null;
  output: string;
}

/** `npm run demo -- <args>` in the repository root, as the README says; never throws. */
function npmRunDemo(args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'demo', ...(args.length > 0 ? ['--', ...args] : [])], { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Fails with the end of what the command printed, so a CI log says why. */
function expectSuccess(run: Run, what: string): void {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}; its output ends with:\n${run.output.split('\n').slice(-60).join('\n')}`);
}

/** service → "<container id> <image>" of its running container, for every demo service. */
async function containers(): Promise<Record<string, string>> {
  const listed: Record<string, string> = {};
  for (const name of names) {
    const { stdout } = await exec('docker', ['ps', '-a', '--filter', `label=io.local-dev.service=${name}`, '--filter', 'status=running', '--format', '{{.ID}} {{.Image}}']);
    listed[name] = stdout.trim();
  }
  return listed;
}

async function page(port: number): Promise<string> {
  try {
    const response = await fetch(`http://localhost:${port}/`, { signal: AbortSignal.timeout(15_000) });
    return await response.text();
  } catch (error) {
    throw new Error(`GET http://localhost:${port}/ failed: ${(error as Error).message}`, { cause: error });
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not true within the time limit');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const catalogItems = path.join(DEMO, 'cloned', 'demo-catalog', 'items.txt');
const DEMO_E2E_ENV = 'LOCAL_DEV_E2E_DEMO';
const asked = process.env[DEMO_E2E_ENV] === '1';

afterAll(async () => {
  if (!asked) return;
  // Whatever happened above: the sample clone back as the remote has it, and nothing left running.
  if (existsSync(catalogItems)) await exec('git', ['-C', path.dirname(catalogItems), 'checkout', '--', 'items.txt']);
  await npmRunDemo(['--down']);
});

(asked ? describe : describe.skip)(`npm run demo (the README command; runs with ${DEMO_E2E_ENV}=1, as .ci/run does)`, () => {
  it('runs the sample stack; a second run rebuilds nothing; an edit rebuilds only its service; --down leaves nothing running', async () => {
    expect(S1_VALUE).toBeDefined();
    const first = await npmRunDemo();
    expectSuccess(first, 'npm run demo');
    for (const service of withPages) expect(first.output).toContain(`http://localhost:${service.ports[0].host}/`);
    expect(first.output).toContain('Try next:');

    // Every page: its namespace's injected value and a Redis that answers, from inside its container.
    for (const service of withPages) {
      const text = await page(service.ports[0].host);
      expect(text).toContain(`service: ${service.name}`);
      expect(text).toContain(`namespace value: ${S1_VALUE}`);
      expect(text).toContain(`redis: PONG at host.docker.internal:${model.redis.port}`);
    }
    const port = (name: string) => withPages.find((service) => service.name === name)?.ports[0].host ?? 0;
    expect(await page(port('demo-api'))).toContain('demo-catalog says: apple banana cherry');
    expect(await page(port('demo-web'))).toMatch(/registry token: passed to the build as a BuildKit secret \(32 bytes\)/);
    expect(await page(port('demo-web'))).toMatch(/demo-api says: visits: \d+/);
    // Both workers run from demo-orders' repo and count in the same Redis.
    await eventually(async () => /processed by demo-orders-worker: [1-9]/.test(await page(port('demo-orders'))) && /sent by demo-orders-mailer: [1-9]/.test(await page(port('demo-orders'))));

    const running = await containers();
    for (const name of names) expect(running[name]).toMatch(/^[0-9a-f]{12} local-dev\//);

    const second = await npmRunDemo();
    expectSuccess(second, 'npm run demo (again)');
    expect(await containers()).toEqual(running);

    appendFileSync(catalogItems, 'durian\n');
    const edited = await npmRunDemo();
    expectSuccess(edited, 'npm run demo (after the edit)');
    const after = await containers();
    for (const name of names.filter((other) => other !== 'demo-catalog')) expect(after[name]).toBe(running[name]);
    expect(after['demo-catalog'].split(' ')[1]).not.toBe(running['demo-catalog'].split(' ')[1]);
    expect(await page(port('demo-catalog'))).toContain('items: apple banana cherry durian');

    const before = readTunnelState(workspacePaths(DEMO));
    expect(before.condition === 'running' && before.state).toMatchObject({ mode: 'local', status: 'healthy', port: model.redis.port });
    const redisServerPid = before.condition === 'running' ? before.state.kubectlPid : undefined;
    expect(redisServerPid).toBeGreaterThan(0);

    const down = await npmRunDemo(['--down']);
    expectSuccess(down, 'npm run demo -- --down');
    for (const name of names) {
      const { stdout } = await exec('docker', ['ps', '-a', '--filter', `label=io.local-dev.service=${name}`, '--format', '{{.Names}}']);
      expect(stdout.trim()).toBe('');
    }
    const redis = readTunnelState(workspacePaths(DEMO));
    expect(redis.condition).toBe('stopped');
    if (redis.condition === 'stopped') {
      expect(isProcessAlive(redis.state.pid)).toBe(false);
    }
    expect(isProcessAlive(redisServerPid as number)).toBe(false);
    expect((await pingRedis('127.0.0.1', model.redis.port, 500)).ok).toBe(false);
    const networks = await exec('docker', ['network', 'ls', '--filter', `name=^${model.network}$`, '--format', '{{.Name}}']);
    expect(networks.stdout.trim()).toBe('');
  });
});
