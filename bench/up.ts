/**
 * Benchmark: `nx run-many -t up` against what users run today, `docker-compose up -d --build`,
 * on the same stack and the same generated compose file, with the Nx daemon on.
 *
 *   node -r @swc-node/register bench/up.ts [sizes, default 8,30]     (from the repository root)
 *
 * For each size: a temp workspace of busybox HTTP services (svc-0 with 3 workers sharing its repo,
 * the rest one repo each; local bare repos as remotes), the real chain (clone, inject-config, the
 * Redis tunnel through the kubectl STAND-IN to a real redis-server, build-image, generate, up with
 * healthchecks), then the same compose file with docker-compose under another project name.
 * Measures cold, no-op (first re-run and steady state), one-service-change runs and the no-op right after. Prints
 * figures; asserts nothing. Targets (issue 4): no-op up ≤ 1.5× docker-compose's no-op at the
 * catalog size, and below it at 30 services.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../tools/local-dev/src/core/workspace';
import { composeProjectName, workspaceId } from '../tools/local-dev/src/docker/naming';
import { createHarness, freePort } from '../tools/local-dev/e2e/fixtures/kubectl-stand-in/harness';
import { removeByWorkspaceLabel } from '../tools/local-dev/e2e/fixtures/stack/stack';
import { createStackWorkspace } from '../tools/local-dev/e2e/fixtures/stack/workspace';
import { initWorkspace } from '../tools/local-dev/e2e/support/temp-workspace';

/**
 * Preloaded (NODE_OPTIONS=-r) into every node process of one extra no-op run: each appends a line
 * when it starts (Nx kills its batch workers at the end, so they never reach 'exit') and, at exit,
 * how long it lived and whether a TypeScript transpiler was loaded in it, to see where time goes.
 */
const PROBE = `const fs = require('fs');
const task = process.argv.some((arg) => arg.endsWith('run-executor.js') || arg.endsWith('run-batch.js'));
fs.appendFileSync(process.env.LOCAL_DEV_BENCH_PROBE, JSON.stringify({ phase: 'start', task }) + '\\n');
process.on('exit', () => {
  const loaded = Object.keys(require.cache);
  fs.appendFileSync(process.env.LOCAL_DEV_BENCH_PROBE, JSON.stringify({
    phase: 'exit',
    task,
    ms: process.uptime() * 1000,
    swc: loaded.some((file) => file.includes('/@swc/core/') || file.includes('/@swc-node/')),
  }) + '\\n');
});`;

interface Figures {
  cold: number;
  noopFirst: number;
  noopSteady: number;
  change: number;
  /** The no-op run right after the one-service change. */
  afterChange: number;
  /** No-op of the up targets alone (no clone, inject-config, tunnel): what Nx caching leaves. */
  upAlone?: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(body: () => Promise<void> | void): Promise<number> {
  const started = performance.now();
  await body();
  return performance.now() - started;
}

async function benchSize(services: number): Promise<void> {
  const workers = 3;
  const harness = createHarness();
  const redis = await harness.startRedis();
  harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
  const stack = await createStackWorkspace({ repos: services - workers, workers, redisPort: await freePort(), workerHealthcheck: 'none', name: `bench-${services}` });
  const root = stack.workspace.root;
  harness.watchWorkspace(workspacePaths(root));
  const env = { ...harness.env, NX_DAEMON: 'true' };
  const nx = async (args: string[]) => {
    const result = await stack.workspace.nx(args, { env, timeoutMs: 900_000 });
    if (result.code !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${result.output.slice(-4000)}`);
  };
  const baselineProject = `${composeProjectName(root)}-baseline`;
  const compose = (args: string[]) => {
    const result = spawnSync('docker-compose', ['--project-name', baselineProject, '--file', 'docker-compose.yml', ...args], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`docker-compose ${args.join(' ')} failed:\n${result.stderr.slice(-4000)}`);
  };
  const touch = (label: string) => writeFileSync(path.join(root, 'cloned/svc-1/version.txt'), `svc-1 ${label}\n`);
  try {
    await initWorkspace(stack.workspace);
    await nx(['daemon', '--start']);
    const ours: Figures = { cold: 0, noopFirst: 0, noopSteady: 0, change: 0, afterChange: 0 };
    ours.cold = await timed(() => nx(['run-many', '-t', 'up', '--namespace=s1']));
    ours.noopFirst = await timed(() => nx(['run-many', '-t', 'up', '--namespace=s1']));
    const steady: number[] = [];
    for (let round = 0; round < 3; round++) steady.push(await timed(() => nx(['run-many', '-t', 'up', '--namespace=s1'])));
    ours.noopSteady = median(steady);
    const alone: number[] = [];
    for (let round = 0; round < 3; round++) alone.push(await timed(() => nx(['run-many', '-t', 'up', '--namespace=s1', '--exclude-task-dependencies'])));
    ours.upAlone = median(alone);
    touch('changed');
    ours.change = await timed(() => nx(['run-many', '-t', 'up', '--namespace=s1']));
    ours.afterChange = await timed(() => nx(['run-many', '-t', 'up', '--namespace=s1']));
    // Last, since it changes the environment: another no-op with every process probed.
    const taskCost = await probeTaskProcesses((extraEnv) => stack.workspace.nx(['run-many', '-t', 'up', '--namespace=s1'], { env: { ...env, ...extraEnv }, timeoutMs: 900_000 }));
    await nx(['run-many', '-t', 'down']);

    // The same docker-compose.yml, as users run it today (images tagged :latest, another project).
    const theirs: Figures = { cold: 0, noopFirst: 0, noopSteady: 0, change: 0, afterChange: 0 };
    theirs.cold = await timed(() => compose(['up', '--detach', '--build']));
    theirs.noopFirst = await timed(() => compose(['up', '--detach', '--build']));
    const theirSteady: number[] = [];
    for (let round = 0; round < 3; round++) theirSteady.push(await timed(() => compose(['up', '--detach', '--build'])));
    theirs.noopSteady = median(theirSteady);
    touch('changed again');
    theirs.change = await timed(() => compose(['up', '--detach', '--build']));
    theirs.afterChange = await timed(() => compose(['up', '--detach', '--build']));
    compose(['down']);

    const ratio = ours.noopSteady / theirs.noopSteady;
    const target = services <= 8 ? ratio <= 1.5 : ratio < 1;
    console.log(`\nup, ${services} services (${services - workers} repos, ${workers} workers sharing svc-0's repo), Nx daemon on, ${process.env.NX_PARALLEL ?? 'default'} parallel`);
    console.log('| run | nx run-many -t up | docker-compose up -d --build |');
    console.log('| --- | --- | --- |');
    console.log(`| cold (clone+build+start) | ${seconds(ours.cold)} | ${seconds(theirs.cold)} (clones already there) |`);
    console.log(`| no-op, first re-run | ${seconds(ours.noopFirst)} | ${seconds(theirs.noopFirst)} |`);
    console.log(`| no-op, steady (median of 3) | ${seconds(ours.noopSteady)} | ${seconds(theirs.noopSteady)} |`);
    console.log(`| one service changed | ${seconds(ours.change)} | ${seconds(theirs.change)} |`);
    console.log(`| no-op right after that change | ${seconds(ours.afterChange)} | ${seconds(theirs.afterChange)} |`);
    console.log(`| no-op, up targets alone (--exclude-task-dependencies, median of 3) | ${seconds(ours.upAlone ?? 0)} | |`);
    console.log(`no-op run's task processes: ${taskCost}`);
    console.log(`no-op ratio ${ratio.toFixed(2)}× (target ${services <= 8 ? '≤ 1.5×' : '< 1×'}: ${target ? 'met' : 'NOT met'}); ours waits for healthchecks, docker-compose -d does not`);
  } finally {
    await stack.workspace.nx(['run', 'redis-tunnel:down'], { env });
    await stack.workspace.nx(['daemon', '--stop'], { env });
    removeByWorkspaceLabel(workspaceId(root));
    await harness.cleanup();
    stack.remove();
  }
}

/** One more no-op run with PROBE preloaded: how many task processes, how long each lived, swc or not. */
async function probeTaskProcesses(run: (env: Record<string, string>) => Promise<{ code: number | null; output: string }>): Promise<string> {
  // Outside the workspace, so Nx sees no new file.
  const folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-bench-probe-'));
  const probe = path.join(folder, 'probe.js');
  const out = path.join(folder, 'probe.jsonl');
  writeFileSync(probe, PROBE);
  writeFileSync(out, '');
  const result = await run({ NODE_OPTIONS: `-r ${probe}`, LOCAL_DEV_BENCH_PROBE: out });
  if (result.code !== 0) throw new Error(`probed no-op run failed:\n${result.output.slice(-4000)}`);
  const text = readFileSync(out, 'utf8');
  rmSync(folder, { recursive: true, force: true });
  type Row = { phase: 'start' | 'exit'; task: boolean; ms?: number; swc?: boolean };
  const rows = text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Row);
  const started = rows.filter((row) => row.phase === 'start');
  const taskStarts = started.filter((row) => row.task).length;
  if (taskStarts === 0) return `none (node processes in all: ${started.length})`;
  const exited = rows.filter((row) => row.phase === 'exit' && row.task);
  const lifetime = exited.length > 0 ? `, ${exited.length} ran to exit, alive ${Math.round(median(exited.map((row) => row.ms ?? 0)))} ms (median)` : ' (batch workers, ended by Nx)';
  const withSwc = rows.filter((row) => row.phase === 'exit' && row.swc).length;
  return `${taskStarts} (task or batch worker)${lifetime}; node processes in all: ${started.length}, ${withSwc} loaded swc`;
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '8,30').split(',').map(Number);
  for (const size of sizes) await benchSize(size);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
