/**
 * The Redis tunnel never claims more than it checked: an old "healthy" (laptop slept, supervisor
 * stopped) is not trusted, every bound address must answer, a crashing supervisor takes its kubectl
 * with it. Real supervisor processes, real redis-server, and the kubectl STAND-IN (no Kubernetes
 * cluster can exist on these machines; see fixtures/kubectl-stand-in/kubectl).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { workspacePaths, type WorkspacePaths } from '../src/core/workspace';
import { ensureTunnel, type ControlOptions, type TunnelContext } from '../src/tunnel/control';
import { signal, waitUntil } from '../src/tunnel/launch';
import { readTunnelState } from '../src/tunnel/state';
import { formatTunnelStatus } from '../src/tunnel/status';
import { TEST_HOOK_CRASH_ENV } from '../src/tunnel/supervisor';
import { createHarness, freePort, isAlive, redisCli, waitForState, type Harness } from './fixtures/kubectl-stand-in/harness';

jest.setTimeout(30_000);

/** Two check cycles of these timings (2 × (300 + 500) ms) is how old a trusted PING may be. */
const FAST = { checkIntervalMs: 300, pingTimeoutMs: 500, readyTimeoutMs: 5000, backoff: { firstMs: 50, factor: 2, maxMs: 400, jitter: 0.2 } };
const hasDockerBridge = spawnSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'docker0'], { encoding: 'utf8' }).stdout?.includes(' inet ') ?? false;
const itWithBridge = hasDockerBridge ? it : it.skip;

let harness: Harness;
let paths: WorkspacePaths;
let forwardPort: number;
/** Supervisors a test froze with SIGSTOP: thawed in afterEach so cleanup can stop them. */
let frozen: number[];
const lines: string[] = [];

function options(extra: Partial<ControlOptions> = {}): ControlOptions & { reconnect: boolean } {
  return { report: (line) => lines.push(line), timeoutMs: 15_000, env: harness.env, timings: FAST, reconnect: false, ...extra };
}

function context(): TunnelContext {
  return { paths, model: { redis: { deployment: 'redis', port: forwardPort, required: true } }, namespace: 's1' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  harness = createHarness();
  const root = path.join(harness.dir, 'workspace');
  mkdirSync(root);
  paths = workspacePaths(root);
  harness.watchWorkspace(paths);
  forwardPort = await freePort();
  frozen = [];
  lines.length = 0;
});

afterEach(async () => {
  for (const pid of frozen) if (isAlive(pid)) signal(pid, 'SIGCONT');
  await harness.cleanup();
});

describe('redis tunnel tells the truth (kubectl stand-in, real redis-server)', () => {
  it('a stopped supervisor\'s old "healthy" reads as UNVERIFIED, and up replaces that supervisor instead of reusing it', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    const first = await ensureTunnel(context(), options());

    signal(first.pid, 'SIGSTOP');
    frozen.push(first.pid);
    await sleep(2000);

    const reading = readTunnelState(paths);
    expect(reading).toMatchObject({ condition: 'running', state: { status: 'unverified', pid: first.pid } });
    const status = formatTunnelStatus(reading, new Date());
    expect(status).toMatch(/^Redis tunnel: UNVERIFIED/);
    expect(status).toContain('not verified: the last good PING was');

    lines.length = 0;
    const next = await ensureTunnel(context(), options());

    expect(lines.join('\n')).not.toContain('reusing');
    expect(lines.join('\n')).toContain(`no fresh check from supervisor pid ${first.pid}; replacing it`);
    expect(next.pid).not.toBe(first.pid);
    expect(await waitUntil(() => !isAlive(first.pid) && !isAlive(first.kubectlPid), 5000)).toBe(true);
    expect(await redisCli(forwardPort, ['PING'])).toBe('PONG');
  });

  it('after a pause like a laptop sleep, up waits for a check made after it asked, then reuses the same supervisor', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    const first = await ensureTunnel(context(), options());
    signal(first.pid, 'SIGSTOP');
    frozen.push(first.pid);
    await sleep(2000);

    const askedAt = new Date().toISOString();
    setTimeout(() => signal(first.pid, 'SIGCONT'), 300);
    lines.length = 0;
    const again = await ensureTunnel(context(), options());

    expect(lines.join('\n')).toContain(`the supervisor (pid ${first.pid}) last checked the tunnel`);
    expect(again).toMatchObject({ pid: first.pid, status: 'healthy' });
    expect(again.lastCheckAt! >= askedAt).toBe(true);
  });

  itWithBridge('is degraded, not healthy, when the forward answers on loopback but not on the Docker bridge address', async () => {
    const redis = await harness.startRedis();
    const targets = { s1: `127.0.0.1:${redis.port}` };
    harness.control({ targets });
    const state = await ensureTunnel(context(), options());
    expect(state.addresses).toHaveLength(2);
    const bridge = state.addresses[1];

    harness.control({ targets, addressModes: { [bridge]: 'refuse' } });
    const degraded = await waitForState(paths, (current) => current.status === 'degraded', 10_000);

    expect(degraded.lastError?.message).toContain(`PING through the forward on ${bridge}:${forwardPort} failed`);
    harness.control({ targets });
    await waitForState(paths, (current) => current.status === 'healthy', 10_000);
  });

  it('a Redis that wants a password is healthy with auth: required, and status says so', async () => {
    const redis = await harness.startRedis(undefined, ['--requirepass', 'local-dev-test']);
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });

    const state = await ensureTunnel(context(), options());

    expect(state).toMatchObject({ status: 'healthy', lastReply: 'NOAUTH', auth: 'required' });
    expect(lines.join('\n')).toContain('Redis answered -NOAUTH (auth: required): reachable');
    expect(formatTunnelStatus(readTunnelState(paths), new Date())).toContain('auth: required');
  });

  it.each(['throw', 'reject'])('a supervisor that crashes (%s, test hook) ends kubectl and its child, and records "crashed" with the error', async (how) => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` }, spawnChild: true });
    const env = { ...harness.env, [TEST_HOOK_CRASH_ENV]: `${how}:2500` };
    const state = await ensureTunnel(context(), options({ env }));
    const childPid = harness.starts()[0].childPid;
    expect(isAlive(childPid)).toBe(true);

    for (const pid of [state.pid, state.kubectlPid, childPid]) expect(await waitUntil(() => !isAlive(pid), 10_000)).toBe(true);

    const reading = readTunnelState(paths);
    expect(reading).toMatchObject({
      condition: 'stale',
      state: {
        status: 'crashed',
        lastError: { kind: 'supervisor-crashed', message: `the tunnel supervisor crashed: test hook ${TEST_HOOK_CRASH_ENV}=${how}:2500` },
      },
    });
    expect(reading.condition !== 'absent' && reading.state.kubectlPid).toBeUndefined();
    expect(formatTunnelStatus(reading, new Date())).toMatch(/^Redis tunnel: CRASHED/);
  });
});
