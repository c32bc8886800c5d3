/**
 * The supervisor's state machine with its outside world faked: kubectl (startPortForward), the
 * PING, bind-address detection and the state file are injected fakes, and time is jest's fake
 * clock, so every transition is checked exactly and fast. e2e/tunnel.e2e.spec.ts runs the real
 * thing (real supervisor process, kubectl stand-in, redis-server).
 */
import { spawn } from 'node:child_process';
import { TunnelError } from '../core/errors';
import type { WorkspacePaths } from '../core/workspace';
import { classifyKubectlOutput, type KubectlProblem } from './kubectl-errors';
import { PortForwardError, type KubectlExit, type PortForwardProcess, type StartPortForwardOptions } from './kubectl-process';
import type { SupervisorTimings, TunnelTarget } from './plan';
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
  /** What the supervisor does with each line kubectl prints. */
  onLine: StartPortForwardOptions['onLine'];
  becomeReady(): void;
  /** Readiness fails with something that is not a PortForwardError: a bug, not kubectl. */
  crashBeforeReady(error: Error): void;
  failToStart(problem: KubectlProblem): void;
  exit(outputTail: string): void;
}

function fakeKubectl(pid: number, options: StartPortForwardOptions): FakeKubectl {
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  let resolveExit!: (exit: KubectlExit) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const exited = new Promise<KubectlExit>((resolve) => (resolveExit = resolve));
  const dyingMs = stopTakesMs;
  const fake: FakeKubectl = {
    args: options.args,
    startedAt: Date.now(),
    stopped: false,
    onLine: options.onLine,
    handle: {
      pid,
      ready,
      exited,
      stop: async () => {
        fake.stopped = true;
        if (dyingMs > 0) await new Promise((resolve) => setTimeout(resolve, dyingMs));
        // Like the real one: stopping a kubectl that is not forwarding yet rejects its readiness.
        rejectReady(new PortForwardError({ kind: 'unknown', message: 'kubectl was killed by SIGTERM before forwarding', fix: '', permanent: false }));
        resolveExit({ code: null, signal: 'SIGTERM', outputTail: '' });
      },
    },
    becomeReady: () => resolveReady(),
    crashBeforeReady: (error) => rejectReady(error),
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
let detect: () => Promise<string[]>;
/** The pid of the next fake kubectl, by its index. */
let pidFor: (index: number) => number;
/** How long a fake kubectl takes to die once stopped. */
let stopTakesMs: number;
let supervisor: TunnelSupervisor;
let logLines: string[];

function createSupervisor(target: TunnelTarget = TARGET, program = 'kubectl'): TunnelSupervisor {
  return new TunnelSupervisor({
    paths: { root: '/nowhere', logs: '/nowhere/logs' } as WorkspacePaths,
    target,
    program,
    env: {},
    timings: TIMINGS,
    log: (line) => logLines.push(line),
    deps: {
      startPortForward: (options: StartPortForwardOptions) => {
        const fake = fakeKubectl(pidFor(kubectls.length), options);
        kubectls.push(fake);
        return fake.handle;
      },
      pingRedis: (address, _port, timeoutMs) => {
        const reply = pingReply(address);
        if (reply === 'pending') return new Promise((resolve) => pendingPings.push(resolve));
        if (reply !== 'hang') return Promise.resolve(reply);
        return new Promise((resolve) => setTimeout(() => resolve({ ok: false, reason: `no answer to PING within ${timeoutMs} ms`, ms: timeoutMs }), timeoutMs));
      },
      detectBindAddresses: () => detect(),
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
  detect = async () => detected;
  pidFor = (index) => 100 + index;
  stopTakesMs = 0;
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
    expect(logLines[logLines.length - 1]).toBe(`stopping: ${last().lastError?.message} — ${last().lastError?.fix}`);
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
    expect(states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({
      message: 'PING through the forward on 172.17.0.1:6379 failed: cannot connect to 172.17.0.1:6379: ECONNREFUSED',
      fix: 'the tunnel restarts kubectl on its own; if this persists check `kubectl -n s1 get pods`',
    });
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
    expect(logLines).toContain('bind addresses changed: 127.0.0.1,172.17.0.1 → 127.0.0.1; kubectl restarts with them');
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

describe('TunnelSupervisor: what it logs, and when it acts', () => {
  const startLine = 'starting: kubectl -n s1 port-forward deployment/redis --address 127.0.0.1 6379:6379';

  it('logs the life of a tunnel as it happens: start, forwarding, healthy once, reconnect, an exit, the back-off, stop', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick();
    // Later healthy checks say nothing: only a change is news.
    await tick(3000);
    supervisor.requestReconnect();
    await tick();
    kubectls[1].becomeReady();
    await tick();
    kubectls[1].exit('W1126 a warning kubectl prints, but no error');
    await tick();
    expect(last()).toMatchObject({ status: 'degraded', lastError: { kind: 'unknown', message: 'kubectl exited with code 1', fix: 'the supervisor restarts it on its own' } });
    await tick(100);
    const stopped = supervisor.stop();
    await tick();
    await stopped;
    expect(logLines).toEqual([
      startLine,
      'kubectl (pid 100) is forwarding; checking with PING',
      'healthy: PING answered PONG on 127.0.0.1 within 1 ms',
      'reconnect requested',
      startLine,
      'kubectl (pid 101) is forwarding; checking with PING',
      'healthy: PING answered PONG on 127.0.0.1 within 1 ms',
      'degraded: kubectl exited with code 1',
      'restarting kubectl in 100 ms (attempt 1)',
      startLine,
      'stopped',
    ]);
  });

  it('reports the slowest PING of all addresses, and a password asked on any of them', async () => {
    supervisor = createSupervisor({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    detected = ['127.0.0.1', '172.17.0.1'];
    pingReply = (address) => (address === '127.0.0.1' ? { ok: true, reply: 'PONG', ms: 2 } : { ok: true, reply: 'NOAUTH', ms: 7 });
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick();
    expect(logLines).toContain('healthy: PING answered NOAUTH on 127.0.0.1, 172.17.0.1 within 7 ms');
    expect(last()).toMatchObject({ status: 'healthy', lastReply: 'NOAUTH', auth: 'required' });
  });

  it('speaks of redis-server for a local Redis (redis.mode: local), quoting its empty arguments', async () => {
    supervisor = createSupervisor({ ...TARGET, mode: 'local' }, 'redis-server');
    pingReply = () => ({ ok: false, reason: 'cannot connect to 127.0.0.1:6379: ECONNREFUSED', ms: 1 });
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick(200);
    expect(logLines.slice(0, 2)).toEqual([
      "starting: redis-server --port 6379 --bind 127.0.0.1 --protected-mode no --save '' --appendonly no --daemonize no --logfile ''",
      'redis-server (pid 100) is ready; checking with PING',
    ]);
    expect(states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({
      kind: 'connection-lost',
      message: 'PING to the local redis-server on 127.0.0.1:6379 failed: cannot connect to 127.0.0.1:6379: ECONNREFUSED',
      fix: 'the supervisor restarts redis-server on its own; if this persists see logs/redis-tunnel.log',
    });
  });

  it("keeps kubectl's per-connection chatter out of the log, logs the rest, and PINGs at once when kubectl says the forward broke", async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    let pings = 0;
    pingReply = () => {
      pings++;
      return 'pending';
    };
    kubectls[0].becomeReady();
    await tick();
    answerPings(PONG);
    await tick(100);
    expect(pings).toBe(1);
    kubectls[0].onLine('Handling connection for 6379', 'stdout');
    await tick();
    expect(pings).toBe(1);

    const broken = 'E1126 10:00:00.000000 portforward.go:413] an error occurred forwarding 6379 -> 6379: lost connection to pod';
    kubectls[0].onLine(broken, 'stderr');
    await tick();
    expect(pings).toBe(2);
    // Broken again while that PING is out: one more PING as soon as it answers, no interval wait.
    kubectls[0].onLine(broken, 'stderr');
    answerPings(PONG);
    await tick();
    expect(pings).toBe(3);
    expect(logLines.filter((line) => line.startsWith('kubectl std'))).toEqual([`kubectl stderr: ${broken}`, `kubectl stderr: ${broken}`]);
    answerPings(PONG);
  });

  it("waits a moment after a failed PING, so the state tells kubectl's own reason when kubectl dies right after", async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    pingReply = () => ({ ok: false, reason: 'no answer to PING within 500 ms', ms: 500 });
    kubectls[0].becomeReady();
    await tick(50);
    kubectls[0].exit('error: lost connection to pod');
    await tick(100);
    expect(states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({ kind: 'connection-lost', message: 'error: lost connection to pod' });
  });

  it('restarts kubectl as soon as a PING in flight answers when a reconnect was asked meanwhile', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    pingReply = () => 'pending';
    kubectls[0].becomeReady();
    await tick();
    supervisor.requestReconnect();
    answerPings(PONG);
    await tick();
    expect(kubectls).toHaveLength(2);
  });

  it('records no pid for a kubectl that could not be started (pid -1)', async () => {
    pidFor = () => -1;
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    expect(last()).toMatchObject({ status: 'starting', kubectlPid: undefined });
  });

  it('fails loudly on a readiness error that is not about kubectl (a bug), instead of taking the forward for ready', async () => {
    supervisor = createSupervisor();
    const finished = supervisor.run();
    await tick();
    kubectls[0].crashBeforeReady(new Error('a bug in the process layer'));
    await expect(finished).rejects.toThrow('a bug in the process layer');
    expect(pendingPings).toHaveLength(0);
    expect(states.some((state) => state.status === 'healthy')).toBe(false);
    // Nothing left for afterEach to stop.
    supervisor = createSupervisor();
  });

  it('a stop ends the supervisor without another PING, also when kubectl takes a moment to die (still starting, or healthy)', async () => {
    stopTakesMs = 50;
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    let stopped = supervisor.stop();
    await tick(50);
    await stopped;
    expect(last()).toMatchObject({ status: 'stopped' });
    expect(kubectls).toHaveLength(1);

    let pings = 0;
    pingReply = () => {
      pings++;
      return PONG;
    };
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    kubectls[1].becomeReady();
    await tick(500);
    const statesBefore = states.length;
    const pingsBefore = pings;
    stopped = supervisor.stop();
    await tick(50);
    await stopped;
    expect(pings).toBe(pingsBefore);
    expect(states.slice(statesBefore).map((state) => state.status)).toEqual(['stopped']);
  });

  it('re-detects the bind addresses every 10 s while healthy, not at every check', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick();
    detected = ['127.0.0.1', '172.17.0.1'];
    await tick(9_999);
    expect(kubectls).toHaveLength(1);
    await tick(1);
    await tick();
    expect(kubectls).toHaveLength(2);
    expect(logLines).toContain('bind addresses changed: 127.0.0.1 → 127.0.0.1,172.17.0.1; kubectl restarts with them');
  });

  it('keeps kubectl running while the addresses it binds stay the same', async () => {
    supervisor = createSupervisor({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    detected = ['127.0.0.1', '172.17.0.1'];
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick(25_000);
    expect(kubectls).toHaveLength(1);
    expect(last()).toMatchObject({ status: 'healthy' });
  });

  it('keeps its addresses, and kubectl, when re-detecting them fails (ip hung)', async () => {
    supervisor = createSupervisor({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    detect = async () => {
      throw new TunnelError('`ip -o -4 addr show dev docker0` did not answer within 5000 ms');
    };
    void supervisor.run();
    await tick();
    kubectls[0].becomeReady();
    await tick(12_000);
    expect(kubectls).toHaveLength(1);
    expect(logLines).toContain('cannot re-detect the bind addresses, keeping 127.0.0.1,172.17.0.1: `ip -o -4 addr show dev docker0` did not answer within 5000 ms');
  });

  it('keeps its addresses through an outage that is not about them (only a lost bind address re-detects them at once)', async () => {
    supervisor = createSupervisor();
    detected = ['127.0.0.1', '172.17.0.1'];
    void supervisor.run();
    await tick();
    kubectls[0].failToStart(unreachable());
    await tick(150);
    expect(kubectls).toHaveLength(2);
    expect(kubectls[1].args).toEqual(kubectls[0].args);
  });

  it("on a crash of the supervisor itself, kills kubectl's process group and records the crash", async () => {
    // A real process in its own group stands in for kubectl here: killing its group is the point.
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const died = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    pidFor = () => child.pid as number;
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    supervisor.recordCrash(new Error('boom'));
    expect(await died).toBe('SIGKILL');
    expect(last()).toMatchObject({
      status: 'crashed',
      kubectlPid: undefined,
      lastError: {
        kind: 'supervisor-crashed',
        message: 'the tunnel supervisor crashed: boom',
        fix: '`nx run redis-tunnel:up` starts a new one; this is a bug in local-dev — please report it with logs/redis-tunnel.log',
        permanent: false,
      },
    });
  });

  it('records a crash that happens between two kubectls (during the back-off) too', async () => {
    supervisor = createSupervisor();
    void supervisor.run();
    await tick();
    kubectls[0].failToStart(unreachable());
    await tick();
    supervisor.recordCrash('not an Error');
    expect(last()).toMatchObject({ status: 'crashed', lastError: { kind: 'supervisor-crashed', message: 'the tunnel supervisor crashed: not an Error' } });
  });
});
