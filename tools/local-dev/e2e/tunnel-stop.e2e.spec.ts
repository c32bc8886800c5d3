/**
 * Stopping the Redis tunnel is quick in every state the supervisor can be in: starting (kubectl
 * not forwarding yet), healthy, degraded (a PING through a stuck forward in flight), backing off
 * before a retry, and while another command (an `up`) waits for the tunnel. Each test puts a real
 * supervisor in that state, runs stopTunnel (what `nx run redis-tunnel:down` runs), and checks
 * that the supervisor, every kubectl and the state say it is over.
 *
 * kubectl is the STAND-IN (fixtures/kubectl-stand-in/kubectl; no Kubernetes cluster can exist on
 * these machines), forwarding to a real redis-server.
 *
 * The time is asserted against the 2 s the issue promises (redis-tunnel:down once took 19.2 s in
 * back-off). It is not a speed goal: a stop does no work that takes time, it only must not wait —
 * for a back-off, a PING, a kubectl that ignores SIGTERM or another command's lock. Before the fix
 * the last two were the slow ones: down queued behind an `up` that held the tunnel lock while it
 * waited up to a minute for a supervisor in back-off, and a kubectl deaf to SIGTERM cost 2 s.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { workspacePaths, type WorkspacePaths } from '../src/core/workspace';
import { ensureTunnel, stopTunnel, tunnelTarget, type TunnelContext } from '../src/tunnel/control';
import { launchSupervisor, waitUntil } from '../src/tunnel/launch';
import type { SupervisorTimings } from '../src/tunnel/plan';
import { readTunnelState } from '../src/tunnel/state';
import { createHarness, freePort, isAlive, waitForState, type Harness, type StandInControl } from './fixtures/kubectl-stand-in/harness';

jest.setTimeout(60_000);

/** The contract from issue 9: `redis-tunnel:down` finishes within this in every state. */
const STOP_CONTRACT_MS = 2000;
/** Production's back-off ceiling (5 s): the state in which down once took 19.2 s. */
const TIMINGS: SupervisorTimings = {
  checkIntervalMs: 300,
  pingTimeoutMs: 800,
  readyTimeoutMs: 30_000,
  backoff: { firstMs: 5000, factor: 2, maxMs: 5000, jitter: 0.2 },
};

let harness: Harness;
let paths: WorkspacePaths;
let redisTarget: string;
let context: TunnelContext;

beforeEach(async () => {
  harness = createHarness();
  const root = path.join(harness.dir, 'workspace');
  mkdirSync(root);
  paths = workspacePaths(root);
  harness.watchWorkspace(paths);
  const redis = await harness.startRedis();
  redisTarget = `127.0.0.1:${redis.port}`;
  context = { paths, model: { redis: { deployment: 'redis', port: await freePort(), required: false } }, namespace: 's1' };
});

afterEach(async () => {
  await harness.cleanup();
});

async function launch(control: StandInControl, timings: Partial<SupervisorTimings> = {}): Promise<number> {
  harness.control(control);
  const target = await tunnelTarget(context);
  return launchSupervisor(paths, { root: paths.root, target, kubectl: 'kubectl', timings: { ...TIMINGS, ...timings } }, harness.env);
}

/** Runs stopTunnel and checks everything is gone; returns how long the stop took. */
async function stopAndCheck(supervisorPid: number): Promise<number> {
  const started = performance.now();
  await stopTunnel(paths, () => undefined);
  const tookMs = Math.round(performance.now() - started);
  expect(isAlive(supervisorPid)).toBe(false);
  for (const start of harness.starts()) {
    expect({ kubectl: start.pid, alive: isAlive(start.pid) }).toEqual({ kubectl: start.pid, alive: false });
  }
  expect(readTunnelState(paths)).toMatchObject({ condition: 'stopped', state: { status: 'stopped' } });
  return tookMs;
}

function expectWithinContract(state: string, tookMs: number): void {
  if (tookMs >= STOP_CONTRACT_MS)
    throw new Error(`redis-tunnel:down took ${tookMs} ms while the supervisor was ${state}; issue 9 promises under ${STOP_CONTRACT_MS} ms in every state`);
}

describe('stopping the tunnel is quick in every supervisor state (kubectl stand-in, real redis-server)', () => {
  it('starting: kubectl runs but is not forwarding yet', async () => {
    const pid = await launch({ targets: { s1: redisTarget }, startDelaySeconds: 60 });
    await waitForState(paths, (state) => state.status === 'starting' && state.kubectlPid !== undefined, 15_000);
    expectWithinContract('starting', await stopAndCheck(pid));
  });

  it('healthy', async () => {
    const pid = await launch({ targets: { s1: redisTarget } });
    await waitForState(paths, (state) => state.status === 'healthy', 15_000);
    expectWithinContract('healthy', await stopAndCheck(pid));
  });

  it('healthy, with a kubectl that ignores SIGTERM: it is killed after a short grace', async () => {
    const pid = await launch({ targets: { s1: redisTarget }, ignoreSigterm: true });
    await waitForState(paths, (state) => state.status === 'healthy', 15_000);
    expectWithinContract('healthy (kubectl ignoring SIGTERM)', await stopAndCheck(pid));
  });

  it('degraded: the forward is stuck and a PING through the retried kubectl is in flight', async () => {
    const pid = await launch({ targets: { s1: redisTarget }, mode: 'stuck' }, { backoff: { firstMs: 50, factor: 1, maxMs: 50, jitter: 0 } });
    // Degraded after the first PING timed out; then a new kubectl forwards and its PING hangs too.
    const degraded = await waitForState(paths, (state) => state.status === 'degraded' && state.restarts >= 1 && state.kubectlPid !== undefined, 20_000);
    await waitUntil(() => harness.starts().some((start) => start.pid === degraded.kubectlPid), 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expectWithinContract('degraded', await stopAndCheck(pid));
  });

  it('backing off: kubectl failed and the supervisor waits 5 s before the next attempt', async () => {
    const pid = await launch({ failToStart: 'Unable to connect to the server: dial tcp: lookup k8s.example.com: no such host' });
    await waitForState(paths, (state) => state.status === 'degraded' && state.kubectlPid === undefined, 15_000);
    expectWithinContract('backing off', await stopAndCheck(pid));
  });

  it('while an `up` waits for a tunnel that is not forwarding yet: down does not queue behind it, and that up says the tunnel was stopped', async () => {
    harness.control({ targets: { s1: redisTarget }, startDelaySeconds: 60 });
    // Strict (redis.required), so it would wait up to 30 s for the tunnel.
    const up = ensureTunnel(context, { report: () => undefined, timeoutMs: 30_000, env: harness.env, timings: TIMINGS, reconnect: false });
    const waiting = up.catch((error: unknown) => error);
    const starting = await waitForState(paths, (state) => state.status === 'starting' && state.kubectlPid !== undefined, 15_000);

    expectWithinContract('starting, with an up waiting for it', await stopAndCheck(starting.pid));
    const error = (await waiting) as Error;
    expect(error.message).toContain('the Redis tunnel was stopped while this command waited for it');
  });
});
