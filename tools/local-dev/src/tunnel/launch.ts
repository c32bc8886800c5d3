/**
 * Starting and ending supervisor processes: the process-level half of the control functions.
 *
 * The supervisor is a detached node process running the precompiled JavaScript of supervisor-main.ts
 * (tools/local-dev/runtime/compiled.js: no transpiler in a process that runs for hours), with every
 * path resolved from this file (never from the cwd), so it starts the same way from an Nx executor in
 * any workspace, from a test, or from the bench.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { TunnelError } from '../core/errors';
import { withLockIfWritable } from '../core/lock';
import { liveCommandLine } from '../core/proc';
import type { WorkspacePaths } from '../core/workspace';
import { killGroup } from './kubectl-process';
import type { SupervisorLaunch } from './supervisor-main';
import { isSupervisorAlive, logFile, SUPERVISOR_ENTRY_NAME, type TunnelState } from './state';
import { makePrivateDir } from '../core/private-dir';

/** The compiled tree for the sources as they are now (compiled on first use; see runtime/compiled.js). */
function compiledEntry(): string {
  // Resolved from the source folder: this file also runs compiled, from another folder.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loader = require(path.join(__dirname, '../../runtime/compiled.js')) as { compiledPath(relative: string): string };
  return loader.compiledPath(`src/tunnel/${SUPERVISOR_ENTRY_NAME}`);
}
/** The log is rotated once it passes this size, when a new supervisor starts. */
const MAX_LOG_BYTES = 5 * 1024 * 1024;
/**
 * A supervisor stops in well under a second (kubectl gets 500 ms after SIGTERM, see
 * kubectl-process.ts); one that has not exited after this is killed, and its kubectl with it, so
 * `redis-tunnel:down` stays under 2 s whatever state the supervisor is in.
 */
const STOP_TIMEOUT_MS = 1500;

/** Starts a supervisor in the background and returns its pid. It outlives this process. */
export function launchSupervisor(paths: WorkspacePaths, launch: SupervisorLaunch, env: NodeJS.ProcessEnv = process.env): number {
  makePrivateDir(paths.logs, paths.logs);
  const log = logFile(paths);
  rotateLog(log);
  const logFd = openSync(log, 'a');
  try {
    const entry = compiledEntry();
    const child = spawn(process.execPath, [entry, JSON.stringify(launch)], {
      cwd: paths.root,
      // Its own session and process group: Ctrl-C in the terminal that ran nx does not reach it.
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env,
    });
    if (child.pid === undefined) throw new TunnelError(`could not start the tunnel supervisor (${process.execPath} ${entry})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}

/** How endSupervisor sees and signals processes; tests replace them to play a supervisor that will not die. */
export interface EndSupervisorDeps {
  isAlive: (pid: number) => boolean;
  signal: (pid: number, name: NodeJS.Signals) => void;
  timeoutMs: number;
}

/**
 * Ends a supervisor: SIGTERM (it stops kubectl and exits), then SIGKILL if it does not exit in
 * time, and finally makes sure the kubectl it recorded is gone too. Never signals a pid that is
 * not our supervisor or a kubectl port-forward (pids get reused). Throws when the supervisor
 * survives even SIGKILL: starting a second one beside it would fight it for the port.
 */
export async function endSupervisor(
  state: TunnelState,
  deps: EndSupervisorDeps = { isAlive: isSupervisorAlive, signal, timeoutMs: STOP_TIMEOUT_MS },
): Promise<void> {
  if (deps.isAlive(state.pid)) {
    deps.signal(state.pid, 'SIGTERM');
    // A stopped process (SIGSTOP, Ctrl-Z) keeps SIGTERM pending until it continues.
    deps.signal(state.pid, 'SIGCONT');
    if (!(await waitUntil(() => !deps.isAlive(state.pid), deps.timeoutMs))) {
      deps.signal(state.pid, 'SIGKILL');
      if (!(await waitUntil(() => !deps.isAlive(state.pid), deps.timeoutMs))) {
        throw new TunnelError(`the Redis tunnel supervisor (pid ${state.pid}) is still running after SIGTERM and SIGKILL`, {
          fix: `look at it with \`ps -o pid,stat,cmd -p ${state.pid}\` (state D = stuck in the kernel, often a hung mount); once it is gone run \`nx run redis-tunnel:up\` again`,
        });
      }
    }
  }
  endOrphanKubectl(state);
}

/** A kubectl (or local redis-server) left by a supervisor that crashed or was SIGKILLed: end its process group. */
export function endOrphanKubectl(state: TunnelState): void {
  if (state.kubectlPid && isOurKubectl(state.kubectlPid, state)) killGroup(state.kubectlPid, 'SIGKILL');
}

function isOurKubectl(pid: number, state: TunnelState): boolean {
  const commandLine = liveCommandLine(pid);
  if (commandLine === undefined) return false;
  // redis-server rewrites its command line to "redis-server <first bind address>:<port>".
  if (state.mode === 'local') return commandLine.includes('redis-server') && commandLine.includes(`:${state.port}`);
  return commandLine.includes('port-forward') && commandLine.includes(`deployment/${state.deployment}`);
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
 * supervisors), on the workspace's one lock (src/core/lock.ts): a waiting command says whom it waits
 * for, and a lock left by a dead command, or by a pid since reused, is taken over at once.
 */
export async function withTunnelLock<T>(
  paths: WorkspacePaths,
  timeoutMs: number,
  body: () => Promise<T>,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  /** Only for stopping: a logs/ that refuses the lock file does not stop it (core/lock.ts withLockIfWritable). */
  unwritable?: (problem: string) => void,
): Promise<T> {
  return withLockIfWritable(
    lockFile(paths),
    {
      subject: 'the Redis tunnel',
      purpose: 'managing the Redis tunnel',
      log: (line) => log(`Redis tunnel: ${line}`),
      timeoutMs,
      timeoutError: (message, fix) => new TunnelError(`the Redis tunnel is ${message}`, { fix }),
    },
    () => body(),
    unwritable,
  );
}

export function lockFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'redis-tunnel.lock');
}

function rotateLog(log: string): void {
  if (existsSync(log) && statSync(log).size > MAX_LOG_BYTES) renameSync(log, `${log}.1`);
}
