/**
 * Benchmark (issue 22): `npm run demo` on the sample stack's real runtimes (two Django APIs under
 * debugpy, a Go API under delve with two workers, a Node web app), side by side with the hand-made
 * flow on the same clones in the same run: a hand-written compose file, `docker build --secret` for
 * the web app (compose v1 cannot pass BuildKit secrets) and `docker-compose up -d --build`, each timed
 * until every service answers.
 *
 *   npm run bench:demo-runtimes   (LOCAL_DEV_BENCH_ROUNDS=N for the warm rows' median, default 3)
 *
 * Rows: the first `npm run demo` on a fresh machine (no clone, no image, no build cache, and the
 * base image made from Debian's packages when local-dev made it before), a warm run with nothing
 * changed, a one-line Python change (demo-catalog), a one-line Go change (demo-orders: its API and
 * both workers). The hand-made flow's cold row has the base image for free: without local-dev it
 * could not build at all where no registry answers. Also checked, from the build output and
 * printed: the Python change reinstalls no package (its apt-get step is CACHED) and the Go change
 * recompiles no standard library package (go build -v lists only the module's own: the images carry
 * the standard library compiled with delve's flags in a layer before the code).
 *
 * It EMPTIES THIS ENGINE'S BUILD CACHE (`docker builder prune --all`) for the two cold rows, stops a
 * demo you were running, and refuses to run while the demo's clones hold changes of yours (it
 * removes them for the cold row). Prints figures; exits 0 whatever they are. On a shared machine
 * only the ratios (same run) mean anything.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BASE_IMAGE_LABEL } from '../tools/local-dev/src/docker/base-image';
import { workspaceId } from '../tools/local-dev/src/core/naming';
import { DEMO_ROOT } from '../scripts/demo';
import { CLONED, docker, edit, ensureClonesClean, handMadeFlow, median, npmRunDemo, OFFSET, PROJECT, timed, untilAnswering } from './support/demo-stack';

const ROUNDS = Number(process.env.LOCAL_DEV_BENCH_ROUNDS ?? 3);
const BASE_IMAGE = 'debian:bookworm-slim';

/** One build step's lines of a service in a run's build output ("<service> | #<n> …"), by what its header line contains. */
export function stepLines(output: string, service: string, header: string): string[] {
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith(`${service} | #`))
    .map((line) => line.slice(service.length + 3));
  const step = lines.find((line) => line.includes(header))?.split(' ')[0];
  return step ? lines.filter((line) => line.startsWith(`${step} `)) : [];
}

/** The packages `go build -v` compiled, from the step's lines ("#12 3.21 net/http"). */
export function compiledPackages(step: string[]): string[] {
  return step.map((line) => /^#\d+ \d+\.\d+ ([\w./-]+)$/.exec(line)?.[1]).filter((name): name is string => name !== undefined);
}

/**
 * As on a new machine: no build cache; with `images`, also no image of either flow and no base image
 * made by local-dev (a base image of anyone else's is kept, and the first row then says so).
 */
function fresh(images: boolean): void {
  if (images) {
    const ours = docker(['images', '-q', '--filter', `label=io.local-dev.workspace=${workspaceId(DEMO_ROOT)}`]).split('\n');
    const theirs = docker(['images', '-q', '--filter', `reference=${PROJECT}_*`, '--filter', 'dangling=false']).split('\n');
    const all = [...new Set([...ours, ...theirs].filter(Boolean))];
    if (all.length > 0) docker(['rmi', '-f', ...all]);
    spawnSync('docker', ['rmi', '-f', `${PROJECT}/demo-web`]);
    const label = spawnSync('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${BASE_IMAGE_LABEL}"}}`, BASE_IMAGE], { encoding: 'utf8' });
    if (label.status === 0 && !['', '<no value>'].includes(label.stdout.trim())) docker(['rmi', BASE_IMAGE]);
    else if (label.status === 0) console.log(`(${BASE_IMAGE} is not one local-dev made: kept, so the first run below does not include making it)`);
  }
  docker(['builder', 'prune', '--all', '--force']);
}

async function main(): Promise<void> {
  console.log("bench: demo on real runtimes — empties this engine's build cache; stops a running demo");
  npmRunDemo(['--down']);
  ensureClonesClean();
  const handMade = await handMadeFlow();
  const rows: { label: string; ours: number; theirs: number; note?: string }[] = [];
  try {
    // 1. First run, on a fresh machine: ours (base image included), then theirs (base image given).
    rmSync(CLONED, { recursive: true, force: true });
    rmSync(path.join(DEMO_ROOT, '.nx'), { recursive: true, force: true });
    fresh(true);
    let output = '';
    const oursCold = await timed(async () => {
      output = npmRunDemo();
      await untilAnswering(0);
    });
    const base = /base image debian:bookworm-slim: (?:made from Debian's packages|pulled) in (\d+) s/.exec(output)?.[1];
    console.log(`measured first npm run demo: ${oursCold.toFixed(1)} s (base image: ${base ? `${base} s` : 'was there'})`);
    const coldGo = goBuild(readFileSync(path.join(DEMO_ROOT, 'logs', 'build_output.log'), 'utf8'));
    console.log(
      `  its go build compiled ${coldGo.compiled.length} packages (the standard library with delve's -N -l, the module's own): ${coldGo.done.join('; ')}`,
    );
    npmRunDemo(['--down']);
    fresh(false);
    const theirsCold = await timed(async () => {
      handMade.up();
      await untilAnswering(OFFSET);
    });
    console.log(`measured first hand-made run: ${theirsCold.toFixed(1)} s`);
    rows.push({
      label: 'first run, fresh machine',
      ours: oursCold,
      theirs: theirsCold,
      note: base ? `ours includes making ${BASE_IMAGE} (${base} s); theirs had it` : undefined,
    });
    npmRunDemo();
    await untilAnswering(0);

    // 2. Warm, nothing changed: both stacks running.
    const warm = { ours: [] as number[], theirs: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      warm.ours.push(await timed(async () => (npmRunDemo(), await untilAnswering(0))));
      warm.theirs.push(await timed(async () => (handMade.up(), await untilAnswering(OFFSET))));
    }
    rows.push({ label: 'warm run, nothing changed', ours: median(warm.ours), theirs: median(warm.theirs) });
    console.log(`measured warm: ${median(warm.ours).toFixed(1)} s / ${median(warm.theirs).toFixed(1)} s`);

    // 3 and 4. One-line changes, each seen answering (its /health says the edit) in both stacks.
    const changes = [
      {
        label: 'one-line Python change (demo-catalog)',
        service: 'demo-catalog',
        file: path.join(CLONED, 'demo-catalog', 'demo_catalog', 'views.py'),
        from: 'HttpResponse("ok',
        marker: 'py',
      },
      {
        label: 'one-line Go change (demo-orders + 2 workers)',
        service: 'demo-orders',
        file: path.join(CLONED, 'demo-orders', 'cmd', 'orders-api', 'main.go'),
        from: 'fmt.Fprintln(w, "ok',
        marker: 'go',
      },
    ];
    for (const change of changes) {
      const times = { ours: [] as number[], theirs: [] as number[] };
      for (let round = 1; round <= ROUNDS; round++) {
        // Each flow its own edit: neither finds the other's build of it in the shared build cache.
        const ours = `${change.marker}-edit-${round}-ours`;
        edit(change.file, change.from, `${change.from} ${ours}`);
        times.ours.push(await timed(async () => (npmRunDemo(), await untilAnswering(0, { [change.service]: ours }))));
        if (round === 1) report(change.marker, readFileSync(path.join(DEMO_ROOT, 'logs', 'build_output.log'), 'utf8'));
        const theirs = `${change.marker}-edit-${round}-theirs`;
        edit(change.file, change.from, `${change.from} ${theirs}`);
        times.theirs.push(await timed(async () => (handMade.up(), await untilAnswering(OFFSET, { [change.service]: theirs }))));
      }
      rows.push({ label: change.label, ours: median(times.ours), theirs: median(times.theirs) });
      console.log(`measured ${change.label}: ${median(times.ours).toFixed(1)} s / ${median(times.theirs).toFixed(1)} s`);
    }
  } finally {
    for (const repo of ['demo-catalog', 'demo-orders']) spawnSync('git', ['-C', path.join(CLONED, repo), 'checkout', '--', '.']);
    handMade.down();
    npmRunDemo(['--down']);
  }

  console.log(`\nnpm run demo against the hand-made flow, until every service answers (${os.cpus().length} cores; warm rows: median of ${ROUNDS})`);
  console.log('| path | npm run demo | hand-made (compose file, docker-compose up -d --build) | ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows)
    console.log(
      `| ${row.label} | ${row.ours.toFixed(1)} s | ${row.theirs.toFixed(1)} s | ${(row.ours / row.theirs).toFixed(2)}×${row.note ? ` (${row.note})` : ''} |`,
    );
}

/** What the build output says: the Python change reinstalled nothing, the Go change compiled only what changed. */
function report(marker: string, build: string): void {
  if (marker === 'py') {
    const apt = stepLines(build, 'demo-catalog', 'RUN apt-get');
    console.log(`demo-catalog's package step in the Python change's build:\n  ${apt.join('\n  ')}`);
    console.log(apt.some((line) => / CACHED$/.test(line)) ? '  → packages not reinstalled (CACHED)' : '  → WARNING: the packages were installed again');
    return;
  }
  const { compiled, done } = goBuild(build);
  console.log(`go build -v in the Go change's builds compiled: ${compiled.join(', ') || 'nothing'}\n  ${done.join('\n  ')}`);
  console.log(
    compiled.every((name) => name.startsWith('example.com/demo-orders/')) && compiled.length > 0
      ? "  → only the module's own packages: no standard library recompiled"
      : '  → WARNING: standard library packages were compiled again',
  );
}

/** The packages the Go images' `go build -v` compiled in a run, and each image's go build step result. */
function goBuild(build: string): { compiled: string[]; done: string[] } {
  const services = ['demo-orders', 'demo-orders-worker', 'demo-orders-mailer'];
  return {
    compiled: [...new Set(services.flatMap((service) => compiledPackages(stepLines(build, service, 'go build'))))],
    done: services.map(
      (service) =>
        `${service}: ${
          stepLines(build, service, 'go build')
            .filter((line) => /DONE|CACHED/.test(line))
            .join(', ') || 'every step cached (BuildKit printed none)'
        }`,
    ),
  };
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 0;
  });
}
