/**
 * The dashboard in Debian's real Chromium (/usr/bin/chromium, driven by playwright-core, no
 * browser download) against a real 2-service stack: real git clones, real Docker, and the Redis
 * tunnel through the kubectl STAND-IN (it really forwards TCP to a real redis-server; Kubernetes
 * cannot run here). Started and stopped with the commands a user types (`nx run stack:dashboard`,
 * `nx run stack:stop`), on a free port instead of 9999 (the machine is shared).
 *
 * A screenshot of the page is saved as logs/dashboard-e2e.png at the repo root.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { isProcessAlive } from '../src/core/proc';
import { workspacePaths } from '../src/core/workspace';
import { readDashboardState } from '../src/dashboard/daemon';
import { workspaceId } from '../src/docker/naming';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { docker, freePort, get, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, REPO_ROOT, type RunResult } from './support/temp-workspace';

jest.setTimeout(300_000);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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

describe('dashboard (real Chromium, real stack)', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let wsId: string;
  let port: number;
  let browser: BrowserContext | undefined;
  let page: Page;
  let profile: string;
  const env = () => ({ ...harness.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' });
  const nx = (args: string[]) => stack.workspace.nx(args, { env: env(), timeoutMs: 180_000 });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const card = (service: string) => page.locator(`[data-service="${service}"]`);
  const containerOf = (service: string) => docker(['ps', '-aq', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${service}`]);

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
    const first = await nx(['run', 'stack:dashboard', `--port=${port}`]);
    expectOk(first);
    expect(first.stdout).toContain(`dashboard started`);
    expect(first.stdout).toContain(`http://127.0.0.1:${port}/`);
    const state = readDashboardState(workspacePaths(stack.workspace.root));
    expect(state).toMatchObject({ port, url: `http://127.0.0.1:${port}/` });
    // It outlived the nx command that started it.
    expect(isProcessAlive(state?.pid ?? 0, state?.startTime)).toBe(true);
    const second = await nx(['run', 'stack:dashboard', `--port=${port}`]);
    expectOk(second);
    expect(second.stdout).toContain(`dashboard already running (pid ${state?.pid})`);
    expect(await get(`http://127.0.0.1:${port}/api/snapshot`)).toContain('"svc-0"');
  });

  it('the page lists the services with their states, pushed without a reload', async () => {
    // A fresh profile (--user-data-dir, which playwright passes for a persistent context).
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
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

  it('logs stream: a request to a service appears in the page\'s logs', async () => {
    // busybox httpd -v logs each request's response code: count svc-0's 404s before and after one more.
    const notFound = () => page.locator('#logs').textContent().then((text) => (text ?? '').split('\n').filter((line) => /^svc-0 \| .*response:404$/.test(line)).length);
    await page.locator('#logs', { hasText: 'svc-0 | ' }).waitFor({ timeout: 15_000 });
    const before = await notFound();
    await get(`http://127.0.0.1:${stack.hostPorts['svc-0']}/no-such-page`);
    const deadline = Date.now() + 15_000;
    while ((await notFound()) <= before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await notFound()).toBe(before + 1);
    mkdirSync(path.join(REPO_ROOT, 'logs'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'logs', 'dashboard-e2e.png'), fullPage: true });
  });

  it('an action from another origin is refused; stop ends the dashboard and the page says it lost it', async () => {
    const refused = await page.evaluate(async (target) => {
      const response = await fetch(`${target}/api/actions/restart`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"service":"svc-0"}' });
      return response.status;
    }, `http://127.0.0.1:${port}`).catch(() => 'blocked');
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
    expectOk(await nx(['run', 'stack:dashboard', `--port=${port}`]));
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
    await card('svc-0').and(page.locator('[data-state="image-ready"]')).waitFor({ timeout: 10_000 });
  });
});
