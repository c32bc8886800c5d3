/**
 * Starting and stopping the dashboard's background process, as the tunnel supervisor is started
 * (src/tunnel/launch.ts): a detached node running the precompiled main.ts (runtime/compiled.js),
 * its output in logs/dashboard.log, and logs/dashboard.json naming its pid, the start time of
 * that pid (a reused pid is never mistaken for it), its port and URL. A second start finds it
 * running and reuses it; `stack:stop` ends it together with its children: it runs as the leader
 * of its own process group (detached), and that group is what is signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { withLock } from '../core/lock';
import { readJsonIfExists } from '../core/read-if-exists';
import { isProcessAlive, liveCommandLine } from '../core/proc';
import type { WorkspacePaths } from '../core/workspace';
import { makePrivateDir } from '../core/private-dir';

export const DEFAULT_PORT = 9999;
/** The entry the background process runs (its compiled .js); also how its command line is recognised. */
export const DASHBOARD_ENTRY = 'src/dashboard/main';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 3000;

/** What the background process writes once it listens. */
export interface DashboardState {
  pid: number;
  /** /proc start time of `pid` (see core/proc.ts). */
  startTime: string;
  port: number;
  url: string;
  namespace: string | undefined;
  startedAt: string;
}

/** What the starter passes to main.ts, JSON-encoded as its one argument. */
export interface DashboardLaunch {
  root: string;
  port: number;
  namespace: string | undefined;
}

export function dashboardStateFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'dashboard.json');
}

export function dashboardLogFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'dashboard.log');
}

/** Written atomically by the dashboard itself: unparsable means edited by hand, as good as none. */
export function readDashboardState(paths: WorkspacePaths): DashboardState | undefined {
  return readJsonIfExists<DashboardState>(dashboardStateFile(paths));
}

/** The running dashboard of this workspace, or undefined (a state left by a dead one does not count). */
export function runningDashboard(paths: WorkspacePaths): DashboardState | undefined {
  const state = readDashboardState(paths);
  if (!state || !isProcessAlive(state.pid, state.startTime)) return undefined;
  return state;
}

/** Starts the dashboard in the background, or reuses the running one. Resolves once it listens. */
export async function startDashboard(
  paths: WorkspacePaths,
  launch: Omit<DashboardLaunch, 'root'>,
  log: (line: string) => void,
): Promise<{ state: DashboardState; reused: boolean }> {
  makePrivateDir(paths.logs, paths.logs);
  return withLock(
    path.join(paths.logs, 'dashboard.lock'),
    {
      subject: 'the dashboard',
      purpose: 'starting the dashboard',
      log: (line) => log(`dashboard: ${line}`),
      timeoutError: (message, fix) => new UsageError(`the dashboard is ${message}`, { fix }),
    },
    async () => {
      const running = runningDashboard(paths);
      if (running) {
        if (running.port !== launch.port) {
          throw new UsageError(`the dashboard already runs on port ${running.port} (${running.url}), not ${launch.port}`, {
            fix: `open ${running.url}, or stop it first: \`nx run stack:stop\``,
          });
        }
        return { state: running, reused: true };
      }
      const child = spawnDashboard(paths, { root: paths.root, ...launch });
      const state = await waitForStart(paths, child);
      return { state, reused: false };
    },
  );
}

function spawnDashboard(paths: WorkspacePaths, launch: DashboardLaunch): { pid: number; exited: () => number | null | undefined } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loader = require(path.join(__dirname, '../../runtime/compiled.js')) as { compiledPath(relative: string): string };
  const entry = loader.compiledPath(DASHBOARD_ENTRY);
  const logFd = openSync(dashboardLogFile(paths), 'a');
  try {
    const child = spawn(process.execPath, [entry, JSON.stringify(launch)], { cwd: paths.root, detached: true, stdio: ['ignore', logFd, logFd] });
    if (child.pid === undefined) throw new UsageError(`could not start the dashboard (${process.execPath} ${entry})`);
    let code: number | null | undefined;
    child.on('exit', (exitCode, signal) => (code = exitCode ?? (signal ? -1 : null)));
    child.unref();
    return { pid: child.pid, exited: () => code };
  } finally {
    closeSync(logFd);
  }
}

async function waitForStart(paths: WorkspacePaths, child: { pid: number; exited: () => number | null | undefined }): Promise<DashboardState> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const state = readDashboardState(paths);
    if (state && state.pid === child.pid) return state;
    if (child.exited() !== undefined) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = logTail(paths);
  throw new UsageError(
    `the dashboard did not start${child.exited() !== undefined ? ` (it exited with code ${child.exited()})` : ` within ${START_TIMEOUT_MS / 1000} s`}:\n${log}`,
    {
      fix: /EADDRINUSE/.test(log)
        ? 'the port is taken: start it on another one (`nx run stack:dashboard --port=<n>`)'
        : `see ${path.relative(paths.root, dashboardLogFile(paths))}`,
    },
  );
}

function logTail(paths: WorkspacePaths, lines = 8): string {
  try {
    return readFileSync(dashboardLogFile(paths), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '(no log)';
    throw error;
  }
}

/**
 * Ends the dashboard and its children if it runs (SIGTERM to its process group, then SIGKILL);
 * never signals a pid that is not our dashboard. The group, not only the pid: its `docker logs`
 * followers and a rebuild in progress end with it even when it has to be killed.
 */
export async function stopDashboard(paths: WorkspacePaths, log: (line: string) => void, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  const state = readDashboardState(paths);
  if (!state) return false;
  const commandLine = liveCommandLine(state.pid, state.startTime, platform);
  let stopped = false;
  if (commandLine === '') {
    // A live pid whose command line this system does not show cannot be confirmed as ours: never signalled.
    log(
      `dashboard: pid ${state.pid}, recorded as the dashboard, is running, but this system does not show its command line, so it is not signalled; ` +
        `if \`ps -p ${state.pid} -o command=\` shows ${DASHBOARD_ENTRY}, stop it by hand with \`kill -- -${state.pid}\``,
    );
  } else if (commandLine !== undefined && commandLine.includes(DASHBOARD_ENTRY)) {
    signalGroup(state.pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isProcessAlive(state.pid, state.startTime) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (isProcessAlive(state.pid, state.startTime)) signalGroup(state.pid, 'SIGKILL');
    stopped = true;
    log(`dashboard (pid ${state.pid}, ${state.url}): stopped`);
  }
  rmSync(dashboardStateFile(paths), { force: true });
  return stopped;
}

/**
 * Signals the process group `pid` leads (the running dashboard was checked to be ours, so a group
 * with its pid is its own), or the pid alone when it leads none (a dashboard started by hand).
 */
function signalGroup(pid: number, name: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, name);
      return;
    } catch (error) {
      // No such group: try the pid; no such pid: already gone, which is what we wanted.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
