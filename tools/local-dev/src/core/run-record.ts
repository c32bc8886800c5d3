/**
 * What a run leaves for people and the dashboard: logs/progress.json (the current or last run,
 * kept current while it runs), logs/run_metrics.json (per task: duration, cache hit, result;
 * the last runs, newest first) and logs/build_output.log (what each task of the last run printed). Both are written whole, atomically (core/atomic-write.ts: a
 * reader sees the old file or the new, never half), under one lock so two writers never lose
 * each other's update.
 *
 * Who writes: the plugin's preTasksExecution / postTasksExecution hooks (run start and end — with
 * the Nx daemon they run inside the daemon, which is why everything here takes the workspace root
 * and never reads process state), and `recordTask` for a task that starts or ends. Nx starts no
 * process for a cached task, so cache hits appear at the end of the run, from Nx's own results.
 *
 * Read-only commands (status, stats, logs, doctor, tunnel status) are not runs: they never
 * replace the record of the run the user is watching.
 */
import * as path from 'node:path';
import { makePrivateDir } from './private-dir';
import { writeFileAtomically } from './atomic-write';
import { readJsonIfExists } from './read-if-exists';
import { withLock } from './lock';
import { UsageError } from './errors';
import { workspacePaths, type WorkspacePaths } from './workspace';

export type TaskState = 'running' | 'success' | 'failure' | 'skipped' | 'stopped';

/**
 * What Nx's cache did for a task: answered it (hit), ran it and may keep its result (miss), or
 * never caches its target (off: clone, which must look at the remote every time).
 */
export type CacheState = 'hit' | 'miss' | 'off';

/** Where build-image got the service's image (src/docker/image-source.ts): the run table shows it. */
export type ImageOutcome = 'present' | 'pulled' | 'built';

export interface TaskProgress {
  state: TaskState;
  cacheHit: boolean;
  /** build-image only: present, pulled or built. */
  image?: ImageOutcome;
  /** Known when the run ends (Nx's results); cacheHit alone cannot tell a miss from a task never cached. */
  cache?: CacheState;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
}

export interface RunProgress {
  version: 1;
  runId: string;
  /** The nx command line, from `nx` on. */
  command: string;
  state: 'running' | 'success' | 'failure';
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** By task id (`svc-0:build-image`). */
  tasks: Record<string, TaskProgress>;
  /** Run-wide notices said so far (see firstTimeInRun), while the run runs. */
  said?: string[];
}

export interface TaskMetric {
  task: string;
  project: string;
  target: string;
  durationMs: number;
  cacheHit: boolean;
  /** Absent in runs recorded before it was. */
  cache?: CacheState;
  /** build-image only, when it ran (not a cache hit): present, pulled or built. */
  image?: ImageOutcome;
  result: TaskState;
}

export interface RunMetric {
  runId: string;
  command: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result: 'success' | 'failure';
  tasks: TaskMetric[];
  summary: { tasks: number; cacheHits: number; failures: number };
}

export interface RunMetricsFile {
  version: 1;
  /** Newest first, at most KEEP_RUNS. */
  runs: RunMetric[];
}

/** How many runs run_metrics.json keeps (the dashboard's "build time per service over the last runs"). */
export const KEEP_RUNS = 20;
const READ_ONLY_TARGETS = new Set(['status', 'stats', 'logs', 'doctor']);
const WORKSPACE_PROJECTS = new Set(['stack']);

/** What Nx hands the post hook per task (the fields used here). */
export interface NxTaskResult {
  /** cache: whether Nx may cache the task's target at all. startTime/endTime: when it ran (batch tasks: as the batch reports them). */
  task: { id: string; target: { project: string; target: string }; startTime?: number; endTime?: number; cache?: boolean };
  status: string;
  /** What the task printed (for a cache hit: what it printed when it ran). */
  terminalOutput?: string;
}

export function progressFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'progress.json');
}

export function metricsFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'run_metrics.json');
}

export function buildOutputFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'build_output.log');
}

/** Pure: the run's output, task by task in the order they started, each under a heading. */
export function buildOutputText(command: string, results: Record<string, NxTaskResult>): string {
  const tasks = Object.values(results).sort((a, b) => (a.task.startTime ?? 0) - (b.task.startTime ?? 0) || a.task.id.localeCompare(b.task.id));
  const sections = tasks.map((result) => {
    const how = isCacheHit(result.status) ? 'from Nx cache: output of the run that made it' : result.status;
    const output = (result.terminalOutput ?? '').replace(/\u001b\[[0-9;]*m/g, '').trimEnd();
    return `==> ${result.task.id} (${how})\n${output === '' ? '(no output)' : output}\n`;
  });
  return `# ${command}\n\n${sections.join('\n')}`;
}

/** Pure: the nx command line as a user typed it (`nx run-many -t up`), without the node and script paths. */
export function commandLine(argv: readonly string[]): string {
  const at = argv.findIndex((word) => /(^|[/\\])nx(\.js)?$/.test(word));
  return ['nx', ...argv.slice(at === -1 ? 2 : at + 1)].join(' ');
}

/** Pure: is this command a run to record (not a read-only look at the stack)? */
export function isRecordedCommand(argv: readonly string[]): boolean {
  const words = argv.slice(argv.findIndex((word) => /(^|[/\\])nx(\.js)?$/.test(word)) + 1);
  const [verb, ...rest] = words;
  if (verb === 'run' || (verb !== undefined && verb.includes(':') && !verb.startsWith('-'))) {
    const task = verb === 'run' ? rest.find((word) => !word.startsWith('-')) : verb;
    const [project, target] = (task ?? '').split(':');
    return !(WORKSPACE_PROJECTS.has(project) || READ_ONLY_TARGETS.has(target ?? ''));
  }
  const targets = words.flatMap((word, index) => {
    if (word === '-t' || word === '--target' || word === '--targets') return (words[index + 1] ?? '').split(',');
    const match = /^(?:-t|--targets?)=(.*)$/.exec(word);
    return match ? match[1].split(',') : [];
  });
  return targets.length === 0 || !targets.every((target) => READ_ONLY_TARGETS.has(target));
}

/** Pure: a cached task is one Nx answered from its cache (no process ran). */
export function isCacheHit(status: string): boolean {
  return status === 'local-cache' || status === 'local-cache-kept-existing' || status === 'remote-cache';
}

/** Pure: what Nx's cache did for the task (a target Nx does not say is uncacheable counts as cacheable). */
export function cacheStateOf(result: NxTaskResult): CacheState {
  if (isCacheHit(result.status)) return 'hit';
  return result.task.cache === false ? 'off' : 'miss';
}

function resultOf(status: string): TaskState {
  if (isCacheHit(status) || status === 'success') return 'success';
  if (status === 'failure' || status === 'skipped' || status === 'stopped') return status;
  return 'failure';
}

export function startedProgress(runId: string, argv: readonly string[], now: Date): RunProgress {
  return { version: 1, runId, command: commandLine(argv), state: 'running', startedAt: now.toISOString(), updatedAt: now.toISOString(), tasks: {} };
}

/** Pure: a task starting or ending, as its executor reports it. */
export function withTaskEvent(progress: RunProgress, taskId: string, event: { state: TaskState }, now: Date): RunProgress {
  const before = progress.tasks[taskId];
  const task: TaskProgress =
    event.state === 'running'
      ? { state: 'running', cacheHit: false, startedAt: now.toISOString() }
      : {
          ...before,
          state: event.state,
          cacheHit: false,
          finishedAt: now.toISOString(),
          durationMs: before?.startedAt ? now.getTime() - Date.parse(before.startedAt) : undefined,
        };
  return { ...progress, updatedAt: now.toISOString(), tasks: { ...progress.tasks, [taskId]: task } };
}

/** Pure: the run's metrics from Nx's results. */
export function runMetric(runId: string, argv: readonly string[], results: Record<string, NxTaskResult>, startTime: number, endTime: number): RunMetric {
  const tasks = Object.values(results).map((result): TaskMetric => ({
    task: result.task.id,
    project: result.task.target.project,
    target: result.task.target.target,
    durationMs: result.task.startTime !== undefined && result.task.endTime !== undefined ? result.task.endTime - result.task.startTime : 0,
    cacheHit: isCacheHit(result.status),
    cache: cacheStateOf(result),
    result: resultOf(result.status),
  }));
  const failures = tasks.filter((task) => task.result !== 'success').length;
  return {
    runId,
    command: commandLine(argv),
    startedAt: new Date(startTime).toISOString(),
    finishedAt: new Date(endTime).toISOString(),
    durationMs: endTime - startTime,
    result: failures === 0 ? 'success' : 'failure',
    tasks,
    summary: { tasks: tasks.length, cacheHits: tasks.filter((task) => task.cacheHit).length, failures },
  };
}

/** Pure: the finished run's progress (every task as Nx ended it). */
export function finishedProgress(progress: RunProgress | undefined, metric: RunMetric): RunProgress {
  const tasks: Record<string, TaskProgress> = { ...(progress?.runId === metric.runId ? progress.tasks : {}) };
  for (const task of metric.tasks) {
    tasks[task.task] = {
      ...tasks[task.task],
      state: task.result,
      cacheHit: task.cacheHit,
      cache: task.cache,
      durationMs: task.durationMs,
      finishedAt: tasks[task.task]?.finishedAt ?? metric.finishedAt,
    };
  }
  return {
    version: 1,
    runId: metric.runId,
    command: metric.command,
    state: metric.result,
    startedAt: metric.startedAt,
    updatedAt: metric.finishedAt,
    finishedAt: metric.finishedAt,
    durationMs: metric.durationMs,
    tasks,
  };
}

/** Pure: the newest run first, at most `keep`. */
export function withRun(file: RunMetricsFile | undefined, metric: RunMetric, keep = KEEP_RUNS): RunMetricsFile {
  return { version: 1, runs: [metric, ...(file?.runs ?? []).filter((run) => run.runId !== metric.runId)].slice(0, keep) };
}

/** The current or last run, as progress.json holds it (undefined before the first run). */
export function readProgress(paths: WorkspacePaths): RunProgress | undefined {
  return readJsonIfExists<RunProgress>(progressFile(paths));
}

function write(file: string, value: unknown): void {
  makePrivateDir(path.dirname(file), path.dirname(file));
  writeFileAtomically(file, `${JSON.stringify(value, null, 2)}\n`);
}

function underLock<T>(paths: WorkspacePaths, body: () => T): Promise<T> {
  return withLock(
    path.join(paths.logs, 'locks', 'run-record.lock'),
    {
      subject: 'logs/progress.json',
      purpose: 'record the run',
      log: () => undefined,
      timeoutMs: 30_000,
      timeoutError: (message, fix) => new UsageError(`logs/progress.json: ${message}`, { fix }),
    },
    async () => body(),
  );
}

export async function recordRunStart(workspaceRoot: string, runId: string, argv: readonly string[], now = new Date()): Promise<void> {
  if (!isRecordedCommand(argv)) return;
  const paths = workspacePaths(workspaceRoot);
  await underLock(paths, () => write(progressFile(paths), startedProgress(runId, argv, now)));
}

export async function recordTask(workspaceRoot: string, taskId: string, state: TaskState, now = new Date()): Promise<void> {
  const paths = workspacePaths(workspaceRoot);
  // Most tasks run inside a recorded run; when none is (a task run by a test or a script without
  // the hooks), nothing is written and no lock taken: one read, no folder created.
  if (readJsonIfExists<RunProgress>(progressFile(paths))?.state !== 'running') return;
  await underLock(paths, () => {
    const progress = readJsonIfExists<RunProgress>(progressFile(paths));
    // No run record (a task run outside a recorded command): nothing to keep current.
    if (progress?.state === 'running') write(progressFile(paths), withTaskEvent(progress, taskId, { state }, now));
  });
}

/**
 * Whether the current run has not said `notice` yet; if not, it counts as said from now on. A
 * batch executor runs more than once in a run when its tasks become ready at different times (up,
 * as builds end), and a run-wide notice is said once. Outside a recorded run: always true.
 */
export async function firstTimeInRun(workspaceRoot: string, notice: string): Promise<boolean> {
  const paths = workspacePaths(workspaceRoot);
  if (readProgress(paths)?.state !== 'running') return true;
  return underLock(paths, () => {
    const progress = readProgress(paths);
    if (progress?.state !== 'running') return true;
    if (progress.said?.includes(notice)) return false;
    write(progressFile(paths), { ...progress, said: [...(progress.said ?? []), notice] });
    return true;
  });
}

/** Pure: the metric with each task's image outcome, as the run's tasks recorded it in progress. */
export function withImageOutcomes(metric: RunMetric, progress: RunProgress | undefined): RunMetric {
  if (progress?.runId !== metric.runId) return metric;
  return { ...metric, tasks: metric.tasks.map((task) => (progress.tasks[task.task]?.image ? { ...task, image: progress.tasks[task.task].image } : task)) };
}

/** build-image says where the image came from; kept in progress.json and, at the run's end, run_metrics.json. */
export async function recordImageOutcome(workspaceRoot: string, taskId: string, image: ImageOutcome): Promise<void> {
  const paths = workspacePaths(workspaceRoot);
  if (readProgress(paths)?.state !== 'running') return;
  await underLock(paths, () => {
    const progress = readProgress(paths);
    if (progress?.state !== 'running') return;
    write(progressFile(paths), {
      ...progress,
      tasks: { ...progress.tasks, [taskId]: { ...(progress.tasks[taskId] ?? { state: 'running', cacheHit: false }), image } },
    });
  });
}

export async function recordRunEnd(
  workspaceRoot: string,
  runId: string,
  argv: readonly string[],
  results: Record<string, NxTaskResult>,
  startTime: number,
  endTime: number,
): Promise<void> {
  if (!isRecordedCommand(argv)) return;
  const paths = workspacePaths(workspaceRoot);
  const computed = runMetric(runId, argv, results, startTime, endTime);
  await underLock(paths, () => {
    const metric = withImageOutcomes(computed, readJsonIfExists<RunProgress>(progressFile(paths)));
    write(metricsFile(paths), withRun(readJsonIfExists<RunMetricsFile>(metricsFile(paths)), metric));
    makePrivateDir(paths.logs, paths.logs);
    writeFileAtomically(buildOutputFile(paths), buildOutputText(metric.command, results));
    write(progressFile(paths), finishedProgress(readJsonIfExists<RunProgress>(progressFile(paths)), metric));
  });
}
