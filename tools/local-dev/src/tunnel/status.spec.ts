import type { TunnelState } from './state';
import { formatBestEffortWarning, formatRedisNotice, formatTunnelStatus } from './status';

const now = new Date('2026-11-26T10:00:00.000Z');
const base: TunnelState = {
  pid: 4242,
  namespace: 's1',
  deployment: 'redis',
  port: 6379,
  addresses: ['127.0.0.1', '172.17.0.1'],
  status: 'healthy',
  restarts: 2,
  kubectlPid: 4250,
  lastCheckAt: '2026-11-26T09:59:58.000Z',
  lastReply: 'PONG',
  startedAt: '2026-11-26T08:00:00.000Z',
  updatedAt: '2026-11-26T09:59:58.000Z',
};

describe('formatTunnelStatus', () => {
  it('shows a healthy tunnel with its pids, restarts and last PING', () => {
    expect(formatTunnelStatus({ condition: 'running', state: base }, now)).toMatchInlineSnapshot(`
"Redis tunnel: HEALTHY — s1/deployment/redis on 127.0.0.1,172.17.0.1:6379
  supervisor pid 4242 (up 2 h 0 min), kubectl pid 4250, restarts 2
  last good PING: 2 s ago, answered +PONG"
`);
  });

  it('shows the error and its fix while degraded', () => {
    const degraded: TunnelState = {
      ...base,
      status: 'degraded',
      lastError: { message: 'error: lost connection to pod', fix: 'it reconnects on its own', permanent: false, at: base.updatedAt },
    };
    const text = formatTunnelStatus({ condition: 'running', state: degraded }, now);
    expect(text).toContain('Redis tunnel: DEGRADED');
    expect(text).toContain('error: error: lost connection to pod\n  fix: it reconnects on its own');
  });

  it('says -NOAUTH means reachable, with auth: required', () => {
    const text = formatTunnelStatus({ condition: 'running', state: { ...base, lastReply: 'NOAUTH', auth: 'required' } }, now);
    expect(text).toContain('-NOAUTH (reachable; Redis wants a password)');
    expect(text).toContain('  auth: required (Redis answered -NOAUTH');
    expect(formatTunnelStatus({ condition: 'running', state: base }, now)).not.toContain('auth:');
  });

  it('shows an unverified tunnel with the age of its last PING and the fix, never HEALTHY', () => {
    const text = formatTunnelStatus({ condition: 'running', state: { ...base, status: 'unverified', lastCheckAt: '2026-11-26T07:30:00.000Z' } }, now);
    expect(text).toMatch(/^Redis tunnel: UNVERIFIED/);
    expect(text).not.toContain('HEALTHY');
    expect(text).toContain('not verified: the last good PING was 2 h 30 min ago (9000 s)');
    expect(text).toContain('fix: `nx run redis-tunnel:up` waits for a fresh check');
  });

  it('shows a crashed supervisor with its error, and a supervisor stopped by a permanent error with the fix', () => {
    const crashed = formatTunnelStatus(
      {
        condition: 'stale',
        state: {
          ...base,
          status: 'crashed',
          lastError: { kind: 'supervisor-crashed', message: 'the tunnel supervisor crashed: boom', fix: 'up', permanent: false, at: base.updatedAt },
        },
      },
      now,
    );
    expect(crashed).toMatch(/^Redis tunnel: CRASHED/);
    expect(crashed).toContain('error: the tunnel supervisor crashed: boom');
    const stopped = formatTunnelStatus(
      {
        condition: 'stopped',
        state: {
          ...base,
          status: 'stopped',
          lastError: { message: 'pods is forbidden', fix: 'ask for pods/portforward', permanent: true, at: base.updatedAt },
        },
      },
      now,
    );
    expect(stopped).toContain('error: pods is forbidden\n  fix: ask for pods/portforward\n  nothing retries it');
  });

  it('says a degraded tunnel is being retried in the background, and how often it failed so far', () => {
    const degraded: TunnelState = {
      ...base,
      status: 'degraded',
      failures: 3,
      lastError: { message: 'Unable to connect to the server', fix: 'check your VPN', permanent: false, at: base.updatedAt },
    };
    expect(formatTunnelStatus({ condition: 'running', state: degraded }, now)).toContain(
      'the supervisor (pid 4242) keeps retrying in the background (3 failed attempts in a row so far)',
    );
  });

  it('shows a tunnel that could not start at all (no supervisor) as NOT RUNNING, with the error, the fix and that nothing retries', () => {
    const notStarted: TunnelState = {
      ...base,
      pid: 0,
      status: 'stopped',
      kubectlPid: undefined,
      lastError: {
        kind: 'not-installed',
        message: 'cannot start the Redis tunnel: kubectl: command not found',
        fix: 'install kubectl',
        permanent: true,
        at: base.updatedAt,
      },
    };
    expect(formatTunnelStatus({ condition: 'stopped', state: notStarted }, now)).toMatchInlineSnapshot(`
"Redis tunnel: NOT RUNNING — it could not start (2 s ago)
  for: s1/deployment/redis on 127.0.0.1,172.17.0.1:6379
  error: cannot start the Redis tunnel: kubectl: command not found
  fix: install kubectl
  nothing retries it: after the fix, \`nx run redis-tunnel:up\` (every service's up runs it) starts it"
`);
  });

  it('warns loudly when tunnel-up lets the services start without a healthy tunnel', () => {
    const problem = { message: 'cannot start the Redis tunnel: error: current-context is not set', fix: 'kubectl config use-context <name>' };
    const alone = formatBestEffortWarning(problem, { condition: 'absent' });
    expect(alone).toMatch(/^⚠ Redis tunnel: NOT HEALTHY — the services start anyway/);
    expect(alone).toContain('what failed: cannot start the Redis tunnel: error: current-context is not set\n  fix: kubectl config use-context <name>');
    expect(alone).toContain('nothing retries it');
    expect(alone).toContain('set `redis: { required: true }`');
    const retrying = formatBestEffortWarning(problem, { condition: 'running', state: { ...base, status: 'degraded', failures: 2 } });
    expect(retrying).toContain('keeps retrying in the background (2 failed attempts in a row so far)');
    expect(retrying).not.toContain('nothing retries it');
    // Stopped on a problem retrying cannot solve, but not exited yet: nothing retries.
    expect(formatBestEffortWarning(problem, { condition: 'running', state: { ...base, status: 'stopped' } })).toContain('nothing retries it');
  });

  it("at the end of up: nothing when the namespace's Redis is healthy; otherwise how it stands, why and the fix", () => {
    expect(formatRedisNotice({ condition: 'running', state: base }, now, 's1')).toBeUndefined();
    const degraded: TunnelState = {
      ...base,
      status: 'degraded',
      failures: 4,
      kubectlPid: undefined,
      lastError: {
        kind: 'pod-not-running',
        message: 'error: unable to forward port because pod is not running',
        fix: 'the Redis pod is not running: check `kubectl -n s1 get pods`',
        permanent: false,
        at: base.updatedAt,
      },
    };
    expect(formatRedisNotice({ condition: 'running', state: degraded }, now, 's1')).toMatchInlineSnapshot(`
"⚠ Redis: NOT REACHABLE — the services were started without it (the tunnel is best effort); those that use Redis cannot reach it yet
Redis tunnel: DEGRADED — s1/deployment/redis on 127.0.0.1,172.17.0.1:6379
  supervisor pid 4242 (up 2 h 0 min), kubectl pid none, restarts 2
  last good PING: 2 s ago, answered +PONG
  error: error: unable to forward port because pod is not running
  fix: the Redis pod is not running: check \`kubectl -n s1 get pods\`
  the supervisor (pid 4242) keeps retrying in the background (4 failed attempts in a row so far); services reach Redis as soon as it is healthy
  to make tunnel-up fail instead, set \`redis: { required: true }\` in repos_docker_files/config.yaml"
`);
    // Healthy, but for another namespace than the services': not their Redis.
    expect(formatRedisNotice({ condition: 'running', state: base }, now, 's2')).toContain('this tunnel serves s1, not s2');
    expect(formatRedisNotice({ condition: 'absent' }, now, 's1')).toContain(
      'Redis tunnel: not started in this workspace (start it with `nx run redis-tunnel:up`)',
    );
  });

  it('calls a dead supervisor stale, not healthy', () => {
    const text = formatTunnelStatus({ condition: 'stale', state: base }, now);
    expect(text).toMatch(/^Redis tunnel: STALE/);
    expect(text).not.toContain('HEALTHY');
  });

  it('notes when the tunnel serves another namespace than the one asked about', () => {
    expect(formatTunnelStatus({ condition: 'running', state: base }, now, 's2')).toContain('this tunnel serves s1, not s2');
  });

  it('explains absent and stopped', () => {
    expect(formatTunnelStatus({ condition: 'absent' }, now)).toContain('not started');
    expect(formatTunnelStatus({ condition: 'stopped', state: { ...base, status: 'stopped' } }, now)).toMatch(/^Redis tunnel: stopped/);
  });
});
