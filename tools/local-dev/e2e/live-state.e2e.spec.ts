/**
 * Honest state of a live container, with the real engine and the real nx CLI: a service's container
 * that received synced files is "live" in `stack:status` (text and --json) and on the dashboard (real
 * Chromium); the next `nx run <svc>:up` is not answered from Nx's cache and replaces the container
 * (the synced file is gone), after which status says nothing of live mode and the next `up` is a
 * cache hit; the dashboard's Rebuild leaves live mode (the record's leftAt) and replaces it too.
 *
 * The clone is left as committed: the sharpest case, an edit synced then reverted in the clone.
 * build-image is a cache hit (its inputs did not change) and the container's image and definition
 * are the wanted ones; only the live record says the container is no longer its image.
 *
 * STAND-IN for the dev target (`nx run <svc>:dev`, not in the repository when this was written):
 * `makeLive` does what one of its syncs does — a file into the running container through the
 * engine (`docker cp`), then the record it writes after a sync (src/live/state.ts writeLiveRecord),
 * without a watcher (dev stopped). The Redis tunnel runs through the kubectl STAND-IN (it really
 * forwards TCP to a real redis-server; Kubernetes cannot run here).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { workspaceId } from '../src/core/naming';
import { workspacePaths } from '../src/core/workspace';
import { readLiveRecord, writeLiveRecord } from '../src/live/state';
import { clockTime } from '../src/stack/live-view';
import type { StackModel } from '../src/stack/model';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { docker, freePort, get, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { CHROMIUM, CHROMIUM_ARGS } from './support/chromium';
import { initWorkspace, type RunResult } from './support/temp-workspace';

jest.setTimeout(300_000);

const SERVICE = 'svc-0';
const ORIGINAL = `${SERVICE} 1\n`;

describe('live state (real engine, real nx, real Chromium)', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let wsId: string;
  let scratch: string;
  let browser: BrowserContext | undefined;
  const env = () => ({ ...harness.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' });
  const nx = (args: string[]) => stack.workspace.nx(args, { env: env(), timeoutMs: 180_000 });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const paths = () => workspacePaths(stack.workspace.root);
  /** The full id of the service's container ('' when there is none). */
  const containerId = () =>
    docker(['ps', '-aq', '--no-trunc', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${SERVICE}`]);
  const served = () => get(`http://127.0.0.1:${stack.hostPorts[SERVICE]}/version.txt`);
  /** Nx's line for `svc-0:up` in a run's output, which says "[local cache]" (or "existing outputs match the cache") on a hit. */
  const upLine = (result: RunResult) => result.output.split('\n').find((line) => line.includes(`nx run ${SERVICE}:up`)) ?? '(no line for the task)';
  const statusJson = async (): Promise<StackModel> => {
    const result = await nx(['run', 'stack:status', '--json']);
    expectOk(result);
    // Nx frames the task's output with its own lines: the JSON is the part between the braces.
    return JSON.parse(result.stdout.slice(result.stdout.indexOf('\n{') + 1, result.stdout.lastIndexOf('\n}') + 2)) as StackModel;
  };

  /** STAND-IN for one sync of the dev target (see the header): `content` as /www/version.txt, then the record. */
  const makeLive = (content: string): { container: string; lastAt: string } => {
    const container = containerId();
    const file = path.join(scratch, 'version.txt');
    writeFileSync(file, content);
    docker(['cp', file, `${container}:/www/version.txt`]);
    const lastAt = new Date().toISOString();
    writeLiveRecord(paths(), {
      service: SERVICE,
      container,
      image: docker(['inspect', '--format', '{{.Config.Image}}', container]),
      files: 1,
      lastAt,
      lastSummary: 'synced 1 file in 40 ms; the app reloads itself',
    });
    return { container, lastAt };
  };

  beforeAll(async () => {
    harness = createHarness();
    const redis = await harness.startRedis();
    stack = await createStackWorkspace({ repos: 1, workers: 0, redisPort: await freePort(), name: 'live-state' });
    wsId = workspaceId(stack.workspace.root);
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    harness.watchWorkspace(paths());
    scratch = mkdtempSync(path.join(tmpdir(), 'local-dev-live-state-'));
    await initWorkspace(stack.workspace);
    expectOk(await nx(['run', `${SERVICE}:up`]));
    // Once settled, a plain `up` is answered from Nx's cache: what the live container must prevent.
    const again = await nx(['run', `${SERVICE}:up`]);
    expectOk(again);
    expect(upLine(again)).toMatch(/cache/);
  });

  afterAll(async () => {
    await browser?.close();
    if (stack) {
      // stop ends the dashboard and the tunnel; then whatever this test made, by its label.
      await stack.workspace.nx(['run', 'stack:stop'], { env: env() });
      removeByWorkspaceLabel(wsId);
      const network = docker(['network', 'ls', '-q', '--filter', `name=${stack.network}`]);
      if (network) docker(['network', 'rm', ...network.split('\n')]);
    }
    await harness?.cleanup();
    stack?.remove();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('status (text and --json) says the container is live, with the count and the last sync', async () => {
    const { lastAt } = makeLive(`${SERVICE} edited\n`);
    expect(await served()).toBe(`${SERVICE} edited\n`);
    const status = await nx(['run', 'stack:status']);
    expectOk(status);
    expect(status.stdout).toMatch(new RegExp(`\\n${SERVICE} +running +main +live\\+1 `));
    expect(status.stdout).toContain(`· ${SERVICE}: live: image + 1 file synced, last at ${clockTime(lastAt)} (dev stopped)`);
    expect(status.stdout).not.toContain('No problems: everything runs as built.');
    const model = await statusJson();
    expect(model.services.find((service) => service.name === SERVICE)?.live).toEqual({ files: 1, lastAt, watching: false });
  });

  it('up is not an Nx cache hit while the container is live: it replaces it (new id, synced file gone); then status is plain and up is a hit again', async () => {
    const live = containerId();
    const up = await nx(['run', `${SERVICE}:up`]);
    expectOk(up);
    expect(upLine(up)).not.toMatch(/cache/);
    expect(up.output).toContain(`${SERVICE}: held 1 synced file; recreated from its image`);
    const fresh = containerId();
    expect(fresh).not.toBe('');
    expect(fresh).not.toBe(live);
    expect(docker(['exec', fresh, 'cat', '/www/version.txt'])).toBe(ORIGINAL.trim());
    expect(await served()).toBe(ORIGINAL);

    const status = await nx(['run', 'stack:status']);
    expectOk(status);
    expect(status.stdout).not.toMatch(/live:|live\+/);
    expect(status.stdout).toMatch(new RegExp(`\\n${SERVICE} +running +main +current `));
    expect((await statusJson()).services.find((service) => service.name === SERVICE)?.live).toBeNull();

    const again = await nx(['run', `${SERVICE}:up`]);
    expectOk(again);
    expect(upLine(again)).toMatch(/cache/);
    expect(containerId()).toBe(fresh);
  });

  it('the dashboard shows the live line; its Rebuild leaves live mode (leftAt) and replaces the container', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-machine.sh (it installs Debian's chromium)`);
    const port = await freePort();
    expectOk(await stack.workspace.nx(['run', 'stack:dashboard', `--port=${port}`], { env: env(), timeoutMs: 180_000 }));
    const { container: live, lastAt } = makeLive(`${SERVICE} edited again\n`);
    browser = await chromium.launchPersistentContext(path.join(scratch, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    const page: Page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`http://127.0.0.1:${port}/`);
    const card = page.locator(`[data-service="${SERVICE}"]`);
    await card.and(page.locator('[data-live="dev-stopped"]')).waitFor({ timeout: 30_000 });
    await expect(card.locator('[data-role="live"]').textContent()).resolves.toBe(`live: image + 1 file synced, last at ${clockTime(lastAt)} (dev stopped)`);
    await expect(card.textContent()).resolves.toContain('image its image + 1 synced file');

    await card.locator('[data-action="rebuild"]').click();
    await page.locator('#action-result', { hasText: `✔ rebuild ${SERVICE}: done` }).waitFor({ timeout: 180_000 });
    await expect(page.locator('#action-result').textContent()).resolves.toContain(`${SERVICE}: left live mode (dev stops syncing it)`);
    await expect(page.locator('#action-result').textContent()).resolves.toContain(`${SERVICE}: held 1 synced file; recreated from its image`);
    const record = readLiveRecord(paths(), SERVICE);
    expect(record).toMatchObject({ container: live });
    expect(Date.parse(record?.leftAt ?? '')).toBeGreaterThanOrEqual(Date.parse(lastAt));
    const fresh = containerId();
    expect(fresh).not.toBe(live);
    expect(docker(['exec', fresh, 'cat', '/www/version.txt'])).toBe(ORIGINAL.trim());
    // The record names the old container: the new one is its image, and the card stops saying live.
    await card.and(page.locator(':not([data-live])')).waitFor({ timeout: 30_000 });
    await expect(card.locator('[data-role="live"]').count()).resolves.toBe(0);
  });
});
