/**
 * The README's demo command end to end, exactly as a newcomer types it in this repository:
 * `npm run demo` (cold), again (nothing rebuilt), after an edit in one sample clone (only that
 * service's image rebuilt), then `npm run demo -- --down` (nothing of it left running). Real git,
 * real Docker, a real local redis-server (redis.mode: local): no stand-in anywhere.
 *
 * It uses the repository's own examples/demo/ (gitignored run-time files only) and its fixed ports
 * (18080–18083, 6399, 5726): a demo you were running is stopped at the end.
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
  const response = await fetch(`http://localhost:${port}/`, { signal: AbortSignal.timeout(15_000) });
  return response.text();
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not true within the time limit');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const catalogItems = path.join(DEMO, 'cloned', 'demo-catalog', 'items.txt');

afterAll(async () => {
  // Whatever happened above: the sample clone back as the remote has it, and nothing left running.
  if (existsSync(catalogItems)) await exec('git', ['-C', path.dirname(catalogItems), 'checkout', '--', 'items.txt']);
  await npmRunDemo(['--down']);
});

describe('npm run demo (the README command)', () => {
  it('runs the sample stack; a second run rebuilds nothing; an edit rebuilds only its service; --down leaves nothing running', async () => {
    expect(S1_VALUE).toBeDefined();
    const first = await npmRunDemo();
    expect(first.code).toBe(0);
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
    expect(second.code).toBe(0);
    expect(await containers()).toEqual(running);

    appendFileSync(catalogItems, 'durian\n');
    const edited = await npmRunDemo();
    expect(edited.code).toBe(0);
    const after = await containers();
    for (const name of names.filter((other) => other !== 'demo-catalog')) expect(after[name]).toBe(running[name]);
    expect(after['demo-catalog'].split(' ')[1]).not.toBe(running['demo-catalog'].split(' ')[1]);
    expect(await page(port('demo-catalog'))).toContain('items: apple banana cherry durian');

    const before = readTunnelState(workspacePaths(DEMO));
    expect(before.condition === 'running' && before.state).toMatchObject({ mode: 'local', status: 'healthy', port: model.redis.port });
    const redisServerPid = before.condition === 'running' ? before.state.kubectlPid : undefined;
    expect(redisServerPid).toBeGreaterThan(0);

    const down = await npmRunDemo(['--down']);
    expect(down.code).toBe(0);
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
