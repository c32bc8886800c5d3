/**
 * The dashboard in Debian's real Chromium (/usr/bin/chromium, driven by playwright-core, no
 * browser download) against a real 2-service stack: real git clones, real Docker, and the Redis
 * tunnel through the kubectl STAND-IN (it really forwards TCP to a real redis-server; Kubernetes
 * cannot run here). Started and stopped with the commands a user types (`nx run stack:dashboard`,
 * `nx run stack:stop`), on a free port instead of 9999 (the machine is shared).
 *
 * The dashboard runs with a counting `docker` first on its PATH, so every `docker logs` it starts is
 * counted (a short-lived one too); the ones that run are its children in /proc.
 *
 * A screenshot of the page is saved as logs/dashboard-e2e.png at the repo root.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { isProcessAlive, liveCommandLine, parentPid } from '../src/core/proc';
import { workspacePaths } from '../src/core/workspace';
import { readDashboardState, stopDashboard } from '../src/dashboard/daemon';
import { workspaceId } from '../src/core/naming';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { countingDocker, docker, freePort, get, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, REPO_ROOT, type RunResult } from './support/temp-workspace';
import { CHROMIUM, CHROMIUM_ARGS } from './support/chromium';

jest.setTimeout(300_000);

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The `docker logs --follow` children of `pid` that run now (pid and command line). */
function logFollowers(pid: number): { pid: number; command: string }[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && parentPid(Number(entry)) === pid)
    .map((entry) => ({ pid: Number(entry), command: liveCommandLine(Number(entry)) ?? '' }))
    .filter(({ command }) => / logs --follow /.test(command));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A page of another site (http://localhost:<port>/ is another site than 127.0.0.1) that sends the
 * dashboard what any page can: `fetch(…, {mode: 'no-cors'})` to each endpoint that does work,
 * aborted after 300 ms, and an EventSource. `window.attack` resolves once all were sent.
 */
function foreignSite(dashboardPort: number): Promise<{ url: string; close: () => Promise<void> }> {
  const page = `<!doctype html><title>elsewhere</title><script>
    const target = 'http://127.0.0.1:${dashboardPort}';
    window.attack = (async () => {
      const results = [];
      for (const path of ['/api/logs', '/api/logs?services=svc-0', '/api/events', '/api/snapshot', '/api/build-output']) {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 300);
        results.push(await fetch(target + path, { mode: 'no-cors', signal: controller.signal }).then((response) => response.type, (error) => error.name));
      }
      const source = new EventSource(target + '/api/logs');
      await new Promise((resolve) => setTimeout(resolve, 500));
      source.close();
      return results;
    })();
  </script>`;
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(page);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({ url: `http://localhost:${port}/`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

describe('dashboard (real Chromium, real stack)', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let wsId: string;
  let port: number;
  let browser: BrowserContext | undefined;
  let page: Page;
  let profile: string;
  let countingBin: string;
  let invocations: string;
  const env = () => ({ ...harness.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' });
  const nx = (args: string[]) => stack.workspace.nx(args, { env: env(), timeoutMs: 180_000 });
  /** Starts the dashboard with the counting `docker` first on its PATH. */
  const startDashboard = () =>
    stack.workspace.nx(['run', 'stack:dashboard', `--port=${port}`], { env: { ...env(), PATH: `${countingBin}:${process.env.PATH}` }, timeoutMs: 180_000 });
  const dashboardPid = () => readDashboardState(workspacePaths(stack.workspace.root))?.pid ?? 0;
  /** How many `docker logs` the dashboard has started so far. */
  const logsStarted = () =>
    readFileSync(invocations, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('logs ')).length;
  const logLines = async (target: Page, service: string, pattern: RegExp) =>
    ((await target.locator('#logs').textContent()) ?? '').split('\n').filter((line) => line.startsWith(`${service} | `) && pattern.test(line)).length;
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const card = (service: string) => page.locator(`[data-service="${service}"]`);
  const containerOf = (service: string) =>
    docker(['ps', '-aq', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${service}`]);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-machine.sh (it installs Debian's chromium)`);
    harness = createHarness();
    const redis = await harness.startRedis();
    stack = await createStackWorkspace({ repos: 2, workers: 0, redisPort: await freePort(), name: 'dashboard' });
    wsId = workspaceId(stack.workspace.root);
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    harness.watchWorkspace(workspacePaths(stack.workspace.root));
    await initWorkspace(stack.workspace);
    expectOk(await nx(['run-many', '-t', 'up']));
    port = await freePort();
    profile = mkdtempSync(path.join(tmpdir(), 'local-dev-chromium-'));
    countingBin = path.join(profile, 'bin');
    invocations = path.join(profile, 'docker-invocations.log');
    countingDocker(countingBin, invocations, '/usr/local/bin/docker');
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (stack) {
      // stop ends the dashboard too; then whatever this test made, by its label.
      await stack.workspace.nx(['run', 'stack:stop'], { env: env() });
      removeByWorkspaceLabel(wsId);
    }
    await harness?.cleanup();
    stack?.remove();
  });

  it('starts in the background on 127.0.0.1 only, and a second start reuses it', async () => {
    const first = await startDashboard();
    expectOk(first);
    expect(first.stdout).toContain(`dashboard started`);
    expect(first.stdout).toContain(`http://127.0.0.1:${port}/`);
    const state = readDashboardState(workspacePaths(stack.workspace.root));
    expect(state).toMatchObject({ port, url: `http://127.0.0.1:${port}/` });
    // It outlived the nx command that started it.
    expect(isProcessAlive(state?.pid ?? 0, state?.startTime)).toBe(true);
    const second = await startDashboard();
    expectOk(second);
    expect(second.stdout).toContain(`dashboard already running (pid ${state?.pid})`);
    // A script must show the token of the page (as the page does); without it, no work is done.
    expect(await get(`http://127.0.0.1:${port}/api/snapshot`)).toContain('missing dashboard token');
    const token = /<meta name="dashboard-token" content="([0-9a-f]+)">/.exec(await get(`http://127.0.0.1:${port}/`))?.[1];
    expect(await get(`http://127.0.0.1:${port}/api/snapshot?token=${token}`)).toContain('"svc-0"');
  });

  it('the page lists the services with their states, pushed without a reload', async () => {
    // A fresh profile (--user-data-dir, which playwright passes for a persistent context).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
    for (const service of ['svc-0', 'svc-1']) {
      // The fixture's services have no Docker healthcheck: running (green) is their healthy.
      await card(service).and(page.locator('[data-state="running"].tone-ok')).waitFor({ timeout: 30_000 });
      await expect(card(service).locator('.state').textContent()).resolves.toBe('running');
      await expect(card(service).textContent()).resolves.toContain('branch main');
      await expect(card(service).locator('a').first().getAttribute('href')).resolves.toBe(`http://127.0.0.1:${stack.hostPorts[service]}/`);
    }
    await expect(page.locator('#tunnel .state').textContent()).resolves.toBe('healthy');
    await expect(page.locator('#run').textContent()).resolves.toContain('nx run-many -t up');
    // The run table: each task's own time and cache state, batched tasks (clone, up) included.
    const cells = async (task: string) =>
      page
        .locator('#run tr', { has: page.locator('td', { hasText: new RegExp(`^${task}$`) }) })
        .locator('td')
        .allTextContents();
    const [, , cloneTime, cloneCache] = await cells('svc-0:clone');
    const [, , upTime, upCache] = await cells('svc-0:up');
    expect({ cloneCache, upCache }).toEqual({ cloneCache: 'off', upCache: 'miss' });
    expect([cloneTime, upTime].filter((time) => /^0(\.0)? ?m?s$/.test(time))).toEqual([]);
    // Beside the cache state, where build-image got each image: this first run built them.
    await expect(page.locator('#run th').allTextContents()).resolves.toEqual(['task', 'state', 'time', 'cache', 'image']);
    for (const service of ['svc-0', 'svc-1']) expect((await cells(`${service}:build-image`)).slice(3)).toEqual(['miss', 'built']);
    expect((await cells('svc-0:up')).slice(3)).toEqual(['miss', '']);
  });

  it("the run table says 'present' for an image that already exists (build-image run again, past Nx's cache)", async () => {
    expectOk(await nx(['run-many', '-t', 'build-image', '--skip-nx-cache']));
    const row = (task: string) => page.locator('#run tr', { has: page.locator('td', { hasText: new RegExp(`^${task}$`) }) });
    await page.locator('#run', { hasText: 'nx run-many -t build-image --skip-nx-cache' }).waitFor({ timeout: 15_000 });
    for (const service of ['svc-0', 'svc-1']) {
      await row(`${service}:build-image`)
        .locator('td.image-present', { hasText: /^present$/ })
        .waitFor({ timeout: 15_000 });
      // The outcome is recorded while the task runs, its cache state when it ends: wait for both.
      await row(`${service}:build-image`)
        .locator('td', { hasText: /^miss$/ })
        .waitFor({ timeout: 15_000 });
      expect((await row(`${service}:build-image`).locator('td').allTextContents()).slice(3)).toEqual(['miss', 'present']);
    }
  });

  it('a container stopped from outside (docker stop) shows within 3 s as stopped, not crashed, saying who stopped it', async () => {
    docker(['stop', '--time', '0', containerOf('svc-1')]);
    const stoppedAt = Date.now();
    await card('svc-1').and(page.locator('[data-state="stopped"].tone-idle')).waitFor({ timeout: 3000 });
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    await expect(card('svc-1').locator('.state').textContent()).resolves.toBe('stopped');
    await page.locator('[data-service="svc-1"]', { hasText: 'stopped by `docker stop` from outside local-dev' }).waitFor({ timeout: 3000 });
    await expect(card('svc-0').getAttribute('data-state')).resolves.toBe('running');
  });

  it('the restart button brings it back, and shows the result', async () => {
    await card('svc-1').locator('button[data-action="restart"]').click();
    await page.locator('#action-result', { hasText: '✔ restart svc-1: done' }).waitFor({ timeout: 120_000 });
    await expect(page.locator('#action-result').textContent()).resolves.toContain('svc-1: healthy');
    await card('svc-1').and(page.locator('[data-state="running"].tone-ok')).waitFor({ timeout: 10_000 });
    expect(docker(['inspect', '--format', '{{.State.Status}}', containerOf('svc-1')])).toBe('running');
  });

  it("logs stream: a request to a service appears in the page's logs", async () => {
    // busybox httpd -v logs each request's response code: count svc-0's 404s before and after one more.
    const notFound = () =>
      page
        .locator('#logs')
        .textContent()
        .then((text) => (text ?? '').split('\n').filter((line) => /^svc-0 \| .*response:404$/.test(line)).length);
    await page.locator('#logs', { hasText: 'svc-0 | ' }).waitFor({ timeout: 15_000 });
    const before = await notFound();
    await get(`http://127.0.0.1:${stack.hostPorts['svc-0']}/no-such-page`);
    const deadline = Date.now() + 15_000;
    while ((await notFound()) <= before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await notFound()).toBe(before + 1);
    mkdirSync(path.join(REPO_ROOT, 'logs'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'logs', 'dashboard-e2e.png'), fullPage: true });
  });

  it("after the Restart button (svc-1 was stopped, then restarted), the page follows svc-1's logs again", async () => {
    const notFound = () => logLines(page, 'svc-1', /response:404$/);
    const before = await notFound();
    await get(`http://127.0.0.1:${stack.hostPorts['svc-1']}/no-such-page`);
    const deadline = Date.now() + 15_000;
    while ((await notFound()) <= before && Date.now() < deadline) await sleep(200);
    expect(await notFound()).toBe(before + 1);
    expect(logFollowers(dashboardPid())).toHaveLength(2);
  });

  it("a second page shares the first one's docker logs: one per service", async () => {
    const second = await browser!.newPage();
    try {
      await second.goto(`http://127.0.0.1:${port}/`);
      await second.locator('#logs', { hasText: 'svc-1 | ' }).waitFor({ timeout: 15_000 });
      await second.locator('#logs', { hasText: 'svc-0 | ' }).waitFor({ timeout: 15_000 });
      const following = logFollowers(dashboardPid());
      // One each (docker ps -q gives short ids, the followers full ones).
      expect(following.map(({ command }) => command.split(' ').pop()?.slice(0, 12)).sort()).toEqual([containerOf('svc-0'), containerOf('svc-1')].sort());
    } finally {
      await second.close();
    }
  });

  it('a page of another site cannot make the dashboard start anything', async () => {
    const foreign = await foreignSite(port);
    const elsewhere = await browser!.newPage();
    try {
      const followingBefore = logFollowers(dashboardPid())
        .map(({ pid }) => pid)
        .sort();
      const startedBefore = logsStarted();
      await elsewhere.goto(foreign.url);
      // Opaque answers (or aborted ones): the page could never read them; what matters is what ran.
      const sent = await elsewhere.evaluate(() => (globalThis as unknown as { attack: Promise<string[]> }).attack);
      expect(sent).toHaveLength(5);
      await sleep(2000);
      expect({
        started: logsStarted() - startedBefore,
        following: logFollowers(dashboardPid())
          .map(({ pid }) => pid)
          .sort(),
      }).toEqual({ started: 0, following: followingBefore });
    } finally {
      await elsewhere.close();
      await foreign.close();
    }
  });

  it('with the stack stopped the open page starts no docker logs; it follows again once a service starts', async () => {
    docker(['stop', '--time', '0', containerOf('svc-0'), containerOf('svc-1')]);
    for (const service of ['svc-0', 'svc-1'])
      await page.locator('#logs', { hasText: `${service} | (stopped: its logs continue here when it starts again)` }).waitFor({ timeout: 15_000 });
    const started = logsStarted();
    await sleep(5000);
    expect({ started: logsStarted() - started, following: logFollowers(dashboardPid()) }).toEqual({ started: 0, following: [] });
    docker(['start', containerOf('svc-0'), containerOf('svc-1')]);
    await card('svc-0').and(page.locator('[data-state="running"]')).waitFor({ timeout: 30_000 });
    const before = await logLines(page, 'svc-0', /response:404$/);
    await get(`http://127.0.0.1:${stack.hostPorts['svc-0']}/no-such-page`);
    const deadline = Date.now() + 15_000;
    while ((await logLines(page, 'svc-0', /response:404$/)) <= before && Date.now() < deadline) await sleep(200);
    expect(await logLines(page, 'svc-0', /response:404$/)).toBe(before + 1);
  });

  it('stopping the dashboard (as stack:stop does first) ends its docker logs, while the containers run on', async () => {
    // A fresh page: whatever the tests before left, its logs are followed now.
    await page.reload();
    for (const service of ['svc-0', 'svc-1']) await page.locator('#logs', { hasText: `${service} | ` }).waitFor({ timeout: 15_000 });
    const state = readDashboardState(workspacePaths(stack.workspace.root));
    const children = logFollowers(state?.pid ?? 0);
    expect(children.length).toBeGreaterThanOrEqual(2);
    await stopDashboard(workspacePaths(stack.workspace.root), () => undefined);
    expect(isProcessAlive(state?.pid ?? 0, state?.startTime)).toBe(false);
    // They end with it (its process group), not whenever their quiet containers next print.
    expect(children.filter(({ pid }) => liveCommandLine(pid) !== undefined)).toEqual([]);
    expect(docker(['inspect', '--format', '{{.State.Status}}', containerOf('svc-0')])).toBe('running');
    expectOk(await startDashboard());
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
  });

  it('an action from another origin is refused; stop ends the dashboard and the page says it lost it', async () => {
    const refused = await page
      .evaluate(async (target) => {
        const response = await fetch(`${target}/api/actions/restart`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: '{"service":"svc-0"}',
        });
        return response.status;
      }, `http://127.0.0.1:${port}`)
      .catch(() => 'blocked');
    // Same page but no token: 403 (a page of another origin could not even read the answer).
    expect(refused).toBe(403);
    const state = readDashboardState(workspacePaths(stack.workspace.root));
    expectOk(await nx(['run', 'stack:stop']));
    expect(isProcessAlive(state?.pid ?? 0, state?.startTime)).toBe(false);
    expect(readDashboardState(workspacePaths(stack.workspace.root))).toBeUndefined();
    expect(await portAnswers(port)).toBe(false);
    await page.locator('#connection', { hasText: 'reconnecting' }).waitFor({ timeout: 10_000 });
  });

  it('the open page reconnects by itself to a dashboard started again, and shows the stopped stack', async () => {
    expectOk(await startDashboard());
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
    await card('svc-0').and(page.locator('[data-state="image-ready"]')).waitFor({ timeout: 10_000 });
  });
});
