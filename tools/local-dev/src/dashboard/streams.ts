/**
 * The IO behind the page's two live text streams: the engine side of the log followers
 * (followers.ts: which container a service shows, `docker logs --follow`, the engine's events for
 * starts) and the current run's build output (logs/build_output.log, followed as it grows).
 *
 * The `docker logs` children are spawned here rather than through the exec helper, which waits
 * for an end that --follow never reaches. They stay in the dashboard's process group, which
 * `stack:stop` ends as a whole (daemon.ts), and each is ended as soon as no page needs it.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../core/errors';
import { buildOutputFile } from '../core/run-record';
import type { WorkspacePaths } from '../core/workspace';
import { LABELS, workspaceId } from '../core/naming';
import { followEvents, type EventFilters } from '../docker/events';
import { workspaceContainers } from '../docker/cli';
import { containersToShow, logsArgs } from '../stack/logs';
import { BoundedLineSplitter, type LinePiece } from '../stack/logs-follow';
import type { LogEngine, LogLine } from './followers';

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/**
 * Pure: a line of `docker logs --timestamps` → its time and text. Docker's own complaints (on
 * stderr too) have no time: the whole line is text, never a first word taken for a time.
 */
export function splitTimestamp(line: string): { time: string | undefined; text: string } {
  const match = TIMESTAMP.exec(line);
  return match ? { time: match[1], text: line.slice(match[0].length) } : { time: undefined, text: line };
}

/** Pure: the engine events that mean "a container of this workspace started". */
export function startEvents(workspaceRoot: string): EventFilters {
  return { label: [`${LABELS.workspace}=${workspaceId(workspaceRoot)}`], type: ['container'], event: ['start'] };
}

/** The engine of followers.ts for this workspace's containers, through the real docker CLI. */
export function workspaceLogEngine(workspaceRoot: string): LogEngine {
  return {
    containers: async (services) => {
      const containers = await workspaceContainers(workspaceRoot);
      let shown: Map<string, string>;
      try {
        ({ shown } = containersToShow(services, containers));
      } catch (error) {
        // "None of them has a container" refuses `stack:logs`; for a page it is only "nothing yet".
        if (error instanceof UsageError) return new Map();
        throw error;
      }
      const running = new Set(containers.filter((container) => container.state === 'running').map((container) => container.id));
      return new Map([...shown].map(([service, id]) => [service, { id, running: running.has(id) }]));
    },
    follow: (containerId, options, line, ended) => {
      // A piece after a cut continues its line: it has the line's time, and no time of its own.
      const continuesAt: Record<LogLine['stream'], string | undefined> = { stdout: undefined, stderr: undefined };
      // Its stderr is the container's stderr (docker's own complaint too, shown as the service's line).
      return spawnLines(
        logsArgs(containerId, { follow: true, tail: options.tail, since: options.since, timestamps: true }),
        (stream, piece) => {
          const continued = continuesAt[stream];
          const { time, text } = continued !== undefined ? { time: continued, text: piece.text } : splitTimestamp(piece.text);
          continuesAt[stream] = piece.cut ? (time ?? '') : undefined;
          line(stream, time || undefined, text);
        },
        ended,
      );
    },
    watchStarts: (started, ended) =>
      followEvents(
        startEvents(workspaceRoot),
        (event) => {
          const service = event.Actor.Attributes?.[LABELS.service];
          if (service) started(service, event.Actor.ID);
        },
        (error) => ended(error?.message ?? 'the engine ended its event stream'),
      ),
  };
}

/**
 * Runs `docker <args>`, each line of its output to `line` (a line longer than MAX_LINE_CHARS in
 * pieces, as it arrives: a container printing without newlines cannot grow the dashboard), then
 * `ended` once: undefined after a clean exit or once stopped, else what went wrong. Returns the
 * function that stops it.
 */
function spawnLines(args: string[], line: (stream: LogLine['stream'], piece: LinePiece) => void, ended: (failure: string | undefined) => void): () => void {
  const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stopped = false;
  let spawnFailure: string | undefined;
  for (const stream of ['stdout', 'stderr'] as const) {
    const splitter = new BoundedLineSplitter();
    // Decoded as a stream: a character split between two chunks stays one character.
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk: string) => splitter.push(chunk).forEach((piece) => line(stream, piece)));
    child[stream].on('end', () => splitter.flush().forEach((piece) => line(stream, piece)));
  }
  // No docker on PATH: 'close' still follows.
  child.on('error', (error) => (spawnFailure = error.message));
  child.on('close', (code, signal) =>
    ended(stopped ? undefined : (spawnFailure ?? (code === 0 ? undefined : `docker ${args[0]} exited with ${code ?? signal}`))),
  );
  return () => {
    stopped = true;
    child.kill('SIGTERM');
  };
}

/** Pure: what to send when the file went from `before` to `now`: the new tail, or the whole text when it was replaced. */
export function outputChange(before: string, now: string): { reset: boolean; text: string } | undefined {
  if (now === before) return undefined;
  if (now.startsWith(before)) return { reset: false, text: now.slice(before.length) };
  return { reset: true, text: now };
}

export type BuildOutputSend = (change: { reset: boolean; text: string }, whole: string) => void;

/**
 * Follows logs/build_output.log (checked every `intervalMs`), sending its text (as a reset: a page
 * that reconnects shows it once, not twice), then each change (with the whole text, for a page that
 * missed changes while it did not read).
 */
export function followBuildOutput(paths: WorkspacePaths, send: BuildOutputSend, intervalMs = 1000): () => void {
  const file = buildOutputFile(paths);
  let seen: string | undefined;
  let stamp = '';
  const read = () => {
    let now: string;
    try {
      const stat = statSync(file);
      const next = `${stat.mtimeMs}:${stat.size}`;
      if (next === stamp) return;
      stamp = next;
      now = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        // Unreadable (permissions): said on the page, and tried again next time.
        const text = `(cannot read ${file}: ${(error as Error).message})\n`;
        send({ reset: true, text }, text);
        stamp = '';
        // So that the text, once readable, replaces this message.
        seen = text;
        return;
      }
      now = '';
    }
    const change = seen === undefined ? { reset: true, text: now } : outputChange(seen, now);
    seen = now;
    if (change) send(change, now);
  };
  read();
  const timer = setInterval(read, intervalMs);
  return () => clearInterval(timer);
}
