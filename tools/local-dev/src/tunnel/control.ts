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
import { chooseBindAddresses, portForwardArgs, sameTarget, type SupervisorTimings, type TunnelTarget } from './plan';
import { liveCommandLine, readTunnelState, writeTunnelState, type TunnelState } from './state';

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
        return waitForHealthy(context.paths, running.pid, since, options);
      }
      if (running.status === 'healthy') {
        report(`Redis tunnel: reusing the healthy tunnel to ${running.namespace}/deployment/${running.deployment} on port ${running.port} (supervisor pid ${running.pid}, last PING ${running.lastCheckAt ?? 'never'})`);
        return running;
      }
      report(`Redis tunnel: the running tunnel is ${running.status}${running.lastError ? ` (${running.lastError.message})` : ''}; waiting for it to recover`);
      return waitForHealthy(context.paths, running.pid, '', options);
    }
    if (reading.condition === 'running') {
      const running = reading.state;
      report(running.namespace !== target.namespace
        ? `Redis tunnel: switching from namespace ${running.namespace} to ${target.namespace}`
        : `Redis tunnel: settings changed (${describeTarget(running)} → ${describeTarget(target)}); restarting it`);
      await endSupervisor(running);
    } else if (reading.condition === 'stale') {
      report(`Redis tunnel: the previous supervisor (pid ${reading.state.pid}) is gone without stopping; cleaning up after it`);
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
    return await waitForHealthy(context.paths, pid, since, options);
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
    if (await isPortFree(target.port, address)) continue;
    const holder = findPortHolder(target.port);
    const isKubectl = holder?.command.includes('port-forward') ?? false;
    throw new TunnelError(`port ${target.port} on ${address} is already in use by ${describeHolder(holder)}, not by a local-dev tunnel`, {
      fix: `${isKubectl ? 'that looks like a port-forward started by hand or by the old run.sh: ' : ''}stop it${holder ? ` (\`kill ${holder.pid}\`)` : ''} and retry, or set redis.port in repos_docker_files/config.yaml to a free port; local-dev never kills processes it did not start`,
    });
  }
}

/** Polls the state until the supervisor `pid` reports a healthy kubectl started at or after `since`. */
async function waitForHealthy(paths: WorkspacePaths, pid: number, since: string, options: ControlOptions): Promise<TunnelState> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProgress = '';
  let latest: TunnelState | undefined;
  for (;;) {
    const reading = readTunnelState(paths);
    if (reading.condition !== 'absent' && reading.state.pid === pid) latest = reading.state;
    // Until its first state write the supervisor is only a process; check that it still is one.
    if (liveCommandLine(pid) === undefined) {
      throw new TunnelError(`the Redis tunnel supervisor (pid ${pid}) exited unexpectedly; its log ends with:\n${logTail(paths)}`, {
        fix: 'see logs/redis-tunnel.log; this is likely a bug in local-dev — please report it with that log',
      });
    }
    if (latest) {
      const progress = describeProgress(latest);
      if (progress !== '' && progress !== lastProgress) options.report(`Redis tunnel: ${progress}`);
      lastProgress = progress;
      if (latest.status === 'healthy' && (latest.kubectlStartedAt ?? '') >= since) {
        options.report(`Redis tunnel: healthy — ${healthSentence(latest)}`);
        return latest;
      }
      const error = latest.lastError;
      if (error?.permanent && error.at >= since) throw new TunnelError(`kubectl port-forward failed: ${error.message}`, { fix: error.fix });
    }
    if (Date.now() > deadline) {
      const error = latest?.lastError;
      throw new TunnelError(
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
  const reply = state.lastReply === 'NOAUTH'
    ? 'Redis answered -NOAUTH: reachable (it wants a password, which your services send)'
    : 'PING answered +PONG';
  const containers = state.addresses.length > 1 ? `; containers use host.docker.internal:${state.port}` : '';
  return `${reply} through 127.0.0.1:${state.port} → ${state.namespace}/deployment/${state.deployment}${containers}`;
}

function describeTarget(target: TunnelTarget): string {
  return `${target.namespace}/deployment/${target.deployment} on ${target.addresses.join(',')}:${target.port}`;
}
