/**
 * The tunnel's state file, logs/redis-tunnel.json: what the supervisor says about itself.
 *
 * Only the supervisor writes it (atomically: temp file + rename, so a reader never sees half a
 * file). Everyone else — tunnel-up/down/status, the dashboard — reads it with `readTunnelState`,
 * which also checks that the recorded supervisor still lives: a state written by a process that
 * died without saying so is reported as "stale", never as healthy, and a "healthy" whose last PING
 * is older than two check cycles (laptop slept, supervisor stopped or blocked) is reported as
 * "unverified", never as healthy.
 */
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from '../core/atomic-write';
import { liveCommandLine } from '../core/proc';
import type { WorkspacePaths } from '../core/workspace';
import { DEFAULT_TIMINGS, freshnessBoundMs, type TunnelTarget } from './plan';
import { makePrivateDir } from '../core/private-dir';

/**
 * What the supervisor writes: starting, healthy, degraded, stopped (cleanly, or after a permanent
 * kubectl error, then with lastError), crashed (a bug in the supervisor; lastError says which).
 * 'unverified' is never written: readTunnelState reports it for a healthy state whose last check is
 * too old to trust.
 */
export type TunnelStatus = 'starting' | 'healthy' | 'unverified' | 'degraded' | 'stopped' | 'crashed';

export interface TunnelErrorInfo {
  /** The kind of problem (kubectl-errors.ts' KubectlProblemKind, or 'supervisor-crashed'). */
  kind?: string;
  /** What went wrong, in kubectl's words when kubectl said it. */
  message: string;
  fix: string;
  /** Retrying will not help (wrong namespace, no permission …). */
  permanent: boolean;
  at: string;
}

/** The pid recorded for a tunnel that could not start at all (no kubectl, no context, port taken). */
export const NO_SUPERVISOR_PID = 0;

export interface TunnelState extends TunnelTarget {
  /** The supervisor's pid; NO_SUPERVISOR_PID when none was started. */
  pid: number;
  status: TunnelStatus;
  /** kubectl restarts after the first start. */
  restarts: number;
  /** Failed attempts in a row since the last healthy check (0 or absent while healthy). */
  failures?: number;
  lastError?: TunnelErrorInfo;
  /** ISO time of the last PING answered through the forward. */
  lastCheckAt?: string;
  /** What the last good PING got: PONG, or NOAUTH (Redis wants a password; the tunnel works). */
  lastReply?: 'PONG' | 'NOAUTH';
  /**
   * 'required' when Redis answered -NOAUTH: traffic reaches a real Redis, which wants the password
   * the services send. Healthy then means "reachable, auth required", and status says so.
   */
  auth?: 'none' | 'required';
  /** A lastCheckAt older than this (ms) is not trusted: see freshnessBoundMs in plan.ts. */
  staleAfterMs?: number;
  kubectlPid?: number;
  /** When the current kubectl was started; tunnel-restart waits for a newer one. */
  kubectlStartedAt?: string;
  startedAt: string;
  updatedAt: string;
}

export function stateFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'redis-tunnel.json');
}

export function logFile(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'redis-tunnel.log');
}

export function writeTunnelState(paths: WorkspacePaths, state: TunnelState): void {
  const file = stateFile(paths);
  makePrivateDir(path.dirname(file), paths.logs);
  writeFileAtomically(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeTunnelState(paths: WorkspacePaths): void {
  rmSync(stateFile(paths), { force: true });
}

export type TunnelReading =
  /** No state file: no tunnel was ever started here (or it was cleaned up). */
  | { condition: 'absent' }
  /** The supervisor runs; `state.status` says how the tunnel is. */
  | { condition: 'running'; state: TunnelState }
  /** The supervisor ended cleanly (tunnel-down or SIGTERM). */
  | { condition: 'stopped'; state: TunnelState }
  /**
   * The supervisor is gone but never said so (killed, crashed, machine slept and rebooted), or
   * `unconfirmed` says why its pid could not be confirmed either way (then it is never signalled).
   */
  | { condition: 'stale'; state: TunnelState; unconfirmed?: UnconfirmedSupervisor };

/** `platform` is a parameter so that each platform's answer is tested anywhere (core/proc.ts). */
export function readTunnelState(paths: WorkspacePaths, now: Date = new Date(), platform: NodeJS.Platform = process.platform): TunnelReading {
  let text: string;
  try {
    text = readFileSync(stateFile(paths), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { condition: 'absent' };
    throw error;
  }
  let state: TunnelState;
  try {
    state = JSON.parse(text) as TunnelState;
  } catch {
    // Only the supervisor writes it, atomically; unreadable means someone edited it by hand.
    // Treat it like a crashed supervisor's state so tunnel-up replaces it.
    return { condition: 'stale', state: unreadableState() };
  }
  const supervisor = judgeSupervisor(liveCommandLine(state.pid, '', platform));
  if (supervisor === 'ours') return { condition: 'running', state: withCheckedFreshness(state, now) };
  if (state.status === 'stopped') return { condition: 'stopped', state };
  return supervisor === 'unconfirmed' ? { condition: 'stale', state, unconfirmed: unconfirmedSupervisor(state.pid) } : { condition: 'stale', state };
}

/** A healthy state whose last good PING is older than its bound reads as 'unverified'. */
export function withCheckedFreshness(state: TunnelState, now: Date): TunnelState {
  if (state.status !== 'healthy') return state;
  return checkAgeMs(state, now) > (state.staleAfterMs ?? freshnessBoundMs(DEFAULT_TIMINGS)) ? { ...state, status: 'unverified' } : state;
}

/** Milliseconds since the last good PING; Infinity when there was none. */
export function checkAgeMs(state: TunnelState, now: Date): number {
  return state.lastCheckAt ? now.getTime() - new Date(state.lastCheckAt).getTime() : Number.POSITIVE_INFINITY;
}

function unreadableState(): TunnelState {
  const now = new Date(0).toISOString();
  return { pid: 0, namespace: '?', deployment: '?', port: 0, addresses: [], status: 'stopped', restarts: 0, startedAt: now, updatedAt: now };
}

/** The file name every supervisor's command line contains; tells our supervisor from a reused pid. */
export const SUPERVISOR_ENTRY_NAME = 'supervisor-main';

/** What the pid recorded as the supervisor is now. */
export type SupervisorCheck =
  /** A running process whose command line is the supervisor's. */
  | 'ours'
  /** No process has it, or another program does (a pid reused after a reboot). */
  | 'gone'
  /** Some process has it, but this system does not show its command line: it may be anyone's. */
  | 'unconfirmed';

/**
 * Pure: the recorded pid's command line as core/proc.ts's liveCommandLine reads it (undefined: no
 * such process, a zombie, or a reused pid; '': it runs but its command line cannot be read) → whose
 * it is. Only 'ours' may be signalled: a pid that cannot be confirmed is never signalled.
 */
export function judgeSupervisor(commandLine: string | undefined): SupervisorCheck {
  if (commandLine === undefined) return 'gone';
  if (commandLine === '') return 'unconfirmed';
  return commandLine.includes(SUPERVISOR_ENTRY_NAME) ? 'ours' : 'gone';
}

/** True only when `pid` is confirmed to be a live local-dev tunnel supervisor (then it may be signalled). */
export function isSupervisorAlive(pid: number, platform: NodeJS.Platform = process.platform): boolean {
  return judgeSupervisor(liveCommandLine(pid, '', platform)) === 'ours';
}

export interface UnconfirmedSupervisor {
  message: string;
  fix: string;
}

/** What every reader says about a recorded supervisor pid that runs but cannot be confirmed as ours. */
export function unconfirmedSupervisor(pid: number): UnconfirmedSupervisor {
  return {
    message: `pid ${pid}, recorded as the tunnel's supervisor, is running, but this system does not show its command line, so it cannot be confirmed as the supervisor and is not signalled`,
    fix: `if \`ps -p ${pid} -o command=\` shows ${SUPERVISOR_ENTRY_NAME}, stop it by hand with \`kill ${pid}\` (it ends its kubectl too), then run \`nx run redis-tunnel:up\`; if it shows another program, the pid was reused and \`nx run redis-tunnel:up\` starts a new supervisor`,
  };
}
