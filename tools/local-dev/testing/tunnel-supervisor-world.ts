/**
 * The tunnel supervisor's outside world, faked for its unit specs (src/tunnel/supervisor.spec.ts
 * and supervisor-log.spec.ts): kubectl (startPortForward), the PING, bind-address detection and the
 * state file are injected fakes, and time is jest's fake clock, so every transition is checked
 * exactly and fast. e2e/tunnel.e2e.spec.ts runs the real thing (real supervisor process, kubectl
 * stand-in, redis-server).
 */
import type { WorkspacePaths } from '../src/core/workspace';
import { classifyKubectlOutput, type KubectlProblem } from '../src/tunnel/kubectl-errors';
import { PortForwardError, type KubectlExit, type PortForwardProcess, type StartPortForwardOptions } from '../src/tunnel/kubectl-process';
import type { SupervisorTimings, TunnelTarget } from '../src/tunnel/plan';
import type { PingOutcome } from '../src/tunnel/redis-ping';
import type { TunnelState } from '../src/tunnel/state';
import { TunnelSupervisor } from '../src/tunnel/supervisor';

export const TIMINGS: SupervisorTimings = {
  checkIntervalMs: 1000,
  pingTimeoutMs: 500,
  readyTimeoutMs: 5000,
  backoff: { firstMs: 100, factor: 2, maxMs: 1000, jitter: 0.2 },
};
export const TARGET: TunnelTarget = { namespace: 's1', deployment: 'redis', port: 6379, addresses: ['127.0.0.1'] };
export const PONG: PingOutcome = { ok: true, reply: 'PONG', ms: 1 };

/** Moves jest's fake clock, running what falls due. */
export const tick = (ms = 0) => jest.advanceTimersByTimeAsync(ms);
export const unreachable = (message = 'Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout') =>
  classifyKubectlOutput(message, TARGET) as KubectlProblem;

/** A fake kubectl: the test decides when it is ready, fails or exits. */
export interface FakeKubectl {
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

function fakeKubectl(pid: number, options: StartPortForwardOptions, stopTakesMs: number): FakeKubectl {
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  let resolveExit!: (exit: KubectlExit) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const exited = new Promise<KubectlExit>((resolve) => (resolveExit = resolve));
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
        if (stopTakesMs > 0) await new Promise((resolve) => setTimeout(resolve, stopTakesMs));
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

/**
 * One test's world: set its fields before `start` to shape what the fakes answer, read them after
 * to see what the supervisor did. Made in beforeEach (it switches to the fake clock), ended in afterEach.
 */
export class FakeTunnelWorld {
  kubectls: FakeKubectl[] = [];
  /** Every state the supervisor wrote, in order. */
  states: TunnelState[] = [];
  logLines: string[] = [];
  /** 'hang': no answer until the PING timeout; 'pending': answered when the test calls answerPings. */
  pingReply: (address: string) => PingOutcome | 'hang' | 'pending' = () => PONG;
  pendingPings: Array<(outcome: PingOutcome) => void> = [];
  /** What bind-address detection finds. */
  detected = ['127.0.0.1'];
  detect: () => Promise<string[]> = async () => this.detected;
  /** The pid of the next fake kubectl, by its index. */
  pidFor: (index: number) => number = (index) => 100 + index;
  /** How long a fake kubectl takes to die once stopped. */
  stopTakesMs = 0;
  supervisor: TunnelSupervisor | undefined;

  constructor() {
    jest.useFakeTimers({ now: new Date('2026-11-26T10:00:00.000Z') });
  }

  /** A new supervisor over this world's fakes (the one afterEach stops). */
  createSupervisor(target: TunnelTarget = TARGET, program = 'kubectl'): TunnelSupervisor {
    this.supervisor = new TunnelSupervisor({
      paths: { root: '/nowhere', logs: '/nowhere/logs' } as WorkspacePaths,
      target,
      program,
      env: {},
      timings: TIMINGS,
      log: (line) => this.logLines.push(line),
      deps: {
        startPortForward: (options: StartPortForwardOptions) => {
          const fake = fakeKubectl(this.pidFor(this.kubectls.length), options, this.stopTakesMs);
          this.kubectls.push(fake);
          return fake.handle;
        },
        pingRedis: (address, _port, timeoutMs) => {
          const reply = this.pingReply(address);
          if (reply === 'pending') return new Promise((resolve) => this.pendingPings.push(resolve));
          if (reply !== 'hang') return Promise.resolve(reply);
          return new Promise((resolve) =>
            setTimeout(() => resolve({ ok: false, reason: `no answer to PING within ${timeoutMs} ms`, ms: timeoutMs }), timeoutMs),
          );
        },
        detectBindAddresses: () => this.detect(),
        writeState: (_paths, state) => this.states.push({ ...state }),
        random: () => 0,
      },
    });
    return this.supervisor;
  }

  /** Creates a supervisor and runs it until it has started its first kubectl; `finished` is its run. */
  async start(target?: TunnelTarget, program?: string): Promise<{ finished: Promise<void> }> {
    const finished = this.createSupervisor(target, program).run();
    await tick();
    return { finished };
  }

  /** The supervisor, for a test that started it. */
  get running(): TunnelSupervisor {
    if (!this.supervisor) throw new Error('start the supervisor first');
    return this.supervisor;
  }

  answerPings(outcome: PingOutcome): void {
    this.pendingPings.splice(0).forEach((answer) => answer(outcome));
  }

  last(): TunnelState {
    return this.states[this.states.length - 1];
  }

  latestKubectl(): FakeKubectl {
    return this.kubectls[this.kubectls.length - 1];
  }

  /** Ends the loop (and every fake kubectl) whatever the test did. */
  async end(): Promise<void> {
    const stopped = this.supervisor?.stop();
    await tick(10_000);
    await stopped;
    jest.useRealTimers();
  }
}
