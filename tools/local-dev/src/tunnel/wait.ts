/**
 * Waiting for a supervisor to report a healthy tunnel, as tunnel-up and tunnel-restart do: poll
 * the state file it writes, print progress, and end with the state or a TunnelError saying why not.
 *
 * Two policies. Strict (redis.required, tunnel-restart) waits up to a minute. Best effort (the
 * default for tunnel-up) gives up as soon as the answer is clear, so an engineer who is offline
 * or whose login expired is not held up: after two failed attempts in a row, at least one of them
 * made after the wait began (a single blip that the 100 ms retry cures does not count), or after a
 * few seconds at most. Either way a supervisor that stopped on a problem retrying cannot solve ends
 * the wait at once with kubectl's message.
 */
import { TunnelError } from '../core/errors';
import { forwarderFor } from './forwarder';
import type { WorkspacePaths } from '../core/workspace';
import { logTail } from './launch';
import { liveCommandLine } from '../core/proc';
import { readTunnelState, type TunnelState } from './state';

export interface WaitOptions {
  report: (line: string) => void;
  timeoutMs: number;
  /** Give up (NotHealthyInTime) once this many attempts failed in a row, one after the wait began. */
  giveUpAfterFailures?: number;
}

/** Since when a state counts: a kubectl started at or after `kubectl`, a PING made at or after `check`. */
export interface WaitSince {
  kubectl: string;
  check: string;
}

/** The tunnel did not become healthy before the wait gave up. */
export class NotHealthyInTime extends TunnelError {}

const POLL_MS = 50;

/**
 * Polls the state until the supervisor `pid` reports healthy from a kubectl started at or after
 * `since.kubectl` and a PING made at or after `since.check` (so an old "healthy" never counts).
 */
export async function waitForHealthy(paths: WorkspacePaths, pid: number, since: WaitSince, options: WaitOptions): Promise<TunnelState> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
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
      if (latest.status === 'stopped' && latest.updatedAt >= since.check) {
        throw new TunnelError(
          `the Redis tunnel was stopped while this command waited for it (\`nx run redis-tunnel:down\`, or a SIGTERM to its supervisor pid ${pid})`,
          {
            fix: 'run `nx run redis-tunnel:up` to start it again',
          },
        );
      }
      const failures = latest.failures ?? 0;
      if (options.giveUpAfterFailures !== undefined && failures >= options.giveUpAfterFailures && (error?.at ?? '') >= since.check) {
        throw notHealthy(`the Redis tunnel is not healthy: ${failures} attempts in a row failed`, latest);
      }
    }
    // Until its first state write the supervisor is only a process; check that it still is one.
    if (liveCommandLine(pid) === undefined) {
      const crashed = latest?.status === 'crashed' ? `${latest.lastError?.message ?? 'it crashed'}; ` : '';
      throw new TunnelError(`the Redis tunnel supervisor (pid ${pid}) exited unexpectedly: ${crashed}its log ends with:\n${logTail(paths)}`, {
        fix: 'see logs/redis-tunnel.log; this is likely a bug in local-dev — please report it with that log',
      });
    }
    if (Date.now() > deadline) throw notHealthy(`the Redis tunnel did not become healthy within ${Math.round(options.timeoutMs / 1000)} s`, latest);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function notHealthy(headline: string, latest: TunnelState | undefined): NotHealthyInTime {
  const error = latest?.lastError;
  return new NotHealthyInTime(`${headline}${error ? `; last error: ${error.message}` : latest ? `; it is still ${latest.status}` : ''}`, {
    fix: error?.fix ?? 'see logs/redis-tunnel.log, then `nx run redis-tunnel:restart`',
  });
}

function describeProgress(state: TunnelState): string {
  if (state.status === 'degraded') return `degraded: ${state.lastError?.message ?? 'unknown'} (retrying; restarts so far: ${state.restarts})`;
  // Healthy gets its own closing line; a healthy state read here may still be the old kubectl's.
  if (state.status === 'healthy') return '';
  const kind = forwarderFor(state);
  return state.kubectlPid ? `${kind.name} started (pid ${state.kubectlPid}); waiting for ${kind.readyPhrase} and a PING through it` : state.status;
}

/** One line on how the tunnel answers, used by tunnel-up and tunnel-status. */
export function healthSentence(state: TunnelState): string {
  const reply =
    state.auth === 'required' || state.lastReply === 'NOAUTH'
      ? 'Redis answered -NOAUTH (auth: required): reachable, it wants the password your services send'
      : 'PING answered +PONG';
  const containers = state.addresses.length > 1 ? `; containers use host.docker.internal:${state.port}` : '';
  const where =
    state.mode === 'local'
      ? `a local redis-server (redis.mode: local, serving namespace ${state.namespace})`
      : `${state.namespace}/deployment/${state.deployment}`;
  return `${reply} through ${state.addresses.map((address) => `${address}:${state.port}`).join(' and ')} → ${where}${containers}`;
}
