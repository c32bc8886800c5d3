/**
 * What the tunnel executors do: ensure (start, reuse or switch namespace), stop, reconnect.
 *
 * The decision is made from the state file the supervisor keeps (see state.ts):
 *   - our supervisor, same namespace/deployment/port/addresses → reuse it (wait if it is degraded);
 *   - our supervisor, anything different (e.g. --namespace=s2 after s1) → stop it, start a new one;
 *   - a stale state (supervisor died) → end its leftover kubectl, start a new one;
 *   - the port held by some other process → fail naming that process; never touch it.
 * Deciding (and starting) happens under the workspace's tunnel lock; waiting for the PING does
 * not, so `down` is never queued behind an `up` that waits for a tunnel that does not come.
 *
 * `redis.mode: local` (per workspace, or per namespace) runs the same code with a redis-server on
 * this machine as the supervised process instead of kubectl (forwarder.ts): same state file, same
 * lock, same PING checks, same REDIS_HOST/REDIS_PORT for the services. Switching mode (or namespace)
 * replaces the running one.
 *
 * The tunnel is best effort by default (bringUpTunnel): a tunnel that cannot start, or is still
 * retrying, is reported and the services start anyway. `redis.required: true` makes it strict:
 * no healthy tunnel, no `up`.
 */
import { redisModeFor, type RedisSettings } from '../config/model';
import { ChildProcessError, TunnelError } from '../core/errors';
import { exec } from '../core/exec';
import { isWriteRefused } from '../core/lock';
import { describeHolder, findPortHolder, isPortFree } from '../core/port-owner';
import type { WorkspacePaths } from '../core/workspace';
import { findDockerBridgeGateway } from './host';
import { forwarderFor } from './forwarder';
import { classifyKubectlOutput } from './kubectl-errors';
import { endOrphanKubectl, endSupervisor, launchSupervisor, signal, withTunnelLock } from './launch';
import { chooseBindAddresses, DEFAULT_TIMINGS, freshnessBoundMs, sameTarget, type SupervisorTimings, type TunnelTarget } from './plan';
import { pingRedis } from './redis-ping';
import { checkAgeMs, NO_SUPERVISOR_PID, readTunnelState, writeTunnelState, type TunnelReading, type TunnelState } from './state';
import { NotHealthyInTime, waitForHealthy, type WaitOptions, type WaitSince } from './wait';

export interface TunnelContext {
  paths: WorkspacePaths;
  /**
   * `required`: config.yaml's redis.required (strict: no healthy tunnel fails tunnel-up); `mode`
   * and `namespaceModes` pick the tunnel or a local redis-server (absent: the tunnel).
   */
  model: { redis: Pick<RedisSettings, 'deployment' | 'port' | 'required'> & Partial<Pick<RedisSettings, 'mode' | 'namespaceModes'>> };
  namespace: string;
}

export interface ControlOptions {
  /** Progress lines for the user. */
  report: (line: string) => void;
  /** How long a strict wait (redis.required, restart) waits for the first healthy PING. */
  timeoutMs: number;
  /** How long a best-effort wait waits at most (default BEST_EFFORT_WAIT_MS). */
  bestEffortWaitMs?: number;
  /** The kubectl program; tests put a stand-in first on PATH rather than changing this. */
  kubectl?: string;
  /** The redis-server program of the local mode (default: redis-server on PATH). */
  redisServer?: string;
  /** Environment of the supervisor and kubectl (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Supervisor timing overrides (tests, bench). */
  timings?: Partial<SupervisorTimings>;
  /** Limit for `kubectl config current-context` (default KUBECTL_CHECK_TIMEOUT_MS). */
  checkTimeoutMs?: number;
}

export const DEFAULT_WAIT_MS = 60_000;
/**
 * Best effort: the longest tunnel-up waits before it lets the services start without a healthy
 * tunnel. A real kubectl forwards within a few seconds; an unreachable cluster usually fails twice
 * well before this (see wait.ts), so this only bounds a kubectl that hangs while connecting.
 */
export const BEST_EFFORT_WAIT_MS = 10_000;
/** `kubectl config current-context` reads the kubeconfig; a hung credential plugin must not hold the run. */
export const KUBECTL_CHECK_TIMEOUT_MS = 10_000;
const LOCK_TIMEOUT_MS = 90_000;

/** The tunnel this context asks for, binding the Docker bridge when this host has one. */
export async function tunnelTarget(context: TunnelContext): Promise<TunnelTarget> {
  return {
    mode: redisModeFor(context.model.redis, context.namespace),
    namespace: context.namespace,
    deployment: context.model.redis.deployment,
    port: context.model.redis.port,
    addresses: chooseBindAddresses(await findDockerBridgeGateway()),
  };
}

/** What tunnel-up ends with: a healthy tunnel, or (best effort) the problem and how things stand. */
export type TunnelOutcome = { healthy: true; state: TunnelState } | { healthy: false; problem: TunnelError; reading: TunnelReading };

/**
 * tunnel-up: strict when redis.required (a TunnelError unless healthy), best effort otherwise: a
 * tunnel that cannot start or is still retrying comes back as the problem, never as an error, and
 * a supervisor that is retrying keeps running.
 */
export async function bringUpTunnel(context: TunnelContext, options: ControlOptions & { reconnect: boolean }): Promise<TunnelOutcome> {
  if (context.model.redis.required) return { healthy: true, state: await ensureTunnel(context, options) };
  try {
    return { healthy: true, state: await ensure(context, options, 'best-effort') };
  } catch (error) {
    if (!(error instanceof TunnelError)) throw error;
    return { healthy: false, problem: error, reading: readTunnelState(context.paths) };
  }
}

/** Makes sure a healthy tunnel for `context` runs, or throws; `reconnect` forces a fresh kubectl. */
export function ensureTunnel(context: TunnelContext, options: ControlOptions & { reconnect: boolean }): Promise<TunnelState> {
  return ensure(context, options, 'strict');
}

type Policy = 'strict' | 'best-effort';

/** After deciding under the lock: a tunnel to use now, or a supervisor to wait for. */
type Decision = { kind: 'ready'; state: TunnelState } | { kind: 'wait'; pid: number; since: WaitSince; startedHere: boolean };

async function ensure(context: TunnelContext, options: ControlOptions & { reconnect: boolean }, policy: Policy): Promise<TunnelState> {
  const target = await tunnelTarget(context);
  const decision = await withTunnelLock(context.paths, LOCK_TIMEOUT_MS, () => decide(context, target, options), options.report);
  if (decision.kind === 'ready') return decision.state;
  const wait: WaitOptions =
    policy === 'strict'
      ? { report: options.report, timeoutMs: options.timeoutMs }
      : { report: options.report, timeoutMs: options.bestEffortWaitMs ?? BEST_EFFORT_WAIT_MS, giveUpAfterFailures: 2 };
  try {
    return await waitForHealthy(context.paths, decision.pid, decision.since, wait);
  } catch (error) {
    // Strict: we started it for this command and it failed, so leave nothing running behind a
    // failed command. Best effort: a supervisor still retrying is the point; it stays.
    if (policy === 'strict' && decision.startedHere) await endIfStillRunning(context.paths, decision.pid, target);
    throw error;
  }
}

async function decide(context: TunnelContext, target: TunnelTarget, options: ControlOptions & { reconnect: boolean }): Promise<Decision> {
  const { report } = options;
  const reading = readTunnelState(context.paths);
  if (reading.condition === 'running' && sameTarget(reading.state, target)) {
    const running = reading.state;
    if (options.reconnect) {
      report(`Redis tunnel: reconnecting (supervisor pid ${running.pid}, namespace ${running.namespace})`);
      const since = new Date().toISOString();
      signal(running.pid, 'SIGHUP');
      return { kind: 'wait', pid: running.pid, since: { kubectl: since, check: since }, startedHere: false };
    }
    const reused = await reuseTunnel(context.paths, running, options);
    if (reused) return reused;
    await endSupervisor(running);
    return startTunnel(context, target, options);
  }
  if (reading.condition === 'running') {
    const running = reading.state;
    const [was, now] = [forwarderFor(running), forwarderFor(target)];
    report(
      was !== now
        ? `Redis: switching from ${was.mode === 'local' ? 'the local redis-server' : 'the kubectl tunnel'} to ${now.mode === 'local' ? 'a local redis-server' : 'the kubectl tunnel'} (redis.mode for namespace ${target.namespace})`
        : running.namespace !== target.namespace
          ? `Redis tunnel: switching from namespace ${running.namespace} to ${target.namespace}`
          : `Redis tunnel: settings changed (${describeTarget(running)} → ${describeTarget(target)}); restarting it`,
    );
    await endSupervisor(running);
  } else if (reading.condition === 'stale' && reading.unconfirmed) {
    report(`Redis tunnel: ${reading.unconfirmed.message}\n  fix: ${reading.unconfirmed.fix}`);
  } else if (reading.condition === 'stale') {
    const how = reading.state.status === 'crashed' ? `crashed (${reading.state.lastError?.message ?? 'no reason recorded'})` : 'is gone without stopping';
    report(`Redis tunnel: the previous supervisor (pid ${reading.state.pid}) ${how}; cleaning up after it`);
    endOrphanKubectl(reading.state);
  }
  return startTunnel(context, target, options);
}

/**
 * Stops the supervisor and its kubectl. Says what it found; stopping nothing is not an error.
 * `unwritable` (stack:stop): a logs/ that refuses writes does not keep the tunnel running; it hears what was not written.
 */
export async function stopTunnel(paths: WorkspacePaths, report: (line: string) => void, unwritable?: (problem: string) => void): Promise<void> {
  await withTunnelLock(
    paths,
    LOCK_TIMEOUT_MS,
    async () => {
      const reading = readTunnelState(paths);
      if (reading.condition === 'absent' || reading.condition === 'stopped') {
        report('Redis tunnel: not running; nothing to stop');
        return;
      }
      const { state } = reading;
      if (reading.condition === 'stale' && reading.unconfirmed) {
        report(`Redis tunnel: ${reading.unconfirmed.message}\n  fix: ${reading.unconfirmed.fix}`);
        return;
      }
      const { name } = forwarderFor(state);
      const label = state.mode === 'local' ? 'Redis (local)' : 'Redis tunnel';
      report(
        reading.condition === 'running'
          ? `${label}: stopping the supervisor (pid ${state.pid}) and ${name}${state.kubectlPid ? ` (pid ${state.kubectlPid})` : ''}`
          : `${label}: the supervisor (pid ${state.pid}) had died; ending its leftover ${name}`,
      );
      await endSupervisor(state);
      const after = readTunnelState(paths);
      // A supervisor that had to be killed (or had died) could not write "stopped" itself.
      try {
        if (after.condition !== 'stopped') writeTunnelState(paths, { ...state, status: 'stopped', kubectlPid: undefined, updatedAt: new Date().toISOString() });
      } catch (error) {
        if (!unwritable || !isWriteRefused(error)) throw error;
        unwritable(`the Redis tunnel's state "stopped" (${(error as Error).message})`);
      }
      report(`${label}: stopped`);
    },
    report,
    unwritable,
  );
}

/** Ends supervisor `pid` if the state still names it (another command may have replaced it meanwhile). */
async function endIfStillRunning(paths: WorkspacePaths, pid: number, target: TunnelTarget): Promise<void> {
  await withTunnelLock(paths, LOCK_TIMEOUT_MS, async () => {
    const reading = readTunnelState(paths);
    if (reading.condition === 'absent') await endSupervisor({ ...target, pid, status: 'starting', restarts: 0, startedAt: '', updatedAt: '' });
    else if (reading.state.pid === pid) await endSupervisor(reading.state);
  });
}

async function startTunnel(context: TunnelContext, target: TunnelTarget, options: ControlOptions): Promise<Decision> {
  const kind = forwarderFor(target);
  const program = (kind.mode === 'local' ? options.redisServer : options.kubectl) ?? kind.defaultProgram;
  const env = options.env ?? process.env;
  try {
    const timeoutMs = options.checkTimeoutMs ?? KUBECTL_CHECK_TIMEOUT_MS;
    if (kind.mode === 'local') await checkRedisServer(program, env, timeoutMs);
    else await checkKubectlContext(program, env, target, timeoutMs);
    await checkPortFree(target);
  } catch (error) {
    // No kubectl, no context, the port taken: no supervisor is started to retry. Waiting cannot
    // install kubectl or pick a context (on a train, neither can the user), and a background
    // process that fails every few seconds until the laptop closes helps nobody. The next `up`
    // checks again (a few ms) and says it again. No supervisor will say why there is no tunnel,
    // so the state does: `status` shows it.
    if (error instanceof NotStarted) recordNotStarted(context.paths, target, error);
    throw error;
  }
  const since = new Date().toISOString();
  const pid = launchSupervisor(context.paths, { root: context.paths.root, target, kubectl: program, timings: options.timings }, env);
  // Recorded before the lock is released, not left to the new supervisor's first write: the
  // waiting happens outside the lock, so a second command (another terminal's `up`) may take the
  // lock next. Reading no state, it would start a second supervisor and find the port held by
  // this one's kubectl. It now finds this supervisor starting and waits for it instead.
  writeTunnelState(context.paths, {
    ...target,
    pid,
    status: 'starting',
    restarts: 0,
    staleAfterMs: freshnessBoundMs({ ...DEFAULT_TIMINGS, ...options.timings }),
    startedAt: since,
    updatedAt: since,
  });
  const command = `${program} ${kind
    .args(target)
    .map((arg) => (arg === '' ? "''" : arg))
    .join(' ')}`;
  options.report(
    kind.mode === 'local'
      ? `Redis (local, redis.mode: local): starting \`${command}\` under supervisor pid ${pid} (log: logs/redis-tunnel.log)`
      : `Redis tunnel: starting \`${command}\` under supervisor pid ${pid} (log: logs/redis-tunnel.log)`,
  );
  return { kind: 'wait', pid, since: { kubectl: since, check: since }, startedHere: true };
}

/** The tunnel could not even be started (no kubectl, no context, port taken); retrying would not help. */
class NotStarted extends TunnelError {
  constructor(
    readonly problemKind: string,
    message: string,
    options: { fix: string; cause?: unknown },
  ) {
    super(message, options);
  }
}

function recordNotStarted(paths: WorkspacePaths, target: TunnelTarget, error: NotStarted): void {
  const now = new Date().toISOString();
  writeTunnelState(paths, {
    ...target,
    pid: NO_SUPERVISOR_PID,
    status: 'stopped',
    restarts: 0,
    lastError: { kind: error.problemKind, message: error.message, fix: error.fix ?? '', permanent: true, at: now },
    startedAt: now,
    updatedAt: now,
  });
}

/** kubectl installed and a current context set; the cheapest call that proves both. */
async function checkKubectlContext(kubectl: string, env: NodeJS.ProcessEnv, target: TunnelTarget, timeoutMs: number): Promise<void> {
  try {
    await exec(kubectl, ['config', 'current-context'], { env, timeoutMs });
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    const problem = classifyKubectlOutput(error.outputTail, target);
    throw new NotStarted(problem?.kind ?? 'unknown', `cannot start the Redis tunnel: ${problem?.message ?? error.message}`, {
      fix: problem?.fix ?? `check your kubectl setup with \`${kubectl} config current-context\` (it must answer within ${Math.round(timeoutMs / 1000)} s)`,
      cause: error,
    });
  }
}

/** redis-server installed and runnable: `redis-server --version`, the cheapest call that proves it. */
async function checkRedisServer(program: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  try {
    await exec(program, ['--version'], { env, timeoutMs });
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    const notInstalled = /ENOENT|not found/i.test(`${error.message}\n${error.outputTail}`);
    throw new NotStarted(
      notInstalled ? 'not-installed' : 'unknown',
      `cannot start the local Redis: ${notInstalled ? `${program}: command not found` : error.message}`,
      {
        fix: notInstalled
          ? `${forwarderFor({ mode: 'local' }).installFix}; or set redis.mode: tunnel in repos_docker_files/config.yaml to use the cluster's Redis`
          : `check \`${program} --version\``,
        cause: error,
      },
    );
  }
}

async function checkPortFree(target: TunnelTarget): Promise<void> {
  for (const address of target.addresses) {
    let free: boolean;
    try {
      free = await isPortFree(target.port, address);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw error;
      // docker0 vanished between detecting the addresses and now (Docker restarting).
      throw new TunnelError(`cannot start the Redis tunnel: ${address} is not an address of this host any more (bind: cannot assign requested address)`, {
        fix: 'the Docker bridge (docker0) was removed or re-created: run the command again, it re-detects the addresses; `ip addr show docker0` shows the bridge',
        cause: error,
      });
    }
    if (free) continue;
    const holder = findPortHolder(target.port);
    const isKubectl = holder?.command.includes('port-forward') ?? false;
    const isRedis = holder?.command.includes('redis-server') ?? false;
    throw new NotStarted(
      'port-in-use',
      `port ${target.port} on ${address} is already in use by ${describeHolder(holder)}, not by local-dev's ${target.mode === 'local' ? 'local Redis' : 'tunnel'}`,
      {
        fix: `${isKubectl ? 'that looks like a port-forward started by hand or by the old run.sh: ' : isRedis ? "that is a redis-server local-dev did not start (the system's redis service, or one started by hand): " : ''}stop it${holder ? ` (\`kill ${holder.pid}\`)` : ''} and retry, or set redis.port in repos_docker_files/config.yaml to a free port; local-dev never kills processes it did not start`,
      },
    );
  }
}

/**
 * Reuses a running tunnel for the same target, trusting nothing old: a healthy state must be fresh
 * and a PING from here through every bound address must answer too; otherwise the caller waits for
 * a check the supervisor makes after now. Returns undefined when a supervisor whose last check is
 * too old makes none within two check cycles (stopped, blocked): the caller then replaces it. That
 * one wait happens under the lock, and is bounded by those two cycles (6 s in production).
 */
async function reuseTunnel(paths: WorkspacePaths, running: TunnelState, options: ControlOptions): Promise<Decision | undefined> {
  const since = new Date().toISOString();
  const recheck: Decision = { kind: 'wait', pid: running.pid, since: { kubectl: '', check: since }, startedHere: false };
  const { report } = options;
  if (running.status === 'healthy') {
    const failure = await pingEveryAddress(running, options.timings?.pingTimeoutMs ?? DEFAULT_TIMINGS.pingTimeoutMs);
    if (!failure) {
      report(
        `Redis${running.mode === 'local' ? ' (local)' : ' tunnel'}: reusing the healthy ${running.mode === 'local' ? 'local redis-server' : `tunnel to ${running.namespace}/deployment/${running.deployment}`} on port ${running.port} (supervisor pid ${running.pid}; PING from here answered, supervisor's last check ${running.lastCheckAt})`,
      );
      return { kind: 'ready', state: running };
    }
    report(`Redis tunnel: the running tunnel says healthy but a PING from here failed (${failure}); waiting for the supervisor to recover it`);
    return recheck;
  }
  if (running.status === 'unverified') {
    const bound = running.staleAfterMs ?? freshnessBoundMs(DEFAULT_TIMINGS);
    report(
      `Redis tunnel: the supervisor (pid ${running.pid}) last checked the tunnel ${Math.round(checkAgeMs(running, new Date()) / 1000)} s ago (machine asleep, or the supervisor is stopped or blocked); waiting up to ${Math.round(bound / 1000)} s for a fresh check`,
    );
    try {
      return { kind: 'ready', state: await waitForHealthy(paths, running.pid, recheck.since, { report, timeoutMs: bound }) };
    } catch (error) {
      if (!(error instanceof NotHealthyInTime)) throw error;
      report(`Redis tunnel: no fresh check from supervisor pid ${running.pid}; replacing it`);
      return undefined;
    }
  }
  report(`Redis tunnel: the running tunnel is ${running.status}${running.lastError ? ` (${running.lastError.message})` : ''}; waiting for it to recover`);
  return recheck;
}

/** One PING from this process through every address the tunnel binds; the first failure, or undefined. */
async function pingEveryAddress(state: TunnelState, timeoutMs: number): Promise<string | undefined> {
  const outcomes = await Promise.all(state.addresses.map(async (address) => ({ address, outcome: await pingRedis(address, state.port, timeoutMs) })));
  const failed = outcomes.find(({ outcome }) => !outcome.ok);
  return failed && !failed.outcome.ok ? `${failed.address}:${state.port}: ${failed.outcome.reason}` : undefined;
}

function describeTarget(target: TunnelTarget): string {
  const kind = forwarderFor(target);
  return `${kind.mode === 'local' ? `a local redis-server for ${target.namespace}` : kind.describe(target)} on ${target.addresses.join(',')}:${target.port}`;
}
