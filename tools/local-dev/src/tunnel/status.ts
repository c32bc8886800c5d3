/**
 * The tunnel's state as a few lines for people (tunnel-status, and later the dashboard). Pure.
 */
import type { TunnelReading } from './state';

export function formatTunnelStatus(reading: TunnelReading, now: Date, requestedNamespace?: string): string {
  if (reading.condition === 'absent') return 'Redis tunnel: not started in this workspace (start it with `nx run redis-tunnel:up`)';
  const { state } = reading;
  const where = `${state.namespace}/deployment/${state.deployment} on ${state.addresses.join(',')}:${state.port}`;
  if (reading.condition === 'stale') {
    return [
      `Redis tunnel: STALE — its supervisor (pid ${state.pid}) died without stopping; the last state it wrote (${state.status}) is not true any more`,
      `  was: ${where}`,
      '  fix: `nx run redis-tunnel:up` cleans up and starts a new one; logs/redis-tunnel.log says how it ended',
    ].join('\n');
  }
  if (reading.condition === 'stopped') return `Redis tunnel: stopped (was ${where}; stopped ${ago(state.updatedAt, now)})`;
  const lines = [`Redis tunnel: ${state.status.toUpperCase()} — ${where}`];
  lines.push(`  supervisor pid ${state.pid} (up ${ago(state.startedAt, now).replace(/ ago$/, '')}), kubectl pid ${state.kubectlPid ?? 'none'}, restarts ${state.restarts}`);
  if (state.lastCheckAt) {
    const reply = state.lastReply === 'NOAUTH' ? '-NOAUTH (reachable; Redis wants a password)' : '+PONG';
    lines.push(`  last good PING: ${ago(state.lastCheckAt, now)}, answered ${reply}`);
  } else {
    lines.push('  no PING has succeeded yet');
  }
  if (state.lastError && state.status !== 'healthy') {
    lines.push(`  error: ${state.lastError.message}`, `  fix: ${state.lastError.fix}`);
  } else if (state.lastError) {
    lines.push(`  last error (recovered): ${state.lastError.message} (${ago(state.lastError.at, now)})`);
  }
  if (requestedNamespace && requestedNamespace !== state.namespace) {
    lines.push(`  note: this tunnel serves ${state.namespace}, not ${requestedNamespace}; \`nx run redis-tunnel:up --namespace=${requestedNamespace}\` switches it`);
  }
  return lines.join('\n');
}

function ago(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min ago`;
}
