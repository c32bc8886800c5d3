/**
 * What the run that starts services shows and records (issue 20), through the real nx CLI in
 * Nx's static output (NX_TUI=false and no terminal, as in CI and under make), on a real stack of
 * two services (real clones, Docker builds and containers) whose Redis tunnel goes through the
 * kubectl STAND-IN (it really forwards TCP to a real redis-server; Kubernetes cannot run here),
 * first made to fail as kubectl does when the Redis pod is not running. The tests run in order.
 *
 *  - the tasks Nx runs in batches (clone, inject-config, up) print each line once, in every style;
 *  - the run ends with Redis not being reachable, why, and the fix, also when every `up` would
 *    otherwise be an Nx cache hit;
 *  - logs/run_metrics.json has each batched task's own duration and cache state.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunMetricsFile, RunProgress } from '../src/core/run-record';
import { workspacePaths } from '../src/core/workspace';
import { workspaceId } from '../src/core/naming';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { freePort, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, type RunResult } from './support/temp-workspace';

jest.setTimeout(240_000);

/** kubectl's words when the deployment's pod does not run (the stand-in prints them and exits 1). */
const POD_NOT_RUNNING = 'error: unable to forward port because pod is not running. Current status=Pending';
const NOTICE = '⚠ Redis: NOT REACHABLE — the services were started without it';

describe('the output and records of a run with batched tasks (real nx, static output)', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let redisPort: number;
  const nx = (args: string[], env: Record<string, string> = {}) => stack.workspace.nx(args, { env: { ...harness.env, ...env }, timeoutMs: 180_000 });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  /** How many lines of the output are exactly `line` (after trimming). */
  const count = (result: RunResult, line: string | RegExp) =>
    result.output.split('\n').filter((printed) => (typeof line === 'string' ? printed.trim() === line : line.test(printed))).length;
  const lastRun = () => (JSON.parse(readFileSync(path.join(stack.workspace.root, 'logs', 'run_metrics.json'), 'utf8')) as RunMetricsFile).runs[0];
  const progress = () => JSON.parse(readFileSync(path.join(stack.workspace.root, 'logs', 'progress.json'), 'utf8')) as RunProgress;

  beforeAll(async () => {
    harness = createHarness();
    redisPort = (await harness.startRedis()).port;
    stack = await createStackWorkspace({ repos: 2, workers: 0, redisPort: await freePort(), name: 'batch-output' });
    harness.control({ failToStart: POD_NOT_RUNNING });
    harness.watchWorkspace(workspacePaths(stack.workspace.root));
    await initWorkspace(stack.workspace);
  });

  afterAll(async () => {
    if (stack) {
      await stack.workspace.nx(['run', 'redis-tunnel:down'], { env: harness.env });
      removeByWorkspaceLabel(workspaceId(stack.workspace.root));
    }
    await harness?.cleanup();
    stack?.remove();
  });

  it('`nx run svc-0:up`: each batched task once, then Redis not reachable with why and the fix as the last lines; each task timed in run_metrics.json', async () => {
    const run = await nx(['run', 'svc-0:up', '--namespace=s1']);
    expectOk(run);
    expect({
      clones: count(run, /^svc-0: cloning file:\/\//),
      injected: count(run, /^svc-0: 1 file injected/),
      healthy: count(run, /^svc-0: healthy/),
    }).toEqual({ clones: 1, injected: 1, healthy: 1 });
    // svc-0 is the project asked for: Nx shows its tasks in full, each under its header, once.
    for (const target of ['clone', 'inject-config', 'up'])
      expect({ target, headers: count(run, `> nx run svc-0:${target} --namespace=s1`) }).toEqual({ target, headers: 1 });

    expect(count(run, new RegExp(`^${NOTICE}`))).toBe(1);
    const tail = run.output.slice(run.output.lastIndexOf('svc-0: healthy'));
    expect(tail).toContain(NOTICE);
    expect(tail).toContain(`error: ${POD_NOT_RUNNING}`);
    expect(tail).toContain('fix: the Redis pod is not running: check `kubectl -n s1 get pods`; the tunnel retries on its own');

    const tasks = Object.fromEntries(lastRun().tasks.map((task) => [task.task, task]));
    for (const id of ['svc-0:clone', 'svc-0:inject-config', 'svc-0:build-image', 'svc-0:up']) {
      expect({ id, ran: tasks[id].durationMs > 0, progress: (progress().tasks[id].durationMs ?? 0) > 0 }).toEqual({ id, ran: true, progress: true });
    }
    expect(Object.fromEntries(['svc-0:clone', 'svc-0:inject-config', 'svc-0:build-image', 'svc-0:up'].map((id) => [id, tasks[id].cache]))).toEqual({
      'svc-0:clone': 'off',
      'svc-0:inject-config': 'miss',
      'svc-0:build-image': 'miss',
      'svc-0:up': 'miss',
    });
    expect(progress().tasks['svc-0:clone'].cache).toBe('off');
    // logs/build_output.log still has what each batched task printed.
    const log = readFileSync(path.join(stack.workspace.root, 'logs', 'build_output.log'), 'utf8');
    expect(log).toMatch(/^==> svc-0:clone \(success\)\nsvc-0: cloning file:\/\//m);
    expect(log).toMatch(/^==> svc-0:up \(success\)\n(.*\n)*svc-0: healthy/m);
  });

  it.each([
    ['--outputStyle=stream', ['--outputStyle=stream'], {}],
    ['CI=true', [], { CI: 'true' }],
  ])('run-many, %s: every line once (batches of two tasks), and Redis not reachable at the end', async (_style, flags, env) => {
    const run = await nx(['run-many', '-t', 'up', '--namespace=s1', ...flags], env);
    expectOk(run);
    for (const service of ['svc-0', 'svc-1']) {
      expect({
        service,
        clone: count(run, new RegExp(`^${service}: (cloning file://|kept main at)`)),
        task: count(run, new RegExp(`nx run ${service}:clone --namespace=s1`)),
      }).toEqual({ service, clone: 1, task: 1 });
      // Printed live, or (a cache hit) by Nx from its cache: once either way, or not at all when Nx collapses a hit.
      expect({
        service,
        injected: count(run, new RegExp(`^${service}: 1 file injected`)) <= 1,
        healthy: count(run, new RegExp(`^${service}: (healthy|running)`)) <= 1,
      }).toEqual({ service, injected: true, healthy: true });
    }
    expect(count(run, new RegExp(`^${NOTICE}`))).toBe(1);
    expect(run.output.slice(run.output.lastIndexOf(NOTICE))).toContain('fix: the Redis pod is not running');
  });

  it('Redis back: nothing said, and `up` is an Nx cache hit again from the next run on', async () => {
    harness.control({ targets: { s1: `127.0.0.1:${redisPort}` } });
    const healthy = await nx(['run-many', '-t', 'up', '--namespace=s1']);
    expectOk(healthy);
    expect(healthy.output).not.toContain('Redis: NOT REACHABLE');
    const again = await nx(['run-many', '-t', 'up', '--namespace=s1']);
    expectOk(again);
    expect(again.output).not.toContain('Redis: NOT REACHABLE');
    expect(
      Object.fromEntries(
        lastRun()
          .tasks.filter((task) => ['up', 'inject-config'].includes(task.target))
          .map((task) => [task.task, task.cache]),
      ),
    ).toEqual({
      'redis-tunnel:up': 'hit',
      'svc-0:inject-config': 'hit',
      'svc-1:inject-config': 'hit',
      'svc-0:up': 'hit',
      'svc-1:up': 'hit',
    });
  });
});
