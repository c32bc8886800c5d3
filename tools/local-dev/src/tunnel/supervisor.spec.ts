/**
 * The supervisor's state machine with its outside world faked: kubectl (startPortForward), the
 * PING, bind-address detection and the state file are injected fakes, and time is jest's fake
 * clock, so every transition is checked exactly and fast. e2e/tunnel.e2e.spec.ts runs the real
 * thing (real supervisor process, kubectl stand-in, redis-server).
 */
import type { WorkspacePaths } from '../core/workspace';
import { classifyKubectlOutput, type KubectlProblem } from './kubectl-errors';
import { PortForwardError, type KubectlExit, type PortForwardProcess, type StartPortForwardOptions } from './kubectl-process';
import type { SupervisorTimings } from './plan';
import type { PingOutcome } from './redis-ping';
import type { TunnelState } from './state';
import { TunnelSupervisor } from './supervisor';

const TIMINGS: SupervisorTimings = {
  checkIntervalMs: 1000,
  pingTimeoutMs: 500,
  readyTimeoutMs: 5000,
  backoff: { firstMs: 100, factor: 2, maxMs: 1000, jitter: 0.2 },
};
const TARGET = { namespace: 's1', deployment: 'redis', port: 6379, addresses: ['127.0.0.1'] };

/** A fake kubectl: the test decides when it is ready, fails or exits. */
interface FakeKubectl {
  handle: PortForwardProcess;
  args: string[];
  startedAt: number;
  stopped: boolean;
  becomeReady(): void;
  failToStart(problem: KubectlProblem): void;
  exit(outputTail: string): void;
}

function fakeKubectl(pid: number, args: string[]): FakeKubectl {
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  let resolveExit!: (exit: KubectlExit) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const exited = new Promise<KubectlExit>((resolve) => (resolveExit = resolve));
  const fake: FakeKubectl = {
    args,
    startedAt: Date.now(),
    stopped: false,
    handle: {
      pid,
      ready,
      exited,
      stop: async () => {
        fake.stopped = true;
        // Like the real one: stopping a kubectl that is not forwarding yet rejects its readiness.
        rejectReady(new PortForwardError({ kind: 'unknown', message: 'kubectl was killed by SIGTERM before forwarding', fix: '', permanent: false }));
        resolveExit({ code: null, signal: 'SIGTERM', outputTail: '' });
      },
    },
    becomeReady: () => resolveReady(),
    failToStart: (problem) => {
      rejectReady(new PortForwardError(problem));
      resolveExit({ code: 1, signal: null, outputTail: problem.message });
    },
    exit: (outputTail) => resolveExit({ code: 1, signal: null, outputTail }),
  };
  return fake;
}

let kubectls: FakeKubectl[];
let states: TunnelState[];
/** 'hang': no answer until the PING timeout; 'pending': answered when the test calls answerPings. */
let pingReply: (address: string) => PingOutcome | 'hang' | 'pending';
let pendingPings: Array<(outcome: PingOutcome) => void>;
const answerPings = (outcome: PingOutcome) => pendingPings.splice(0).forEach((answer) => answer(outcome));
let detected: string[];
let supervisor: TunnelSupervisor;
let logLines: string[];

function createSupervisor(target = TARGET): TunnelSupervisor {
  return new TunnelSupervisor({
    paths: { root: '/nowhere', logs: '/nowhere/logs' } as WorkspacePaths,
    target,
    program: 'kubectl',
    env: {},
    timings: TIMINGS,
    log: (line) => logLines.push(line),
    deps: {
      startPortForward: (options: StartPortForwardOptions) => {
        const fake = fakeKubectl(100 + kubectls.length, options.args);
        kubectls.push(fake);
        return fake.handle;
      },
      pingRedis: (address, _port, timeoutMs) => {
        const reply = pingReply(address);
        if (reply === 'pending') return new Promise((resolve) => pendingPings.push(resolve));
        if (reply !== 'hang') return Promise.resolve(reply);
        return new Promise((resolve) => setTimeout(() => resolve({ ok: false, reason: `no answer to PING within ${timeoutMs} ms`, ms: timeoutMs }), timeoutMs));
      },
      detectBindAddresses: async () => detected,
      writeState: (_paths, state) => states.push({ ...state }),
      random: () => 0,
    },
  });
}

const PONG: PingOutcome = { ok: true, reply: 'PONG', ms: 1 };
const last = () => states[states.length - 1];
const latestKubectl = () => kubectls[kubectls.length - 1];
const tick = (ms = 0) => jest.advanceTimersByTimeAsync(ms);
const unreachable = (message = 'Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout') => classifyKubectlOutput(message, TARGET) as KubectlProblem;

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-11-26T10:00:00.000Z') });
  kubectls = [];
  states = [];
  logLines = [];
  detected = ['127.0.0.1'];
  pingReply = () => PONG;
  pendingPings = [];
});

afterEach(async () => {
  // End the loop (and every fake kubectl) whatever the test did.
  const stopped = supervisor.stop();
  await tick(10_000);
  await stopped;
  jest.useRealTimers();
});

describe('TunnelSupervisor (fake kubectl, fake PING, fake clock)', () => {
  it('never carries "healthy" over to a new kubectl before that kubectl answered a PING', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick();
    expect(last()).toMatchObject({ status: 'healthy', kubectlPid: 100 });

    // A reconnect while healthy: the new kubectl starts as "starting", not "healthy".
    pingReply = () => 'hang';
    supervisor.requestReconnect();
    await tick();
    expect(kubectls).toHaveLength(2);
    expect(states.filter((state) => state.kubectlPid === 101).map((state) => state.status)).toEqual(['starting']);
    kubectls[1].becomeReady();
    await tick(400);
    expect(last()).toMatchObject({ status: 'starting', kubectlPid: 101 });

    // kubectl dies: degraded, and the next kubectl stays unproven until its own PING answers.
    kubectls[1].exit('error: lost connection to pod');
    await tick(1000);
    expect(states.some((state) => state.status === 'degraded')).toBe(true);
    expect(kubectls).toHaveLength(3);
    pingReply = () => 'pending';
    kubectls[2].becomeReady();
    await tick(100);
    expect(pendingPings).toHaveLength(1);
    expect(states.filter((state) => state.kubectlPid !== 100).every((state) => state.status !== 'healthy')).toBe(true);
    await tick(100);
    answerPings(PONG);
    await tick();
    const firstHealthy = states.find((state) => state.kubectlPid === 102 && state.status === 'healthy') as TunnelState;
    expect(firstHealthy).toBeDefined();
    expect(firstHealthy.lastCheckAt! >= firstHealthy.kubectlStartedAt!).toBe(true);
  });

  it('backs off 100, 200, 400, 800, then the 1000 ms cap, and starts at 100 ms again after a healthy check', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    const failedAt: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      await tick(300);
      failedAt.push(Date.now());
      latestKubectl().failToStart(unreachable());
      await tick(1000);
    }
    const gaps = kubectls.slice(1).map((kubectl, index) => kubectl.startedAt - failedAt[index]);
    expect(gaps).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(last()).toMatchObject({ status: 'degraded', restarts: 6, lastError: { kind: 'cluster-unreachable', permanent: false } });

    latestKubectl().becomeReady();
    await tick();
    expect(last().status).toBe('healthy');
    const healthyKubectl = latestKubectl();
    const brokeAt = Date.now();
    healthyKubectl.exit('error: lost connection to pod');
    await tick(150);
    expect(latestKubectl()).not.toBe(healthyKubectl);
    expect(latestKubectl().startedAt - brokeAt).toBe(100);
  });

  it('honours a reconnect request while kubectl is still starting: that kubectl is stopped and a fresh one started', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    expect(kubectls).toHaveLength(1);

    supervisor.requestReconnect();
    await tick();

    expect(kubectls[0].stopped).toBe(true);
    expect(kubectls).toHaveLength(2);
    expect(last()).toMatchObject({ status: 'starting', kubectlPid: 101, restarts: 1 });
    kubectls[1].becomeReady();
    await tick();
    expect(last()).toMatchObject({ status: 'healthy', kubectlPid: 101 });
    // A reconnect is not a failure: nothing went degraded on the way.
    expect(states.some((state) => state.status === 'degraded')).toBe(false);
  });

  it('stops retrying on a permanent error and ends with the message and fix in the state', async () => {
    supervisor = createSupervisor();
    const finished = supervisor.run();
    await tick();
    kubectls[0].failToStart(classifyKubectlOutput('Error from server (Forbidden): pods "redis-0" is forbidden: cannot create resource "pods/portforward"', TARGET) as KubectlProblem);
    await tick(60_000);
    await finished;

    expect(kubectls).toHaveLength(1);
    expect(last()).toMatchObject({
      status: 'stopped',
      kubectlPid: undefined,
      lastError: { kind: 'forbidden', permanent: true, message: expect.stringContaining('is forbidden'), fix: expect.stringContaining('pods/portforward') },
    });
  });

  it('is healthy only when the PING answers on every bound address (loopback and the Docker bridge)', async () => {
    supervisor = createSupervisor({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    detected = ['127.0.0.1', '172.17.0.1'];
    pingReply = (address) => (address === '172.17.0.1' ? { ok: false, reason: 'cannot connect to 172.17.0.1:6379: ECONNREFUSED', ms: 1 } : PONG);
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick(200);

    expect(states.some((state) => state.status === 'healthy')).toBe(false);
    expect(states.find((state) => state.status === 'degraded')?.lastError?.message).toBe(
      'PING through the forward on 172.17.0.1:6379 failed: cannot connect to 172.17.0.1:6379: ECONNREFUSED',
    );
  });

  it('records -NOAUTH as healthy with auth: required, never as a plain PONG', async () => {
    supervisor = createSupervisor();
    pingReply = () => ({ ok: true, reply: 'NOAUTH', ms: 1 });
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick();
    expect(last()).toMatchObject({ status: 'healthy', lastReply: 'NOAUTH', auth: 'required' });
  });

  it('re-detects the bind addresses when kubectl cannot bind one any more (docker0 gone) and retries without it', async () => {
    supervisor = createSupervisor({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    void supervisor.run();
    await tick();
    expect(kubectls[0].args).toContain('127.0.0.1,172.17.0.1');

    detected = ['127.0.0.1'];
    kubectls[0].exit('Unable to listen on port 6379: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 172.17.0.1:6379: bind: cannot assign requested address]\nerror: unable to listen on any of the requested ports: [{6379 6379}]');
    kubectls[0].becomeReady();
    await tick(200);

    expect(states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({ kind: 'bind-address-gone', permanent: false });
    expect(kubectls).toHaveLength(2);
    expect(kubectls[1].args).toEqual(['-n', 's1', 'port-forward', 'deployment/redis', '--address', '127.0.0.1', '6379:6379']);
    kubectls[1].becomeReady();
    await tick();
    expect(last()).toMatchObject({ status: 'healthy', addresses: ['127.0.0.1'], kubectlPid: 101 });
  });

  it('counts failed attempts in a row in the state, and clears the count on a healthy check', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    kubectls[0].failToStart(unreachable());
    await tick(150);
    expect(last()).toMatchObject({ status: 'degraded', failures: 1 });
    latestKubectl().failToStart(unreachable());
    await tick(250);
    expect(last()).toMatchObject({ status: 'degraded', failures: 2 });
    latestKubectl().becomeReady();
    await tick();
    expect(last()).toMatchObject({ status: 'healthy', failures: 0 });
  });

  it('a stop that arrives while the loop is busy between sleeps does not wait out the back-off', async () => {
    supervisor = createSupervisor({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    let answerDetect!: (addresses: string[]) => void;
    void supervisor.run();
    await tick();
    // kubectl cannot bind the bridge address: the loop re-detects the addresses before backing off.
    const detecting = new Promise<string[]>((resolve) => (answerDetect = resolve));
    (supervisor as unknown as { deps: { detectBindAddresses: () => Promise<string[]> } }).deps.detectBindAddresses = () => detecting;
    kubectls[0].failToStart(classifyKubectlOutput('Error listen tcp4 172.17.0.1:6379: bind: cannot assign requested address', TARGET) as KubectlProblem);
    await tick();
    let stopped = false;
    void supervisor.stop().then(() => (stopped = true));
    answerDetect(['127.0.0.1']);
    // No clock moves: a stop must not sit out the back-off delay that follows the re-detection.
    await tick(0);
    expect(stopped).toBe(true);
    expect(last()).toMatchObject({ status: 'stopped' });
    expect(kubectls).toHaveLength(1);
  });

  it('picks the Docker bridge up again when it comes back while healthy', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick();
    detected = ['127.0.0.1', '172.17.0.1'];
    await tick(12_000);
    expect(kubectls).toHaveLength(2);
    expect(kubectls[1].args).toContain('127.0.0.1,172.17.0.1');
    kubectls[1].becomeReady();
    await tick();
    expect(last()).toMatchObject({ status: 'healthy', addresses: ['127.0.0.1', '172.17.0.1'] });
  });
});
