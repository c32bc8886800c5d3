/**
 * Benchmark: the dashboard's memory while pages do not read their log stream, and its line
 * splitter on one long line.
 *
 *   node -r @swc-node/register bench/dashboard-backpressure.ts [seconds] [clients]   (from the repository root)
 *   npm run bench:dashboard-memory
 *
 * 1. A real busybox container prints 1 KB lines as fast as it can (its json-file log capped at
 *    2 × 20 MB on disk). The dashboard's server (server.ts with the real log followers, in a child
 *    process of its own, so that its RSS is its own) serves `clients` connections to /api/logs that
 *    never read (their sockets paused, as a frozen tab or a hostile client). Its RSS is sampled
 *    every 250 ms for `seconds`; then the clients read again and say how many lines they were told
 *    were skipped. The target: the RSS stays flat (a few MB of noise), whatever the clients do.
 * 2. The line splitter the dashboard cuts `docker logs` output with, on a 16 MB line without a
 *    newline, fed in pipe-sized (64 KiB) and small chunks. The target: linear (milliseconds, and
 *    the same per byte for 16 MB as for 1 MB).
 *
 * Prints figures; asserts nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../tools/local-dev/src/core/workspace';
import { LogFollowers } from '../tools/local-dev/src/dashboard/followers';
import { createDashboardServer } from '../tools/local-dev/src/dashboard/server';
import { followBuildOutput, workspaceLogEngine } from '../tools/local-dev/src/dashboard/streams';
import type { DashboardView } from '../tools/local-dev/src/dashboard/view';
import { LABELS, workspaceId } from '../tools/local-dev/src/core/naming';
import { BoundedLineSplitter } from '../tools/local-dev/src/stack/logs-follow';

const TOKEN = 'be4c40000000000000000000';
const SAMPLE_MS = 250;
const CHATTY = 'line=$(head -c 1000 /dev/zero | tr "\\0" x); while true; do echo "$line"; done';

/** The child: the dashboard's server with real followers over `root`'s containers; prints its memory. */
async function serve(root: string, port: number): Promise<void> {
  const followers = new LogFollowers(workspaceLogEngine(root), (line) => console.error(line));
  const server = createDashboardServer({
    port,
    token: TOKEN,
    snapshot: async () => ({ services: [] }) as unknown as DashboardView,
    subscribe: () => () => undefined,
    services: () => ['chatty'],
    followLogs: (services, send) => followers.subscribe(services, send),
    followBuildOutput: (send) => followBuildOutput(workspacePaths(root), send),
    runAction: async () => undefined,
    log: (line) => console.error(line),
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const report = () => console.log(JSON.stringify({ rss: process.memoryUsage().rss, following: followers.counts.following }));
  report();
  setInterval(report, SAMPLE_MS);
  process.on('SIGTERM', () => {
    followers.close();
    process.exit(0);
  });
}

function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function memory(seconds: number, clients: number): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'local-dev-bench-dashboard-'));
  const container = docker([
    'run',
    '-d',
    '--log-opt',
    'max-size=20m',
    '--log-opt',
    'max-file=2',
    '--label',
    `${LABELS.workspace}=${workspaceId(root)}`,
    '--label',
    `${LABELS.service}=chatty`,
    'busybox:1.36',
    'sh',
    '-c',
    CHATTY,
  ]);
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, '--serve', root, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const samples: { at: number; rss: number; following: number }[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) samples.push({ at: Date.now(), ...(JSON.parse(line) as { rss: number; following: number }) });
  });
  try {
    while (samples.length === 0) await sleep(50);
    await sleep(1000);
    const baseline = samples[samples.length - 1].rss;
    console.log(`dashboard-memory: ${clients} client(s) on /api/logs that do not read, a container printing 1 KB lines as fast as it can, ${seconds} s`);
    console.log(`  server RSS before any client: ${mb(baseline)}`);
    const responses: http.IncomingMessage[] = [];
    const requests: http.ClientRequest[] = [];
    for (let index = 0; index < clients; index++) {
      const request = http.get({ host: '127.0.0.1', port, path: `/api/logs?services=chatty&token=${TOKEN}`, headers: { host: `127.0.0.1:${port}` } });
      requests.push(request);
      responses.push(await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve)));
      responses[index].pause();
    }
    const startedAt = Date.now();
    await sleep(seconds * 1000);
    const during = samples.filter((sample) => sample.at >= startedAt);
    const peak = Math.max(...during.map((sample) => sample.rss));
    for (let second = 1; second <= seconds; second++) {
      const sample = during.filter((candidate) => candidate.at - startedAt <= second * 1000).pop();
      if (sample)
        console.log(
          `  after ${String(second).padStart(2)} s: RSS ${mb(sample.rss).padStart(9)} (${sample.rss >= baseline ? '+' : '-'}${mb(Math.abs(sample.rss - baseline))}), docker logs running: ${sample.following}`,
        );
    }
    console.log(`  peak RSS while not read: ${mb(peak)} (+${mb(peak - baseline)} over the baseline)`);
    // Now they read for a few seconds: what they got, and how many lines they were told they missed.
    const told = responses.map((response) => {
      const counts = { lines: 0, skipped: 0 };
      let rest = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const events = (rest + chunk).split('\n\n');
        rest = events.pop() ?? '';
        for (const event of events) {
          if (event.startsWith('event: line')) counts.lines++;
          const skipped = /^event: skipped\ndata: \{"lines":(\d+)\}/.exec(event);
          if (skipped) counts.skipped += Number(skipped[1]);
        }
      });
      response.resume();
      return counts;
    });
    await sleep(3000);
    console.log(`  then they read for 3 s: ${told.map((counts) => `${counts.lines} lines received, ${counts.skipped} told skipped`).join('; ')}`);
    requests.forEach((request) => request.destroy());
  } finally {
    child.kill('SIGTERM');
    docker(['rm', '-f', container]);
    rmSync(root, { recursive: true, force: true });
  }
}

function splitter(): void {
  console.log('line splitter (BoundedLineSplitter, as the dashboard uses it): one line without a newline');
  for (const megabytes of [1, 16]) {
    for (const chunkBytes of [64 * 1024, 4096, 512]) {
      const chunk = 'x'.repeat(chunkBytes);
      const cutter = new BoundedLineSplitter();
      const chunks = (megabytes * 1024 * 1024) / chunkBytes;
      const started = performance.now();
      let pieces = 0;
      for (let index = 0; index < chunks; index++) pieces += cutter.push(chunk).length;
      pieces += cutter.push('\n').length;
      const ms = performance.now() - started;
      console.log(
        `  ${String(megabytes).padStart(2)} MB in ${String(chunkBytes).padStart(5)}-byte chunks: ${ms.toFixed(1).padStart(7)} ms (${((ms * 1e6) / (megabytes * 1024 * 1024)).toFixed(2)} ns a byte), ${pieces} pieces`,
      );
    }
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve(process.argv[3], Number(process.argv[4]));
  const seconds = Number(process.argv[2] ?? 10);
  const clients = Number(process.argv[3] ?? 3);
  splitter();
  await memory(seconds, clients);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
