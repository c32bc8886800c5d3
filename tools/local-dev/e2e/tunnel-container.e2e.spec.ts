/**
 * Containers reach the tunnel: a real busybox container on the real Docker engine sends a Redis
 * PING to host.docker.internal:<port> (mapped to host-gateway, as the generated compose file does)
 * and gets +PONG back through the supervised forward. This is what binding the Docker bridge
 * gateway besides loopback is for. kubectl is the STAND-IN (no Kubernetes cluster can exist on these
 * machines) forwarding to a real redis-server.
 *
 * Needs a Docker bridge (docker0) on this host; without one the tunnel binds loopback only and
 * there is nothing to check here, so the suite is skipped (visibly) rather than passing vacuously.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { workspacePaths, type WorkspacePaths } from '../src/core/workspace';
import { ensureTunnel } from '../src/tunnel/control';
import { createHarness, freePort, type Harness } from './fixtures/kubectl-stand-in/harness';

const LABEL = 'io.local-dev.test=tunnel-container';
const hasDockerBridge = spawnSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'docker0'], { encoding: 'utf8' }).stdout?.includes(' inet ') ?? false;
const describeWithBridge = hasDockerBridge ? describe : describe.skip;

let harness: Harness;
let paths: WorkspacePaths;

beforeEach(() => {
  harness = createHarness();
  const root = path.join(harness.dir, 'workspace');
  mkdirSync(root);
  paths = workspacePaths(root);
  harness.watchWorkspace(paths);
});

afterEach(async () => {
  // The test's container, finished or not.
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], { encoding: 'utf8' }).stdout.trim();
  if (ids) spawnSync('docker', ['rm', '-f', ...ids.split('\n')]);
  await harness.cleanup();
});

function docker(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describeWithBridge('redis tunnel seen from a container (real Docker, kubectl stand-in)', () => {
  it('answers PING at host.docker.internal:<port> from inside a container', async () => {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    const port = await freePort();
    const state = await ensureTunnel(
      { paths, model: { redis: { deployment: 'redis', port, required: true } }, namespace: 's1' },
      { report: () => undefined, timeoutMs: 15_000, env: harness.env, reconnect: false },
    );
    expect(state.addresses).toHaveLength(2);

    // Detached, then its output read: the reply is what matters, and on a busy engine a `--rm`
    // run can take long to return after the container ended (its removal), which is not ours.
    const started = await docker(
      [
        'run',
        '--detach',
        '--label',
        LABEL,
        '--add-host',
        'host.docker.internal:host-gateway',
        'busybox:1.36',
        // The sleep keeps nc's stdin open until the reply is back (busybox nc quits on EOF).
        'sh',
        '-c',
        `(printf 'PING\\r\\n'; sleep 1) | nc -w 3 host.docker.internal ${port}`,
      ],
      25_000,
    );
    expect(started.code).toBe(0);
    const container = started.output.trim();
    let logs = '';
    for (let waited = 0; waited < 20_000 && !logs.includes('+PONG'); waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      logs = (await docker(['logs', container], 10_000)).output;
    }
    expect(logs).toContain('+PONG');
  }, 40_000);
});
