/**
 * The supervisor keeping a LOCAL redis-server alive (config.yaml `redis.mode: local`), with real
 * processes: a real redis-server started by the supervisor, and real programs holding the port.
 * The state machine is the tunnel's (supervisor.spec.ts tests it with fakes); this proves the
 * redis-server half: its ready line, its failure messages, restart after a crash, and that a port
 * held by a process that is not ours is reported, never taken over or killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive, liveCommandLine } from '../core/proc';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { TunnelError } from '../core/errors';
import { ensureTunnel } from './control';
import { LOCAL_REDIS_FORWARDER } from './forwarder';
import { PortForwardError, startPortForward } from './kubectl-process';
import type { SupervisorTimings, TunnelTarget } from './plan';
import { pingRedis } from './redis-ping';
import { readTunnelState, type TunnelState } from './state';
import { formatTunnelStatus } from './status';
import { TunnelSupervisor } from './supervisor';

jest.setTimeout(20_000);

const FAST: SupervisorTimings = { checkIntervalMs: 200, pingTimeoutMs: 500, readyTimeoutMs: 5000, backoff: { firstMs: 50, factor: 2, maxMs: 400, jitter: 0 } };

let dir: string;
let paths: WorkspacePaths;
let port: number;
const others: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
    server.on('error', reject);
  });
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A redis-server that is NOT ours: started by the test, as the system's own Redis service would be. */
async function foreignRedis(onPort: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(onPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  others.push(child);
  await waitFor(async () => (await pingRedis('127.0.0.1', onPort, 300)).ok);
  return child;
}

function localTarget(): TunnelTarget {
  return { mode: 'local', namespace: 's1', deployment: 'redis', port, addresses: ['127.0.0.1'] };
}

function supervisor(states: TunnelState[]): TunnelSupervisor {
  return new TunnelSupervisor({
    paths,
    target: localTarget(),
    program: 'redis-server',
    env: process.env,
    timings: FAST,
    log: () => undefined,
    deps: { writeState: (_paths, state) => void states.push(state), detectBindAddresses: async () => ['127.0.0.1'] },
  });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'local-dev-local-redis-'));
  paths = workspacePaths(dir);
  port = await freePort();
});

afterEach(() => {
  for (const child of others.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('local Redis under the tunnel supervisor (real redis-server)', () => {
  it('starts redis-server, is healthy only after a PING answered, restarts it after a crash, and stop() leaves no process', async () => {
    const states: TunnelState[] = [];
    const running = supervisor(states);
    const done = running.run();
    await waitFor(() => states.at(-1)?.status === 'healthy');
    const first = states.at(-1) as TunnelState;
    expect(first).toMatchObject({ mode: 'local', status: 'healthy', lastReply: 'PONG', restarts: 0 });
    expect(liveCommandLine(first.kubectlPid as number)).toContain(`redis-server 127.0.0.1:${port}`);
    // Every status before it was "starting": healthy is never written before the PING.
    expect(states.slice(0, states.indexOf(first)).every((state) => state.status === 'starting')).toBe(true);

    process.kill(first.kubectlPid as number, 'SIGKILL');
    await waitFor(() => states.some((state) => state.status === 'degraded'));
    await waitFor(() => states.at(-1)?.status === 'healthy' && states.at(-1)?.kubectlPid !== first.kubectlPid);
    const second = states.at(-1) as TunnelState;
    expect(second.restarts).toBe(1);
    expect(states.find((state) => state.status === 'degraded')?.lastError?.message).toBe('redis-server was killed by SIGKILL');
    expect((await pingRedis('127.0.0.1', port, 500)).ok).toBe(true);

    await running.stop();
    await done;
    expect(states.at(-1)?.status).toBe('stopped');
    expect(isProcessAlive(second.kubectlPid as number)).toBe(false);
    expect((await pingRedis('127.0.0.1', port, 300)).ok).toBe(false);
  });

  it('a port held by a redis-server that is not ours: the supervisor stops on "Address already in use" (retrying cannot help) and the other process is untouched', async () => {
    const theirs = await foreignRedis(port);
    const states: TunnelState[] = [];
    await supervisor(states).run();
    const last = states.at(-1) as TunnelState;
    expect(last.status).toBe('stopped');
    expect(last.lastError).toMatchObject({ kind: 'port-in-use', permanent: true });
    expect(last.lastError?.message).toContain(`Could not create server TCP listening socket 127.0.0.1:${port}: bind: Address already in use`);
    expect(last.lastError?.fix).toContain('local-dev never kills processes it did not start');
    expect(isProcessAlive(theirs.pid as number)).toBe(true);
    expect((await pingRedis('127.0.0.1', port, 500)).ok).toBe(true);
  });

  it("the process layer reads redis-server's own ready line and its bind failures", async () => {
    const ready = startPortForward({
      program: 'redis-server',
      kind: LOCAL_REDIS_FORWARDER,
      args: LOCAL_REDIS_FORWARDER.args(localTarget()),
      env: process.env,
      context: localTarget(),
      addresses: ['127.0.0.1'],
      readyTimeoutMs: 5000,
      onLine: () => undefined,
    });
    await ready.ready;
    expect((await pingRedis('127.0.0.1', port, 500)).ok).toBe(true);
    await ready.stop();
    expect(isProcessAlive(ready.pid)).toBe(false);

    // 192.0.2.1 (TEST-NET-1) is on no host: like a docker0 that vanished, retryable.
    const gone = { ...localTarget(), addresses: ['127.0.0.1', '192.0.2.1'] };
    const failing = startPortForward({
      program: 'redis-server',
      kind: LOCAL_REDIS_FORWARDER,
      args: LOCAL_REDIS_FORWARDER.args(gone),
      env: process.env,
      context: gone,
      addresses: gone.addresses,
      readyTimeoutMs: 5000,
      onLine: () => undefined,
    });
    const error = (await failing.ready.catch((caught: unknown) => caught)) as PortForwardError;
    expect(error).toBeInstanceOf(PortForwardError);
    expect(error.problem).toMatchObject({ kind: 'bind-address-gone', permanent: false });
  });

  it('ensureTunnel in local mode refuses a port held by a process that is not ours before starting anything, names it, and records why for status', async () => {
    const theirs = await foreignRedis(port);
    const context = { paths, namespace: 's1', model: { redis: { deployment: 'redis', port, required: true, mode: 'local' as const } } };
    const error = (await ensureTunnel(context, { report: () => undefined, timeoutMs: 5000, reconnect: false }).catch(
      (caught: unknown) => caught,
    )) as TunnelError;
    expect(error).toBeInstanceOf(TunnelError);
    expect(error.message).toBe(
      `port ${port} on 127.0.0.1 is already in use by pid ${theirs.pid} (redis-server 127.0.0.1:${port}), not by local-dev's local Redis`,
    );
    expect(error.fix).toContain('that is a redis-server local-dev did not start');
    expect(error.fix).toContain(`kill ${theirs.pid}`);
    expect(isProcessAlive(theirs.pid as number)).toBe(true);
    const status = formatTunnelStatus(readTunnelState(paths), new Date());
    expect(status.split('\n')[0]).toMatch(/^Redis \(local\): NOT RUNNING — it could not start/);
    expect(status).toContain(`local redis-server (redis.mode: local) for namespace s1 on 127.0.0.1`);
  });

  it('ensureTunnel in local mode says when redis-server is not installed, with the fix', async () => {
    const context = { paths, namespace: 's1', model: { redis: { deployment: 'redis', port, required: true, mode: 'local' as const } } };
    const error = (await ensureTunnel(context, { report: () => undefined, timeoutMs: 5000, reconnect: false, redisServer: '/nonexistent/redis-server' }).catch(
      (caught: unknown) => caught,
    )) as TunnelError;
    expect(error.message).toBe('cannot start the local Redis: /nonexistent/redis-server: command not found');
    expect(error.fix).toContain('apt-get install redis-server');
    expect(error.fix).toContain('redis.mode: tunnel');
  });
});
