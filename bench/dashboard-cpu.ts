/**
 * Benchmark (issue 20, item 15): what watching costs. CPU time of the dashboard process and all its
 * descendants (children still running and children already reaped, through the dashboard's own
 * cutime/cstime) while it serves a real 6-service stack, in % of one core:
 *
 *   - one page open (Debian's Chromium via playwright-core: the page's event, log and build-output
 *     streams, as a user has them), 60 s after a warm-up;
 *   - no page open, 60 s.
 *
 *   node -r @swc-node/register bench/dashboard-cpu.ts [seconds, default 60] [baseline git revision]
 *   (from the repository root; e.g. `npm run bench:dashboard-cpu -- 60 9249684` also measures the
 *   dashboard of that revision, from a temporary git worktree, on the same stack, in the same run)
 *
 * The stack: a temp workspace of busybox HTTP services (svc-0 with 3 workers sharing its repo,
 * svc-1, svc-2; local bare repos as remotes), brought up by the real chain (`nx run-many -t up`,
 * the Redis tunnel through the kubectl STAND-IN to a real redis-server). Chromium's own CPU is not
 * counted (it is not the dashboard's). Prints figures; asserts nothing. The machine is shared, so
 * other work shows up as noise; the same run's figures side by side are the comparison.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { workspacePaths } from '../tools/local-dev/src/core/workspace';
import { workspaceId } from '../tools/local-dev/src/core/naming';
import { createHarness, freePort } from '../tools/local-dev/e2e/fixtures/kubectl-stand-in/harness';
import { removeByWorkspaceLabel } from '../tools/local-dev/e2e/fixtures/stack/stack';
import { createStackWorkspace } from '../tools/local-dev/e2e/fixtures/stack/workspace';
import { initWorkspace, REPO_ROOT } from '../tools/local-dev/e2e/support/temp-workspace';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/local-dev/e2e/support/chromium';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const WARM_UP_MS = 10_000;

/** Fields of /proc/<pid>/stat after the command (which may hold spaces): [state, ppid, …]. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    // Gone between the listing and the read: it was reaped, its time is in its parent's cutime.
    return undefined;
  }
}

/** utime + stime + cutime + cstime of `pid` (clock ticks): its own time and that of its reaped children. */
function processTicks(pid: number): number {
  const fields = statFields(pid);
  // utime, stime, cutime, cstime are fields 14–17 of stat; index 11–14 after the command.
  return fields ? [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0) : 0;
}

/** `root` and every live descendant of it. */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields) parentOf.set(Number(entry), Number(fields[1]));
  }
  const tree = [root];
  for (let index = 0; index < tree.length; index++) {
    for (const [pid, parent] of parentOf) if (parent === tree[index]) tree.push(pid);
  }
  return tree;
}

/** CPU seconds spent so far by `root` and its descendants (live ones, and reaped ones through cutime/cstime). */
function treeCpuSeconds(root: number): { seconds: number; processes: number } {
  const tree = processTree(root);
  return { seconds: tree.reduce((sum, pid) => sum + processTicks(pid), 0) / CLOCK_TICKS, processes: tree.length };
}

/**
 * % of one core used by the tree over `ms`. A child alive at the start and reaped before the end
 * is counted right: its time up to the start is in the first sum, its whole time in the
 * dashboard's cutime at the end.
 */
async function cpuPercent(root: number, ms: number): Promise<{ percent: number; processes: number }> {
  const before = treeCpuSeconds(root);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = treeCpuSeconds(root);
  return { percent: ((after.seconds - before.seconds) / ((performance.now() - started) / 1000)) * 100, processes: Math.max(before.processes, after.processes) };
}

function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${what} within ${timeoutMs / 1000} s`));
      setTimeout(check, 100);
    };
    check();
  });
}

/** A git worktree of `revision` with this repo's node_modules linked in (the compiled tree loads its packages from there). */
function baselineTree(revision: string): { root: string; remove: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-bench-baseline-'));
  rmSync(root, { recursive: true });
  const added = spawnSync('git', ['worktree', 'add', '--detach', root, revision], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (added.status !== 0) throw new Error(`git worktree add ${revision} failed: ${added.stderr}`);
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return {
    root,
    remove: () => {
      rmSync(path.join(root, 'node_modules'), { force: true });
      spawnSync('git', ['worktree', 'remove', '--force', root], { cwd: REPO_ROOT });
    },
  };
}

/** Starts the dashboard of the checkout at `tree` (its precompiled main.js) on `workspaceRoot`, as `stack:dashboard` does, but as our child. */
async function startDashboard(tree: string, workspaceRoot: string, port: number, logFile: string): Promise<ChildProcess> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loader = require(path.join(tree, 'tools/local-dev/runtime/compiled.js')) as { compiledPath(relative: string): string };
  const entry = loader.compiledPath('src/dashboard/main');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [entry, JSON.stringify({ root: workspaceRoot, port, namespace: undefined })], {
    cwd: workspaceRoot,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const stateFile = path.join(workspaceRoot, 'logs', 'dashboard.json');
  await waitFor(
    () => existsSync(stateFile) && readFileSync(stateFile, 'utf8').includes(`"pid": ${child.pid}`),
    60_000,
    `the dashboard of ${tree} did not start (see ${logFile})`,
  );
  return child;
}

interface Figures {
  label: string;
  page: { percent: number; processes: number };
  idle: { percent: number; processes: number };
}

async function measure(label: string, tree: string, workspaceRoot: string, seconds: number): Promise<Figures> {
  const port = await freePort();
  const logFile = path.join(workspaceRoot, 'logs', `bench-dashboard-${label}.log`);
  const dashboard = await startDashboard(tree, workspaceRoot, port, logFile);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'local-dev-bench-chromium-'));
  try {
    const pid = dashboard.pid as number;
    // No page first: what a dashboard left running in the background costs.
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const idle = await cpuPercent(pid, seconds * 1000);
    console.log(`measured ${label}, no page: ${idle.percent.toFixed(2)} % of one core`);
    const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
      await page.locator('[data-service="svc-2"]').waitFor({ timeout: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
      const open = await cpuPercent(pid, seconds * 1000);
      console.log(`measured ${label}, one page open: ${open.percent.toFixed(2)} % of one core (${open.processes} processes in its tree)`);
      return { label, page: open, idle };
    } finally {
      await browser.close();
    }
  } finally {
    dashboard.kill('SIGTERM');
    await new Promise((resolve) => dashboard.once('exit', resolve));
    rmSync(profile, { recursive: true, force: true });
    // A dashboard that failed its work would look cheap: say so next to its figures.
    const failures = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => /fail|error/i.test(line));
    if (failures.length > 0) console.log(`${label}: its log has ${failures.length} failure lines, e.g.\n  ${failures.slice(0, 3).join('\n  ')}`);
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  const baselineRevision = process.argv[3];
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-machine.sh (it installs Debian's chromium)`);
  const harness = createHarness();
  const redis = await harness.startRedis();
  harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
  const stack = await createStackWorkspace({ repos: 3, workers: 3, redisPort: await freePort(), workerHealthcheck: 'none', name: 'bench-dashboard' });
  const root = stack.workspace.root;
  harness.watchWorkspace(workspacePaths(root));
  const env = { ...harness.env, NX_DAEMON: 'false' };
  const baseline = baselineRevision ? baselineTree(baselineRevision) : undefined;
  const results: Figures[] = [];
  try {
    await initWorkspace(stack.workspace);
    const up = await stack.workspace.nx(['run-many', '-t', 'up', '--namespace=s1'], { env, timeoutMs: 900_000 });
    if (up.code !== 0) throw new Error(`nx run-many -t up failed:\n${up.output.slice(-4000)}`);
    console.log(`stack up: ${stack.services.length} services (${stack.services.join(', ')})`);
    results.push(await measure('this checkout', REPO_ROOT, root, seconds));
    if (baseline) results.push(await measure(`baseline ${baselineRevision}`, baseline.root, root, seconds));
  } finally {
    await stack.workspace.nx(['run', 'stack:stop'], { env });
    removeByWorkspaceLabel(workspaceId(root));
    await harness.cleanup();
    stack.remove();
    baseline?.remove();
  }
  console.log(
    `\ndashboard CPU (the process and all its descendants), % of one core over ${seconds} s, ${stack.services.length}-service stack; goal: ≤ 5 % with a page open, ≤ 1 % without`,
  );
  console.log('| dashboard | one page open | no page open |');
  console.log('| --- | --- | --- |');
  for (const row of results) console.log(`| ${row.label} | ${row.page.percent.toFixed(2)} % | ${row.idle.percent.toFixed(2)} % |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
