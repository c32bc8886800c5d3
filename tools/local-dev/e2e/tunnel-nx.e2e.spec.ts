/**
 * The redis-tunnel targets through the real nx CLI on a temporary workspace: the supervisor
 * started by an executor outlives the Nx run, status reads it, --namespace switches it, restart
 * reconnects and down leaves no process. kubectl is a STAND-IN (no Kubernetes cluster can exist on
 * these machines; see fixtures/kubectl-stand-in/kubectl) forwarding to real redis-server processes.
 */
import { createTempWorkspace, commitAll, type TempWorkspace } from './support/temp-workspace';
import { workspacePaths } from '../src/core/workspace';
import { waitUntil } from '../src/tunnel/launch';
import { readTunnelState, type TunnelState } from '../src/tunnel/state';
import { createHarness, freePort, isAlive, redisCli, type Harness } from './fixtures/kubectl-stand-in/harness';

jest.setTimeout(60_000);

let harness: Harness;
let workspace: TempWorkspace;
let port: number;

beforeAll(async () => {
  harness = createHarness();
  port = await freePort();
  workspace = createTempWorkspace({
    name: 'tunnel',
    config: config(port),
    files: Object.fromEntries(['api', 'docker-compose', 'redis-tunnel', 'stack'].map((name) => [`services/${name}/README.md`, `# ${name}\n`])),
  });
  harness.watchWorkspace(workspacePaths(workspace.root));
  await commitAll(workspace);
});

afterAll(async () => {
  await harness?.cleanup();
  workspace?.remove();
});

/** What Nx prints when it answered a task from its cache instead of running it. */
const NX_CACHE_HIT = /from the cache|\[local cache\]|\[remote cache\]|existing outputs match the cache/;

function config(redisPort: number, redisExtra = ''): string {
  return `default-namespace: s1\nredis:\n  deployment: redis\n  port: ${redisPort}\n${redisExtra}services:\n  api:\n    repo: /tmp/local-dev-no-such-repo.git\n`;
}

const nx = (args: string[]) => workspace.nx(args, { env: harness.env, timeoutMs: 50_000 });

function runningState(): TunnelState {
  const reading = readTunnelState(workspacePaths(workspace.root));
  if (reading.condition !== 'running') throw new Error(`expected a running tunnel, found ${reading.condition}`);
  return reading.state;
}

describe('redis-tunnel targets through nx (kubectl stand-in)', () => {
  it('up → status → up --namespace=s2 → restart → down', async () => {
    const [redis1, redis2] = [await harness.startRedis(), await harness.startRedis()];
    await redisCli(redis1.port, ['SET', 'whoami', 'redis-of-s1']);
    await redisCli(redis2.port, ['SET', 'whoami', 'redis-of-s2']);
    harness.control({ targets: { s1: `127.0.0.1:${redis1.port}`, s2: `127.0.0.1:${redis2.port}` }, spawnChild: true });

    const up = await nx(['run', 'redis-tunnel:up']);
    expect(up.code).toBe(0);
    expect(up.output).toMatch(
      new RegExp(`Redis tunnel: healthy — PING answered \\+PONG through 127\\.0\\.0\\.1:${port}( and [\\d.]+:${port})? → s1/deployment/redis`),
    );
    // The Nx run is over; the supervisor it started lives on and carries traffic.
    const first = runningState();
    expect(first.status).toBe('healthy');
    expect(await redisCli(port, ['GET', 'whoami'])).toBe('redis-of-s1');

    const status = await nx(['run', 'redis-tunnel:status']);
    expect(status.code).toBe(0);
    expect(status.output).toContain(`Redis tunnel: HEALTHY — s1/deployment/redis on ${first.addresses.join(',')}:${port}`);

    const switched = await nx(['run', 'redis-tunnel:up', '--namespace=s2']);
    expect(switched.code).toBe(0);
    expect(switched.output).toContain('switching from namespace s1 to s2');
    expect(harness.starts().map((start) => start.namespace)).toEqual(['s1', 's2']);
    expect(await redisCli(port, ['GET', 'whoami'])).toBe('redis-of-s2');
    expect(isAlive(first.pid)).toBe(false);
    const second = runningState();

    const restarted = await nx(['run', 'redis-tunnel:restart', '--namespace=s2']);
    expect(restarted.code).toBe(0);
    expect(restarted.output).toContain('reconnecting');
    const third = runningState();
    expect(third.pid).toBe(second.pid);
    expect(third.kubectlPid).not.toBe(second.kubectlPid);
    expect(third.restarts).toBe(second.restarts + 1);

    const down = await nx(['run', 'redis-tunnel:down']);
    expect(down.code).toBe(0);
    const pids = [first.pid, second.pid, ...harness.starts().flatMap((start) => [start.pid, start.childPid])];
    for (const pid of pids) expect(await waitUntil(() => !isAlive(pid), 5000)).toBe(true);
  });

  it('best effort by default: an unreachable cluster is reported loudly, up succeeds, status shows it, and Nx never replays such a run', async () => {
    harness.control({ failToStart: 'Unable to connect to the server: dial tcp: lookup k8s.example.com: no such host' });
    for (const run of ['first', 'second']) {
      const up = await nx(['run', 'redis-tunnel:up']);
      expect({ run, code: up.code }).toEqual({ run, code: 0 });
      expect(up.output).toContain('⚠ Redis tunnel: NOT HEALTHY — the services start anyway');
      expect(up.output).toContain('Unable to connect to the server: dial tcp: lookup k8s.example.com: no such host');
      expect(up.output).toContain('keeps retrying in the background');
      // A success on a tunnel that is not healthy is cached by Nx, but under a hash that never recurs.
      expect(up.output).not.toMatch(NX_CACHE_HIT);
    }
    const status = await nx(['run', 'redis-tunnel:status']);
    expect(status.output).toContain('Redis tunnel: DEGRADED');
    expect(status.output).toContain('keeps retrying in the background');
    expect((await nx(['run', 'redis-tunnel:down'])).code).toBe(0);
  });

  it("a namespace the cluster does not have: reported with kubectl's message and the fix; with redis.required: true up fails", async () => {
    harness.control({ targets: {} });
    const up = await nx(['run', 'redis-tunnel:up', '--namespace=s2']);
    expect(up.code).toBe(0);
    expect(up.output).toContain('what failed: kubectl port-forward failed: Error from server (NotFound): namespaces "s2" not found');
    expect(up.output).toContain('fix: namespace "s2" does not exist in this cluster');
    expect(up.output).toContain('nothing retries it');

    workspace.write('repos_docker_files/config.yaml', config(port, '  required: true\n'));
    const strict = await nx(['run', 'redis-tunnel:up', '--namespace=s2']);
    expect(strict.code).not.toBe(0);
    expect(strict.output).toContain('✖ redis-tunnel:up: kubectl port-forward failed: Error from server (NotFound): namespaces "s2" not found');
    expect(strict.output).toContain('fix: namespace "s2" does not exist in this cluster');
    expect(readTunnelState(workspacePaths(workspace.root)).condition).not.toBe('running');
  });
});
