/**
 * The supervisor loop: keep one kubectl port-forward alive and tell the truth about it.
 *
 *   start kubectl → "Forwarding from" → PING through the forward → healthy
 *        ↑                                            │ every checkIntervalMs: PING again
 *        └── backoff + jitter ← degraded ←────────────┘ PING fails or times out, kubectl exits,
 *                                                       or kubectl says the forward broke
 *
 * Healthy is only ever written after a PING answered through the forward; any failure writes
 * "degraded" with the reason before anything else happens. A reconnect request (SIGHUP from
 * tunnel-restart) restarts kubectl at once; stop() ends kubectl's process group and writes "stopped".
 */
import type { WorkspacePaths } from '../core/workspace';
import { classifyKubectlOutput, isBrokenForwardLine, type KubectlProblem } from './kubectl-errors';
import { killGroup, PortForwardError, startPortForward, type PortForwardProcess } from './kubectl-process';
import { backoffDelay, LOOPBACK, portForwardArgs, type SupervisorTimings, type TunnelTarget } from './plan';
import { pingRedis } from './redis-ping';
import { writeTunnelState, type TunnelErrorInfo, type TunnelState } from './state';

export interface SupervisorOptions {
  paths: WorkspacePaths;
  target: TunnelTarget;
  /** The kubectl program (looked up on PATH). */
  kubectl: string;
  env: NodeJS.ProcessEnv;
  timings: SupervisorTimings;
  log: (line: string) => void;
  random?: () => number;
}

/** Why the watch over one kubectl ended. */
type WatchEnd = { kind: 'stop' } | { kind: 'reconnect' } | { kind: 'broken'; error: TunnelErrorInfo };

export class TunnelSupervisor {
  private state: TunnelState;
  private forward: PortForwardProcess | undefined;
  private stopping = false;
  private reconnectRequested = false;
  private checkRequested = false;
  /** Consecutive failed attempts; picks the backoff delay. Reset by a healthy check. */
  private failures = 0;
  private kubectlStarts = 0;
  private wake: (() => void) | undefined;
  private finished: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {
    const now = new Date().toISOString();
    this.state = { ...options.target, pid: process.pid, status: 'starting', restarts: 0, startedAt: now, updatedAt: now };
  }

  /** Runs until stop(). Resolves once kubectl is gone and "stopped" is written. */
  run(): Promise<void> {
    this.finished ??= this.loop();
    return this.finished;
  }

  /** Restart kubectl now (tunnel-restart). */
  requestReconnect(): void {
    this.options.log('reconnect requested');
    this.reconnectRequested = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    // A kubectl still starting up is stopped too; the loop sees `stopping` and ends.
    await this.forward?.stop();
    await this.run();
  }

  /** Last resort when the supervisor itself crashes: end kubectl's group now, synchronously. */
  killKubectlNow(): void {
    if (this.forward && this.forward.pid > 0) killGroup(this.forward.pid, 'SIGKILL');
  }

  private async loop(): Promise<void> {
    this.save({});
    while (!this.stopping) {
      const forward = this.startKubectl();
      this.forward = forward;
      let end: WatchEnd;
      try {
        await forward.ready;
        this.options.log(`kubectl (pid ${forward.pid}) is forwarding; checking with PING`);
        end = await this.watch(forward);
      } catch (error) {
        if (!(error instanceof PortForwardError)) throw error;
        end = { kind: 'broken', error: errorInfo(error.problem) };
      }
      await forward.stop();
      this.forward = undefined;
      if (this.stopping || end.kind === 'stop') break;
      if (end.kind === 'reconnect') {
        this.reconnectRequested = false;
        this.failures = 0;
        continue;
      }
      this.options.log(`degraded: ${end.error.message}`);
      this.save({ status: 'degraded', lastError: end.error, kubectlPid: undefined });
      const delay = backoffDelay(this.failures, this.options.timings.backoff, (this.options.random ?? Math.random)());
      this.failures++;
      this.options.log(`restarting kubectl in ${delay} ms (attempt ${this.failures})`);
      await this.sleep(delay);
      this.reconnectRequested = false;
    }
    this.save({ status: 'stopped', kubectlPid: undefined });
    this.options.log('stopped');
  }

  private startKubectl(): PortForwardProcess {
    const { target } = this.options;
    const args = portForwardArgs(target);
    if (this.kubectlStarts > 0) this.state.restarts++;
    this.kubectlStarts++;
    this.options.log(`starting: ${this.options.kubectl} ${args.join(' ')}`);
    const forward = startPortForward({
      kubectl: this.options.kubectl,
      args,
      env: this.options.env,
      context: target,
      readyTimeoutMs: this.options.timings.readyTimeoutMs,
      onLine: (line, stream) => {
        // kubectl announces every connection, each health check's too: noise that would fill the log.
        if (!/^Handling connection for \d+/.test(line)) this.options.log(`kubectl ${stream}: ${line}`);
        if (isBrokenForwardLine(line)) {
          this.checkRequested = true;
          this.wake?.();
        }
      },
    });
    // A new kubectl is unproven until its first PING: a healthy status must not carry over to it.
    const status = this.state.status === 'healthy' ? 'starting' : this.state.status;
    this.save({ status, kubectlPid: forward.pid > 0 ? forward.pid : undefined, kubectlStartedAt: new Date().toISOString() });
    return forward;
  }

  /** PINGs through a forwarding kubectl until something ends it; says why it ended. */
  private async watch(forward: PortForwardProcess): Promise<WatchEnd> {
    let exit: Awaited<PortForwardProcess['exited']> | undefined;
    void forward.exited.then((info) => {
      exit = info;
      this.wake?.();
    });
    const { port, namespace, deployment } = this.options.target;
    for (;;) {
      if (this.stopping) return { kind: 'stop' };
      if (this.reconnectRequested) return { kind: 'reconnect' };
      if (exit) {
        const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        const problem = classifyKubectlOutput(exit.outputTail, { port, namespace, deployment });
        return {
          kind: 'broken',
          error: problem
            ? errorInfo(problem)
            : errorInfo({ kind: 'unknown', message: `kubectl ${how}`, fix: 'the tunnel restarts it on its own', permanent: false }),
        };
      }
      this.checkRequested = false;
      const outcome = await pingRedis(LOOPBACK, port, this.options.timings.pingTimeoutMs);
      // A kubectl that is dying breaks the PING a moment before it exits; wait briefly so the
      // user reads kubectl's own reason ("lost connection to pod") rather than "PING failed".
      if (!outcome.ok && !exit) await Promise.race([forward.exited, delay(EXIT_GRACE_MS)]);
      if (this.stopping || this.reconnectRequested || exit) continue;
      if (!outcome.ok) {
        return {
          kind: 'broken',
          error: errorInfo({
            kind: 'connection-lost',
            message: `PING through the forward failed: ${outcome.reason}`,
            fix: `the tunnel restarts kubectl on its own; if this persists check \`kubectl -n ${namespace} get pods\``,
            permanent: false,
          }),
        };
      }
      if (this.state.status !== 'healthy') this.options.log(`healthy: PING answered ${outcome.reply} in ${outcome.ms} ms`);
      this.failures = 0;
      this.save({ status: 'healthy', lastCheckAt: new Date().toISOString(), lastReply: outcome.reply });
      if (!this.checkRequested) await this.sleep(this.options.timings.checkIntervalMs);
    }
  }

  /** Waits `ms`, or less when stop, reconnect, a kubectl exit or a broken-forward line wakes it. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      this.wake = wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    }).then(() => {
      this.wake = undefined;
    });
  }

  private save(change: Partial<TunnelState>): void {
    this.state = { ...this.state, ...change, updatedAt: new Date().toISOString() };
    writeTunnelState(this.options.paths, this.state);
  }
}

const EXIT_GRACE_MS = 150;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorInfo(problem: KubectlProblem): TunnelErrorInfo {
  return { message: problem.message, fix: problem.fix, permanent: problem.permanent, at: new Date().toISOString() };
}
