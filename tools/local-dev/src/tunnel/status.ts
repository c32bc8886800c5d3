/**
 * The tunnel's state as a few lines for people (tunnel-status, and later the dashboard). Pure.
 */
import { forwarderFor } from './forwarder';
import { checkAgeMs, NO_SUPERVISOR_PID, type TunnelReading, type TunnelState } from './state';

const NOTHING_RETRIES = "nothing retries it: after the fix, `nx run redis-tunnel:up` (every service's up runs it) starts it";

/** How to make a missing tunnel an error instead of a warning (config.yaml's redis.required). */
export const STRICT_HINT = 'to make tunnel-up fail instead, set `redis: { required: true }` in repos_docker_files/config.yaml';

export function formatTunnelStatus(reading: TunnelReading, now: Date, requestedNamespace?: string): string {
  if (reading.condition === 'absent') return 'Redis tunnel: not started in this workspace (start it with `nx run redis-tunnel:up`)';
  const { state } = reading;
  const kind = forwarderFor(state);
  const where =
    kind.mode === 'local'
      ? `local redis-server (redis.mode: local) for namespace ${state.namespace} on ${state.addresses.join(',')}:${state.port}`
      : `${state.namespace}/deployment/${state.deployment} on ${state.addresses.join(',')}:${state.port}`;
  // Which Redis is in use is the first word a reader sees.
  const label = kind.mode === 'local' ? 'Redis (local)' : 'Redis tunnel';
  if (reading.condition === 'stale' && reading.unconfirmed)
    return [`${label}: UNCONFIRMED — ${reading.unconfirmed.message}`, `  was: ${where}`, `  fix: ${reading.unconfirmed.fix}`].join('\n');
  if (reading.condition === 'stale') {
    const lines =
      state.status === 'crashed'
        ? [`${label}: CRASHED — its supervisor (pid ${state.pid}) crashed ${ago(state.updatedAt, now)}; it ended ${kind.name} first`]
        : [`${label}: STALE — its supervisor (pid ${state.pid}) died without stopping; the last state it wrote (${state.status}) is not true any more`];
    lines.push(`  was: ${where}`);
    if (state.status === 'crashed' && state.lastError) lines.push(`  error: ${state.lastError.message}`);
    lines.push('  fix: `nx run redis-tunnel:up` cleans up and starts a new one; logs/redis-tunnel.log says how it ended');
    return lines.join('\n');
  }
  if (reading.condition === 'stopped' && state.pid === NO_SUPERVISOR_PID) {
    return [
      `${label}: NOT RUNNING — it could not start (${ago(state.updatedAt, now)})`,
      `  for: ${where}`,
      `  error: ${state.lastError?.message ?? 'unknown'}`,
      `  fix: ${state.lastError?.fix ?? 'see logs/redis-tunnel.log'}`,
      `  ${NOTHING_RETRIES}`,
    ].join('\n');
  }
  if (reading.condition === 'stopped') {
    const stopped = `${label}: stopped (was ${where}; stopped ${ago(state.updatedAt, now)})`;
    // A supervisor that met a problem retrying cannot solve stops itself and says which.
    return state.lastError?.permanent
      ? [stopped, `  error: ${state.lastError.message}`, `  fix: ${state.lastError.fix}`, `  ${NOTHING_RETRIES}`].join('\n')
      : stopped;
  }
  const lines = [`${label}: ${state.status.toUpperCase()} — ${where}`];
  lines.push(
    `  supervisor pid ${state.pid} (up ${ago(state.startedAt, now).replace(/ ago$/, '')}), ${kind.name} pid ${state.kubectlPid ?? 'none'}, restarts ${state.restarts}`,
  );
  if (state.status === 'unverified') {
    lines.push(
      `  not verified: the last good PING was ${ago(state.lastCheckAt as string, now)} (${Math.round(checkAgeMs(state, now) / 1000)} s), but the supervisor checks every few seconds — the machine slept, or the supervisor is stopped or blocked`,
      '  fix: `nx run redis-tunnel:up` waits for a fresh check and replaces a supervisor that makes none',
    );
  } else if (state.lastCheckAt) {
    lines.push(`  last good PING: ${ago(state.lastCheckAt, now)}, answered ${replyText(state)}`);
  } else {
    lines.push('  no PING has succeeded yet');
  }
  if (state.auth === 'required')
    lines.push('  auth: required (Redis answered -NOAUTH: traffic reaches a real Redis, which wants the password your services send)');
  if (state.lastError && state.status !== 'healthy') {
    lines.push(`  error: ${state.lastError.message}`, `  fix: ${state.lastError.fix}`);
  }
  if (state.status === 'degraded' || state.status === 'starting') lines.push(`  ${retryingSentence(state)}`);
  else if (state.lastError) {
    lines.push(`  last error (recovered): ${state.lastError.message} (${ago(state.lastError.at, now)})`);
  }
  if (requestedNamespace && requestedNamespace !== state.namespace) {
    lines.push(
      `  note: this tunnel serves ${state.namespace}, not ${requestedNamespace}; \`nx run redis-tunnel:up --namespace=${requestedNamespace}\` switches it`,
    );
  }
  return lines.join('\n');
}

/**
 * What tunnel-up prints (to stderr, so it stands out) when it lets the services start without a
 * healthy tunnel: what failed, the fix, and whether anything keeps trying. Pure.
 */
export function formatBestEffortWarning(problem: { message: string; fix?: string }, reading: TunnelReading): string {
  // A supervisor that has just written "stopped" (a permanent error) may not have exited yet.
  const retrying = reading.condition === 'running' && ['starting', 'degraded', 'unverified'].includes(reading.state.status);
  const lines = [
    '⚠ Redis tunnel: NOT HEALTHY — the services start anyway (the tunnel is best effort); those that use Redis cannot reach it yet',
    `  what failed: ${problem.message}`,
    `  fix: ${problem.fix ?? 'see logs/redis-tunnel.log'}`,
    retrying ? `  ${retryingSentence(reading.state)}` : `  ${NOTHING_RETRIES}`,
    '  `nx run redis-tunnel:status` shows how it stands; logs/redis-tunnel.log has every line kubectl printed',
    `  ${STRICT_HINT}`,
  ];
  return lines.join('\n');
}

/**
 * What `up` says at the end of a run that started services while Redis is not reachable (the
 * tunnel is best effort): tunnel-up's own warning is one collapsed line among the run's tasks by
 * then. undefined when the Redis of `namespace` is healthy. Pure.
 */
export function formatRedisNotice(reading: TunnelReading, now: Date, namespace: string): string | undefined {
  if (reading.condition === 'running' && reading.state.status === 'healthy' && reading.state.namespace === namespace) return undefined;
  return [
    '⚠ Redis: NOT REACHABLE — the services were started without it (the tunnel is best effort); those that use Redis cannot reach it yet',
    formatTunnelStatus(reading, now, namespace),
    `  ${STRICT_HINT}`,
  ].join('\n');
}

function retryingSentence(state: TunnelState): string {
  const failures = state.failures ? ` (${state.failures} failed attempt${state.failures === 1 ? '' : 's'} in a row so far)` : '';
  return `the supervisor (pid ${state.pid}) keeps retrying in the background${failures}; services reach Redis as soon as it is healthy`;
}

function replyText(state: TunnelState): string {
  return state.lastReply === 'NOAUTH' ? '-NOAUTH (reachable; Redis wants a password)' : '+PONG';
}

function ago(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min ago`;
}
