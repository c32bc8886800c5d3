import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  buildOutputText,
  commandLine,
  finishedProgress,
  firstTimeInRun,
  isCacheHit,
  isRecordedCommand,
  recordRunEnd,
  recordRunStart,
  recordTask,
  runMetric,
  withRun,
  type NxTaskResult,
  type RunMetric,
  type RunMetricsFile,
  type RunProgress,
} from './run-record';

const argv = (...words: string[]) => ['/usr/bin/node', '/ws/node_modules/.bin/nx', ...words];
const result = (id: string, status: string, startTime = 1000, endTime = 3500): NxTaskResult => {
  const [project, target] = id.split(':');
  return { task: { id, target: { project, target }, startTime, endTime }, status };
};

describe('run record', () => {
  it('names the command as typed', () => {
    expect(commandLine(argv('run-many', '-t', 'up', '--namespace=s2'))).toBe('nx run-many -t up --namespace=s2');
  });

  it('records runs, never the read-only looks at the stack', () => {
    expect(isRecordedCommand(argv('run-many', '-t', 'up'))).toBe(true);
    expect(isRecordedCommand(argv('run', 'svc-0:up'))).toBe(true);
    expect(isRecordedCommand(argv('svc-0:build-image'))).toBe(true);
    expect(isRecordedCommand(argv('run', 'stack:restart'))).toBe(false);
    expect(isRecordedCommand(argv('run', 'stack:status', '--json'))).toBe(false);
    expect(isRecordedCommand(argv('run', 'svc-0:logs', '--follow'))).toBe(false);
    expect(isRecordedCommand(argv('run', 'redis-tunnel:status'))).toBe(false);
    expect(isRecordedCommand(argv('run-many', '--targets=logs'))).toBe(false);
    expect(isRecordedCommand(argv('run-many', '-t', 'logs,up'))).toBe(true);
  });

  it("a cache hit is any of Nx's cache statuses", () => {
    expect(['local-cache', 'local-cache-kept-existing', 'remote-cache'].map(isCacheHit)).toEqual([true, true, true]);
    expect(['success', 'failure', 'skipped'].map(isCacheHit)).toEqual([false, false, false]);
  });

  it("turns Nx's results into per-task duration, cache state and result", () => {
    const clone: NxTaskResult = {
      task: { id: 'a:clone', target: { project: 'a', target: 'clone' }, startTime: 200, endTime: 900, cache: false },
      status: 'success',
    };
    const metric = runMetric(
      'r1',
      argv('run-many', '-t', 'up'),
      {
        'a:clone': clone,
        'a:up': result('a:up', 'local-cache', 1000, 1001),
        'b:build-image': result('b:build-image', 'failure'),
        'b:up': result('b:up', 'skipped', 0, 0),
      },
      0,
      5000,
    );
    expect(metric).toMatchObject({ runId: 'r1', result: 'failure', durationMs: 5000, summary: { tasks: 4, cacheHits: 1, failures: 2 } });
    expect(metric.tasks).toEqual([
      { task: 'a:clone', project: 'a', target: 'clone', durationMs: 700, cacheHit: false, cache: 'off', result: 'success' },
      { task: 'a:up', project: 'a', target: 'up', durationMs: 1, cacheHit: true, cache: 'hit', result: 'success' },
      { task: 'b:build-image', project: 'b', target: 'build-image', durationMs: 2500, cacheHit: false, cache: 'miss', result: 'failure' },
      { task: 'b:up', project: 'b', target: 'up', durationMs: 0, cacheHit: false, cache: 'miss', result: 'skipped' },
    ]);
  });

  it('keeps what each task printed, in the order the tasks started, without colours', () => {
    const results = {
      'b:up': { ...result('b:up', 'success', 2000, 3000), terminalOutput: 'b: healthy\n' },
      'a:build-image': { ...result('a:build-image', 'local-cache', 1000, 1001), terminalOutput: '\u001b[32ma: built\u001b[0m\n' },
      'c:clone': result('c:clone', 'success', 500, 600),
    };
    expect(buildOutputText('nx run-many -t up', results)).toBe(
      [
        '# nx run-many -t up',
        '',
        '==> c:clone (success)',
        '(no output)',
        '',
        '==> a:build-image (from Nx cache: output of the run that made it)',
        'a: built',
        '',
        '==> b:up (success)',
        'b: healthy',
        '',
      ].join('\n'),
    );
  });

  it('keeps the newest runs first, at most the limit', () => {
    const run = (runId: string) => ({ runId }) as RunMetric;
    expect(withRun({ version: 1, runs: [run('b'), run('a')] }, run('c'), 2).runs.map((entry) => entry.runId)).toEqual(['c', 'b']);
    expect(withRun(undefined, run('a')).runs).toHaveLength(1);
  });

  it('the finished progress of another run does not inherit its tasks', () => {
    const metric = runMetric('new', argv('run-many', '-t', 'up'), {}, 0, 1);
    expect(
      finishedProgress(
        { version: 1, runId: 'old', command: 'x', state: 'running', startedAt: 'x', updatedAt: 'x', tasks: { 'a:up': { state: 'running', cacheHit: false } } },
        metric,
      ).tasks,
    ).toEqual({});
  });

  describe('on disk', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'local-dev-run-record-'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));
    const read = (file: string): unknown => JSON.parse(readFileSync(path.join(root, 'logs', file), 'utf8'));
    const progress = () => read('progress.json') as RunProgress;
    const metrics = () => read('run_metrics.json') as RunMetricsFile;

    it('start → task events → end: progress.json follows the run, run_metrics.json gets it', async () => {
      await recordRunStart(root, 'r1', argv('run-many', '-t', 'up'), new Date('2026-11-29T10:00:00Z'));
      expect(progress()).toMatchObject({ runId: 'r1', state: 'running', command: 'nx run-many -t up', tasks: {} });
      await recordTask(root, 'a:build-image', 'running', new Date('2026-11-29T10:00:01Z'));
      expect(progress().tasks['a:build-image']).toEqual({ state: 'running', cacheHit: false, startedAt: '2026-11-29T10:00:01.000Z' });
      await recordTask(root, 'a:build-image', 'success', new Date('2026-11-29T10:00:04Z'));
      expect(progress().tasks['a:build-image']).toMatchObject({ state: 'success', durationMs: 3000 });
      await recordRunEnd(
        root,
        'r1',
        argv('run-many', '-t', 'up'),
        { 'a:build-image': result('a:build-image', 'success'), 'a:up': result('a:up', 'local-cache', 5000, 5000) },
        0,
        6000,
      );
      expect(progress()).toMatchObject({
        runId: 'r1',
        state: 'success',
        durationMs: 6000,
        tasks: { 'a:build-image': { cache: 'miss', durationMs: 2500 }, 'a:up': { state: 'success', cacheHit: true, cache: 'hit' } },
      });
      expect(metrics().runs.map((run) => [run.runId, run.summary])).toEqual([['r1', { tasks: 2, cacheHits: 1, failures: 0 }]]);
      expect(readFileSync(path.join(root, 'logs', 'build_output.log'), 'utf8')).toContain('==> a:build-image (success)');
    });

    it('a reader in another process never sees half a progress.json, however often it is rewritten', async () => {
      await recordRunStart(root, 'r1', argv('run-many', '-t', 'up'));
      const file = path.join(root, 'logs', 'progress.json');
      // Reads and parses as fast as it can until told to stop, then says how many reads failed.
      const reader = spawn(
        process.execPath,
        [
          '-e',
          `
        const fs = require('fs'); let reads = 0, bad = 0, stop = false;
        process.stdin.on('data', () => { stop = true; });
        (function loop() {
          for (let i = 0; i < 200; i++) { reads++; try { JSON.parse(fs.readFileSync(${JSON.stringify(file)}, 'utf8')); } catch { bad++; } }
          if (stop) { console.log(JSON.stringify({ reads, bad })); process.exit(0); } else setImmediate(loop);
        })();`,
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let out = '';
      reader.stdout.on('data', (chunk: Buffer) => (out += chunk));
      for (let index = 0; index < 300; index++) await recordTask(root, `svc-${index % 7}:build-image`, index % 2 === 0 ? 'running' : 'success');
      reader.stdin.end('stop');
      await new Promise((resolve) => reader.on('close', resolve));
      const { reads, bad } = JSON.parse(out) as { reads: number; bad: number };
      expect(reads).toBeGreaterThan(300);
      expect(bad).toBe(0);
    });

    it('a run-wide notice is news once per run: each batch of the run asks, the first one says it', async () => {
      expect(await firstTimeInRun(root, 'redis-not-reachable')).toBe(true);
      await recordRunStart(root, 'r1', argv('run-many', '-t', 'up'));
      expect(await firstTimeInRun(root, 'redis-not-reachable')).toBe(true);
      expect(await firstTimeInRun(root, 'redis-not-reachable')).toBe(false);
      expect(await firstTimeInRun(root, 'something else')).toBe(true);
      await recordTask(root, 'a:up', 'running');
      expect(await firstTimeInRun(root, 'redis-not-reachable')).toBe(false);
      await recordRunEnd(root, 'r1', argv('run-many', '-t', 'up'), {}, 0, 1);
      await recordRunStart(root, 'r2', argv('run-many', '-t', 'up'));
      expect(await firstTimeInRun(root, 'redis-not-reachable')).toBe(true);
    });

    it("a read-only command leaves the last run's record alone", async () => {
      await recordRunStart(root, 'r1', argv('run-many', '-t', 'up'));
      await recordRunStart(root, 'r2', argv('run', 'stack:status'));
      await recordRunEnd(root, 'r2', argv('run', 'stack:status'), { 'stack:status': result('stack:status', 'success') }, 0, 1);
      expect(progress().runId).toBe('r1');
    });
  });
});

describe('withImageOutcomes (build-image: present, pulled or built, for the run table)', () => {
  it("adds each build-image task's outcome from the same run's progress, and nothing from another run", () => {
    const { withImageOutcomes } = jest.requireActual<typeof import('./run-record')>('./run-record');
    const metric = {
      runId: 'r1',
      command: 'nx run-many -t up',
      startedAt: '',
      finishedAt: '',
      durationMs: 1,
      result: 'success' as const,
      tasks: [
        { task: 'a:build-image', project: 'a', target: 'build-image', durationMs: 1, cacheHit: false, result: 'success' as const },
        { task: 'a:up', project: 'a', target: 'up', durationMs: 1, cacheHit: false, result: 'success' as const },
      ],
      summary: { tasks: 2, cacheHits: 0, failures: 0 },
    };
    const progress = {
      version: 1 as const,
      runId: 'r1',
      command: '',
      state: 'running' as const,
      startedAt: '',
      updatedAt: '',
      tasks: { 'a:build-image': { state: 'success' as const, cacheHit: false, image: 'pulled' as const } },
    };
    expect(withImageOutcomes(metric, progress).tasks.map((task) => task.image)).toEqual(['pulled', undefined]);
    expect(withImageOutcomes(metric, { ...progress, runId: 'r0' })).toBe(metric);
  });
});
