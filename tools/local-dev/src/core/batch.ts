/**
 * Runs many tasks of one executor in one process (Nx "batch" mode, chosen with `preferBatch` in
 * executors.json). Each Nx task is otherwise a process of its own that loads Nx and our code, and
 * most of a no-op run's time was spent starting those. Here the tasks of a batch run concurrently
 * in this process, each with its own context, and each reports its result as soon as it ends, so
 * one failing repo does not hold back (or hide) the others.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import type { ExecutorResult } from './edge';

export interface BatchTaskResult {
  task: string;
  /**
   * status 'skipped': never started because a task it depends on failed (Nx lists it so).
   * startTime/endTime (ms since the epoch): when this task itself ran. Nx takes a batch task's
   * times from here only (without them every task of a batch lasts 0 ms in Nx's results, and so
   * in logs/run_metrics.json).
   */
  result: { success: boolean; terminalOutput: string; status?: 'skipped'; startTime?: number; endTime?: number };
}

type SingleExecutor<Options> = (options: Options, context: ExecutorContext) => Promise<ExecutorResult>;

/** How many tasks of a batch run at once: repos clone and fetch in parallel (network-bound), but not all 60 at a time. */
export const BATCH_CONCURRENCY = 8;

export interface BatchOptions<Options = unknown> {
  /** Most tasks running at once. */
  concurrency?: number;
  /**
   * Whether tasks of the batch may depend on each other. Nx puts a task in a batch together with
   * the batch tasks it depends on (a worker's `up` with its owner's `up`); 'in-order' then starts a
   * task only once every one of them has succeeded, and fails it unstarted when one failed, as
   * Nx itself would skip it. 'refuse' (the default) is for executors whose tasks never wait for
   * each other (clone, inject-config), where an inner dependency can only be a wiring mistake.
   */
  innerDependencies?: 'refuse' | 'in-order';
  /**
   * Runs once, after the batch's last task has ended, outside every task: what it prints reaches
   * the terminal as the batch's own live output (Nx shows it in every output style that shows task
   * output, except GitHub Actions' log groups), not a task's terminalOutput, which Nx collapses
   * for a task that succeeded and keeps in its cache. For what a run must say at its end whatever
   * the style: up says so when Redis is not reachable.
   */
  afterAll?: (inputs: Options[], context: ExecutorContext) => Promise<void>;
}

/**
 * What each task of a batch printed. The executors write to process.stdout/stderr as things happen
 * (the terminal shows it live, lines carry the service name); Nx gets each task's share as its
 * terminalOutput, which it shows per task and which logs/build_output.log records. Tasks run at
 * once in this one process, so a write is credited to the task whose code made it
 * (AsyncLocalStorage follows it through every await).
 */
const taskOutput = new AsyncLocalStorage<string[]>();
const CAPTURING = Symbol('local-dev: credits writes to the batch task that made them');

/** Wraps the streams' current write (again when something replaced it since, e.g. a test's spy). */
function captureWrites(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if ((stream.write as unknown as Record<symbol, boolean>)[CAPTURING]) continue;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    const capturing = ((chunk: unknown, ...rest: unknown[]) => {
      taskOutput.getStore()?.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write & Record<symbol, boolean>;
    capturing[CAPTURING] = true;
    stream.write = capturing;
  }
}

/** Runs `body` crediting what it prints to `lines`. */
export function withTaskOutput<T>(lines: string[], body: () => T): T {
  captureWrites();
  return taskOutput.run(lines, body);
}

/** Turns a single-task executor into a batch implementation. */
export function batchOf<Options>(
  single: SingleExecutor<Options>,
  { concurrency = BATCH_CONCURRENCY, innerDependencies = 'refuse', afterAll }: BatchOptions<Options> = {},
) {
  return async function* runBatch(
    taskGraph: TaskGraph,
    inputs: Record<string, Options>,
    _overrides: Options,
    context: ExecutorContext,
  ): AsyncGenerator<BatchTaskResult> {
    const inner = (taskId: string) => (taskGraph.dependencies[taskId] ?? []).filter((dependency) => dependency in taskGraph.tasks);
    if (innerDependencies === 'refuse') {
      const inside = Object.values(taskGraph.tasks).find((task) => inner(task.id).length > 0);
      if (inside) throw new Error(`batch of ${inside.target.target} tasks has an inner dependency (${inside.id}); this executor must not be batched`);
    }
    const pending = Object.keys(taskGraph.tasks);
    const outcome = new Map<string, boolean>();
    const running = new Map<string, Promise<BatchTaskResult>>();
    const start = (taskId: string): Promise<BatchTaskResult> => {
      const task = taskGraph.tasks[taskId];
      const taskContext: ExecutorContext = {
        ...context,
        projectName: task.target.project,
        targetName: task.target.target,
        configurationName: task.target.configuration,
      };
      // runAtEdge inside `single` turns every failure into { success: false } with its message
      // printed, so this promise only rejects on a bug in the batch itself.
      const printed: string[] = [];
      const startTime = Date.now();
      return withTaskOutput(printed, () => single(inputs[taskId], taskContext)).then((result) => ({
        task: taskId,
        result: { success: result.success, terminalOutput: printed.join(''), startTime, endTime: Date.now() },
      }));
    };
    while (pending.length > 0 || running.size > 0) {
      // Tasks whose inner dependencies are all done: started while there is room, or, when one of
      // those dependencies failed, reported failed without running (and so are their dependents).
      for (let index = 0; index < pending.length;) {
        const taskId = pending[index];
        const dependencies = inner(taskId);
        const failed = dependencies.find((dependency) => outcome.get(dependency) === false);
        if (failed !== undefined) {
          pending.splice(index, 1);
          outcome.set(taskId, false);
          const terminalOutput = `${taskId}: not started, because ${failed} failed\n`;
          process.stdout.write(terminalOutput);
          yield { task: taskId, result: { success: false, status: 'skipped', terminalOutput } };
          index = 0;
          continue;
        }
        if (running.size < concurrency && dependencies.every((dependency) => outcome.get(dependency) === true)) {
          pending.splice(index, 1);
          running.set(taskId, start(taskId));
          continue;
        }
        index++;
      }
      if (running.size === 0) {
        if (pending.length > 0) throw new Error(`batch cannot order its tasks (a dependency cycle among ${pending.join(', ')})`);
        break;
      }
      const finished = await Promise.race(running.values());
      running.delete(finished.task);
      outcome.set(finished.task, finished.result.success);
      yield finished;
    }
    if (afterAll) await afterAll(Object.values(inputs), context);
  };
}
