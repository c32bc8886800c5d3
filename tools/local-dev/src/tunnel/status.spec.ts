import type { TunnelState } from './state';
import { formatTunnelStatus } from './status';

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
    const degraded: TunnelState = { ...base, status: 'degraded', lastError: { message: 'error: lost connection to pod', fix: 'it reconnects on its own', permanent: false, at: base.updatedAt } };
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
    const crashed = formatTunnelStatus({ condition: 'stale', state: { ...base, status: 'crashed', lastError: { kind: 'supervisor-crashed', message: 'the tunnel supervisor crashed: boom', fix: 'up', permanent: false, at: base.updatedAt } } }, now);
    expect(crashed).toMatch(/^Redis tunnel: CRASHED/);
    expect(crashed).toContain('error: the tunnel supervisor crashed: boom');
    const stopped = formatTunnelStatus({ condition: 'stopped', state: { ...base, status: 'stopped', lastError: { message: 'pods is forbidden', fix: 'ask for pods/portforward', permanent: true, at: base.updatedAt } } }, now);
    expect(stopped).toContain('error: pods is forbidden\n  fix: ask for pods/portforward');
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
