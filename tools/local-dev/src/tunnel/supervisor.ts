/**
 * The supervisor loop: keep one kubectl port-forward alive and tell the truth about it. The same
 * loop keeps a local redis-server alive for `redis.mode: local` (forwarder.ts says what differs);
 * below, "kubectl" stands for either.
 *
 *   start kubectl → "Forwarding from" on every address → PING through each of them → healthy
 *        ↑                                            │ every checkIntervalMs: PING again
 *        └── backoff + jitter ← degraded ←────────────┘ a PING fails or times out, kubectl exits,
 *                                                       or kubectl says the forward broke
 *
 * Healthy is only ever written after a PING answered through the forward on every address kubectl
 * binds (loopback for the host, the Docker bridge for containers); any failure writes "degraded"
 * with the reason before anything else happens. A problem retrying cannot solve (namespace not
 * found, forbidden …) ends the supervisor with "stopped" and the error. A reconnect request (SIGHUP
 * from tunnel-restart) restarts kubectl at once, also while it is still starting; stop() ends
 * kubectl's process group and writes "stopped". kubectl failing to bind an address this host lost
 * (docker0 re-created) makes the supervisor re-detect its bind addresses before retrying.
 */
import { TunnelError } from '../core/errors';
import type { WorkspacePaths } from '../core/workspace';
import { findDockerBridgeGateway } from './host';
import { forwarderFor, type ForwarderKind } from './forwarder';
import type { KubectlProblem } from './kubectl-errors';
import { killGroup, PortForwardError, startPortForward, type PortForwardProcess, type StartPortForwardOptions } from './kubectl-process';
import { backoffDelay, chooseBindAddresses, freshnessBoundMs, type SupervisorTimings, type TunnelTarget } from './plan';
import { pingRedis, type PingOutcome } from './redis-ping';
import { writeTunnelState, type TunnelErrorInfo, type TunnelState } from './state';

/** The supervisor's contact with the outside world; unit tests replace them with fakes. */
export interface SupervisorDeps {
  startPortForward: (options: StartPortForwardOptions) => PortForwardProcess;
  pingRedis: (host: string, port: number, timeoutMs: number) => Promise<PingOutcome>;
  /** Where kubectl should listen now (loopback, plus docker0's address when there is one). */
  detectBindAddresses: () => Promise<string[]>;
  writeState: (paths: WorkspacePaths, state: TunnelState) => void;
  random: () => number;
}

export const REAL_DEPS: SupervisorDeps = {
  startPortForward,
  pingRedis,
  detectBindAddresses: async () => chooseBindAddresses(await findDockerBridgeGateway()),
  writeState: writeTunnelState,
  random: Math.random,
};

export interface SupervisorOptions {
  paths: WorkspacePaths;
  target: TunnelTarget;
  /** The forwarder's program (looked up on PATH): kubectl, or redis-server for a local target. */
  program: string;
  env: NodeJS.ProcessEnv;
  timings: SupervisorTimings;
  log: (line: string) => void;
  deps?: Partial<SupervisorDeps>;
}

/** Why the watch over one kubectl ended. */
type WatchEnd = { kind: 'stop' } | { kind: 'reconnect' } | { kind: 'broken'; error: TunnelErrorInfo };

/**
 * TEST HOOK, for tests only (read by supervisor-main.ts): `throw:<ms>` throws from a timer
 * callback, `reject:<ms>` leaves a rejected promise unhandled, <ms> after start. Proves that a
 * crash leaves no kubectl behind.
 */
export const TEST_HOOK_CRASH_ENV = 'LOCAL_DEV_TUNNEL_TEST_HOOK_CRASH';

/** While healthy, the bind addresses are re-detected this often (docker0 may have come back). */
const ADDRESS_RECHECK_MS = 10_000;

export class TunnelSupervisor {
  private state: TunnelState;
  private target: TunnelTarget;
  private readonly deps: SupervisorDeps;
  private readonly kind: ForwarderKind;
  private forward: PortForwardProcess | undefined;
  private stopping = false;
  private reconnectRequested = false;
  // Stryker disable next-line BooleanLiteral: equivalent mutant — watch() clears it before its first read
  private checkRequested = false;
  /** Consecutive failed attempts; picks the backoff delay. Reset by a healthy check. */
  private failures = 0;
  private kubectlStarts = 0;
  private addressesCheckedAt = 0;
  private wake: (() => void) | undefined;
  private finished: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {
    const now = new Date().toISOString();
    this.deps = { ...REAL_DEPS, ...options.deps };
    this.target = options.target;
    this.kind = forwarderFor(options.target);
    // The launcher detected the addresses just now.
    this.addressesCheckedAt = Date.now();
    this.state = {
      ...options.target,
      pid: process.pid,
      status: 'starting',
      restarts: 0,
      staleAfterMs: freshnessBoundMs(options.timings),
      startedAt: now,
      updatedAt: now,
    };
  }

  /** Runs until stop() or a permanent error. Resolves once kubectl is gone and "stopped" is written. */
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

  /**
   * Last resort when the supervisor itself crashes: end kubectl's group now and record the crash,
   * synchronously (the process exits right after).
   */
  recordCrash(error: unknown): void {
    // killGroup itself leaves a pid <= 0 (a kubectl that never started) alone.
    if (this.forward) killGroup(this.forward.pid, 'SIGKILL');
    const reason = error instanceof Error ? error.message : String(error);
    this.save({
      status: 'crashed',
      kubectlPid: undefined,
      lastError: {
        kind: 'supervisor-crashed',
        message: `the tunnel supervisor crashed: ${reason}`,
        fix: '`nx run redis-tunnel:up` starts a new one; this is a bug in local-dev — please report it with logs/redis-tunnel.log',
        permanent: false,
        at: new Date().toISOString(),
      },
    });
  }

  private async loop(): Promise<void> {
    this.save({});
    while (!this.stopping) {
      const forward = this.startKubectl();
      this.forward = forward;
      const end = await this.superviseOne(forward);
      await forward.stop();
      this.forward = undefined;
      if (this.stopping || end.kind === 'stop') break;
      if (end.kind === 'reconnect') {
        this.reconnectRequested = false;
        this.failures = 0;
        continue;
      }
      if (end.error.permanent) {
        // Retrying cannot help (no such namespace, no permission …): say so and end.
        this.options.log(`stopping: ${end.error.message} — ${end.error.fix}`);
        this.save({ status: 'stopped', lastError: end.error, kubectlPid: undefined });
        return;
      }
      const delay = backoffDelay(this.failures, this.options.timings.backoff, this.deps.random());
      this.failures++;
      this.options.log(`degraded: ${end.error.message}`);
      this.save({ status: 'degraded', lastError: end.error, kubectlPid: undefined, failures: this.failures });
      if (end.error.kind === 'bind-address-gone') await this.redetectAddresses();
      this.options.log(`restarting kubectl in ${delay} ms (attempt ${this.failures})`);
      await this.sleep(delay);
      this.reconnectRequested = false;
    }
    this.save({ status: 'stopped', kubectlPid: undefined });
    this.options.log('stopped');
  }

  /** One kubectl from start to end: wait for "Forwarding from" (or a stop/reconnect), then watch it. */
  private async superviseOne(forward: PortForwardProcess): Promise<WatchEnd> {
    // Settles either way, so a rejection nobody waits for any more (after stop or reconnect) is
    // never an unhandled rejection, which would crash the supervisor.
    let readiness: { error: unknown } | undefined;
    void forward.ready
      .then(
        () => (readiness = { error: undefined }),
        (error: unknown) => (readiness = { error }),
      )
      .then(() => this.wake?.());
    while (!readiness) {
      if (this.stopping) return { kind: 'stop' };
      if (this.reconnectRequested) return { kind: 'reconnect' };
      await this.sleep(this.options.timings.readyTimeoutMs);
    }
    const { error } = readiness as { error: unknown };
    if (error instanceof PortForwardError) return { kind: 'broken', error: errorInfo(error.problem) };
    if (error !== undefined) throw error;
    this.options.log(`${this.kind.name} (pid ${forward.pid}) is ${this.kind.mode === 'local' ? 'ready' : 'forwarding'}; checking with PING`);
    return this.watch(forward);
  }

  private startKubectl(): PortForwardProcess {
    const kind = this.kind;
    const args = kind.args(this.target);
    if (this.kubectlStarts > 0) this.state.restarts++;
    this.kubectlStarts++;
    this.options.log(`starting: ${this.options.program} ${args.map((arg) => (arg === '' ? "''" : arg)).join(' ')}`);
    const forward = this.deps.startPortForward({
      program: this.options.program,
      kind,
      args,
      env: this.options.env,
      context: this.target,
      addresses: this.target.addresses,
      readyTimeoutMs: this.options.timings.readyTimeoutMs,
      onLine: (line, stream) => {
        // kubectl announces every connection, each health check's too: noise that would fill the log.
        if (!kind.isNoise(line)) this.options.log(`${kind.name} ${stream}: ${line}`);
        if (kind.isBrokenLine(line)) {
          this.checkRequested = true;
          this.wake?.();
        }
      },
    });
    // A new kubectl is unproven until its first PING: a healthy status must not carry over to it.
    const status = this.state.status === 'healthy' ? 'starting' : this.state.status;
    // equivalent mutant: `>= 0` — a kubectl that could not start has pid -1, never 0
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
    const { port, namespace, deployment } = this.target;
    for (;;) {
      if (this.stopping) return { kind: 'stop' };
      if (this.reconnectRequested) return { kind: 'reconnect' };
      if (exit) {
        const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        const problem = this.kind.classify(exit.outputTail, { port, namespace, deployment });
        return {
          kind: 'broken',
          error: problem
            ? errorInfo(problem)
            : errorInfo({ kind: 'unknown', message: `${this.kind.name} ${how}`, fix: 'the supervisor restarts it on its own', permanent: false }),
        };
      }
      this.checkRequested = false;
      const failure = await this.pingEveryAddress();
      // A kubectl that is dying breaks the PING a moment before it exits; wait briefly so the
      // user reads kubectl's own reason ("lost connection to pod") rather than "PING failed".
      if (failure && !exit) await Promise.race([forward.exited, delay(EXIT_GRACE_MS)]);
      if (this.stopping || this.reconnectRequested || exit) continue;
      if (failure) return { kind: 'broken', error: failure };
      if (await this.addressesChanged()) return { kind: 'reconnect' };
      if (!this.checkRequested) await this.sleep(this.options.timings.checkIntervalMs);
    }
  }

  /**
   * One PING through every bound address at once (loopback serves the host, the bridge address the
   * containers): healthy only when all answer. Returns the failure, or undefined after saving healthy.
   */
  private async pingEveryAddress(): Promise<TunnelErrorInfo | undefined> {
    const { port, namespace, addresses } = this.target;
    const outcomes = await Promise.all(
      addresses.map(async (address) => ({ address, outcome: await this.deps.pingRedis(address, port, this.options.timings.pingTimeoutMs) })),
    );
    for (const { address, outcome } of outcomes) {
      if (outcome.ok) continue;
      return errorInfo({
        kind: 'connection-lost',
        message: `PING ${this.kind.mode === 'local' ? 'to the local redis-server' : 'through the forward'} on ${address}:${port} failed: ${outcome.reason}`,
        fix:
          this.kind.mode === 'local'
            ? 'the supervisor restarts redis-server on its own; if this persists see logs/redis-tunnel.log'
            : `the tunnel restarts kubectl on its own; if this persists check \`kubectl -n ${namespace} get pods\``,
        permanent: false,
      });
    }
    const noauth = outcomes.some(({ outcome }) => outcome.ok && outcome.reply === 'NOAUTH');
    const slowest = Math.max(...outcomes.map(({ outcome }) => outcome.ms));
    if (this.state.status !== 'healthy')
      this.options.log(`healthy: PING answered ${noauth ? 'NOAUTH' : 'PONG'} on ${addresses.join(', ')} within ${slowest} ms`);
    this.failures = 0;
    this.save({
      status: 'healthy',
      failures: 0,
      lastCheckAt: new Date().toISOString(),
      lastReply: noauth ? 'NOAUTH' : 'PONG',
      auth: noauth ? 'required' : 'none',
    });
    return undefined;
  }

  /** Every ADDRESS_RECHECK_MS while healthy: did docker0 come back, vanish or change? */
  private async addressesChanged(): Promise<boolean> {
    if (Date.now() - this.addressesCheckedAt < ADDRESS_RECHECK_MS) return false;
    return this.redetectAddresses();
  }

  /** Asks again where kubectl should listen; true (and the target updated) when it changed. */
  private async redetectAddresses(): Promise<boolean> {
    this.addressesCheckedAt = Date.now();
    let addresses: string[];
    try {
      addresses = await this.deps.detectBindAddresses();
    } catch (error) {
      // `ip` hung (see host.ts): keep the addresses kubectl has; the next check asks again.
      if (!(error instanceof TunnelError)) throw error;
      this.options.log(`cannot re-detect the bind addresses, keeping ${this.target.addresses.join(',')}: ${error.message}`);
      return false;
    }
    if (addresses.join(',') === this.target.addresses.join(',')) return false;
    this.options.log(`bind addresses changed: ${this.target.addresses.join(',')} → ${addresses.join(',')}; kubectl restarts with them`);
    this.target = { ...this.target, addresses };
    this.save({ addresses });
    return true;
  }

  /**
   * Waits `ms`, or less when stop, reconnect, a kubectl exit or a broken-forward line wakes it.
   * Returns at once once stopping: a stop that arrived while the loop was busy elsewhere (stopping
   * kubectl, re-detecting addresses) found no sleep to wake, and must not wait out a back-off.
   */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      this.wake = wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    }).then(() => {
      // equivalent mutant: an empty block (a stale wake only resolves a promise already resolved)
      this.wake = undefined;
    });
  }

  private save(change: Partial<TunnelState>): void {
    this.state = { ...this.state, ...change, updatedAt: new Date().toISOString() };
    this.deps.writeState(this.options.paths, this.state);
  }
}

const EXIT_GRACE_MS = 150;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorInfo(problem: KubectlProblem): TunnelErrorInfo {
  return { kind: problem.kind, message: problem.message, fix: problem.fix, permanent: problem.permanent, at: new Date().toISOString() };
}
