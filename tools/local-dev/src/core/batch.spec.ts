import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { batchOf, type BatchTaskResult } from './batch';

function graphOf(projects: string[], dependencies: Record<string, string[]> = {}): TaskGraph {
  const tasks = Object.fromEntries(
    projects.map((project) => [
      `${project}:clone`,
      { id: `${project}:clone`, target: { project, target: 'clone' }, overrides: {}, outputs: [], parallelism: true },
    ]),
  );
  return {
    roots: Object.keys(tasks),
    tasks,
    dependencies: Object.fromEntries(Object.keys(tasks).map((id) => [id, dependencies[id] ?? []])),
    continuousDependencies: {},
  } as unknown as TaskGraph;
}

const context = { root: '/workspace', cwd: '/workspace', isVerbose: false } as ExecutorContext;

async function collect(results: AsyncGenerator<BatchTaskResult>): Promise<BatchTaskResult[]> {
  const all: BatchTaskResult[] = [];
  for await (const result of results) all.push(result);
  return all;
}

describe('batchOf', () => {
  it('runs each task with its own project in the context and reports each as it finishes', async () => {
    const delays: Record<string, number> = { slow: 60, fast: 5 };
    const seen: string[] = [];
    const batch = batchOf<{ service: string }>(async (options, taskContext) => {
      seen.push(`${taskContext.projectName}:${taskContext.targetName}:${options.service}`);
      await new Promise((resolve) => setTimeout(resolve, delays[options.service]));
      return { success: true };
    });
    const results = await collect(
      batch(graphOf(['slow', 'fast']), { 'slow:clone': { service: 'slow' }, 'fast:clone': { service: 'fast' } }, { service: '' }, context),
    );
    expect(seen.sort()).toEqual(['fast:clone:fast', 'slow:clone:slow']);
    expect(results.map((result) => result.task)).toEqual(['fast:clone', 'slow:clone']);
  });

  it("reports when each task itself ran (Nx has no other source for a batch task's duration)", async () => {
    const delays: Record<string, number> = { slow: 120, fast: 10 };
    const batch = batchOf<{ service: string }>(async (options) => {
      await new Promise((resolve) => setTimeout(resolve, delays[options.service]));
      return { success: true };
    });
    const before = Date.now();
    const results = await collect(
      batch(graphOf(['slow', 'fast']), { 'slow:clone': { service: 'slow' }, 'fast:clone': { service: 'fast' } }, { service: '' }, context),
    );
    const after = Date.now();
    const took = Object.fromEntries(results.map(({ task, result }) => [task, { startTime: result.startTime ?? NaN, endTime: result.endTime ?? NaN }]));
    for (const { startTime, endTime } of Object.values(took)) {
      expect(startTime).toBeGreaterThanOrEqual(before);
      expect(endTime).toBeLessThanOrEqual(after);
    }
    // Each its own time, not the batch's: they ran side by side.
    expect(took['slow:clone'].endTime - took['slow:clone'].startTime).toBeGreaterThanOrEqual(110);
    expect(took['fast:clone'].endTime - took['fast:clone'].startTime).toBeLessThan(took['slow:clone'].endTime - took['slow:clone'].startTime);
  });

  it('keeps going when one task fails, and reports that failure', async () => {
    const batch = batchOf<{ service: string }>(async (options) => ({ success: options.service !== 'broken' }));
    const results = await collect(
      batch(
        graphOf(['a', 'broken', 'c']),
        { 'a:clone': { service: 'a' }, 'broken:clone': { service: 'broken' }, 'c:clone': { service: 'c' } },
        { service: '' },
        context,
      ),
    );
    expect(Object.fromEntries(results.map((result) => [result.task, result.result.success]))).toEqual({
      'a:clone': true,
      'broken:clone': false,
      'c:clone': true,
    });
  });

  it('never runs more tasks at once than its bound', async () => {
    let running = 0;
    let most = 0;
    const batch = batchOf<object>(
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        return { success: true };
      },
      { concurrency: 2 },
    );
    const projects = ['a', 'b', 'c', 'd', 'e'];
    const results = await collect(batch(graphOf(projects), Object.fromEntries(projects.map((project) => [`${project}:clone`, {}])), {}, context));
    expect(results).toHaveLength(5);
    expect(most).toBe(2);
  });

  it('refuses a batch whose tasks depend on each other', async () => {
    const batch = batchOf<object>(async () => ({ success: true }));
    await expect(collect(batch(graphOf(['a', 'b'], { 'b:clone': ['a:clone'] }), { 'a:clone': {}, 'b:clone': {} }, {}, context))).rejects.toThrow(
      'has an inner dependency (b:clone)',
    );
  });

  it('in order: starts a task only after the batch tasks it depends on succeeded', async () => {
    const events: string[] = [];
    const batch = batchOf<{ service: string }>(
      async (options) => {
        events.push(`start ${options.service}`);
        await new Promise((resolve) => setTimeout(resolve, options.service === 'owner' ? 40 : 5));
        events.push(`end ${options.service}`);
        return { success: true };
      },
      { innerDependencies: 'in-order' },
    );
    const graph = graphOf(['worker', 'owner', 'other'], { 'worker:clone': ['owner:clone'] });
    const inputs = { 'worker:clone': { service: 'worker' }, 'owner:clone': { service: 'owner' }, 'other:clone': { service: 'other' } };
    const results = await collect(batch(graph, inputs, { service: '' }, context));
    expect(results.map((result) => result.result.success)).toEqual([true, true, true]);
    expect(events.indexOf('start worker')).toBeGreaterThan(events.indexOf('end owner'));
    // Independent tasks do not wait for the chain.
    expect(events.indexOf('start other')).toBeLessThan(events.indexOf('end owner'));
  });

  it('in order: a task whose dependency failed is reported failed and never started, and so are its dependents', async () => {
    const started: string[] = [];
    const batch = batchOf<{ service: string }>(
      async (options) => {
        started.push(options.service);
        return { success: options.service !== 'owner' };
      },
      { innerDependencies: 'in-order' },
    );
    const graph = graphOf(['owner', 'worker', 'leaf', 'other'], { 'worker:clone': ['owner:clone'], 'leaf:clone': ['worker:clone'] });
    const inputs = {
      'owner:clone': { service: 'owner' },
      'worker:clone': { service: 'worker' },
      'leaf:clone': { service: 'leaf' },
      'other:clone': { service: 'other' },
    };
    const results = await collect(batch(graph, inputs, { service: '' }, context));
    expect(Object.fromEntries(results.map((result) => [result.task, result.result.success]))).toEqual({
      'owner:clone': false,
      'worker:clone': false,
      'leaf:clone': false,
      'other:clone': true,
    });
    expect(started.sort()).toEqual(['other', 'owner']);
    expect(results.find((result) => result.task === 'worker:clone')?.result).toMatchObject({
      status: 'skipped',
      terminalOutput: expect.stringContaining('not started, because owner:clone failed'),
    });
    expect(results.find((result) => result.task === 'owner:clone')?.result.status).toBeUndefined();
  });

  it("after the last task, runs afterAll once with every input; what it prints is no task's output", async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(chunk.toString()) > 0);
    try {
      const calls: { services: string[]; root: string; after: string[] }[] = [];
      const ended: string[] = [];
      const batch = batchOf<{ service: string }>(
        async (options) => {
          process.stdout.write(`${options.service}: healthy\n`);
          ended.push(options.service);
          return { success: options.service !== 'b' };
        },
        {
          afterAll: async (inputs, batchContext) => {
            calls.push({ services: inputs.map((input) => input.service).sort(), root: batchContext.root, after: [...ended].sort() });
            process.stdout.write('⚠ Redis: NOT REACHABLE\n');
          },
        },
      );
      const results = await collect(batch(graphOf(['a', 'b']), { 'a:clone': { service: 'a' }, 'b:clone': { service: 'b' } }, { service: '' }, context));
      expect(calls).toEqual([{ services: ['a', 'b'], root: '/workspace', after: ['a', 'b'] }]);
      expect(results.map((result) => result.result.terminalOutput).join('')).not.toContain('Redis');
      expect(written[written.length - 1]).toBe('⚠ Redis: NOT REACHABLE\n');
    } finally {
      spy.mockRestore();
    }
  });

  it('gives each task what it printed as its terminal output, while tasks print at the same time', async () => {
    const written = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const batch = batchOf<{ service: string }>(async (options) => {
        for (let line = 1; line <= 3; line++) {
          process.stdout.write(`${options.service}: line ${line}\n`);
          await new Promise((resolve) => setTimeout(resolve, options.service === 'a' ? 3 : 5));
        }
        return { success: true };
      });
      const results = await collect(batch(graphOf(['a', 'b']), { 'a:clone': { service: 'a' }, 'b:clone': { service: 'b' } }, { service: '' }, context));
      const output = Object.fromEntries(results.map((result) => [result.task, result.result.terminalOutput]));
      expect(output).toEqual({ 'a:clone': 'a: line 1\na: line 2\na: line 3\n', 'b:clone': 'b: line 1\nb: line 2\nb: line 3\n' });
    } finally {
      written.mockRestore();
    }
  });
});
