/**
/**
 * Honest state of a live container, with the real engine, the real nx CLI and the real dev target:
 * a service's container that `nx run svc-0:dev` synced a file into is "live" in `stack:status`
 * (text and --json, dev watching, then dev stopped) and on the dashboard (real Chromium); the next
 * `nx run svc-0:up` is not answered from Nx's cache and replaces the container (the synced file is
 * gone), after which status says nothing of live mode and the next `up` is a cache hit; the
 * dashboard's Rebuild leaves live mode (the record's leftAt: dev stops syncing the service) and
 * replaces the container too.
 *
 * `up` runs on the sharpest case: the file synced, dev stopped, then the file removed from the
 * clone, so the clone is as committed — build-image is a cache hit and the container's image and
 * definition are the wanted ones; only the live record says the container is no longer its image.
 * The Redis tunnel runs through the kubectl STAND-IN (it really forwards TCP to a real
 * redis-server; Kubernetes cannot run here).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { workspaceId } from '../src/core/naming';
import { workspacePaths } from '../src/core/workspace';
import { readLiveRecord } from '../src/live/state';
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `nx run svc-0:dev` left running (a continuous target); interrupt() is Ctrl-C (SIGINT to its process group). */
function startDev(root: string, env: NodeJS.ProcessEnv) {
  const child = spawn(path.join(root, 'node_modules', '.bin', 'nx'), ['run', `${SERVICE}:dev`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const count = (pattern: RegExp) => output.split('\n').filter((line) => pattern.test(line)).length;
  return {
    output: () => output,
    /** Waits until more lines match `pattern` than `before`. */
    waitFor: async (pattern: RegExp, before = 0) => {
      const deadline = Date.now() + 180_000;
      while (count(pattern) <= before) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no line matching ${pattern} (exit ${child.exitCode}); output:\n${output}`);
        await sleep(50);
      }
    },
    count,
    interrupt: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)]);
      if (code === 'timeout' && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      return code;
    },
  };
}

describe('live state (real engine, real nx, real Chromium)', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let wsId: string;
  let scratch: string;
  let browser: BrowserContext | undefined;
  let dev: ReturnType<typeof startDev> | undefined;
  const env = () => ({ ...harness.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' });
  const nx = (args: string[]) => stack.workspace.nx(args, { env: env(), timeoutMs: 180_000 });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const paths = () => workspacePaths(stack.workspace.root);
  /** The full id of the service's container ('' when there is none). */
  const containerId = () =>
    docker(['ps', '-aq', '--no-trunc', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${SERVICE}`]);
  const served = (file = 'version.txt') => get(`http://127.0.0.1:${stack.hostPorts[SERVICE]}/${file}`).catch((error: Error) => error.message);
  const clone = (file: string) => path.join(stack.workspace.root, 'cloned', SERVICE, file);
  const liveOf = (model: StackModel) => model.services.find((service) => service.name === SERVICE)?.live;
  /** Starts `nx run svc-0:dev` and waits until it watches the clone. */
  const watch = async () => {
    dev = startDev(stack.workspace.root, env());
    await dev.waitFor(/watching cloned\/svc-0 for svc-0/);
    return dev;
  };
  /** Nx's line for `svc-0:up` in a run's output, which says "[local cache]" (or "existing outputs match the cache") on a hit. */
  const upLine = (result: RunResult) => result.output.split('\n').find((line) => line.includes(`nx run ${SERVICE}:up`)) ?? '(no line for the task)';
  const statusJson = async (): Promise<StackModel> => {
    const result = await nx(['run', 'stack:status', '--json']);
    expectOk(result);
    // Nx frames the task's output with its own lines: the JSON is the part between the braces.
    return JSON.parse(result.stdout.slice(result.stdout.indexOf('\n{') + 1, result.stdout.lastIndexOf('\n}') + 2)) as StackModel;
  };

  beforeAll(async () => {
    harness = createHarness();
    const redis = await harness.startRedis();
    stack = await createStackWorkspace({ repos: 1, workers: 0, redisPort: await freePort(), name: 'live-state' });
    wsId = workspaceId(stack.workspace.root);
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    harness.watchWorkspace(paths());
    scratch = mkdtempSync(path.join(tmpdir(), 'local-dev-live-state-'));
    // svc-0 live: the whole clone synced to /www, which httpd serves (the app "reloads itself").
    const config = readFileSync(path.join(stack.workspace.root, 'repos_docker_files/config.yaml'), 'utf8');
    const healthcheck = '    healthcheck: { http: /health, timeout: 60 }\n';
    expect(config).toContain(healthcheck);
    stack.workspace.write(
      'repos_docker_files/config.yaml',
      config.replace(healthcheck, `${healthcheck}    live: { sync: [{ from: ., to: /www }], restart: false }\n`),
    );
    await initWorkspace(stack.workspace);
    expectOk(await nx(['run', `${SERVICE}:up`]));
    // Once settled, a plain `up` is answered from Nx's cache: what the live container must prevent.
    // A run while the tunnel is not healthy yet (a loaded machine) is never a hit, by design: a few runs.
    let again = await nx(['run', `${SERVICE}:up`]);
    for (let runs = 1; runs < 4 && !/cache/.test(upLine(again)); runs++) again = await nx(['run', `${SERVICE}:up`]);
    expectOk(again);
    expect(upLine(again)).toMatch(/cache/);
  });

  afterAll(async () => {
    await dev?.interrupt();
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

  it('status (text and --json): dev watching with nothing synced is still the image; a synced file makes it live (dev watching, then dev stopped)', async () => {
    const live = await watch();
    expect(liveOf(await statusJson())).toEqual({ files: 0, lastAt: null, watching: true });
    writeFileSync(clone('notes.txt'), 'synced by dev\n');
    await live.waitFor(/^svc-0: synced 1 file in \d+ ms; the app reloads itself$/);
    expect(await served('notes.txt')).toBe('synced by dev\n');
    const lastAt = readLiveRecord(paths(), SERVICE)?.lastAt ?? '(no record)';
    const status = await nx(['run', 'stack:status']);
    expectOk(status);
    expect(status.stdout).toMatch(new RegExp(`\\n${SERVICE} +running +main dirty\\(1\\) +live\\+1 `));
    expect(status.stdout).toContain(`· ${SERVICE}: live: image + 1 file synced, last at ${clockTime(lastAt)} (dev watching)`);
    expect(liveOf(await statusJson())).toEqual({ files: 1, lastAt, watching: true });

    // Ctrl-C ends it (its exit status is nx's and dev's business: live.e2e.spec.ts).
    expect(await live.interrupt()).not.toBe('timeout');
    const stopped = await nx(['run', 'stack:status']);
    expectOk(stopped);
    expect(stopped.stdout).toContain(`· ${SERVICE}: live: image + 1 file synced, last at ${clockTime(lastAt)} (dev stopped)`);
    expect(stopped.stdout).not.toContain('No problems: everything runs as built.');
    expect(liveOf(await statusJson())).toEqual({ files: 1, lastAt, watching: false });
  });

  it('up is not an Nx cache hit while the container is live, even with the clone as committed: it replaces it (new id, synced file gone); then status is plain and up is a hit again', async () => {
    // dev stopped: the clone is as committed again, the container keeps what dev synced.
    rmSync(clone('notes.txt'));
    const live = containerId();
    const up = await nx(['run', `${SERVICE}:up`]);
    expectOk(up);
    expect(up.output).toMatch(new RegExp(`nx run ${SERVICE}:build-image +\\[(local cache|existing outputs match the cache)`));
    expect(upLine(up)).not.toMatch(/cache/);
    expect(up.output).toContain(`${SERVICE}: held 1 synced file; recreated from its image`);
    const fresh = containerId();
    expect(fresh).not.toBe('');
    expect(fresh).not.toBe(live);
    expect(docker(['exec', fresh, 'ls', '/www'])).not.toContain('notes.txt');
    expect(await served('notes.txt')).toMatch(/404/);
    expect(await served()).toBe(ORIGINAL);

    const status = await nx(['run', 'stack:status']);
    expectOk(status);
    expect(status.stdout).not.toMatch(/live:|live\+/);
    expect(status.stdout).toMatch(new RegExp(`\\n${SERVICE} +running +main +current `));
    expect(liveOf(await statusJson())).toBeNull();

    const again = await nx(['run', `${SERVICE}:up`]);
    expectOk(again);
    expect(upLine(again)).toMatch(/cache/);
    expect(containerId()).toBe(fresh);
  });

  it('the dashboard shows the live line; its Rebuild leaves live mode (leftAt: dev stops syncing it) and replaces the container', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-machine.sh (it installs Debian's chromium)`);
    const port = await freePort();
    expectOk(await stack.workspace.nx(['run', 'stack:dashboard', `--port=${port}`], { env: env(), timeoutMs: 180_000 }));
    const live = await watch();
    writeFileSync(clone('version.txt'), `${SERVICE} edited\n`);
    await live.waitFor(/^svc-0: synced 1 file in/);
    const container = containerId();
    const lastAt = readLiveRecord(paths(), SERVICE)?.lastAt ?? '(no record)';
    browser = await chromium.launchPersistentContext(path.join(scratch, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    const page: Page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`http://127.0.0.1:${port}/`);
    const card = page.locator(`[data-service="${SERVICE}"]`);
    await card.and(page.locator('[data-live="watching"]')).waitFor({ timeout: 30_000 });
    await expect(card.locator('[data-role="live"]').textContent()).resolves.toBe(`live: image + 1 file synced, last at ${clockTime(lastAt)} (dev watching)`);
    await expect(card.textContent()).resolves.toContain('image its image + 1 synced file');

    await card.locator('[data-action="rebuild"]').click();
    await page.locator('#action-result', { hasText: `✔ rebuild ${SERVICE}: done` }).waitFor({ timeout: 180_000 });
    await expect(page.locator('#action-result').textContent()).resolves.toContain(`${SERVICE}: left live mode (dev stops syncing it)`);
    await expect(page.locator('#action-result').textContent()).resolves.toContain(`${SERVICE}: held 1 synced file; recreated from its image`);
    const record = readLiveRecord(paths(), SERVICE);
    expect(record).toMatchObject({ container, files: 1 });
    expect(Date.parse(record?.leftAt ?? '')).toBeGreaterThanOrEqual(Date.parse(lastAt));
    const fresh = containerId();
    expect(fresh).not.toBe(container);
    // The new container is its image, built from the edited clone.
    expect(await served()).toBe(`${SERVICE} edited\n`);
    // The record names the old container: the card stops saying live.
    await card.and(page.locator(':not([data-live])')).waitFor({ timeout: 30_000 });
    await expect(card.locator('[data-role="live"]').count()).resolves.toBe(0);

    // dev, still running, has left the service: the next edit is not synced into the new container.
    writeFileSync(clone('notes.txt'), 'not synced\n');
    await live.waitFor(/^svc-0: left live mode/);
    expect(docker(['exec', fresh, 'ls', '/www'])).not.toContain('notes.txt');
    expect(readLiveRecord(paths(), SERVICE)).toMatchObject({ container, files: 1 });
    // Ctrl-C ends it (its exit status is nx's and dev's business: live.e2e.spec.ts).
    expect(await live.interrupt()).not.toBe('timeout');
  });
});
