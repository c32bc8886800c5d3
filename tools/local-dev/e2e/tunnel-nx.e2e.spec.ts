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
    config: `default-namespace: s1\nredis:\n  deployment: redis\n  port: ${port}\nservices:\n  api:\n    repo: /tmp/local-dev-no-such-repo.git\n`,
    files: Object.fromEntries(['api', 'docker-compose', 'redis-tunnel'].map((name) => [`services/${name}/README.md`, `# ${name}\n`])),
  });
  harness.watchWorkspace(workspacePaths(workspace.root));
  await commitAll(workspace);
});

afterAll(async () => {
  await harness?.cleanup();
  workspace?.remove();
});

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
    expect(up.output).toMatch(new RegExp(`Redis tunnel: healthy — PING answered \\+PONG through 127\\.0\\.0\\.1:${port}( and [\\d.]+:${port})? → s1/deployment/redis`));
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

  it('fails with kubectl\'s message and the fix when the namespace does not exist in the cluster', async () => {
    harness.control({ targets: {} });
    const up = await nx(['run', 'redis-tunnel:up', '--namespace=s2']);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain('✖ redis-tunnel:up: kubectl port-forward failed: Error from server (NotFound): namespaces "s2" not found');
    expect(up.output).toContain('fix: namespace "s2" does not exist in this cluster');
    expect(readTunnelState(workspacePaths(workspace.root)).condition).not.toBe('running');
  });
});
