/**
 * Benchmark (issue 23): live code on the sample stack's real runtimes (the demo's base image and
 * Dockerfiles, apt layers warm), side by side in one run, median of LOCAL_DEV_BENCH_ROUNDS (≥ 5):
 *
 *   (a) the hand-made loop: a hand-written compose file, an edit, `docker-compose up -d --build
 *       --no-deps <service>`, until the new response is served;
 *   (b) local-dev's own loop: the edit, `nx run <service>:up`, until the new response is served;
 *   (c) live: `nx run <service>:dev` running, the edit, until the new response is served;
 *
 * for demo-catalog (Django with --noreload, `restart: true`), demo-api (Django's runserver reloads
 * itself, `restart: false`) and demo-orders (Go, rebuilt inside its running container on restart).
 * Then a `git checkout` changing 1,000 files under demo-catalog's synced folder, with dev running:
 * how many sync/rebuild lines dev printed (one is the goal) and how long until the new response,
 * against one rebuild (b); and dev watching the three services for 30 s with nothing changing: the
 * CPU it used, from /proc/<pid>/stat of every process of its tree (utime + stime), not sampled.
 *
 *   npm run bench:live
 *
 * `--no-deps`: the hand-made loop rebuilds only the service edited (without it compose also
 * rebuilds demo-api's dependency each time, slower, flattering live's ratio). It stops a demo you
 * were running and refuses clones holding changes of yours; it puts the clones back (git checkout)
 * and removes both stacks at the end. Prints figures; exits 0 whatever they are. On a shared machine
 * only the ratios (same run) mean anything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from '../tools/local-dev/src/core/proc';
import { workspacePaths } from '../tools/local-dev/src/core/workspace';
import { readLiveRecord } from '../tools/local-dev/src/live/state';
import { DEMO_ROOT } from '../scripts/demo';
import {
  bodyOf,
  CLONED,
  edit,
  ensureClonesClean,
  handMadeFlow,
  median,
  model,
  npmRunDemo,
  OFFSET,
  run,
  timed,
  untilAnswering,
  untilServed,
} from './support/demo-stack';

const ROUNDS = Math.max(5, Number(process.env.LOCAL_DEV_BENCH_ROUNDS ?? 5));
const IDLE_SECONDS = 30;
const BURST_FILES = 1000;
const NX = path.join(DEMO_ROOT, 'node_modules', '.bin', 'nx');
const NX_ENV = { NX_DAEMON: 'false', NX_TUI: 'false', NO_COLOR: '1' };

interface Case {
  label: string;
  service: string;
  file: string;
  /** The text an edit appends a marker to: the service's /health answer. */
  from: string;
  goals: { handMade: number; up?: number };
}

const CASES: Case[] = [
  {
    label: 'Python API restarted (demo-catalog, restart: true)',
    service: 'demo-catalog',
    file: path.join(CLONED, 'demo-catalog', 'demo_catalog', 'views.py'),
    from: 'HttpResponse("ok',
    goals: { handMade: 0.5, up: 0.15 },
  },
  {
    label: 'Django reloads itself (demo-api, restart: false)',
    service: 'demo-api',
    file: path.join(CLONED, 'demo-api', 'demo_api', 'views.py'),
    from: 'HttpResponse("ok',
    goals: { handMade: 0.5 },
  },
  {
    label: 'Go rebuilt in the container (demo-orders, restart: true)',
    service: 'demo-orders',
    file: path.join(CLONED, 'demo-orders', 'cmd', 'orders-api', 'main.go'),
    from: 'fmt.Fprintln(w, "ok',
    goals: { handMade: 0.5 },
  },
];

const healthUrl = (service: string, offset = 0) => `http://127.0.0.1:${(model.services.find((s) => s.name === service)?.ports[0].host ?? 0) + offset}/health`;

/** A dev process (its own process group, so one signal reaches nx and the task it runs), with everything it printed. */
interface Dev {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function startDev(args: string[]): Dev {
  const child = spawn(NX, args, { cwd: DEMO_ROOT, env: { ...process.env, ...NX_ENV }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGINT');
      const killed = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

/** Until dev is `service`'s watcher in the live record and watches its clone ("… watching cloned/<dir> for …"). */
async function untilWatching(dev: Dev, service: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const dir = model.services.find((candidate) => candidate.name === service)?.dir;
  for (;;) {
    const watcher = readLiveRecord(workspacePaths(DEMO_ROOT), service)?.watcher;
    if (watcher && isProcessAlive(watcher.pid, watcher.startTime) && dev.output().includes(`watching cloned/${dir} for`)) return;
    if (dev.child.exitCode !== null) throw new Error(`dev ended (${dev.child.exitCode}) before watching ${service}:\n${dev.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`dev did not watch ${service} within ${timeoutMs / 1000} s:\n${dev.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The lines dev printed for a sync or a rebuild of `service` ("demo-catalog: synced 2 files in 140 ms; restarted"). */
const syncLines = (output: string, service: string) => output.split('\n').filter((line) => new RegExp(`\\b${service}: (synced|rebuilt)`).test(line));

/** One edit → new response, timed; `act` runs after the edit (the rebuild of a), b)), nothing for live. */
async function round(change: Case, marker: string, offset: number, act: () => void): Promise<number> {
  edit(change.file, change.from, `${change.from} ${marker}`);
  return timed(async () => {
    act();
    await untilServed(healthUrl(change.service, offset), marker, 300_000, 50);
  });
}

/** A /proc stat line's fields after the command's ")": state ppid … utime (index 11) stime (12). */
function statFields(file: string): string[] {
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The threads of the processes of the tree under `root` (itself included), from /proc: "pid/tid" → its name and utime + stime in clock ticks. */
function treeThreads(root: number): Map<string, { name: string; ticks: number }> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parents.set(Number(entry), Number(statFields(`/proc/${entry}/stat`)[1]));
    } catch {
      // A process that ended while /proc was read is not in the tree.
    }
  }
  const tree = new Set<number>();
  const add = (pid: number) => {
    tree.add(pid);
    for (const [child, parent] of parents) if (parent === pid && !tree.has(child)) add(child);
  };
  if (parents.has(root)) add(root);
  const threads = new Map<string, { name: string; ticks: number }>();
  for (const pid of tree) {
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const fields = statFields(`/proc/${pid}/task/${tid}/stat`);
        threads.set(`${pid}/${tid}`, { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), ticks: Number(fields[11]) + Number(fields[12]) });
      }
    } catch {
      // Ended meanwhile.
    }
  }
  return threads;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
/** The thread Nx's native module starts in every process that loads it (the tui-logger crate's event mover, a 10 ms loop). */
const NX_LOGGER_THREAD = /^tui-logger/;

interface Idle {
  percent: number;
  /** Of which Nx's native logger threads (in nx, its plugin worker, its batch runner and each task's executor process). */
  nxLogger: number;
  processes: number;
}

/** CPU % of one core the tree used over `seconds`, counted per thread (one started in between counts whole). */
async function idleCpu(root: number, seconds: number): Promise<Idle> {
  const before = treeThreads(root);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = treeThreads(root);
  let used = 0;
  let nxLogger = 0;
  for (const [id, thread] of after) {
    const delta = thread.ticks - (before.get(id)?.ticks ?? 0);
    used += delta;
    if (NX_LOGGER_THREAD.test(thread.name)) nxLogger += delta;
  }
  const percent = (ticks: number) => (100 * ticks) / CLOCK_TICKS / seconds;
  return { percent: percent(used), nxLogger: percent(nxLogger), processes: new Set([...after.keys()].map((id) => id.split('/')[0])).size };
}

/** From dev's line of a sync ("synced 1 file in 113 ms; restarted (healthy in 2.4 s)"): the sync's and the restart's seconds. */
export function syncParts(line: string): { sync: number; restart: number } | undefined {
  const seconds = (value: string, unit: string) => Number(value) / (unit === 'ms' ? 1000 : 1);
  const match = /synced .* in ([\d.]+) (ms|s); (?:restarted \(healthy in ([\d.]+) (ms|s)\)|the app reloads itself)/.exec(line);
  if (!match) return undefined;
  return { sync: seconds(match[1], match[2]), restart: match[3] ? seconds(match[3], match[4]) : 0 };
}

function git(clone: string, args: string[]): string {
  return run('git', ['-C', clone, '-c', 'user.name=bench', '-c', 'user.email=bench@local-dev.invalid', ...args]);
}

/** Until GET `url` answers 200 without `text` in its body. */
async function untilNotServed(url: string, text: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await bodyOf(url);
    if (body !== undefined && !body.includes(text)) return;
    if (Date.now() > deadline) throw new Error(`${url} still answered with ${JSON.stringify(text)} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const BURST_BRANCH = 'bench-live-burst';

/** A branch of demo-catalog's clone (left checked out where it was) with BURST_FILES files more under demo_catalog/ and a new /health answer. */
function makeBurstBranch(clone: string, marker: string): void {
  const base = git(clone, ['rev-parse', '--abbrev-ref', 'HEAD']).trim();
  git(clone, ['checkout', '--quiet', '-b', BURST_BRANCH]);
  const folder = path.join(clone, 'demo_catalog', 'burst');
  mkdirSync(folder, { recursive: true });
  for (let index = 0; index < BURST_FILES - 1; index++) writeFileSync(path.join(folder, `item_${index}.txt`), `item ${index}\n`);
  edit(path.join(clone, 'demo_catalog', 'views.py'), 'HttpResponse("ok', `HttpResponse("ok ${marker}`);
  git(clone, ['add', 'demo_catalog']);
  git(clone, ['commit', '--quiet', '-m', 'bench: 1,000 files']);
  git(clone, ['checkout', '--quiet', base]);
}

interface Row {
  label: string;
  handMade: number;
  up: number;
  live: number;
  /** Medians of what dev's lines say: the sync itself, and the restart until healthy (0: the app reloads itself). */
  sync?: number;
  restart?: number;
  goals: Case['goals'];
}

async function main(): Promise<void> {
  console.log(`bench: live code on the demo stack — ${ROUNDS} rounds per loop; stops a running demo`);
  npmRunDemo(['--down']);
  ensureClonesClean();
  const handMade = await handMadeFlow();
  const rows: Row[] = [];
  let burst: { lines: string[]; seconds: number; back: string[]; backSeconds: number } | undefined;
  let idle: Idle | undefined;
  const catalogClone = path.join(CLONED, 'demo-catalog');
  let burstBranch = false;
  try {
    npmRunDemo();
    await untilAnswering(0);
    handMade.upServices(
      CASES.map((change) => change.service),
      { noDeps: false },
    );
    for (const change of CASES) await untilServed(healthUrl(change.service, OFFSET), 'ok', 600_000);

    for (const change of CASES) {
      const times = { handMade: [] as number[], up: [] as number[], live: [] as number[], sync: [] as number[], restart: [] as number[] };
      // A first round of each, not counted: caches and page cache warm as in a working day.
      for (let index = 0; index <= ROUNDS; index++) {
        const handMadeTime = await round(change, `hand-${index}`, OFFSET, () => handMade.upServices([change.service], { noDeps: true }));
        const upTime = await round(change, `up-${index}`, 0, () => run(NX, ['run', `${change.service}:up`], { cwd: DEMO_ROOT, env: NX_ENV }));
        if (index > 0) (times.handMade.push(handMadeTime), times.up.push(upTime));
      }
      if (change.service === 'demo-catalog') {
        // Made before dev watches: only the checkout below is a burst dev sees.
        git(catalogClone, ['checkout', '--quiet', '--', path.relative(catalogClone, change.file)]);
        makeBurstBranch(catalogClone, 'burst-in');
        burstBranch = true;
      }
      const dev = startDev(['run', `${change.service}:dev`]);
      try {
        await untilWatching(dev, change.service);
        for (let index = 0; index <= ROUNDS; index++) {
          // Between rounds the tree is quiet again (a burst of two edits would be one sync).
          await new Promise((resolve) => setTimeout(resolve, 1000));
          const mark = dev.output().length;
          const liveTime = await round(change, `live-${index}`, 0, () => undefined);
          // dev prints its line once the restart is healthy; a reload is served after the line.
          await new Promise((resolve) => setTimeout(resolve, 300));
          const parts = syncLines(dev.output().slice(mark), change.service).map(syncParts)[0];
          if (index > 0) times.live.push(liveTime);
          if (index > 0 && parts) (times.sync.push(parts.sync), times.restart.push(parts.restart));
        }
        if (change.service === 'demo-catalog') {
          // The branch's view differs from the edited one: git checkout wants the edit put back first.
          git(catalogClone, ['checkout', '--quiet', '--', path.relative(catalogClone, change.file)]);
          await untilNotServed(healthUrl('demo-catalog'), 'live-');
          await new Promise((resolve) => setTimeout(resolve, 1500));
          let mark = dev.output().length;
          const seconds = await timed(async () => {
            git(catalogClone, ['checkout', '--quiet', BURST_BRANCH]);
            await untilServed(healthUrl('demo-catalog'), 'burst-in', 300_000, 50);
          });
          await new Promise((resolve) => setTimeout(resolve, 3000));
          const lines = syncLines(dev.output().slice(mark), 'demo-catalog');
          mark = dev.output().length;
          const backSeconds = await timed(async () => {
            git(catalogClone, ['checkout', '--quiet', '-']);
            await untilNotServed(healthUrl('demo-catalog'), 'burst-in');
          });
          await new Promise((resolve) => setTimeout(resolve, 3000));
          burst = { lines, seconds, back: syncLines(dev.output().slice(mark), 'demo-catalog'), backSeconds };
          console.log(`measured burst: ${lines.length} line(s) in ${seconds.toFixed(2)} s; back: ${burst.back.length} line(s) in ${backSeconds.toFixed(2)} s`);
          for (const line of [...lines, ...burst.back]) console.log(`  dev printed: ${line.trim()}`);
        }
      } finally {
        await dev.stop();
      }
      const row = {
        label: change.label,
        handMade: median(times.handMade),
        up: median(times.up),
        live: median(times.live),
        sync: times.sync.length > 0 ? median(times.sync) : undefined,
        restart: times.restart.length > 0 ? median(times.restart) : undefined,
        goals: change.goals,
      };
      rows.push(row);
      console.log(
        `measured ${change.label}: hand-made ${row.handMade.toFixed(2)} s [${times.handMade.map((t) => t.toFixed(2)).join(' ')}], ` +
          `up ${row.up.toFixed(2)} s [${times.up.map((t) => t.toFixed(2)).join(' ')}], live ${row.live.toFixed(2)} s [${times.live.map((t) => t.toFixed(2)).join(' ')}]`,
      );
    }

    // make dev's shape: one dev for the three services, watching, nothing changing.
    const dev = startDev(['run-many', '-t', 'dev', `--projects=${CASES.map((change) => change.service).join(',')}`, '--outputStyle=stream']);
    try {
      for (const change of CASES) await untilWatching(dev, change.service);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      idle = await idleCpu(dev.child.pid as number, IDLE_SECONDS);
      console.log(
        `measured idle: ${idle.percent.toFixed(2)} % of one core over ${IDLE_SECONDS} s, ${idle.processes} processes in dev's tree; of which Nx's native tui-logger threads ${idle.nxLogger.toFixed(2)} %`,
      );
    } finally {
      await dev.stop();
    }
  } finally {
    if (burstBranch) {
      spawnSync('git', ['-C', catalogClone, 'checkout', '--quiet', '--force', 'main']);
      spawnSync('git', ['-C', catalogClone, 'branch', '--quiet', '-D', BURST_BRANCH]);
    }
    for (const change of CASES) spawnSync('git', ['-C', path.dirname(change.file), 'checkout', '--', path.basename(change.file)]);
    handMade.down();
    npmRunDemo(['--down']);
  }

  const ratio = (value: number, goal: number | undefined) =>
    goal === undefined ? `${value.toFixed(2)}×` : `${value.toFixed(2)}× (goal ≤ ${goal}×: ${value <= goal ? 'met' : 'MISSED'})`;
  console.log(`\nEdit → new response, median of ${ROUNDS} (${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the end)`);
  console.log('| case | hand-made (compose up --build) | local-dev up | live (dev) | live / hand-made | live / up |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const parts = (row: Row) =>
    row.sync === undefined
      ? ''
      : ` (dev's lines: sync ${row.sync.toFixed(2)} s${row.restart ? `, restart until healthy ${(row.restart ?? 0).toFixed(2)} s` : ''})`;
  for (const row of rows)
    console.log(
      `| ${row.label} | ${row.handMade.toFixed(2)} s | ${row.up.toFixed(2)} s | ${row.live.toFixed(2)} s${parts(row)} | ${ratio(row.live / row.handMade, row.goals.handMade)} | ${ratio(row.live / row.up, row.goals.up)} |`,
    );
  const single = rows.find((row) => row.label.includes('demo-catalog'));
  if (burst && single)
    console.log(
      `| git checkout of ${BURST_FILES} files under demo_catalog/ | | one rebuild (up): ${single.up.toFixed(2)} s | ${burst.seconds.toFixed(2)} s, ${burst.lines.length} sync line(s) (goal 1: ${burst.lines.length === 1 ? 'met' : 'MISSED'}); back: ${burst.backSeconds.toFixed(2)} s, ${burst.back.length} line(s) | | ${ratio(burst.seconds / single.up, 2)} |`,
    );
  if (idle)
    console.log(
      `| dev watching 3 services, ${IDLE_SECONDS} s idle | | | ${idle.percent.toFixed(2)} % of one core (goal ≤ 1 %: ${idle.percent <= 1 ? 'met' : 'MISSED'}); without Nx's native logger threads ${(idle.percent - idle.nxLogger).toFixed(2)} % | | |`,
    );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 0;
  });
}
