/**
 * What the dashboard costs while a page is open (issue 20, item 15), as behaviour: on a quiet
 * stack it runs no process at all (no `docker`, no `git`), and still shows a change at once — a
 * container stopped (the engine's event stream), a branch switched in a clone (its .git watched).
 * The Poller as the dashboard's server drives it (workspacePollerDeps), on a real workspace, a real
 * clone and a real container; `docker` and `git` on PATH are wrappers that record each start.
 * (CPU figures are bench/dashboard-cpu.ts' business.)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspacePaths } from '../src/core/workspace';
import { Poller, workspacePollerDeps } from '../src/dashboard/poller';
import type { DashboardView } from '../src/dashboard/view';
import { LABELS, workspaceId } from '../src/core/naming';
import { StatsSampler } from '../src/stack/stats';
import { countingDocker, docker, makeClone, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(120_000);

/** How long a quiet stack is watched for processes started (long enough for the old once-a-second gathering to show thrice). */
const QUIET_MS = 3500;

describe('the dashboard watching a stack (real engine, real clone)', () => {
  let workspace: TempWorkspace;
  let wsId: string;
  let container: string;
  let poller: Poller;
  let unsubscribe: () => void;
  const views: DashboardView[] = [];
  const wrappers = path.join(tmpdir(), `local-dev-watch-wrappers-${process.pid}`);
  const dockerLog = path.join(wrappers, 'docker.log');
  const gitLog = path.join(wrappers, 'git.log');
  const originalPath = process.env.PATH;
  const started = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const api = () => views[views.length - 1]?.services.find((service) => service.name === 'api');
  const until = async (condition: () => boolean, what: string, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s (last view of api: ${JSON.stringify(api())})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** git outside the counting wrapper: what the user does in a terminal. */
  const userGit = (...args: string[]) =>
    execFileSync('/usr/bin/git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', ...args], { cwd: path.join(workspace.root, 'cloned/api') });

  beforeAll(async () => {
    workspace = createTempWorkspace({
      name: 'dashboard-watch',
      config: `default-namespace: s1\nnetwork: ld-e2e-watch-${process.pid}\nservices:\n  api:\n    repo: file:///nowhere/api.git\n  web:\n    repo: file:///nowhere/web.git\n`,
    });
    wsId = workspaceId(workspace.root);
    makeClone(path.join(workspace.root, 'cloned/api'), { 'README.md': 'api\n' });
    container = docker([
      'run',
      '--detach',
      '--init',
      '--label',
      `${LABELS.workspace}=${wsId}`,
      '--label',
      `${LABELS.service}=api`,
      'busybox:1.36',
      'sleep',
      '300',
    ]);
    countingDocker(wrappers, dockerLog);
    mkdirSync(wrappers, { recursive: true });
    writeFileSync(path.join(wrappers, 'git'), `#!/bin/sh\necho "$PWD $*" >> '${gitLog}'\nexec /usr/bin/git "$@"\n`);
    chmodSync(path.join(wrappers, 'git'), 0o755);
    writeFileSync(gitLog, '');
    process.env.PATH = `${wrappers}${path.delimiter}${originalPath}`;
    poller = new Poller(workspacePollerDeps(workspacePaths(workspace.root), undefined, () => undefined));
    unsubscribe = poller.subscribe((view) => views.push(view));
    await until(() => api()?.state === 'running', 'the first view shows api running');
  });

  afterAll(() => {
    unsubscribe?.();
    process.env.PATH = originalPath;
    rmSync(wrappers, { recursive: true, force: true });
    if (workspace) {
      removeByWorkspaceLabel(wsId);
      workspace.remove();
    }
  });

  it("CPU and memory: one-shot readings over the engine's socket (no process), CPU from two of them", async () => {
    writeFileSync(dockerLog, '');
    const sampler = new StatsSampler(workspace.root);
    const running = [{ service: 'api', id: container, restarts: 0 }];
    expect(await sampler.sample(running)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [row, ...more] = await sampler.sample(running);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ service: 'api', container });
    expect(row.memoryBytes).toBeGreaterThan(0);
    expect(row.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(started(dockerLog)).toEqual([]);
  });

  it("a page open on a quiet stack starts no process; a docker stop shows at once, through the engine's events", async () => {
    writeFileSync(dockerLog, '');
    writeFileSync(gitLog, '');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect({ docker: started(dockerLog), git: started(gitLog) }).toEqual({ docker: [], git: [] });

    // Stopped from a terminal (the real client, not the wrapper).
    docker(['stop', '--time', '5', container], { ...process.env, PATH: originalPath });
    await until(() => api()?.state === 'stopped', 'the stop is shown');
    expect(api()?.problems.map((problem) => problem.message)).toContainEqual(
      expect.stringContaining('stopped by `docker stop` from outside local-dev (SIGTERM; exit code 143)'),
    );
    expect(started(dockerLog)).toEqual([]);
  });

  it('a branch switched in a clone shows without waiting for the slow refresh; git is asked about that clone only', async () => {
    writeFileSync(gitLog, '');
    expect(api()?.branch).toBe('main');
    userGit('checkout', '-q', '-b', 'feature');
    await until(() => api()?.branch === 'feature', 'the new branch is shown');
    const asked = started(gitLog);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.filter((line) => !line.includes('/cloned/api'))).toEqual([]);
  });
});
