/**
 * How a container that does not run any more came to stop: stopped by someone (which signal, and
 * who when that is known), exited by itself with 0, or crashed. Pure: the stack model (model.ts)
 * asks it for the service's state and problem, so `status` and the dashboard say the same.
 */
import { signalName, type ContainerFacts } from './docker-facts';
import type { LockFacts } from './facts';

/** How a container that does not run any more came to stop (containerEnd decides). */
export interface ContainerEnd {
  /** stopped: someone sent it a signal; exited: its process ended by itself with 0; crashed: by itself otherwise, out of memory, or it could not start. */
  how: 'stopped' | 'exited' | 'crashed';
  exitCode: number;
  /** The signal sent to it (`docker stop`: SIGTERM), or that its exit code says ended it (143: SIGTERM). */
  signal: string | undefined;
  /** Who stopped it, when known: local-dev (its command), or `docker stop` / `docker kill` from outside local-dev. */
  by: string | undefined;
  at: string | undefined;
  /** What happened, for people: "stopped by `docker stop` from outside local-dev (SIGTERM; exit code 143)". */
  summary: string;
}

/** Signals that stop a process on purpose: an exit code of 128 + one of them is a stop, when nothing says otherwise. */
const STOP_SIGNALS = new Set(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

/**
 * Pure: how a container that does not run came to stop, or undefined while it runs or starts.
 *
 * The engine's events decide when it still has them: a signal sent through Docker before the
 * death is a stop (143 or 137 after `docker stop`/`kill` is no crash); no signal sent means the
 * process ended by itself: 0 is "exited", anything else "crashed" (even 143). Without events (the
 * engine keeps only its last 256, none across its restart) the exit code is all there is: 0
 * exited, 128 + SIGTERM/SIGKILL/SIGINT/SIGHUP/SIGQUIT stopped by someone unknown, else crashed.
 * An OOM kill, or a container the engine could not start, crashed. local-dev's own `down`,
 * `stop` and `up` remove the containers they stop; only a local-dev command holding the service's
 * lock (a `restart` under way) stops one and leaves it: then local-dev is named.
 */
export function containerEnd(container: ContainerFacts, lock: LockFacts | undefined): ContainerEnd | undefined {
  const at = container.finishedAt;
  const exitCode = container.exitCode;
  const exitSignal = exitCode > 128 && exitCode < 160 ? signalName(exitCode - 128) : undefined;
  const code = `exit code ${exitCode}${exitSignal ? `: ${exitSignal}` : ''}`;
  const crashed = (why: string): ContainerEnd => ({ how: 'crashed', exitCode, signal: exitSignal, by: undefined, at, summary: `crashed (${why})` });
  if (container.status === 'created' || container.status === 'restarting') {
    // Docker's restart policy restarting it after a crash, or an engine that could not start it: both are failures.
    if (container.error !== '') return crashed(`could not start: ${container.error}`);
    return container.status === 'restarting' && exitCode !== 0
      ? crashed(`${code}; Docker's restart policy restarts it, ${`${container.restartCount} restart${container.restartCount === 1 ? '' : 's'}`} so far`)
      : undefined;
  }
  if (container.status !== 'exited' && container.status !== 'dead' && container.status !== 'removing') return undefined;
  if (container.oomKilled || container.end?.oom) return { ...crashed(`killed: out of memory, ${code}`), signal: 'SIGKILL' };
  if (container.error !== '') return crashed(`${code}: ${container.error}`);
  const localDev = lock ? `local-dev (${lock.purpose}: \`${lock.command}\`)` : undefined;
  const { end } = container;
  if (end && end.signals.length > 0) {
    const by = localDev ?? (end.stopCommand ? '`docker stop` from outside local-dev' : '`docker kill` from outside local-dev');
    const signal = end.signals[0];
    const sent = [...new Set(end.signals)].join(', then ');
    return { how: 'stopped', exitCode, signal, by, at, summary: `stopped by ${by} (${sent}; exit code ${exitCode})` };
  }
  if (exitCode === 0) return { how: 'exited', exitCode, signal: undefined, by: undefined, at, summary: 'exited: its process ended by itself (exit code 0)' };
  const stopSignal = exitSignal !== undefined && STOP_SIGNALS.has(exitSignal);
  if (end || !stopSignal) return crashed(end && stopSignal ? `${code}, though nobody sent it a signal through Docker` : code);
  return {
    how: 'stopped',
    exitCode,
    signal: exitSignal,
    by: localDev,
    at,
    summary: `stopped by ${localDev ?? 'someone the engine no longer remembers'} (${code})`,
  };
}
