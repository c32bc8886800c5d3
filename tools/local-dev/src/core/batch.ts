/**
 * Runs many tasks of one executor in one process (Nx "batch" mode, chosen with `preferBatch` in
 * executors.json). Each Nx task is otherwise a process of its own that loads Nx and our code, and
 * most of a no-op run's time was spent starting those. Here the tasks of a batch run concurrently
 * in this process, each with its own context, and each reports its result as soon as it ends, so
 * one failing repo does not hold back (or hide) the others.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import type { ExecutorResult } from './edge';

export interface BatchTaskResult {
  task: string;
  result: { success: boolean; terminalOutput: string };
}

type SingleExecutor<Options> = (options: Options, context: ExecutorContext) => Promise<ExecutorResult>;

/** How many tasks of a batch run at once: repos clone and fetch in parallel (network-bound), but not all 60 at a time. */
export const BATCH_CONCURRENCY = 8;

/**
 * Turns a single-task executor into a batch implementation, for executors whose tasks are
 * independent of each other. The executor's own output streams to
 * the terminal as it happens (lines carry the service name), so terminalOutput stays empty.
 */
export function batchOf<Options>(single: SingleExecutor<Options>, concurrency = BATCH_CONCURRENCY) {
  return async function* runBatch(
    taskGraph: TaskGraph,
    inputs: Record<string, Options>,
    _overrides: Options,
    context: ExecutorContext,
  ): AsyncGenerator<BatchTaskResult> {
    const pending = Object.values(taskGraph.tasks);
    // Only for executors whose tasks never wait for each other (clone, inject-config): ordering
    // inside a batch is not ours to implement.
    const inside = pending.find((task) => (taskGraph.dependencies[task.id] ?? []).some((dependency) => dependency in taskGraph.tasks));
    if (inside) throw new Error(`batch of ${inside.target.target} tasks has an inner dependency (${inside.id}); this executor must not be batched`);
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
      return single(inputs[taskId], taskContext).then((result) => ({ task: taskId, result: { success: result.success, terminalOutput: '' } }));
    };
    while (pending.length > 0 || running.size > 0) {
      while (pending.length > 0 && running.size < concurrency) {
        const task = pending.shift();
        if (task) running.set(task.id, start(task.id));
      }
      const finished = await Promise.race(running.values());
      running.delete(finished.task);
      yield finished;
    }
  };
}
