/**
 * The supervisor's state machine: healthy only after a PING through the current kubectl, the
 * back-off, reconnects, permanent errors, bind addresses. Its world is faked (testing/tunnel-supervisor-world.ts);
 * supervisor-log.spec.ts checks what it logs and when it acts.
 */
import { classifyKubectlOutput, type KubectlProblem } from './kubectl-errors';
import type { TunnelState } from './state';
import { FakeTunnelWorld, PONG, TARGET, tick, unreachable } from '../../testing/tunnel-supervisor-world';

let world: FakeTunnelWorld;
beforeEach(() => {
  world = new FakeTunnelWorld();
});
afterEach(() => world.end());

describe('TunnelSupervisor (fake kubectl, fake PING, fake clock)', () => {
  it('never carries "healthy" over to a new kubectl before that kubectl answered a PING', async () => {
    await world.start();
    world.kubectls[0].becomeReady();
    await tick();
    expect(world.last()).toMatchObject({ status: 'healthy', kubectlPid: 100 });

    // A reconnect while healthy: the new kubectl starts as "starting", not "healthy".
    world.pingReply = () => 'hang';
    world.running.requestReconnect();
    await tick();
    expect(world.kubectls).toHaveLength(2);
    expect(world.states.filter((state) => state.kubectlPid === 101).map((state) => state.status)).toEqual(['starting']);
    world.kubectls[1].becomeReady();
    await tick(400);
    expect(world.last()).toMatchObject({ status: 'starting', kubectlPid: 101 });

    // kubectl dies: degraded, and the next kubectl stays unproven until its own PING answers.
    world.kubectls[1].exit('error: lost connection to pod');
    await tick(1000);
    expect(world.states.some((state) => state.status === 'degraded')).toBe(true);
    expect(world.kubectls).toHaveLength(3);
    world.pingReply = () => 'pending';
    world.kubectls[2].becomeReady();
    await tick(100);
    expect(world.pendingPings).toHaveLength(1);
    expect(world.states.filter((state) => state.kubectlPid !== 100).every((state) => state.status !== 'healthy')).toBe(true);
    await tick(100);
    world.answerPings(PONG);
    await tick();
    const firstHealthy = world.states.find((state) => state.kubectlPid === 102 && state.status === 'healthy') as TunnelState;
    expect(firstHealthy).toBeDefined();
    expect(firstHealthy.lastCheckAt! >= firstHealthy.kubectlStartedAt!).toBe(true);
  });

  it('backs off 100, 200, 400, 800, then the 1000 ms cap, and starts at 100 ms again after a healthy check', async () => {
    await world.start();
    const failedAt: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      await tick(300);
      failedAt.push(Date.now());
      world.latestKubectl().failToStart(unreachable());
      await tick(1000);
    }
    const gaps = world.kubectls.slice(1).map((kubectl, index) => kubectl.startedAt - failedAt[index]);
    expect(gaps).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(world.last()).toMatchObject({ status: 'degraded', restarts: 6, lastError: { kind: 'cluster-unreachable', permanent: false } });

    world.latestKubectl().becomeReady();
    await tick();
    expect(world.last().status).toBe('healthy');
    const healthyKubectl = world.latestKubectl();
    const brokeAt = Date.now();
    healthyKubectl.exit('error: lost connection to pod');
    await tick(150);
    expect(world.latestKubectl()).not.toBe(healthyKubectl);
    expect(world.latestKubectl().startedAt - brokeAt).toBe(100);
  });

  it('honours a reconnect request while kubectl is still starting: that kubectl is stopped and a fresh one started', async () => {
    await world.start();
    expect(world.kubectls).toHaveLength(1);

    world.running.requestReconnect();
    await tick();

    expect(world.kubectls[0].stopped).toBe(true);
    expect(world.kubectls).toHaveLength(2);
    expect(world.last()).toMatchObject({ status: 'starting', kubectlPid: 101, restarts: 1 });
    world.kubectls[1].becomeReady();
    await tick();
    expect(world.last()).toMatchObject({ status: 'healthy', kubectlPid: 101 });
    // A reconnect is not a failure: nothing went degraded on the way.
    expect(world.states.some((state) => state.status === 'degraded')).toBe(false);
  });

  it('stops retrying on a permanent error and ends with the message and fix in the state', async () => {
    const { finished } = await world.start();
    world.kubectls[0].failToStart(
      classifyKubectlOutput('Error from server (Forbidden): pods "redis-0" is forbidden: cannot create resource "pods/portforward"', TARGET) as KubectlProblem,
    );
    await tick(60_000);
    await finished;

    expect(world.kubectls).toHaveLength(1);
    expect(world.last()).toMatchObject({
      status: 'stopped',
      kubectlPid: undefined,
      lastError: { kind: 'forbidden', permanent: true, message: expect.stringContaining('is forbidden'), fix: expect.stringContaining('pods/portforward') },
    });
    expect(world.logLines[world.logLines.length - 1]).toBe(`stopping: ${world.last().lastError?.message} — ${world.last().lastError?.fix}`);
  });

  it('is healthy only when the PING answers on every bound address (loopback and the Docker bridge)', async () => {
    world.detected = ['127.0.0.1', '172.17.0.1'];
    world.pingReply = (address) => (address === '172.17.0.1' ? { ok: false, reason: 'cannot connect to 172.17.0.1:6379: ECONNREFUSED', ms: 1 } : PONG);
    await world.start({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    world.kubectls[0].becomeReady();
    await tick(200);

    expect(world.states.some((state) => state.status === 'healthy')).toBe(false);
    expect(world.states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({
      message: 'PING through the forward on 172.17.0.1:6379 failed: cannot connect to 172.17.0.1:6379: ECONNREFUSED',
      fix: 'the tunnel restarts kubectl on its own; if this persists check `kubectl -n s1 get pods`',
    });
  });

  it('records -NOAUTH as healthy with auth: required, never as a plain PONG', async () => {
    world.pingReply = () => ({ ok: true, reply: 'NOAUTH', ms: 1 });
    await world.start();
    world.kubectls[0].becomeReady();
    await tick();
    expect(world.last()).toMatchObject({ status: 'healthy', lastReply: 'NOAUTH', auth: 'required' });
  });

  it('re-detects the bind addresses when kubectl cannot bind one any more (docker0 gone) and retries without it', async () => {
    await world.start({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    expect(world.kubectls[0].args).toContain('127.0.0.1,172.17.0.1');

    world.detected = ['127.0.0.1'];
    world.kubectls[0].exit(
      'Unable to listen on port 6379: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 172.17.0.1:6379: bind: cannot assign requested address]\nerror: unable to listen on any of the requested ports: [{6379 6379}]',
    );
    world.kubectls[0].becomeReady();
    await tick(200);

    expect(world.states.find((state) => state.status === 'degraded')?.lastError).toMatchObject({ kind: 'bind-address-gone', permanent: false });
    expect(world.kubectls).toHaveLength(2);
    expect(world.kubectls[1].args).toEqual(['-n', 's1', 'port-forward', 'deployment/redis', '--address', '127.0.0.1', '6379:6379']);
    expect(world.logLines).toContain('bind addresses changed: 127.0.0.1,172.17.0.1 → 127.0.0.1; kubectl restarts with them');
    world.kubectls[1].becomeReady();
    await tick();
    expect(world.last()).toMatchObject({ status: 'healthy', addresses: ['127.0.0.1'], kubectlPid: 101 });
  });

  it('counts failed attempts in a row in the state, and clears the count on a healthy check', async () => {
    await world.start();
    world.kubectls[0].failToStart(unreachable());
    await tick(150);
    expect(world.last()).toMatchObject({ status: 'degraded', failures: 1 });
    world.latestKubectl().failToStart(unreachable());
    await tick(250);
    expect(world.last()).toMatchObject({ status: 'degraded', failures: 2 });
    world.latestKubectl().becomeReady();
    await tick();
    expect(world.last()).toMatchObject({ status: 'healthy', failures: 0 });
  });

  it('a stop that arrives while the loop is busy between sleeps does not wait out the back-off', async () => {
    let answerDetect!: (addresses: string[]) => void;
    await world.start({ ...TARGET, addresses: ['127.0.0.1', '172.17.0.1'] });
    // kubectl cannot bind the bridge address: the loop re-detects the addresses before backing off.
    const detecting = new Promise<string[]>((resolve) => (answerDetect = resolve));
    (world.running as unknown as { deps: { detectBindAddresses: () => Promise<string[]> } }).deps.detectBindAddresses = () => detecting;
    world.kubectls[0].failToStart(classifyKubectlOutput('Error listen tcp4 172.17.0.1:6379: bind: cannot assign requested address', TARGET) as KubectlProblem);
    await tick();
    let stopped = false;
    void world.running.stop().then(() => (stopped = true));
    answerDetect(['127.0.0.1']);
    // No clock moves: a stop must not sit out the back-off delay that follows the re-detection.
    await tick(0);
    expect(stopped).toBe(true);
    expect(world.last()).toMatchObject({ status: 'stopped' });
    expect(world.kubectls).toHaveLength(1);
  });

  it('picks the Docker bridge up again when it comes back while healthy', async () => {
    await world.start();
    world.kubectls[0].becomeReady();
    await tick();
    world.detected = ['127.0.0.1', '172.17.0.1'];
    await tick(12_000);
    expect(world.kubectls).toHaveLength(2);
    expect(world.kubectls[1].args).toContain('127.0.0.1,172.17.0.1');
    world.kubectls[1].becomeReady();
    await tick();
    expect(world.last()).toMatchObject({ status: 'healthy', addresses: ['127.0.0.1', '172.17.0.1'] });
  });
});
