/**
 * The engine's events: the past ones of a time window (how a container ended) and a followed stream
 * (the dashboard re-gathers on change), over the local socket when there is one (engine.ts) and by
 * `docker events` otherwise, with one event shape.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { DockerError } from '../core/errors';
import { ENGINE_DOWN_FIX } from './cli';
import { localEngineSocket } from './engine';
import { cliQuery, QUERY_TIMEOUT_MS } from './queries';

/** One engine event, as the API and `docker events --format '{{json .}}'` both give it. */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> | null };
  /** Nanoseconds since the epoch. */
  timeNano: number;
}

/** Which events: the API's filters (`label`: "key=value"; `type`: container, image …; `event`: die, start …; `container`: ids). */
export type EventFilters = Partial<Record<'label' | 'type' | 'event' | 'container', string[]>>;

/** Pure: the filters as the CLI's `--filter k=v` arguments. */
export function eventFilterArgs(filters: EventFilters): string[] {
  return Object.entries(filters).flatMap(([key, values]) => (values ?? []).flatMap((value) => ['--filter', `${key}=${value}`]));
}

/** Pure: one line of the event stream → the event (undefined for a blank or partial line). */
export function parseEventLine(line: string): EngineEvent | undefined {
  if (line.trim() === '') return undefined;
  const event = JSON.parse(line) as EngineEvent & { time?: number };
  // Old engines give only whole seconds.
  return { ...event, timeNano: event.timeNano ?? (event.time ?? 0) * 1e9 };
}

/**
 * The events the engine still remembers between two times (seconds since the epoch). The engine
 * keeps only its last 256 events in memory, none across its own restart: an empty answer means
 * "not known any more", not "nothing happened".
 */
export async function pastEvents(filters: EventFilters, since: number, until: number, timeoutMs = QUERY_TIMEOUT_MS): Promise<EngineEvent[]> {
  const socket = localEngineSocket();
  const times = { since: since.toFixed(3), until: until.toFixed(3) };
  if (socket) {
    const events: EngineEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new DockerError(`the Docker engine did not answer GET /events within ${Math.ceil(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const stop = streamLines(
        socket,
        `/events?since=${times.since}&until=${times.until}&filters=${encodeURIComponent(JSON.stringify(filters))}`,
        (line) => {
          const event = parseEventLine(line);
          if (event) events.push(event);
        },
        (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        },
      );
    });
    return events;
  }
  const output = await cliQuery(['events', '--since', times.since, '--until', times.until, ...eventFilterArgs(filters), '--format', '{{json .}}'], timeoutMs);
  return output.split('\n').flatMap((line) => parseEventLine(line) ?? []);
}

/**
 * Calls `onEvent` with each new engine event matching `filters` until the returned function is
 * called; `onEnd` once if the stream ends by itself (the engine stopped or restarted). Over the
 * socket this is one long HTTP request; otherwise one `docker events` child.
 */
export function followEvents(filters: EventFilters, onEvent: (event: EngineEvent) => void, onEnd: (error: Error | undefined) => void): () => void {
  let stopped = false;
  const ended = (error: Error | undefined) => {
    if (!stopped) onEnd(error);
    stopped = true;
  };
  const handle = (line: string) => {
    const event = parseEventLine(line);
    if (event && !stopped) onEvent(event);
  };
  const socket = localEngineSocket();
  if (socket) {
    const stop = streamLines(socket, `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`, handle, ended);
    return () => {
      stopped = true;
      stop();
    };
  }
  const child = spawn('docker', ['events', ...eventFilterArgs(filters), '--format', '{{json .}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  // As on the socket: a line that is not an event (a partial one flushed as the child is killed)
  // ends the stream with an error the caller handles; thrown from a stream handler it would end the process.
  splitLines(child.stdout, (line) => {
    try {
      handle(line);
    } catch (error) {
      child.kill('SIGTERM');
      ended(new DockerError(`docker events printed a line that is not an event (${(error as Error).message}): ${line.slice(0, 200)}`));
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-2000)));
  child.on('error', (error) => ended(new DockerError(`docker events failed: ${error.message}`)));
  child.on('close', (code) => ended(new DockerError(`docker events ended (exit code ${code}): ${stderr.trim().split('\n').pop() ?? ''}`)));
  return () => {
    stopped = true;
    child.kill('SIGTERM');
  };
}

/** Splits a stream into lines, calling `onLine` with each complete one. */
function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = '';
  stream.on('data', (chunk: Buffer | string) => {
    const lines = `${partial}${chunk.toString()}`.split('\n');
    partial = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  stream.on('end', () => {
    if (partial !== '') onLine(partial);
    partial = '';
  });
}

/** A GET over the socket whose body is read line by line as it comes (the events stream); the returned function ends it. */
function streamLines(socket: string, requestPath: string, onLine: (line: string) => void, onEnd: (error: Error | undefined) => void): () => void {
  let done = false;
  const end = (error: Error | undefined) => {
    if (!done) onEnd(error);
    done = true;
  };
  const request = http.request({ socketPath: socket, method: 'GET', path: requestPath, headers: { Host: 'docker' } }, (response) => {
    if (response.statusCode !== 200) {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        end(new DockerError(`the Docker engine refused GET ${requestPath.split('?')[0]} (HTTP ${response.statusCode}): ${body.trim().slice(0, 200)}`)),
      );
      return;
    }
    splitLines(response, (line) => {
      try {
        onLine(line);
      } catch (error) {
        request.destroy();
        end(error as Error);
      }
    });
    response.on('end', () => end(undefined));
    response.on('error', (error) => end(new DockerError(`the Docker engine's event stream broke: ${error.message}`)));
  });
  request.on('error', (error) =>
    end(
      new DockerError(`cannot reach the Docker engine at ${socket}: ${error.message}`, {
        fix: ENGINE_DOWN_FIX,
        cause: error,
      }),
    ),
  );
  request.end();
  return () => {
    done = true;
    request.destroy();
  };
}
