/**
 * Benchmark (issue 24): team image reuse through a registry, on the sample stack's real runtimes
 * (examples/demo: Django, Go with its two workers, Node; FROM its debootstrapped debian:bookworm-slim),
 * side by side in one run, with a real registry (Debian's docker-registry on 127.0.0.1):
 *
 *   1. cold start of laptop A: a fresh workspace (no clone, no image, an empty build cache) with the
 *      registry and push on — it builds every image (and pushes them in the background);
 *   2. cold start of laptop B: another fresh workspace on the same remotes, with this engine's copies
 *      of A's images removed and the build cache emptied again — it pulls. Goal: B ≤ 0.3× A;
 *   3. a one-line Python change (demo-catalog, one image to build) with the registry DOWN (stopped)
 *      against the same change with NO registry configured, alternating, median of
 *      LOCAL_DEV_BENCH_ROUNDS (default 3). Goal: ≤ 1.1×. Also, for the record, a registry that
 *      accepts connections and never answers (the look-up's timeout).
 *
 *   npm run bench:registry
 *
 * Both laptops are copies of examples/demo in temporary folders (their own ports, network and Redis
 * port; debuggers unpublished, no IDE configs), so a demo you are running is left alone. It EMPTIES THIS ENGINE'S BUILD
 * CACHE (`docker builder prune --all`) before each cold start, as demo-runtimes does. Prints figures,
 * exits 0 whatever they are; on a shared machine only the ratios (same run) mean anything.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEMO_ROOT } from '../scripts/demo';
import { workspaceId } from '../tools/local-dev/src/core/naming';
import { metricsFile, type RunMetricsFile } from '../tools/local-dev/src/core/run-record';
import { workspacePaths } from '../tools/local-dev/src/core/workspace';
import { readPushStatus } from '../tools/local-dev/src/docker/registry';
import { freePort, startTestRegistry, type TestRegistry } from '../tools/local-dev/e2e/support/registry';
import { createTempWorkspace, initWorkspace, type TempWorkspace } from '../tools/local-dev/e2e/support/temp-workspace';
import { edit, median, timed, untilServed } from './support/demo-stack';

const ROUNDS = Number(process.env.LOCAL_DEV_BENCH_ROUNDS ?? 3);

interface Laptop {
  name: string;
  workspace: TempWorkspace;
  /** service → host port of its HTTP endpoint */
  ports: Record<string, number>;
}

function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * A copy of examples/demo in a temporary folder: same remotes and Dockerfiles, its own ports, network
 * and Redis port. No debugger host ports (the demo's are fixed from 5726, maybe held by a demo you
 * run): each `debug-port` becomes the DEBUG_PORT its container's command reads, unpublished.
 */
export async function makeLaptop(name: string): Promise<Laptop> {
  const config = readFileSync(path.join(DEMO_ROOT, 'repos_docker_files', 'config.yaml'), 'utf8')
    .replace(/^network: .*$/m, `network: ld-bench-registry-${name}-${process.pid}`)
    .replace(/^(\s+port: )6399\b/m, `$1${await freePort()}`)
    .replace(/^# yaml-language-server.*\n/m, '');
  // A line-wise pass: `ports:`, `debug-port:` and `environment:` belong to the service key above
  // them, two spaces in; each published port moves to a free one.
  const ports: Record<string, number> = {};
  const debugPorts: Record<string, string> = {};
  let service = '';
  for (const line of config.split('\n')) {
    service = /^ {2}([a-z0-9-]+):/.exec(line)?.[1] ?? service;
    const debug = /^ {4}debug-port: (\d+)/.exec(line)?.[1];
    if (debug) debugPorts[service] = debug;
  }
  const hasEnvironment = new Set<string>();
  const lines: string[] = [];
  for (const line of config.split('\n')) {
    service = /^ {2}([a-z0-9-]+):/.exec(line)?.[1] ?? service;
    const published = /^( {4}ports: \[")(\d+)(:\d+"\].*)$/.exec(line);
    if (published) {
      ports[service] = await freePort();
      lines.push(`${published[1]}${ports[service]}${published[3]}`);
    } else if (/^ {4}environment: \{ /.test(line) && debugPorts[service]) {
      hasEnvironment.add(service);
      lines.push(line.replace('environment: { ', `environment: { DEBUG_PORT: "${debugPorts[service]}", `));
    } else if (/^ {4}debug-port: /.test(line)) {
      lines.push(`    environment: { DEBUG_PORT: "${debugPorts[service]}" }  # (debug-port, unpublished)`);
    } else lines.push(line);
  }
  // A service with both: its environment line took DEBUG_PORT, its debug-port line goes.
  const text = lines.filter((line, index) => !(/# \(debug-port, unpublished\)$/.test(line) && hasEnvironment.has(serviceAt(lines, index)))).join('\n');
  const files: Record<string, string> = {};
  for (const file of readdirSync(path.join(DEMO_ROOT, 'repos_docker_files')).filter((entry) => entry.endsWith('.Dockerfile')))
    files[`repos_docker_files/${file}`] = readFileSync(path.join(DEMO_ROOT, 'repos_docker_files', file), 'utf8');
  files['.env.local'] = readFileSync(path.join(DEMO_ROOT, '.env.local'), 'utf8');
  const workspace = createTempWorkspace({ name: `bench-registry-${name}`, config: text, files, namespaces: [] });
  cpSync(path.join(DEMO_ROOT, 'configs'), path.join(workspace.root, 'configs'), { recursive: true });
  // The IDE configs name each service's debugger host port, and the copies publish none.
  for (const namespace of readdirSync(path.join(workspace.root, 'configs')))
    rmSync(path.join(workspace.root, 'configs', namespace, 'debug-configs'), { recursive: true, force: true });
  // The same remotes as the demo (read only: clones of them): both laptops build the same commits.
  symlinkSync(path.join(DEMO_ROOT, 'remotes'), path.join(workspace.root, 'remotes'), 'dir');
  await initWorkspace(workspace);
  return { name, workspace, ports };
}

async function up(laptop: Laptop, env: Record<string, string | undefined>, expect: Record<string, string> = {}): Promise<string> {
  const result = await laptop.workspace.nx(['run-many', '-t', 'up'], {
    env: { LOCAL_DEV_REGISTRY: undefined, LOCAL_DEV_REGISTRY_PUSH: undefined, ...env },
    timeoutMs: 1_800_000,
  });
  if (result.code !== 0) throw new Error(`nx run-many -t up failed on laptop ${laptop.name}:\n${result.output.slice(-4000)}`);
  for (const [service, port] of Object.entries(laptop.ports)) await untilServed(`http://127.0.0.1:${port}/health`, expect[service] ?? '', 300_000);
  return result.output;
}

async function down(laptop: Laptop): Promise<void> {
  await laptop.workspace.nx(['run', 'stack:stop'], { timeoutMs: 300_000 });
}

/** The service key (two spaces in) above line `index`. */
function serviceAt(lines: string[], index: number): string {
  for (let at = index; at >= 0; at--) {
    const key = /^ {2}([a-z0-9-]+):/.exec(lines[at] ?? '')?.[1];
    if (key) return key;
  }
  return '';
}

/** This engine's images of a laptop (its workspace label), with every tag they carry (the registry's too). */
function removeImages(laptop: Laptop): void {
  const ids = docker(['images', '-q', '--filter', `label=io.local-dev.workspace=${workspaceId(laptop.workspace.root)}`])
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) docker(['rmi', '-f', ...new Set(ids)]);
}

/** What the laptop's last run recorded per service (build-image: present, pulled, built). */
function outcomes(laptop: Laptop): string {
  const [run] = (JSON.parse(readFileSync(metricsFile(workspacePaths(laptop.workspace.root)), 'utf8')) as RunMetricsFile).runs;
  const images = (run?.tasks ?? []).filter((task) => task.target === 'build-image').map((task) => task.image ?? `cache ${task.cache ?? 'hit'}`);
  const counts = new Map<string, number>();
  for (const image of images) counts.set(image, (counts.get(image) ?? 0) + 1);
  return [...counts].map(([image, count]) => `${count} ${image}`).join(', ') || 'no build-image task';
}

async function waitForPushes(laptop: Laptop): Promise<string> {
  const paths = workspacePaths(laptop.workspace.root);
  const services = Object.keys(laptop.ports).concat(['demo-orders-worker', 'demo-orders-mailer']);
  const started = performance.now();
  const states = () => services.map((service) => `${service}: ${readPushStatus(paths, service)?.state ?? 'none'}`);
  while (states().some((state) => state.endsWith('running')) && performance.now() - started < 1_800_000)
    await new Promise((resolve) => setTimeout(resolve, 500));
  return `${states().join(', ')} (${((performance.now() - started) / 1000).toFixed(1)} s after up returned)`;
}

async function main(): Promise<void> {
  console.log("bench: registry on the demo stack — empties this engine's build cache before each cold start");
  const registry: TestRegistry = await startTestRegistry();
  const url = `${registry.host}/local-dev`;
  const silent = createServer((socket: Socket) => sockets.push(socket));
  const sockets: Socket[] = [];
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentUrl = `127.0.0.1:${(silent.address() as { port: number }).port}/local-dev`;
  const laptops: Laptop[] = [];
  const rows: { label: string; value: string }[] = [];
  try {
    const a = await makeLaptop('a');
    laptops.push(a);
    docker(['builder', 'prune', '--all', '--force']);
    const coldA = await timed(() => up(a, { LOCAL_DEV_REGISTRY: url, LOCAL_DEV_REGISTRY_PUSH: '1' }));
    console.log(`measured cold start of laptop A: ${coldA.toFixed(1)} s — ${outcomes(a)}`);
    console.log(`  pushes: ${await waitForPushes(a)}`);
    console.log(`  registry holds: ${(await registry.repositories()).join(', ')}`);
    await down(a);

    const b = await makeLaptop('b');
    laptops.push(b);
    removeImages(a);
    docker(['builder', 'prune', '--all', '--force']);
    const coldB = await timed(() => up(b, { LOCAL_DEV_REGISTRY: url, LOCAL_DEV_REGISTRY_PUSH: '0' }));
    console.log(`measured cold start of laptop B: ${coldB.toFixed(1)} s — ${outcomes(b)}`);
    rows.push(
      { label: 'cold start, laptop A (builds, pushes in the background)', value: `${coldA.toFixed(1)} s` },
      { label: 'cold start, laptop B (fresh clone, pulls)', value: `${coldB.toFixed(1)} s` },
      { label: 'B / A (goal ≤ 0.3×)', value: `${(coldB / coldA).toFixed(2)}×` },
    );
    await down(b);

    // One-line Python change on A: registry down vs none configured (vs silent, for the record).
    await up(a, {});
    await registry.stop();
    const file = path.join(a.workspace.root, 'cloned', 'demo-catalog', 'demo_catalog', 'views.py');
    const times: Record<'down' | 'none' | 'silent', number[]> = { down: [], none: [], silent: [] };
    const variants: { key: 'down' | 'none' | 'silent'; env: Record<string, string | undefined> }[] = [
      { key: 'none', env: {} },
      { key: 'down', env: { LOCAL_DEV_REGISTRY: url, LOCAL_DEV_REGISTRY_PUSH: '0' } },
      { key: 'silent', env: { LOCAL_DEV_REGISTRY: silentUrl, LOCAL_DEV_REGISTRY_PUSH: '0' } },
    ];
    let previous = 'HttpResponse("ok';
    for (let round = 1; round <= ROUNDS; round++) {
      for (const variant of variants) {
        const marker = `registry-bench-${variant.key}-${round}-${process.pid}`;
        edit(file, previous, `HttpResponse("ok ${marker}`);
        previous = `HttpResponse("ok ${marker}`;
        times[variant.key].push(await timed(() => up(a, variant.env, { 'demo-catalog': marker })));
      }
    }
    console.log(
      `measured one-line change: none ${times.none.map((t) => t.toFixed(1)).join(', ')} s; down ${times.down.map((t) => t.toFixed(1)).join(', ')} s; silent ${times.silent.map((t) => t.toFixed(1)).join(', ')} s`,
    );
    rows.push(
      { label: `one-line Python change, no registry configured (median of ${ROUNDS})`, value: `${median(times.none).toFixed(1)} s` },
      { label: `one-line Python change, registry down (median of ${ROUNDS})`, value: `${median(times.down).toFixed(1)} s` },
      { label: 'down / none (goal ≤ 1.1×)', value: `${(median(times.down) / median(times.none)).toFixed(2)}×` },
      { label: `one-line Python change, registry that never answers (median of ${ROUNDS})`, value: `${median(times.silent).toFixed(1)} s` },
      { label: 'silent / none (for the record: the look-up timeout)', value: `${(median(times.silent) / median(times.none)).toFixed(2)}×` },
    );
  } finally {
    for (const laptop of laptops) {
      await down(laptop).catch((error: unknown) => console.error(`cleanup: stopping laptop ${laptop.name} failed: ${String(error)}`));
      removeImages(laptop);
      laptop.workspace.remove();
    }
    for (const socket of sockets) socket.destroy();
    silent.close();
    await registry.remove();
  }

  console.log(`\nregistry bench on the demo stack (${os.cpus().length} cores, load average ${os.loadavg()[0]?.toFixed(1)})`);
  console.log('| run | figure |');
  console.log('| --- | --- |');
  for (const row of rows) console.log(`| ${row.label} | ${row.value} |`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 0;
  });
}
