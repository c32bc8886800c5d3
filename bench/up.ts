/**
 * Benchmark (issue 10): `nx run-many -t up` side by side with the hand-made flow (docker-compose v1
 * on the same generated compose file, another project name) in the same run, on the same engine.
 *
 *   node -r @swc-node/register bench/up.ts [sizes, default 8,30] [inference sizes, default 6,1000]
 *   (from the repository root; LOCAL_DEV_BENCH_ROUNDS=N for the median, default 3)
 *
 * For each size: a temp workspace of busybox HTTP services (svc-0 with 3 workers sharing its repo,
 * the rest one repo each; local bare repos as remotes), the real chain (clone, inject-config, the
 * Redis tunnel through the kubectl STAND-IN to a real redis-server, build-image, generate, up with
 * healthchecks). Rows: start of a stopped stack, no-op with and without the Nx daemon, one repo
 * changed, cold, the first no-op after cold; then `nx show projects` without the daemon at the
 * inference sizes. The hand-made flow is timed until its HTTP services answer, as ours is. Prints
 * figures; asserts nothing. On a shared machine only the ratios (same run) mean anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../tools/local-dev/src/core/workspace';
import { composeProjectName, workspaceId } from '../tools/local-dev/src/core/naming';
import { createHarness, freePort } from '../tools/local-dev/e2e/fixtures/kubectl-stand-in/harness';
import { removeByWorkspaceLabel } from '../tools/local-dev/e2e/fixtures/stack/stack';
import { createStackWorkspace } from '../tools/local-dev/e2e/fixtures/stack/workspace';
import { createTempWorkspace, initWorkspace } from '../tools/local-dev/e2e/support/temp-workspace';
import { probeHttp } from '../tools/local-dev/src/docker/health';
import { generatedCatalog } from './plugin-inference';

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

/** One row of the table: ours and the hand-made flow, each a median (or a single run, said so). */
interface Row {
  label: string;
  ours: number;
  theirs?: number;
  theirsLabel?: string;
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

/** Each figure as soon as it is measured (a run on a loaded machine may not live to print its table). */
function progress(name: string, ms: number): void {
  console.log(`measured ${name}: ${seconds(ms)}`);
}

const ROUNDS = Number(process.env.LOCAL_DEV_BENCH_ROUNDS ?? 3);

/** Median of ROUNDS runs of `body`, each after `before` (not timed). */
async function medianOf(body: () => Promise<void> | void, before: () => Promise<void> | void = () => undefined): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await before();
    times.push(await timed(body));
  }
  return median(times);
}

/**
 * The hand-made flow waits the way a user does: until every HTTP service answers on its published
 * port (docker-compose -d itself returns once the containers run, without waiting for the apps).
 */
async function untilAnswering(hostPorts: number[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of hostPorts) {
    for (;;) {
      if ((await probeHttp('127.0.0.1', port, '/health', 1000)).ok) break;
      if (Date.now() > deadline) throw new Error(`127.0.0.1:${port}/health did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function benchSize(services: number): Promise<Row[]> {
  const workers = 3;
  const harness = createHarness();
  const redis = await harness.startRedis();
  harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
  const stack = await createStackWorkspace({
    repos: services - workers,
    workers,
    redisPort: await freePort(),
    workerHealthcheck: 'none',
    name: `bench-${services}`,
  });
  const root = stack.workspace.root;
  harness.watchWorkspace(workspacePaths(root));
  const env = { ...harness.env, NX_DAEMON: 'true' };
  const noDaemon = { ...harness.env, NX_DAEMON: 'false' };
  const nx = async (args: string[], withEnv: Record<string, string | undefined> = env) => {
    const result = await stack.workspace.nx(args, { env: withEnv, timeoutMs: 900_000 });
    if (result.code !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${result.output.slice(-4000)}`);
  };
  const up = (withEnv: Record<string, string | undefined> = env) => nx(['run-many', '-t', 'up', '--namespace=s1'], withEnv);
  const baselineProject = `${composeProjectName(root)}-baseline`;
  const compose = (args: string[]) => {
    const result = spawnSync('docker-compose', ['--project-name', baselineProject, '--file', 'docker-compose.yml', ...args], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`docker-compose ${args.join(' ')} failed:\n${result.stderr.slice(-4000)}`);
  };
  const httpPorts = Object.values(stack.hostPorts);
  // svc-0's repo: svc-0 and its 3 workers (4 images), as in the issue's "one repo changed".
  const changedServices = stack.services.filter((name) => name.startsWith('svc-0'));
  let edits = 0;
  const changeRepo = () => writeFileSync(path.join(root, 'cloned/svc-0/version.txt'), `svc-0 edit ${++edits}\n`);
  try {
    await initWorkspace(stack.workspace);
    await nx(['daemon', '--start']);
    const cold = await timed(() => up());
    progress('cold', cold);
    const firstNoop = await timed(() => up());
    progress('firstNoop', firstNoop);
    await nx(['run-many', '-t', 'down']);

    // The hand-made flow first (so a run that cannot finish still has it): the same
    // docker-compose.yml by hand (images tagged :latest, another project, clones already there).
    const theirCold = await timed(async () => {
      compose(['up', '--detach', '--build']);
      await untilAnswering(httpPorts);
    });
    progress('theirCold', theirCold);
    const theirNoop = await medianOf(() => compose(['up', '--detach', '--build']));
    progress('theirNoop', theirNoop);
    const theirChange = await medianOf(async () => {
      compose(['up', '--detach', '--build', ...changedServices]);
      await untilAnswering([stack.hostPorts['svc-0']]);
    }, changeRepo);
    progress('theirChange', theirChange);
    const theirStartAfterStop = await medianOf(
      async () => {
        compose(['up', '--detach']);
        await untilAnswering(httpPorts);
      },
      () => compose(['stop', '--timeout', '1']),
    );
    progress('theirStartAfterStop', theirStartAfterStop);
    const theirStart = await medianOf(
      async () => {
        compose(['up', '--detach']);
        await untilAnswering(httpPorts);
      },
      () => compose(['down']),
    );
    progress('theirStart', theirStart);
    compose(['down']);

    // Ours again, from the stack as the hand-made flow left the clones (not timed).
    await up();
    const startStopped = await medianOf(
      () => up(),
      () => nx(['run-many', '-t', 'down']),
    );
    progress('startStopped', startStopped);
    await up(); // the first no-op after a start re-checks every service once (see docs): not steady yet
    const noop = await medianOf(() => up());
    progress('noop', noop);
    const noopNoDaemon = await medianOf(() => up(noDaemon));
    progress('noopNoDaemon', noopNoDaemon);
    const change = await medianOf(() => up(), changeRepo);
    progress('change', change);
    const afterChange = await timed(() => up());
    progress('afterChange', afterChange);
    // Containers there but stopped (a reboot, `docker stop`): the same containers start again.
    const ourContainers = () =>
      spawnSync('docker', ['ps', '--quiet', '--filter', `label=io.local-dev.workspace=${workspaceId(root)}`], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
    const startAfterStop = await medianOf(
      () => up(),
      () => {
        spawnSync('docker', ['stop', '--time', '1', ...ourContainers()]);
      },
    );
    progress('startAfterStop', startAfterStop);
    await up();
    const upAlone = await medianOf(() => nx(['run-many', '-t', 'up', '--namespace=s1', '--exclude-task-dependencies']));
    progress('upAlone', upAlone);
    // Last, since it changes the environment: another no-op with every process probed.
    const taskCost = await probeTaskProcesses((extraEnv) =>
      stack.workspace.nx(['run-many', '-t', 'up', '--namespace=s1'], { env: { ...env, ...extraEnv }, timeoutMs: 900_000 }),
    );
    await nx(['run-many', '-t', 'down']);

    console.log(`\nno-op run's task processes (${services} services): ${taskCost}`);
    return [
      {
        label: 'start of a stopped stack (after down; images there)',
        ours: startStopped,
        theirs: theirStart,
        theirsLabel: 'up -d, until every service answers',
      },
      {
        label: 'start of a stopped stack (after docker stop: containers there)',
        ours: startAfterStop,
        theirs: theirStartAfterStop,
        theirsLabel: 'stop, then up -d, until every service answers',
      },
      { label: 'no-op, Nx daemon on', ours: noop, theirs: theirNoop, theirsLabel: 'up -d --build' },
      { label: 'no-op, no daemon (NX_DAEMON=false)', ours: noopNoDaemon, theirs: theirNoop, theirsLabel: 'up -d --build' },
      {
        label: 'one repo changed (svc-0 + 3 workers: 4 images)',
        ours: change,
        theirs: theirChange,
        theirsLabel: 'up -d --build <its 4 services>, until svc-0 answers',
      },
      { label: 'no-op right after that change (1 run)', ours: afterChange },
      {
        label: 'cold: clone, inject, build, start (1 run)',
        ours: cold,
        theirs: theirCold,
        theirsLabel: 'up -d --build, clones there, until every service answers',
      },
      { label: 'first no-op after the cold run (1 run)', ours: firstNoop, theirs: theirNoop, theirsLabel: 'up -d --build' },
      { label: 'no-op, up targets alone (--exclude-task-dependencies)', ours: upAlone },
    ];
  } finally {
    await stack.workspace.nx(['run', 'redis-tunnel:down'], { env });
    await stack.workspace.nx(['daemon', '--stop'], { env });
    removeByWorkspaceLabel(workspaceId(root));
    await harness.cleanup();
    stack.remove();
  }
}

/** `nx show projects` without the daemon on a generated catalog: inference's cost as the catalog grows. */
async function inference(services: number): Promise<{ first: number; warm: number }> {
  const workspace = createTempWorkspace({ config: generatedCatalog(services), name: `bench-infer-${services}` });
  try {
    await initWorkspace(workspace);
    const show = async () => {
      const result = await workspace.nx(['show', 'projects'], { env: { NX_DAEMON: 'false' }, timeoutMs: 600_000 });
      if (result.code !== 0) throw new Error(result.output.slice(-4000));
    };
    const first = await timed(show);
    return { first, warm: await medianOf(show) };
  } finally {
    workspace.remove();
  }
}

function printTable(services: number, rows: Row[]): void {
  console.log(
    `\nup, ${services} services (${services - 3} repos, 3 workers sharing svc-0's repo; workers without healthcheck), median of ${ROUNDS} unless said; only the ratios mean anything on a loaded machine`,
  );
  console.log('| path | hand-made flow (docker-compose v1) | nx run-many -t up | ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) {
    const theirs = row.theirs === undefined ? '' : `${row.theirsLabel}: ${seconds(row.theirs)}`;
    const ratio = row.theirs === undefined ? '' : `${(row.ours / row.theirs).toFixed(2)}×`;
    console.log(`| ${row.label} | ${theirs} | ${seconds(row.ours)} | ${ratio} |`);
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
  const rows = text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
  const started = rows.filter((row) => row.phase === 'start');
  const taskStarts = started.filter((row) => row.task).length;
  if (taskStarts === 0) return `none (node processes in all: ${started.length})`;
  const exited = rows.filter((row) => row.phase === 'exit' && row.task);
  const lifetime =
    exited.length > 0
      ? `, ${exited.length} ran to exit, alive ${Math.round(median(exited.map((row) => row.ms ?? 0)))} ms (median)`
      : ' (batch workers, ended by Nx)';
  const withSwc = rows.filter((row) => row.phase === 'exit' && row.swc).length;
  return `${taskStarts} (task or batch worker)${lifetime}; node processes in all: ${started.length}, ${withSwc} loaded swc`;
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '8,30').split(',').filter(Boolean).map(Number);
  const inferenceSizes = (process.argv[3] ?? '6,1000').split(',').filter(Boolean).map(Number);
  for (const size of sizes) printTable(size, await benchSize(size));
  if (inferenceSizes.length === 0) return;
  const figures = [];
  for (const size of inferenceSizes) figures.push({ size, ...(await inference(size)) });
  console.log(`\nnx show projects, no daemon (median of ${ROUNDS} after a first run that fills the plugin's cache)`);
  console.log('| services | first run | warm | warm ratio to the smallest |');
  console.log('| --- | --- | --- | --- |');
  for (const row of figures) console.log(`| ${row.size} | ${seconds(row.first)} | ${seconds(row.warm)} | ${(row.warm / figures[0].warm).toFixed(2)}× |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
