/**
 * What the supervisor logs, and when it acts: PINGs on kubectl's own news, stops, address
 * re-detection, crashes. Its world is faked (testing/tunnel-supervisor-world.ts); supervisor.spec.ts checks the
 * state machine.
 */
import { spawn } from 'node:child_process';
import { TunnelError } from '../core/errors';
import { FakeTunnelWorld, PONG, TARGET, tick, unreachable } from '../../testing/tunnel-supervisor-world';

let world: FakeTunnelWorld;
beforeEach(() => {
  world = new FakeTunnelWorld();
});
afterEach(() => world.end());

describe('TunnelSupervisor: what it logs, and when it acts', () => {
  const startLine = 'starting: kubectl -n s1 port-forward deployment/redis --address 127.0.0.1 6379:6379';

  it('logs the life of a tunnel as it happens: start, forwarding, healthy once, reconnect, an exit, the back-off, stop', async () => {
    await world.start();
    world.kubectls[0].becomeReady();
    await tick();
    // Later healthy checks say nothing: only a change is news.
    await tick(3000);
    world.running.requestReconnect();
    await tick();
    world.kubectls[1].becomeReady();
    await tick();
    world.kubectls[1].exit('W1126 a warning kubectl prints, but no error');
    await tick();
    expect(world.last()).toMatchObject({
      status: 'degraded',
      lastError: { kind: 'unknown', message: 'kubectl exited with code 1', fix: 'the supervisor restarts it on its own' },
    });
    await tick(100);
    const stopped = world.running.stop();
    await tick();
    await stopped;
    expect(world.logLines).toEqual([
      startLine,
      'kubectl (pid 100) is forwarding; checking with PING',
      'healthy: PING answered PONG on 127.0.0.1 within 1 ms',
      'reconnect requested',
      startLine,
      'kubectl (pid 101) is forwarding; checking with PING',
      'healthy: PING answered PONG on 127.0.0.1 within 1 ms',
      'degraded: kubectl exited with code 1',
      'restarting kubectl in 100 ms (attempt 1)',
      startLine,
      'stopped',
    ]);
  });

  it('reports the slowest PING of all addresses, and a password asked on any of them', async () => {
    world.detected = ['127.0.0.1', '172.17.0.1'];
    world.pingReply = (address) => (address === '127.0.0.1' ? { ok: true, reply: 'PONG', ms: 2 } : { ok: true, reply: 'NOAUTH', ms: 7 });
    await world.start({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    world.kubectls[0].becomeReady();
    await tick();
    expect(world.logLines).toContain('healthy: PING answered NOAUTH on 127.0.0.1, 172.17.0.1 within 7 ms');
    expect(world.last()).toMatchObject({ status: 'healthy', lastReply: 'NOAUTH', auth: 'required' });
  });

  it('speaks of redis-server for a local Redis (redis.mode: local), quoting its empty arguments', async () => {
    world.pingReply = () => ({ ok: false, reason: 'cannot connect to 127.0.0.1:6379: ECONNREFUSED', ms: 1 });
    await world.start({ ...TARGET, mode: 'local' }, 'redis-server');
    world.kubectls[0].becomeReady();
    await tick(200);
    expect(world.logLines.slice(0, 2)).toEqual([
      "starting: redis-server --port 6379 --bind 127.0.0.1 --protected-mode no --save '' --appendonly no --daemonize no --logfile ''",
      'redis-server (pid 100) is ready; checking with PING',
    ]);
    expect(world.states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({
      kind: 'connection-lost',
      message: 'PING to the local redis-server on 127.0.0.1:6379 failed: cannot connect to 127.0.0.1:6379: ECONNREFUSED',
      fix: 'the supervisor restarts redis-server on its own; if this persists see logs/redis-tunnel.log',
    });
  });

  it("keeps kubectl's per-connection chatter out of the log, logs the rest, and PINGs at once when kubectl says the forward broke", async () => {
    await world.start();
    let pings = 0;
    world.pingReply = () => {
      pings++;
      return 'pending';
    };
    world.kubectls[0].becomeReady();
    await tick();
    world.answerPings(PONG);
    await tick(100);
    expect(pings).toBe(1);
    world.kubectls[0].onLine('Handling connection for 6379', 'stdout');
    await tick();
    expect(pings).toBe(1);

    const broken = 'E1126 10:00:00.000000 portforward.go:413] an error occurred forwarding 6379 -> 6379: lost connection to pod';
    world.kubectls[0].onLine(broken, 'stderr');
    await tick();
    expect(pings).toBe(2);
    // Broken again while that PING is out: one more PING as soon as it answers, no interval wait.
    world.kubectls[0].onLine(broken, 'stderr');
    world.answerPings(PONG);
    await tick();
    expect(pings).toBe(3);
    expect(world.logLines.filter((line) => line.startsWith('kubectl std'))).toEqual([`kubectl stderr: ${broken}`, `kubectl stderr: ${broken}`]);
    world.answerPings(PONG);
  });

  it("waits a moment after a failed PING, so the state tells kubectl's own reason when kubectl dies right after", async () => {
    await world.start();
    world.pingReply = () => ({ ok: false, reason: 'no answer to PING within 500 ms', ms: 500 });
    world.kubectls[0].becomeReady();
    await tick(50);
    world.kubectls[0].exit('error: lost connection to pod');
    await tick(100);
    expect(world.states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({
      kind: 'connection-lost',
      message: 'error: lost connection to pod',
    });
  });

  it('restarts kubectl as soon as a PING in flight answers when a reconnect was asked meanwhile', async () => {
    await world.start();
    world.pingReply = () => 'pending';
    world.kubectls[0].becomeReady();
    await tick();
    world.running.requestReconnect();
    world.answerPings(PONG);
    await tick();
    expect(world.kubectls).toHaveLength(2);
  });

  it('records no pid for a kubectl that could not be started (pid -1)', async () => {
    world.pidFor = () => -1;
    await world.start();
    expect(world.last()).toMatchObject({ status: 'starting', kubectlPid: undefined });
  });

  it('fails loudly on a readiness error that is not about kubectl (a bug), instead of taking the forward for ready', async () => {
    const { finished } = await world.start();
    world.kubectls[0].crashBeforeReady(new Error('a bug in the process layer'));
    await expect(finished).rejects.toThrow('a bug in the process layer');
    expect(world.pendingPings).toHaveLength(0);
    expect(world.states.some((state) => state.status === 'healthy')).toBe(false);
    // Nothing left for afterEach to stop.
    world.createSupervisor();
  });

  it('a stop ends the supervisor without another PING, also when kubectl takes a moment to die (still starting, or healthy)', async () => {
    world.stopTakesMs = 50;
    await world.start();
    let stopped = world.running.stop();
    await tick(50);
    await stopped;
    expect(world.last()).toMatchObject({ status: 'stopped' });
    expect(world.kubectls).toHaveLength(1);

    let pings = 0;
    world.pingReply = () => {
      pings++;
      return PONG;
    };
    await world.start();
    world.kubectls[1].becomeReady();
    await tick(500);
    const statesBefore = world.states.length;
    const pingsBefore = pings;
    stopped = world.running.stop();
    await tick(50);
    await stopped;
    expect(pings).toBe(pingsBefore);
    expect(world.states.slice(statesBefore).map((state) => state.status)).toEqual(['stopped']);
  });

  it('re-detects the bind addresses every 10 s while healthy, not at every check', async () => {
    await world.start();
    world.kubectls[0].becomeReady();
    await tick();
    world.detected = ['127.0.0.1', '172.17.0.1'];
    await tick(9_999);
    expect(world.kubectls).toHaveLength(1);
    await tick(1);
    await tick();
    expect(world.kubectls).toHaveLength(2);
    expect(world.logLines).toContain('bind addresses changed: 127.0.0.1 → 127.0.0.1,172.17.0.1; kubectl restarts with them');
  });

  it('keeps kubectl running while the addresses it binds stay the same', async () => {
    world.detected = ['127.0.0.1', '172.17.0.1'];
    await world.start({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    world.kubectls[0].becomeReady();
    await tick(25_000);
    expect(world.kubectls).toHaveLength(1);
    expect(world.last()).toMatchObject({ status: 'healthy' });
  });

  it('keeps its addresses, and kubectl, when re-detecting them fails (ip hung)', async () => {
    world.detect = async () => {
      throw new TunnelError('`ip -o -4 addr show dev docker0` did not answer within 5000 ms');
    };
    await world.start({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    world.kubectls[0].becomeReady();
    await tick(12_000);
    expect(world.kubectls).toHaveLength(1);
    expect(world.logLines).toContain(
      'cannot re-detect the bind addresses, keeping 127.0.0.1,172.17.0.1: `ip -o -4 addr show dev docker0` did not answer within 5000 ms',
    );
  });

  it('keeps its addresses through an outage that is not about them (only a lost bind address re-detects them at once)', async () => {
    world.detected = ['127.0.0.1', '172.17.0.1'];
    await world.start();
    world.kubectls[0].failToStart(unreachable());
    await tick(150);
    expect(world.kubectls).toHaveLength(2);
    expect(world.kubectls[1].args).toEqual(world.kubectls[0].args);
  });

  it("on a crash of the supervisor itself, kills kubectl's process group and records the crash", async () => {
    // A real process in its own group stands in for kubectl here: killing its group is the point.
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const died = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    world.pidFor = () => child.pid as number;
    await world.start();
    world.running.recordCrash(new Error('boom'));
    expect(await died).toBe('SIGKILL');
    expect(world.last()).toMatchObject({
      status: 'crashed',
      kubectlPid: undefined,
      lastError: {
        kind: 'supervisor-crashed',
        message: 'the tunnel supervisor crashed: boom',
        fix: '`nx run redis-tunnel:up` starts a new one; this is a bug in local-dev — please report it with logs/redis-tunnel.log',
        permanent: false,
      },
    });
  });

  it('records a crash that happens between two kubectls (during the back-off) too', async () => {
    await world.start();
    world.kubectls[0].failToStart(unreachable());
    await tick();
    world.running.recordCrash('not an Error');
    expect(world.last()).toMatchObject({
      status: 'crashed',
      lastError: { kind: 'supervisor-crashed', message: 'the tunnel supervisor crashed: not an Error' },
    });
  });
});
