/**
 * The dashboard's event streams against the real engine: the server of src/dashboard/server.ts on
 * a real socket, with the real log followers (followers.ts over streams.ts: docker ps, `docker logs
 * --follow`, the engine's events) on real busybox containers carrying this test's workspace
 * labels, and requests sent as a browser sends them (the headers of a foreign page, an aborted
 * fetch). `docker logs` children are counted in /proc (children of this process); every `docker`
 * invocation also lands in a log (a counting `docker` first on PATH), so short-lived ones count too.
 *
 * The snapshot and the poller behind /api/events are not what this file tests: they are small
 * stand-ins here (the real ones run in dashboard.e2e.spec.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { liveCommandLine, parentPid } from '../src/core/proc';
import { workspacePaths } from '../src/core/workspace';
import { LogFollowers } from '../src/dashboard/followers';
import { createDashboardServer } from '../src/dashboard/server';
import { followBuildOutput, workspaceLogEngine } from '../src/dashboard/streams';
import type { DashboardView } from '../src/dashboard/view';
import { LABELS, workspaceId } from '../src/core/naming';
import { countingDocker, docker, freePort, removeByWorkspaceLabel } from './fixtures/stack/stack';

jest.setTimeout(120_000);

const TOKEN = '0123456789abcdef';
/** Counts its runs in /n (kept across restarts): "run 1", then after a restart "run 2"; then a tick a second. */
const SCRIPT =
  'n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo "run $n"; i=0; while true; do i=$((i+1)); echo "run $n tick $i"; sleep 1; done';

/** The `docker logs --follow` processes this process started that still run. */
function logFollowers(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && parentPid(Number(entry)) === process.pid)
    .map((entry) => liveCommandLine(Number(entry)) ?? '')
    .filter((command) => / logs --follow /.test(command));
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Stream {
  status: Promise<number>;
  /** Everything received so far. */
  text: () => string;
  ended: () => boolean;
  close: () => void;
}

function open(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Stream {
  let text = '';
  let ended = false;
  const request = http.get({ host: '127.0.0.1', port, path: pathAndQuery, headers: { host: `127.0.0.1:${port}`, ...headers } });
  const status = new Promise<number>((resolve, reject) => {
    request.on('response', (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => (ended = true));
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
  });
  return { status, text: () => text, ended: () => ended, close: () => request.destroy() };
}

/** The text of each `line` event received, "service | text". */
function lines(stream: Stream): string[] {
  return [...stream.text().matchAll(/^event: line\ndata: (.*)$/gm)].map((match) => {
    const line = JSON.parse(match[1]) as { service: string; text: string };
    return `${line.service} | ${line.text}`;
  });
}

describe('dashboard streams on the real engine', () => {
  let root: string;
  let binFolder: string;
  let invocations: string;
  let port: number;
  let server: http.Server;
  let followers: LogFollowers;
  let subscribed = 0;
  const originalPath = process.env.PATH;
  const container: Record<string, string> = {};
  const logsInvocations = () =>
    readFileSync(invocations, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('logs ')).length;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'local-dev-dashboard-streams-'));
    binFolder = path.join(root, 'bin');
    invocations = path.join(root, 'docker-invocations.log');
    countingDocker(binFolder, invocations, '/usr/local/bin/docker');
    process.env.PATH = `${binFolder}:${originalPath}`;
    for (const service of ['svc-a', 'svc-b']) {
      container[service] = docker([
        'run',
        '-d',
        '--label',
        `${LABELS.workspace}=${workspaceId(root)}`,
        '--label',
        `${LABELS.service}=${service}`,
        'busybox:1.36',
        'sh',
        '-c',
        SCRIPT,
      ]);
    }
    port = await freePort();
    followers = new LogFollowers(workspaceLogEngine(root), () => undefined);
    server = createDashboardServer({
      port,
      token: TOKEN,
      snapshot: async () => ({ services: [] }) as unknown as DashboardView,
      subscribe: () => {
        subscribed++;
        return () => undefined;
      },
      services: () => ['svc-a', 'svc-b'],
      followLogs: (services, send) => followers.subscribe(services, send),
      followBuildOutput: (send) => followBuildOutput(workspacePaths(root), send),
      runAction: async () => undefined,
      log: () => undefined,
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    followers?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    process.env.PATH = originalPath;
    if (root) {
      removeByWorkspaceLabel(workspaceId(root));
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a foreign page's requests are refused (403) and start no process", async () => {
    const foreign: Record<string, string>[] = [
      { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty' },
      { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' },
      { origin: 'http://evil.example' },
      {},
    ];
    const before = logsInvocations();
    for (const headers of foreign) {
      for (const target of ['/api/logs', '/api/logs?services=svc-a', '/api/events', '/api/snapshot', '/api/build-output']) {
        const stream = open(port, target, headers);
        expect({ target, headers, status: await stream.status }).toEqual({ target, headers, status: 403 });
        stream.close();
      }
    }
    await sleep(1500);
    expect({ running: logFollowers(), started: logsInvocations() - before, subscribed }).toEqual({ running: [], started: 0, subscribed: 0 });
  });

  it('a request aborted right away leaves no docker logs behind', async () => {
    for (let round = 0; round < 5; round++) {
      const stream = open(port, '/api/logs', { 'sec-fetch-site': 'same-origin' });
      await stream.status;
      stream.close();
    }
    // Whatever was started while docker ps answered is ended as soon as it starts.
    await sleep(3000);
    expect(logFollowers()).toEqual([]);
  });

  it('two pages share one docker logs per service, which ends when the last one leaves', async () => {
    const first = open(port, `/api/logs?services=svc-a,svc-b&token=${TOKEN}`);
    const second = open(port, `/api/logs?services=svc-a&token=${TOKEN}`);
    expect([await first.status, await second.status]).toEqual([200, 200]);
    await until(
      () =>
        lines(first).some((line) => line.startsWith('svc-b | run 1 tick')) && lines(second).filter((line) => line.startsWith('svc-a | run 1 tick')).length >= 2,
      'ticks on both pages',
    );
    const following = logFollowers();
    expect(following).toHaveLength(2);
    expect(following.filter((command) => command.includes(container['svc-a']))).toHaveLength(1);
    // The second page got svc-a's history too, from its first line.
    expect(lines(second)[0]).toBe('svc-a | run 1');
    first.close();
    await until(() => logFollowers().length === 1, "svc-b's follower to end");
    expect(logFollowers()[0]).toContain(container['svc-a']);
    second.close();
    await until(() => logFollowers().length === 0, 'every follower to end');
  });

  it("after a restart the open page shows the new run's lines, without the old ones again", async () => {
    const page = open(port, `/api/logs?services=svc-a&token=${TOKEN}`);
    expect(await page.status).toBe(200);
    await until(() => lines(page).includes('svc-a | run 1'), "svc-a's first run");
    docker(['restart', '--time', '0', container['svc-a']]);
    await until(() => lines(page).some((line) => line.startsWith('svc-a | run 2 tick')), "svc-a's second run on the same page", 30_000);
    expect(page.ended()).toBe(false);
    const shown = lines(page);
    expect(shown.filter((line) => line === 'svc-a | run 1')).toHaveLength(1);
    expect(shown.filter((line) => line === 'svc-a | run 2')).toHaveLength(1);
    expect(logFollowers()).toHaveLength(1);
    page.close();
    await until(() => logFollowers().length === 0, 'the follower to end');
  });

  it('with the services stopped the page stays open and no docker logs runs, until one starts again', async () => {
    docker(['stop', '--time', '0', container['svc-a'], container['svc-b']]);
    const page = open(port, `/api/logs?token=${TOKEN}`);
    expect(await page.status).toBe(200);
    await until(() => lines(page).filter((line) => line.endsWith('(stopped: its logs continue here when it starts again)')).length === 2, 'both said stopped');
    const before = logsInvocations();
    await sleep(4000);
    expect({ started: logsInvocations() - before, running: logFollowers(), ended: page.ended() }).toEqual({ started: 0, running: [], ended: false });
    docker(['start', container['svc-b']]);
    await until(() => lines(page).some((line) => line.startsWith('svc-b | run 2 tick')), 'svc-b followed again', 30_000);
    expect(logFollowers()).toEqual([expect.stringContaining(container['svc-b'])]);
    page.close();
    await until(() => logFollowers().length === 0, 'the follower to end');
  });

  it('closing the followers (the dashboard ending) ends every docker logs', async () => {
    docker(['start', container['svc-a']]);
    const page = open(port, `/api/logs?token=${TOKEN}`);
    expect(await page.status).toBe(200);
    await until(() => logFollowers().length === 2, 'two followers');
    followers.close();
    await until(() => logFollowers().length === 0, 'every follower to end');
    page.close();
  });
});
