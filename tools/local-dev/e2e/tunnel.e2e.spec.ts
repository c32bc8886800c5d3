/**
 * The Redis tunnel end to end, through the control functions the executors call: a real
 * supervisor process, real redis-server processes, and a STAND-IN for kubectl (no Kubernetes
 * cluster can exist on these machines; see fixtures/kubectl-stand-in/kubectl) that really forwards
 * TCP. Short supervisor timings keep the suite fast; every wait has a generous timeout and no test
 * asserts on speed (bench/tunnel-recovery.ts measures that).
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { TunnelError } from '../src/core/errors';
import { workspacePaths, type WorkspacePaths } from '../src/core/workspace';
import { ensureTunnel, stopTunnel, type ControlOptions, type TunnelContext } from '../src/tunnel/control';
import { signal, waitUntil } from '../src/tunnel/launch';
import { pingRedis } from '../src/tunnel/redis-ping';
import { readTunnelState } from '../src/tunnel/state';
import { createHarness, freePort, isAlive, redisCli, waitForState, type Harness } from './fixtures/kubectl-stand-in/harness';

jest.setTimeout(30_000);

const FAST = { checkIntervalMs: 300, pingTimeoutMs: 500, readyTimeoutMs: 5000, backoff: { firstMs: 50, factor: 2, maxMs: 400, jitter: 0.2 } };

let harness: Harness;
let paths: WorkspacePaths;
let forwardPort: number;
const lines: string[] = [];

function options(extra: Partial<ControlOptions> = {}): ControlOptions & { reconnect: boolean } {
  return { report: (line) => lines.push(line), timeoutMs: 15_000, env: harness.env, timings: FAST, reconnect: false, ...extra };
}

function context(namespace: string): TunnelContext {
  return { paths, model: { redis: { deployment: 'redis', port: forwardPort } }, namespace };
}

beforeEach(async () => {
  harness = createHarness();
  const root = path.join(harness.dir, 'workspace');
  mkdirSync(root);
  paths = workspacePaths(root);
  harness.watchWorkspace(paths);
  forwardPort = await freePort();
  lines.length = 0;
});

afterEach(async () => {
  await harness.cleanup();
});

describe('redis tunnel (kubectl stand-in, real redis-server)', () => {
  it('starts healthy and carries real Redis traffic; a second ensure reuses it', async () => {
    const redis = await harness.startRedis();
    await redisCli(redis.port, ['SET', 'whoami', 'redis-of-s1']);
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });

    const state = await ensureTunnel(context('s1'), options());

    expect(state).toMatchObject({ status: 'healthy', namespace: 's1', deployment: 'redis', port: forwardPort, lastReply: 'PONG', restarts: 0 });
    expect(state.addresses[0]).toBe('127.0.0.1');
    expect(state.addresses).not.toContain('0.0.0.0');
    expect(lines.join('\n')).toContain(`port-forward deployment/redis --address ${state.addresses.join(',')} ${forwardPort}:${forwardPort}`);
    expect(await pingRedis('127.0.0.1', forwardPort, 2000)).toMatchObject({ ok: true, reply: 'PONG' });
    expect(await redisCli(forwardPort, ['GET', 'whoami'])).toBe('redis-of-s1');
    // Containers come in through the Docker bridge address when this host has one.
    for (const address of state.addresses) expect(await pingRedis(address, forwardPort, 2000)).toMatchObject({ ok: true });

    lines.length = 0;
    const again = await ensureTunnel(context('s1'), options());
    expect(again.pid).toBe(state.pid);
    expect(lines.join('\n')).toContain('reusing the healthy tunnel');
    expect(harness.starts()).toHaveLength(1);
  });

  it('recovers on the same port after kubectl is killed: degraded, then healthy, restart counted', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    const before = await ensureTunnel(context('s1'), options());

    process.kill(before.kubectlPid as number, 'SIGKILL');
    const seen: string[] = [];
    const after = await waitForState(paths, (state) => state.status === 'healthy' && state.kubectlPid !== before.kubectlPid, 10_000, seen);

    expect(seen).toContain('degraded');
    expect(after.restarts).toBeGreaterThanOrEqual(1);
    expect(after.port).toBe(forwardPort);
    expect(after.lastError?.message).toMatch(/kubectl was killed by SIGKILL/);
    expect(await redisCli(forwardPort, ['PING'])).toBe('PONG');
  });

  it('detects a forward that accepts but never answers, and restarts kubectl', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    const before = await ensureTunnel(context('s1'), options());

    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` }, mode: 'stuck' });
    const degraded = await waitForState(paths, (state) => state.status === 'degraded', 10_000);
    expect(degraded.lastError?.message).toMatch(/no answer to PING within 500 ms/);

    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` }, mode: 'forward' });
    const healed = await waitForState(paths, (state) => state.status === 'healthy', 10_000);
    expect(healed.restarts).toBeGreaterThan(before.restarts);
    expect(healed.kubectlPid).not.toBe(before.kubectlPid);
  });

  it('restarts a forward that drops every connection, and one whose kubectl exits on its own', async () => {
    const redis = await harness.startRedis();
    const targets = { s1: `127.0.0.1:${redis.port}` };
    harness.control({ targets });
    await ensureTunnel(context('s1'), options());

    harness.control({ targets, mode: 'refuse' });
    const refused = await waitForState(paths, (state) => state.status === 'degraded', 10_000);
    expect(refused.lastError?.message).toMatch(/(dropped|closed) the connection before Redis answered PING/);
    harness.control({ targets, exitAfterSeconds: 0.3 });
    const exited = await waitForState(paths, (state) => state.lastError?.message === 'error: lost connection to pod', 10_000);
    expect(exited.lastError?.fix).toContain('reconnects on its own');
    harness.control({ targets });
    const healed = await waitForState(paths, (state) => state.status === 'healthy', 10_000);
    expect(healed.restarts).toBeGreaterThanOrEqual(2);
    expect(await redisCli(forwardPort, ['PING'])).toBe('PONG');
  });

  it('switches namespace: up s1 then up s2 talks to s2 (the stand-in was started with -n s2)', async () => {
    const [redis1, redis2] = [await harness.startRedis(), await harness.startRedis()];
    await redisCli(redis1.port, ['SET', 'whoami', 'redis-of-s1']);
    await redisCli(redis2.port, ['SET', 'whoami', 'redis-of-s2']);
    harness.control({ targets: { s1: `127.0.0.1:${redis1.port}`, s2: `127.0.0.1:${redis2.port}` } });
    const first = await ensureTunnel(context('s1'), options());

    const second = await ensureTunnel(context('s2'), options());

    expect(lines.join('\n')).toContain('switching from namespace s1 to s2');
    expect(second).toMatchObject({ namespace: 's2', status: 'healthy', port: forwardPort });
    expect(harness.starts().map((start) => start.namespace)).toEqual(['s1', 's2']);
    expect(await redisCli(forwardPort, ['GET', 'whoami'])).toBe('redis-of-s2');
    expect(isAlive(first.pid)).toBe(false);
    expect(isAlive(first.kubectlPid)).toBe(false);
  });

  it('names the foreign process holding the port and leaves it running', async () => {
    const foreign = await harness.startRedis(forwardPort);
    harness.control({ targets: { s1: '127.0.0.1:1' } });

    const failure = ensureTunnel(context('s1'), options());

    await expect(failure).rejects.toThrow(TunnelError);
    await expect(failure).rejects.toThrow(new RegExp(`port ${forwardPort} on 127\\.0\\.0\\.1 is already in use by pid ${foreign.process.pid} \\(redis-server`));
    const error = (await failure.catch((caught: unknown) => caught)) as TunnelError;
    expect(error.fix).toContain(`kill ${foreign.process.pid}`);
    expect(error.fix).toContain('never kills');
    expect(await pingRedis('127.0.0.1', forwardPort, 2000)).toMatchObject({ ok: true });
    expect(readTunnelState(paths).condition).toBe('absent');
    expect(harness.starts()).toHaveLength(0);
  });

  it('stop ends the supervisor, kubectl and the child kubectl started; no process is left', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` }, spawnChild: true });
    const state = await ensureTunnel(context('s1'), options());
    const childPid = harness.starts()[0].childPid;
    expect(isAlive(childPid)).toBe(true);

    await stopTunnel(paths, (line) => lines.push(line));

    for (const pid of [state.pid, state.kubectlPid, childPid]) expect(await waitUntil(() => !isAlive(pid), 5000)).toBe(true);
    expect(readTunnelState(paths)).toMatchObject({ condition: 'stopped', state: { status: 'stopped' } });
    expect(await pingRedis('127.0.0.1', forwardPort, 500)).toMatchObject({ ok: false });
  });

  it('SIGTERM to the supervisor ends kubectl and its child too, and records "stopped"', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` }, spawnChild: true });
    const state = await ensureTunnel(context('s1'), options());
    const childPid = harness.starts()[0].childPid;

    signal(state.pid, 'SIGTERM');

    for (const pid of [state.pid, state.kubectlPid, childPid]) expect(await waitUntil(() => !isAlive(pid), 5000)).toBe(true);
    expect(readTunnelState(paths).condition).toBe('stopped');
  });

  it('fails at once with kubectl\'s message and the fix when kubectl cannot start, leaving nothing running', async () => {
    harness.control({ failToStart: 'Error from server (NotFound): deployments.apps "redis" not found' });

    const failure = ensureTunnel(context('s1'), options());

    await expect(failure).rejects.toThrow('kubectl port-forward failed: Error from server (NotFound): deployments.apps "redis" not found');
    const error = (await failure.catch((caught: unknown) => caught)) as TunnelError;
    expect(error.fix).toContain('redis.deployment');
    const reading = readTunnelState(paths);
    expect(reading.condition).not.toBe('running');
    if (reading.condition !== 'absent') expect(isAlive(reading.state.pid)).toBe(false);
  });

  it('says when there is no current context, and when kubectl is not installed', async () => {
    harness.control({ noContext: true });
    await expect(ensureTunnel(context('s1'), options())).rejects.toThrow('cannot start the Redis tunnel: error: current-context is not set');

    const missing = ensureTunnel(context('s1'), options({ kubectl: path.join(harness.dir, 'no-such-kubectl') }));
    await expect(missing).rejects.toThrow(/no-such-kubectl: command not found/);
    expect(((await missing.catch((caught: unknown) => caught)) as TunnelError).fix).toMatch(/install kubectl/);
  });

  it('a supervisor killed with SIGKILL reads as stale, and the next ensure cleans up its kubectl', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    const state = await ensureTunnel(context('s1'), options());

    signal(state.pid, 'SIGKILL');
    expect(await waitUntil(() => readTunnelState(paths).condition === 'stale', 5000)).toBe(true);
    const next = await ensureTunnel(context('s1'), options());

    expect(lines.join('\n')).toContain('is gone without stopping');
    expect(next.pid).not.toBe(state.pid);
    expect(isAlive(state.kubectlPid)).toBe(false);
    expect(await redisCli(forwardPort, ['PING'])).toBe('PONG');
  });
});
