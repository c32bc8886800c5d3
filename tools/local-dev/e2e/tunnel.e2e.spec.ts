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
import { bringUpTunnel, ensureTunnel, stopTunnel, type ControlOptions, type TunnelContext } from '../src/tunnel/control';
import { signal, waitUntil } from '../src/tunnel/launch';
import { pingRedis } from '../src/tunnel/redis-ping';
import { readTunnelState } from '../src/tunnel/state';
import { formatTunnelStatus } from '../src/tunnel/status';
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

/** ensureTunnel is strict whatever `required` says; bringUpTunnel follows it (false: best effort, the default). */
function context(namespace: string, required = false): TunnelContext {
  return { paths, model: { redis: { deployment: 'redis', port: forwardPort, required } }, namespace };
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

  it('two commands at once (two terminals): the second finds the first one’s supervisor starting and waits for it', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    // The first waits for health outside the lock, so the second takes the lock while that
    // supervisor is still starting: it must not start another one and trip over its kubectl's port.
    const [first, second] = await Promise.all([ensureTunnel(context('s1'), options()), ensureTunnel(context('s1'), options())]);
    expect(first).toMatchObject({ status: 'healthy' });
    expect(second).toMatchObject({ status: 'healthy', pid: first.pid });
    expect(harness.starts()).toHaveLength(1);
    expect(lines.join('\n')).not.toContain('already in use');
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
    // No supervisor was started; the state says why, so `status` can.
    expect(readTunnelState(paths)).toMatchObject({ condition: 'stopped', state: { pid: 0, lastError: { kind: 'port-in-use', permanent: true } } });
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

  it("fails at once with kubectl's message and the fix when kubectl cannot start, leaving nothing running", async () => {
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
  it('becomes healthy when kubectl binds its addresses one after the other, 0.4 s apart (the bridge after loopback)', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` }, bindIntervalSeconds: 0.4 });

    const state = await ensureTunnel(context('s1'), options());

    // The race needs a second address: this host has Docker's bridge (docker0), as the suites assume.
    expect(state.addresses).toHaveLength(2);
    expect(state).toMatchObject({ status: 'healthy', restarts: 0 });
    // One kubectl, never killed for a PING sent to an address it had not bound yet.
    expect(harness.starts()).toHaveLength(1);
    for (const address of state.addresses) expect(await pingRedis(address, forwardPort, 2000)).toMatchObject({ ok: true, reply: 'PONG' });
  });

  it('gives up on a `kubectl config current-context` that never answers, with a message, instead of hanging', async () => {
    harness.control({ hangConfig: true });
    const failure = ensureTunnel(context('s1'), options({ checkTimeoutMs: 1000 }));
    await expect(failure).rejects.toThrow('cannot start the Redis tunnel: `kubectl config current-context` was killed by timeout after 1000 ms');
    expect(harness.starts()).toHaveLength(0);
  });

  describe('best effort (the default: redis.required is false)', () => {
    it('an unreachable cluster: up comes back without a healthy tunnel, the supervisor keeps retrying and heals on its own', async () => {
      const redis = await harness.startRedis();
      harness.control({ failToStart: 'Unable to connect to the server: dial tcp: lookup k8s.example.com: no such host' });

      const outcome = await bringUpTunnel(context('s1'), options({ bestEffortWaitMs: 15_000 }));

      if (outcome.healthy) throw new Error('expected a tunnel that is not healthy');
      expect(outcome.problem.message).toContain('attempts in a row failed; last error: Unable to connect to the server');
      expect(outcome.problem.fix).toContain('VPN');
      expect(outcome.reading).toMatchObject({ condition: 'running', state: { status: 'degraded' } });
      const supervisorPid = outcome.reading.condition === 'running' ? outcome.reading.state.pid : -1;
      expect(formatTunnelStatus(readTunnelState(paths), new Date())).toContain(`the supervisor (pid ${supervisorPid}) keeps retrying in the background`);

      // The network comes back: nobody runs anything, the supervisor heals the tunnel by itself.
      harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
      const healed = await waitForState(paths, (state) => state.status === 'healthy', 15_000);
      expect(healed.pid).toBe(supervisorPid);
      expect(await redisCli(forwardPort, ['PING'])).toBe('PONG');
    });

    it('kubectl missing, or no context: reported with the fix, no supervisor, and `status` says so', async () => {
      const missing = await bringUpTunnel(context('s1'), options({ kubectl: path.join(harness.dir, 'no-such-kubectl') }));
      if (missing.healthy) throw new Error('expected no tunnel');
      expect(missing.problem.message).toMatch(/no-such-kubectl: command not found/);
      expect(missing.problem.fix).toMatch(/install kubectl/);
      expect(formatTunnelStatus(readTunnelState(paths), new Date())).toMatch(
        /^Redis tunnel: NOT RUNNING — it could not start[^]*no-such-kubectl: command not found[^]*fix: install kubectl/,
      );

      harness.control({ noContext: true });
      const noContext = await bringUpTunnel(context('s1'), options());
      if (noContext.healthy) throw new Error('expected no tunnel');
      expect(noContext.problem.message).toBe('cannot start the Redis tunnel: error: current-context is not set');
      expect(noContext.reading).toMatchObject({ condition: 'stopped', state: { pid: 0, lastError: { kind: 'no-context' } } });
      expect(harness.starts()).toHaveLength(0);
    });

    it("an expired login: reported at once with kubectl's words; the supervisor stops (retrying cannot log in)", async () => {
      harness.control({ failToStart: 'error: You must be logged in to the server (Unauthorized)' });
      const outcome = await bringUpTunnel(context('s1'), options());
      if (outcome.healthy) throw new Error('expected no tunnel');
      expect(outcome.problem.message).toBe('kubectl port-forward failed: error: You must be logged in to the server (Unauthorized)');
      // The supervisor has written "stopped" and is exiting (it may not be gone yet at this instant).
      expect(outcome.reading).toMatchObject({ state: { status: 'stopped', lastError: { kind: 'unauthorized', permanent: true } } });
      expect(await waitUntil(() => readTunnelState(paths).condition === 'stopped', 5000)).toBe(true);
      expect(formatTunnelStatus(readTunnelState(paths), new Date())).toContain('nothing retries it');
      expect(harness.starts()).toHaveLength(1);
    });

    it('redis.required: true keeps the strict behaviour: no healthy tunnel is an error, and nothing is left running', async () => {
      harness.control({ failToStart: 'Unable to connect to the server: dial tcp: lookup k8s.example.com: no such host' });
      const failure = bringUpTunnel(context('s1', true), options({ timeoutMs: 2000 }));
      await expect(failure).rejects.toThrow(/did not become healthy within 2 s; last error: Unable to connect to the server/);
      const reading = readTunnelState(paths);
      expect(reading.condition).not.toBe('running');
      if (reading.condition !== 'absent') expect(isAlive(reading.state.pid)).toBe(false);
    });
  });
});
