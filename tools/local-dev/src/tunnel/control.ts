/**
 * What the tunnel executors do: ensure (start, reuse or switch namespace), stop, reconnect.
 *
 * The decision is made from the state file the supervisor keeps (see state.ts):
 *   - our supervisor, same namespace/deployment/port/addresses → reuse it (wait if it is degraded);
 *   - our supervisor, anything different (e.g. --namespace=s2 after s1) → stop it, start a new one;
 *   - a stale state (supervisor died) → end its leftover kubectl, start a new one;
 *   - the port held by some other process → fail naming that process; never touch it.
 * Starting waits until a PING went through (printing progress), and fails at once with kubectl's
 * message and a fix on problems retrying cannot solve.
 */
import { ChildProcessError, TunnelError } from '../core/errors';
import { exec } from '../core/exec';
import { describeHolder, findPortHolder, isPortFree } from '../core/port-owner';
import type { WorkspacePaths } from '../core/workspace';
import { classifyKubectlOutput } from './kubectl-errors';
import { endOrphanKubectl, endSupervisor, launchSupervisor, logTail, signal, withTunnelLock } from './launch';
import { findDockerBridgeGateway } from './host';
import { chooseBindAddresses, DEFAULT_TIMINGS, freshnessBoundMs, portForwardArgs, sameTarget, type SupervisorTimings, type TunnelTarget } from './plan';
import { pingRedis } from './redis-ping';
import { checkAgeMs, liveCommandLine, readTunnelState, writeTunnelState, type TunnelState } from './state';

export interface TunnelContext {
  paths: WorkspacePaths;
  model: { redis: { deployment: string; port: number } };
  namespace: string;
}

export interface ControlOptions {
  /** Progress lines for the user. */
  report: (line: string) => void;
  /** How long to wait for the first healthy PING. */
  timeoutMs: number;
  /** The kubectl program; tests put a stand-in first on PATH rather than changing this. */
  kubectl?: string;
  /** Environment of the supervisor and kubectl (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Supervisor timing overrides (tests, bench). */
  timings?: Partial<SupervisorTimings>;
}

export const DEFAULT_WAIT_MS = 60_000;
const LOCK_TIMEOUT_MS = 90_000;
const POLL_MS = 50;

/** The tunnel this context asks for, binding the Docker bridge when this host has one. */
export async function tunnelTarget(context: TunnelContext): Promise<TunnelTarget> {
  return {
    namespace: context.namespace,
    deployment: context.model.redis.deployment,
    port: context.model.redis.port,
    addresses: chooseBindAddresses(await findDockerBridgeGateway()),
  };
}

/** Makes sure a healthy tunnel for `context` runs; `reconnect` forces a fresh kubectl. */
export async function ensureTunnel(context: TunnelContext, options: ControlOptions & { reconnect: boolean }): Promise<TunnelState> {
  const target = await tunnelTarget(context);
  const { report } = options;
  return withTunnelLock(context.paths, LOCK_TIMEOUT_MS, async () => {
    const reading = readTunnelState(context.paths);
    if (reading.condition === 'running' && sameTarget(reading.state, target)) {
      const running = reading.state;
      if (options.reconnect) {
        report(`Redis tunnel: reconnecting (supervisor pid ${running.pid}, namespace ${running.namespace})`);
        const since = new Date().toISOString();
        signal(running.pid, 'SIGHUP');
        return waitForHealthy(context.paths, running.pid, { kubectl: since, check: since }, options);
      }
      const reused = await reuseTunnel(context.paths, running, options);
      if (reused) return reused;
      await endSupervisor(running);
      return startTunnel(context, target, options);
    }
    if (reading.condition === 'running') {
      const running = reading.state;
      report(running.namespace !== target.namespace
        ? `Redis tunnel: switching from namespace ${running.namespace} to ${target.namespace}`
        : `Redis tunnel: settings changed (${describeTarget(running)} → ${describeTarget(target)}); restarting it`);
      await endSupervisor(running);
    } else if (reading.condition === 'stale') {
      const how = reading.state.status === 'crashed' ? `crashed (${reading.state.lastError?.message ?? 'no reason recorded'})` : 'is gone without stopping';
      report(`Redis tunnel: the previous supervisor (pid ${reading.state.pid}) ${how}; cleaning up after it`);
      endOrphanKubectl(reading.state);
    }
    return startTunnel(context, target, options);
  });
}

/** Stops the supervisor and its kubectl. Says what it found; stopping nothing is not an error. */
export async function stopTunnel(paths: WorkspacePaths, report: (line: string) => void): Promise<void> {
  await withTunnelLock(paths, LOCK_TIMEOUT_MS, async () => {
    const reading = readTunnelState(paths);
    if (reading.condition === 'absent' || reading.condition === 'stopped') {
      report('Redis tunnel: not running; nothing to stop');
      return;
    }
    const { state } = reading;
    report(reading.condition === 'running'
      ? `Redis tunnel: stopping the supervisor (pid ${state.pid}) and kubectl${state.kubectlPid ? ` (pid ${state.kubectlPid})` : ''}`
      : `Redis tunnel: the supervisor (pid ${state.pid}) had died; ending its leftover kubectl`);
    await endSupervisor(state);
    const after = readTunnelState(paths);
    // A supervisor that had to be killed (or had died) could not write "stopped" itself.
    if (after.condition !== 'stopped') writeTunnelState(paths, { ...state, status: 'stopped', kubectlPid: undefined, updatedAt: new Date().toISOString() });
    report('Redis tunnel: stopped');
  });
}

async function startTunnel(context: TunnelContext, target: TunnelTarget, options: ControlOptions): Promise<TunnelState> {
  const kubectl = options.kubectl ?? 'kubectl';
  const env = options.env ?? process.env;
  await checkKubectlContext(kubectl, env, target);
  await checkPortFree(target);
  const since = new Date().toISOString();
  const pid = launchSupervisor(context.paths, { root: context.paths.root, target, kubectl, timings: options.timings }, env);
  options.report(`Redis tunnel: starting \`${kubectl} ${portForwardArgs(target).join(' ')}\` under supervisor pid ${pid} (log: logs/redis-tunnel.log)`);
  try {
    return await waitForHealthy(context.paths, pid, { kubectl: since, check: since }, options);
  } catch (error) {
    // We started it for this command and it failed: leave nothing running behind a failed command.
    const reading = readTunnelState(context.paths);
    if (reading.condition !== 'absent' && reading.state.pid === pid) await endSupervisor(reading.state);
    else await endSupervisor({ ...target, pid, status: 'starting', restarts: 0, startedAt: since, updatedAt: since });
    throw error;
  }
}

/** kubectl installed and a current context set; the cheapest call that proves both. */
async function checkKubectlContext(kubectl: string, env: NodeJS.ProcessEnv, target: TunnelTarget): Promise<void> {
  try {
    // No timeoutMs: it only reads the kubeconfig file, and exec's timeout timer outlives a
    // kubectl that is not installed (execa 5), which would hold the Nx run for the whole timeout.
    await exec(kubectl, ['config', 'current-context'], { env });
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    const problem = classifyKubectlOutput(error.outputTail, target);
    throw new TunnelError(`cannot start the Redis tunnel: ${problem?.message ?? error.message}`, {
      fix: problem?.fix ?? 'check your kubectl setup with `kubectl config current-context`',
      cause: error,
    });
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
    throw new TunnelError(`port ${target.port} on ${address} is already in use by ${describeHolder(holder)}, not by a local-dev tunnel`, {
      fix: `${isKubectl ? 'that looks like a port-forward started by hand or by the old run.sh: ' : ''}stop it${holder ? ` (\`kill ${holder.pid}\`)` : ''} and retry, or set redis.port in repos_docker_files/config.yaml to a free port; local-dev never kills processes it did not start`,
    });
  }
}

/**
 * Reuses a running tunnel for the same target, trusting nothing old: a healthy state must be fresh
 * and a PING from here through every bound address must answer too; otherwise it waits for a check
 * the supervisor makes after now. Returns undefined when the supervisor makes none within two check
 * cycles (stopped, blocked): the caller then replaces it.
 */
async function reuseTunnel(paths: WorkspacePaths, running: TunnelState, options: ControlOptions): Promise<TunnelState | undefined> {
  const since = new Date().toISOString();
  const { report } = options;
  if (running.status === 'healthy') {
    const failure = await pingEveryAddress(running, options.timings?.pingTimeoutMs ?? DEFAULT_TIMINGS.pingTimeoutMs);
    if (!failure) {
      report(`Redis tunnel: reusing the healthy tunnel to ${running.namespace}/deployment/${running.deployment} on port ${running.port} (supervisor pid ${running.pid}; PING from here answered, supervisor's last check ${running.lastCheckAt})`);
      return running;
    }
    report(`Redis tunnel: the running tunnel says healthy but a PING from here failed (${failure}); waiting for the supervisor to recover it`);
    return waitForHealthy(paths, running.pid, { kubectl: '', check: since }, options);
  }
  if (running.status === 'unverified') {
    const bound = running.staleAfterMs ?? freshnessBoundMs(DEFAULT_TIMINGS);
    report(`Redis tunnel: the supervisor (pid ${running.pid}) last checked the tunnel ${Math.round(checkAgeMs(running, new Date()) / 1000)} s ago (machine asleep, or the supervisor is stopped or blocked); waiting up to ${Math.round(bound / 1000)} s for a fresh check`);
    try {
      return await waitForHealthy(paths, running.pid, { kubectl: '', check: since }, { ...options, timeoutMs: bound });
    } catch (error) {
      if (!(error instanceof NotHealthyInTime)) throw error;
      report(`Redis tunnel: no fresh check from supervisor pid ${running.pid}; replacing it`);
      return undefined;
    }
  }
  report(`Redis tunnel: the running tunnel is ${running.status}${running.lastError ? ` (${running.lastError.message})` : ''}; waiting for it to recover`);
  return waitForHealthy(paths, running.pid, { kubectl: '', check: since }, options);
}

/** One PING from this process through every address the tunnel binds; the first failure, or undefined. */
async function pingEveryAddress(state: TunnelState, timeoutMs: number): Promise<string | undefined> {
  const outcomes = await Promise.all(state.addresses.map(async (address) => ({ address, outcome: await pingRedis(address, state.port, timeoutMs) })));
  const failed = outcomes.find(({ outcome }) => !outcome.ok);
  return failed && !failed.outcome.ok ? `${failed.address}:${state.port}: ${failed.outcome.reason}` : undefined;
}

/** The tunnel did not become healthy before the deadline. */
class NotHealthyInTime extends TunnelError {}

/**
 * Polls the state until the supervisor `pid` reports healthy from a kubectl started at or after
 * `since.kubectl` and a PING made at or after `since.check` (so an old "healthy" never counts).
 */
async function waitForHealthy(paths: WorkspacePaths, pid: number, since: { kubectl: string; check: string }, options: ControlOptions): Promise<TunnelState> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProgress = '';
  let latest: TunnelState | undefined;
  for (;;) {
    const reading = readTunnelState(paths);
    if (reading.condition !== 'absent' && reading.state.pid === pid) latest = reading.state;
    if (latest) {
      const progress = describeProgress(latest);
      if (progress !== '' && progress !== lastProgress) options.report(`Redis tunnel: ${progress}`);
      lastProgress = progress;
      if (latest.status === 'healthy' && (latest.kubectlStartedAt ?? '') >= since.kubectl && (latest.lastCheckAt ?? '') >= since.check) {
        options.report(`Redis tunnel: healthy — ${healthSentence(latest)}`);
        return latest;
      }
      // Checked before liveness: a supervisor ends itself on a permanent error, and the user
      // needs kubectl's message, not "exited unexpectedly".
      const error = latest.lastError;
      if (error?.permanent && error.at >= since.check) throw new TunnelError(`kubectl port-forward failed: ${error.message}`, { fix: error.fix });
    }
    // Until its first state write the supervisor is only a process; check that it still is one.
    if (liveCommandLine(pid) === undefined) {
      const crashed = latest?.status === 'crashed' ? `${latest.lastError?.message ?? 'it crashed'}; ` : '';
      throw new TunnelError(`the Redis tunnel supervisor (pid ${pid}) exited unexpectedly: ${crashed}its log ends with:\n${logTail(paths)}`, {
        fix: 'see logs/redis-tunnel.log; this is likely a bug in local-dev — please report it with that log',
      });
    }
    if (Date.now() > deadline) {
      const error = latest?.lastError;
      throw new NotHealthyInTime(
        `the Redis tunnel did not become healthy within ${Math.round(options.timeoutMs / 1000)} s${error ? `; last error: ${error.message}` : ''}`,
        { fix: error?.fix ?? 'see logs/redis-tunnel.log, then `nx run redis-tunnel:restart`' },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function describeProgress(state: TunnelState): string {
  if (state.status === 'degraded') return `degraded: ${state.lastError?.message ?? 'unknown'} (retrying; restarts so far: ${state.restarts})`;
  // Healthy gets its own closing line; a healthy state read here may still be the old kubectl's.
  if (state.status === 'healthy') return '';
  return state.kubectlPid ? `kubectl started (pid ${state.kubectlPid}); waiting for "Forwarding from" and a PING through it` : state.status;
}

/** One line on how the tunnel answers, used by tunnel-up and tunnel-status. */
export function healthSentence(state: TunnelState): string {
  const reply = state.auth === 'required' || state.lastReply === 'NOAUTH'
    ? 'Redis answered -NOAUTH (auth: required): reachable, it wants the password your services send'
    : 'PING answered +PONG';
  const containers = state.addresses.length > 1 ? `; containers use host.docker.internal:${state.port}` : '';
  return `${reply} through ${state.addresses.map((address) => `${address}:${state.port}`).join(' and ')} → ${state.namespace}/deployment/${state.deployment}${containers}`;
}

function describeTarget(target: TunnelTarget): string {
  return `${target.namespace}/deployment/${target.deployment} on ${target.addresses.join(',')}:${target.port}`;
}
