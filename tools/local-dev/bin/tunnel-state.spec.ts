/**
 * tunnel-state.js decides when Nx may skip redis-tunnel:up. It must call a tunnel ready exactly
 * when readTunnelState (what tunnel-up and status trust) calls it running and healthy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TunnelState } from '../src/tunnel/state';
import { withCheckedFreshness, isSupervisorAlive } from '../src/tunnel/state';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { tunnelFingerprint } = require('./tunnel-state.js') as { tunnelFingerprint: (state: Partial<TunnelState> | undefined, now: number) => string };

describe('tunnel-state.js (runtime input of redis-tunnel:up)', () => {
  let supervisorLike: ChildProcess;
  const now = Date.parse('2026-11-26T10:00:00.000Z');

  beforeAll(async () => {
    // A live process whose command line names the supervisor entry, as the real one's does.
    supervisorLike = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'supervisor-main.js'], { stdio: 'ignore' });
    await new Promise((resolve) => supervisorLike.once('spawn', resolve));
  });
  afterAll(() => supervisorLike.kill('SIGKILL'));

  const state = (overrides: Partial<TunnelState>): TunnelState => ({
    namespace: 's1',
    deployment: 'redis',
    port: 16379,
    addresses: ['127.0.0.1', '172.17.0.1'],
    pid: supervisorLike.pid ?? -1,
    status: 'healthy',
    restarts: 0,
    lastCheckAt: new Date(now - 1000).toISOString(),
    staleAfterMs: 6000,
    startedAt: '2026-11-26T09:00:00.000Z',
    updatedAt: '2026-11-26T09:59:59.000Z',
    ...overrides,
  });

  /** What tunnel-up trusts: a live supervisor reporting healthy with a fresh PING. */
  const trustedByTunnelUp = (candidate: TunnelState) =>
    isSupervisorAlive(candidate.pid) && withCheckedFreshness(candidate, new Date(now)).status === 'healthy';

  // Built lazily: the supervisor-like process exists only once beforeAll ran.
  const cases: [string, () => TunnelState][] = [
    ['healthy and fresh', () => state({})],
    ['healthy but the last PING is old', () => state({ lastCheckAt: new Date(now - 60_000).toISOString() })],
    ['healthy but never checked', () => state({ lastCheckAt: undefined })],
    ['degraded', () => state({ status: 'degraded' })],
    ['crashed', () => state({ status: 'crashed' })],
    ['supervisor gone', () => state({ pid: 999_999_999 })],
    ['pid of a process that is not a supervisor', () => state({ pid: process.pid })],
  ];

  it.each(cases)('agrees with readTunnelState: %s', (_name, makeState) => {
    const candidate = makeState();
    const fingerprint = tunnelFingerprint(candidate, now);
    expect(fingerprint.startsWith('healthy ')).toBe(trustedByTunnelUp(candidate));
  });

  it('prints the same line for the same healthy tunnel, so Nx can skip the task', () => {
    expect(tunnelFingerprint(state({}), now)).toBe(tunnelFingerprint(state({ lastCheckAt: new Date(now - 2000).toISOString() }), now + 500));
  });

  it('names the namespace, so a tunnel of another namespace never satisfies a run', () => {
    expect(tunnelFingerprint(state({ namespace: 's2' }), now)).not.toBe(tunnelFingerprint(state({}), now));
  });

  it('names the mode, so a local redis-server never satisfies a run that wants the tunnel, or the other way round', () => {
    expect(tunnelFingerprint(state({ mode: 'local' }), now)).not.toBe(tunnelFingerprint(state({}), now));
    // A state written before local mode existed was a tunnel.
    expect(tunnelFingerprint(state({ mode: 'tunnel' }), now)).toBe(tunnelFingerprint(state({}), now));
  });

  it('never repeats a line for a tunnel that needs work: a best-effort tunnel-up that succeeded on it is never replayed', () => {
    expect(tunnelFingerprint(undefined, now)).not.toBe(tunnelFingerprint(undefined, now + 1));
    for (const status of ['starting', 'degraded', 'stopped', 'crashed'] as const) {
      expect(tunnelFingerprint(state({ status }), now)).toMatch(new RegExp(`^not-ready ${status} `));
      expect(tunnelFingerprint(state({ status }), now)).not.toBe(tunnelFingerprint(state({ status }), now + 1));
    }
    // A tunnel that could not start at all (no kubectl, no context): no supervisor, state "stopped".
    expect(tunnelFingerprint(state({ pid: 0, status: 'stopped', lastError: { kind: 'not-installed', message: 'kubectl: command not found', fix: 'install kubectl', permanent: true, at: '' } }), now)).toMatch(/^not-ready /);
  });

  it('changes once kubectl was restarted: a run that saw the tunnel break (hashed healthy, ended degraded) is not replayed after it recovers', () => {
    const before = state({ kubectlPid: 5001, kubectlStartedAt: '2026-11-26T09:00:01.000Z' });
    const recovered = state({ kubectlPid: 5002, kubectlStartedAt: '2026-11-26T09:59:58.500Z', restarts: 1 });
    expect(tunnelFingerprint(recovered, now)).not.toBe(tunnelFingerprint(before, now));
  });
});
