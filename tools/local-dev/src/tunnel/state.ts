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
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from '../core/atomic-write';
import { liveCommandLine } from '../core/proc';
import type { WorkspacePaths } from '../core/workspace';
import { DEFAULT_TIMINGS, freshnessBoundMs, type TunnelTarget } from './plan';

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
  mkdirSync(path.dirname(file), { recursive: true });
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
  /** The supervisor is gone but never said so (killed, crashed, machine slept and rebooted). */
  | { condition: 'stale'; state: TunnelState };

export function readTunnelState(paths: WorkspacePaths, now: Date = new Date()): TunnelReading {
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
  if (isSupervisorAlive(state.pid)) return { condition: 'running', state: withCheckedFreshness(state, now) };
  return state.status === 'stopped' ? { condition: 'stopped', state } : { condition: 'stale', state };
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

/**
 * True when `pid` is a live local-dev tunnel supervisor. Checks the command line on Linux, so a
 * pid reused by an unrelated program after a reboot is not mistaken for ours.
 */
export function isSupervisorAlive(pid: number): boolean {
  const commandLine = liveCommandLine(pid);
  return commandLine !== undefined && (commandLine === '' || commandLine.includes(SUPERVISOR_ENTRY_NAME));
}

