/**
 * The local Redis (config.yaml `redis.mode: local`) end to end through the control functions the
 * executors call: a real supervisor process keeping a real redis-server alive on the same
 * addresses the tunnel would bind (loopback, and the Docker bridge when this host has one), status
 * saying which Redis is in use, a switch to the tunnel and back, and down leaving nothing running.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { isProcessAlive } from '../src/core/proc';
import { workspacePaths, type WorkspacePaths } from '../src/core/workspace';
import { bringUpTunnel, stopTunnel, type ControlOptions, type TunnelContext } from '../src/tunnel/control';
import { findDockerBridgeGateway } from '../src/tunnel/host';
import { pingRedis } from '../src/tunnel/redis-ping';
import { readTunnelState } from '../src/tunnel/state';
import { formatTunnelStatus } from '../src/tunnel/status';
import { createHarness, freePort, redisCli, type Harness } from './fixtures/kubectl-stand-in/harness';

jest.setTimeout(30_000);

const FAST = { checkIntervalMs: 300, pingTimeoutMs: 500, readyTimeoutMs: 5000, backoff: { firstMs: 50, factor: 2, maxMs: 400, jitter: 0.2 } };

let harness: Harness;
let paths: WorkspacePaths;
let port: number;
const lines: string[] = [];

function options(): ControlOptions & { reconnect: boolean } {
  return { report: (line) => lines.push(line), timeoutMs: 15_000, env: harness.env, timings: FAST, reconnect: false };
}

/** local for the workspace, the tunnel for s2 (per-namespace override). */
function context(namespace: string): TunnelContext {
  return { paths, model: { redis: { deployment: 'redis', port, required: true, mode: 'local', namespaceModes: { s2: 'tunnel' } } }, namespace };
}

beforeEach(async () => {
  harness = createHarness();
  const root = path.join(harness.dir, 'workspace');
  mkdirSync(root);
  paths = workspacePaths(root);
  harness.watchWorkspace(paths);
  port = await freePort();
  lines.length = 0;
});

afterEach(async () => {
  await harness.cleanup();
});

describe('local Redis (redis.mode: local, real supervisor and redis-server)', () => {
  it('serves Redis on every bind address, status says it is the local one, the s2 override switches to the tunnel, and down leaves nothing', async () => {
    const outcome = await bringUpTunnel(context('s1'), options());
    expect(outcome.healthy).toBe(true);
    const state = outcome.healthy ? outcome.state : undefined;
    const bridge = await findDockerBridgeGateway();
    expect(state).toMatchObject({ mode: 'local', namespace: 's1', port, status: 'healthy', addresses: bridge ? ['127.0.0.1', bridge] : ['127.0.0.1'] });
    for (const address of state?.addresses ?? []) expect(await pingRedis(address, port, 1000)).toMatchObject({ ok: true, reply: 'PONG' });
    await redisCli(port, ['SET', 'hello', 'local']);
    expect(lines.join('\n')).toContain('Redis (local, redis.mode: local): starting `redis-server --port');
    const status = formatTunnelStatus(readTunnelState(paths), new Date());
    expect(status.split('\n')[0]).toBe(
      `Redis (local): HEALTHY — local redis-server (redis.mode: local) for namespace s1 on ${state?.addresses.join(',')}:${port}`,
    );
    expect(status).toContain(`redis-server pid ${state?.kubectlPid}`);

    // s2 overrides the mode: the local redis-server is replaced by the tunnel (stand-in kubectl).
    const redis = await harness.startRedis();
    await redisCli(redis.port, ['SET', 'hello', 'cluster-s2']);
    harness.control({ targets: { s2: `127.0.0.1:${redis.port}` } });
    const switched = await bringUpTunnel(context('s2'), options());
    expect(switched.healthy && switched.state).toMatchObject({ mode: 'tunnel', namespace: 's2' });
    expect(lines.join('\n')).toContain('Redis: switching from the local redis-server to the kubectl tunnel (redis.mode for namespace s2)');
    expect(isProcessAlive(state?.kubectlPid as number)).toBe(false);
    expect(await redisCli(port, ['GET', 'hello'])).toBe('cluster-s2');

    const back = await bringUpTunnel(context('s1'), options());
    expect(back.healthy && back.state).toMatchObject({ mode: 'local', namespace: 's1' });
    const local = back.healthy ? back.state : undefined;
    // A fresh local Redis starts empty: nothing was saved.
    expect(await redisCli(port, ['GET', 'hello'])).toBe('');

    await stopTunnel(paths, (line) => lines.push(line));
    expect(readTunnelState(paths).condition).toBe('stopped');
    expect(isProcessAlive(local?.pid as number)).toBe(false);
    expect(isProcessAlive(local?.kubectlPid as number)).toBe(false);
    expect((await pingRedis('127.0.0.1', port, 300)).ok).toBe(false);
  });
});
