/**
 * Benchmark: how long the Redis tunnel takes to be healthy again after kubectl dies.
 * Target: under 2 s from kubectl's death to a PING answered through the tunnel again.
 *
 *   node -r @swc-node/register bench/tunnel-recovery.ts [rounds]     (from the repository root)
 *
 * Runs the real supervisor with its production timings (DEFAULT_TIMINGS) against a real
 * redis-server. kubectl is the STAND-IN from tools/local-dev/e2e/fixtures/kubectl-stand-in (no
 * Kubernetes cluster can exist on this machine), so kubectl's own start-up time against a real
 * cluster (typically a few hundred ms) is not included. Prints figures; asserts nothing.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { workspacePaths } from '../tools/local-dev/src/core/workspace';
import { ensureTunnel, stopTunnel } from '../tools/local-dev/src/tunnel/control';
import { DEFAULT_TIMINGS } from '../tools/local-dev/src/tunnel/plan';
import { pingRedis } from '../tools/local-dev/src/tunnel/redis-ping';
import { readTunnelState } from '../tools/local-dev/src/tunnel/state';
import { createHarness, freePort } from '../tools/local-dev/e2e/fixtures/kubectl-stand-in/harness';

const TARGET_MS = 2000;

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 10);
  const harness = createHarness();
  const root = path.join(harness.dir, 'workspace');
  mkdirSync(root);
  const paths = workspacePaths(root);
  harness.watchWorkspace(paths);
  try {
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    const port = await freePort();
    const context = { paths, model: { redis: { deployment: 'redis', port } }, namespace: 's1' };
    await ensureTunnel(context, { report: () => undefined, timeoutMs: 30_000, env: harness.env, reconnect: false });
    console.log(`tunnel-recovery: ${rounds} rounds, SIGKILL kubectl → PING answered through the tunnel again (timings: check every ${DEFAULT_TIMINGS.checkIntervalMs} ms, first retry ${DEFAULT_TIMINGS.backoff.firstMs} ms)`);

    const trafficMs: number[] = [];
    const healthyMs: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const before = runningState(paths);
      const killedAt = performance.now();
      process.kill(before.kubectlPid as number, 'SIGKILL');
      // What a service sees: the first PING through the forward that works again.
      while (!(await pingRedis('127.0.0.1', port, 200)).ok) await sleep(5);
      const traffic = performance.now() - killedAt;
      // What the state file (status, dashboard) says: healthy with a new kubectl.
      while (!isHealthyWithNewKubectl(paths, before.kubectlPid)) await sleep(5);
      const healthy = performance.now() - killedAt;
      trafficMs.push(traffic);
      healthyMs.push(healthy);
      console.log(`  round ${String(round).padStart(2)}: traffic back after ${traffic.toFixed(0).padStart(4)} ms, state healthy after ${healthy.toFixed(0).padStart(4)} ms`);
      // Let the next round start from a settled, healthy tunnel.
      await sleep(300);
    }
    const worst = Math.max(...healthyMs);
    console.log(`traffic back:  median ${median(trafficMs).toFixed(0)} ms, max ${Math.max(...trafficMs).toFixed(0)} ms`);
    console.log(`state healthy: median ${median(healthyMs).toFixed(0)} ms, max ${worst.toFixed(0)} ms  (target < ${TARGET_MS} ms: ${worst < TARGET_MS ? 'met' : 'NOT met'})`);
    await stopTunnel(paths, () => undefined);
  } finally {
    await harness.cleanup();
  }
}

function runningState(paths: ReturnType<typeof workspacePaths>) {
  const reading = readTunnelState(paths);
  if (reading.condition !== 'running' || reading.state.status !== 'healthy') throw new Error(`tunnel not healthy: ${JSON.stringify(reading)}`);
  return reading.state;
}

function isHealthyWithNewKubectl(paths: ReturnType<typeof workspacePaths>, oldKubectlPid: number | undefined): boolean {
  const reading = readTunnelState(paths);
  return reading.condition === 'running' && reading.state.status === 'healthy' && reading.state.kubectlPid !== oldKubectlPid;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
