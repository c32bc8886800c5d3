/**
 * Starting and ending supervisor processes: the process-level half of the control functions.
 *
 * The supervisor is a detached node process running supervisor-main.ts through @swc-node/register,
 * with every path resolved from this file (never from the cwd), so it starts the same way from an
 * Nx executor in any workspace, from a test, or from the bench.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TunnelError } from '../core/errors';
import type { WorkspacePaths } from '../core/workspace';
import { killGroup } from './kubectl-process';
import type { SupervisorLaunch } from './supervisor-main';
import { isSupervisorAlive, liveCommandLine, logFile, SUPERVISOR_ENTRY_NAME, type TunnelState } from './state';

const ENTRY = path.join(__dirname, `${SUPERVISOR_ENTRY_NAME}.ts`);
/** The log is rotated once it passes this size, when a new supervisor starts. */
const MAX_LOG_BYTES = 5 * 1024 * 1024;
const STOP_TIMEOUT_MS = 5000;

/** Starts a supervisor in the background and returns its pid. It outlives this process. */
export function launchSupervisor(paths: WorkspacePaths, launch: SupervisorLaunch, env: NodeJS.ProcessEnv = process.env): number {
  mkdirSync(paths.logs, { recursive: true });
  const log = logFile(paths);
  rotateLog(log);
  const logFd = openSync(log, 'a');
  try {
    const tsconfig = findUp(__dirname, 'tsconfig.base.json');
    const child = spawn(process.execPath, ['-r', require.resolve('@swc-node/register'), ENTRY, JSON.stringify(launch)], {
      cwd: paths.root,
      // Its own session and process group: Ctrl-C in the terminal that ran nx does not reach it.
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...env, ...(tsconfig ? { SWC_NODE_PROJECT: tsconfig } : {}) },
    });
    if (child.pid === undefined) throw new TunnelError(`could not start the tunnel supervisor (${process.execPath} ${ENTRY})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}

/**
 * Ends a supervisor: SIGTERM (it stops kubectl and exits), then SIGKILL if it does not exit in
 * time, and finally makes sure the kubectl it recorded is gone too. Never signals a pid that is
 * not our supervisor or a kubectl port-forward (pids get reused).
 */
export async function endSupervisor(state: TunnelState): Promise<void> {
  if (isSupervisorAlive(state.pid)) {
    signal(state.pid, 'SIGTERM');
    if (!(await waitUntil(() => !isSupervisorAlive(state.pid), STOP_TIMEOUT_MS))) signal(state.pid, 'SIGKILL');
    await waitUntil(() => !isSupervisorAlive(state.pid), STOP_TIMEOUT_MS);
  }
  endOrphanKubectl(state);
}

/** A kubectl left by a supervisor that crashed or was SIGKILLed: end its process group. */
export function endOrphanKubectl(state: TunnelState): void {
  if (state.kubectlPid && isOurKubectl(state.kubectlPid, state)) killGroup(state.kubectlPid, 'SIGKILL');
}

function isOurKubectl(pid: number, state: TunnelState): boolean {
  const commandLine = liveCommandLine(pid);
  return commandLine !== undefined && commandLine.includes('port-forward') && commandLine.includes(`deployment/${state.deployment}`);
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    // Already gone: that is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The last lines of the supervisor log, for error messages about a supervisor that died. */
export function logTail(paths: WorkspacePaths, lines = 8): string {
  try {
    return readFileSync(logFile(paths), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '(no log yet)';
    throw error;
  }
}

/**
 * One tunnel command at a time per workspace (two terminals running `up` at once must not start two
 * supervisors). The lock file holds the owner's pid; a lock whose owner died is taken over.
 */
export async function withTunnelLock<T>(paths: WorkspacePaths, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  mkdirSync(paths.logs, { recursive: true });
  const lock = path.join(paths.logs, 'redis-tunnel.lock');
  const acquired = await waitUntil(() => tryLock(lock), timeoutMs, 100);
  if (!acquired) {
    throw new TunnelError(`another local-dev command has been managing the Redis tunnel for over ${Math.round(timeoutMs / 1000)} s (lock file ${lock})`, {
      fix: 'wait for it to finish and retry',
    });
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { force: true });
  }
}

function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let owner: number;
  try {
    owner = Number(readFileSync(lock, 'utf8').trim());
  } catch (error) {
    // Released between our two calls: try again on the next round.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  // 0/NaN: its owner is still writing its pid.
  if (owner > 0 && liveCommandLine(owner) === undefined) {
    // Its owner died holding it; removing it lets the next attempt (ours or another) take it.
    rmSync(lock, { force: true });
  }
  return false;
}

function rotateLog(log: string): void {
  if (existsSync(log) && statSync(log).size > MAX_LOG_BYTES) renameSync(log, `${log}.1`);
}

function findUp(start: string, name: string): string | undefined {
  for (let folder = start; ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, name);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(folder) === folder) return undefined;
  }
}
