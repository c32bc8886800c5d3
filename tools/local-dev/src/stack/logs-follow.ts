/**
 * Streaming `docker logs` with constant memory, for `stack:logs` and `make logs`.
 *
 * `--follow` runs for hours and may pass gigabytes, so nothing here keeps what it printed: the
 * exec helper (execa's buffering) did, until its 100 MB cap ended the follow with an error.
 * Output goes to writable streams, and a reader that stops reading (a paused terminal, `| less`)
 * pauses `docker logs` through backpressure instead of piling its output up in memory.
 *
 * Several services are merged in time order as they stream (`docker logs --timestamps`): each of
 * the 2 × services sources (stdout and stderr of each container) is already in time order, so a
 * line may go out once every open source has shown its next line, or once it has been held
 * HOLD_MS (a quiet service must not stop the others), or when a source holds MAX_HELD_CHARS
 * (memory stays bounded). A line arriving later than that with an older time is printed when it
 * arrives, out of order. Lines longer than MAX_LINE_CHARS are cut into pieces, each with its prefix.
 */
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import execa from 'execa';
import { ChildProcessError } from '../core/errors';

/** How long a line may wait for an older one from another service; also the delay of live lines. */
export const HOLD_MS = 200;
/** How long the first lines wait for every `docker logs` to answer (the CLI takes a moment to start). */
export const STARTUP_HOLD_MS = 1000;
/** What one source may hold before its oldest lines go out regardless (characters). */
export const MAX_HELD_CHARS = 256 * 1024;
/** A longer line is cut into pieces of this size (characters), so one unterminated line cannot grow without bound. */
export const MAX_LINE_CHARS = 64 * 1024;
/** What a failure keeps of `docker logs`' own stderr, for its message (characters). */
const ERROR_TAIL_CHARS = 4096;

export interface TimedLine {
  service: string;
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as docker prints it; sorts as text. */
  time: string;
  text: string;
}

/**
 * Pure: a time that sorts as text. Docker pads the fraction to nine digits, but RFC 3339 (and Go's
 * RFC3339Nano, which other engines print) drops trailing zeros: "…:02.1Z" would sort after "…:02.12Z".
 */
export function sortableTime(time: string): string {
  const match = /^([^.]*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  return match ? `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}${match[3]}` : time;
}

export interface LogsOutput {
  stdout: Writable;
  stderr: Writable;
}

/** A piece of the stream: a whole line, or (`cut`) the first MAX_LINE_CHARS of a longer one that continues in the next piece. */
export interface LinePiece {
  text: string;
  cut: boolean;
}

/** Cuts a text stream into lines, never holding more than `maxLine` characters of an unfinished one. */
export class BoundedLineSplitter {
  private rest = '';
  constructor(private readonly maxLine = MAX_LINE_CHARS) {}
  push(chunk: string): LinePiece[] {
    const pieces: LinePiece[] = [];
    let text = this.rest + chunk;
    let newline = text.indexOf('\n');
    let start = 0;
    while (newline !== -1 || text.length - start >= this.maxLine) {
      if (newline !== -1 && newline - start <= this.maxLine) {
        pieces.push({ text: text.slice(start, newline), cut: false });
        start = newline + 1;
      } else {
        pieces.push({ text: text.slice(start, start + this.maxLine), cut: true });
        start += this.maxLine;
      }
      newline = text.indexOf('\n', start);
    }
    text = text.slice(start);
    this.rest = text;
    return pieces;
  }
  /** The unfinished last line, once the stream has ended. */
  flush(): LinePiece[] {
    const rest = this.rest;
    this.rest = '';
    return rest === '' ? [] : [{ text: rest, cut: false }];
  }
}

interface HeldLine {
  line: TimedLine;
  key: string;
  arrivedAt: number;
}

/**
 * Pure (time is passed in): merges sources that are each in time order into one, holding at most
 * `maxHeldChars` per source. `groups[source]` says which `docker logs` a source belongs to: until
 * each has said something (or ended), the first lines wait up to `startupHoldMs`.
 */
export class TimeOrderedMerge {
  private readonly queues: HeldLine[][];
  private readonly heads: number[];
  private readonly held: number[];
  private readonly open: boolean[];
  private readonly groupSpoke: Set<number> = new Set();
  private readonly groupCount: number;

  constructor(
    private readonly groups: readonly number[],
    private readonly startedAt: number,
    private readonly limits = { holdMs: HOLD_MS, startupHoldMs: STARTUP_HOLD_MS, maxHeldChars: MAX_HELD_CHARS },
  ) {
    this.queues = groups.map(() => []);
    this.heads = groups.map(() => 0);
    this.held = groups.map(() => 0);
    this.open = groups.map(() => true);
    this.groupCount = new Set(groups).size;
  }

  push(source: number, line: TimedLine, now: number): void {
    this.queues[source].push({ line, key: sortableTime(line.time), arrivedAt: now });
    this.held[source] += line.text.length;
    this.groupSpoke.add(this.groups[source]);
  }

  end(source: number): void {
    this.open[source] = false;
    this.groupSpoke.add(this.groups[source]);
  }

  isFull(source: number): boolean {
    return this.held[source] >= this.limits.maxHeldChars;
  }

  /** Lines held, all sources together. */
  get size(): number {
    return this.queues.reduce((sum, queue, source) => sum + queue.length - this.heads[source], 0);
  }

  /** The next line to print at `now`, or undefined when every held line may still be passed by an older one. */
  next(now: number): TimedLine | undefined {
    let chosen = -1;
    let everyOpenSourceHasOne = true;
    let anyFull = false;
    let oldestArrival = Number.POSITIVE_INFINITY;
    for (let source = 0; source < this.queues.length; source++) {
      const head = this.queues[source][this.heads[source]];
      if (!head) {
        if (this.open[source]) everyOpenSourceHasOne = false;
        continue;
      }
      anyFull ||= this.isFull(source);
      oldestArrival = Math.min(oldestArrival, head.arrivedAt);
      if (chosen === -1 || head.key < this.queues[chosen][this.heads[chosen]].key) chosen = source;
    }
    if (chosen === -1) return undefined;
    const waitedEnough = now >= this.releaseAt(oldestArrival);
    if (!everyOpenSourceHasOne && !anyFull && !waitedEnough) return undefined;
    return this.take(chosen);
  }

  /** When a held line may go out without anything else happening (undefined: nothing is held). */
  wakeAt(): number | undefined {
    let oldestArrival = Number.POSITIVE_INFINITY;
    for (let source = 0; source < this.queues.length; source++) {
      const head = this.queues[source][this.heads[source]];
      if (head) oldestArrival = Math.min(oldestArrival, head.arrivedAt);
    }
    return oldestArrival === Number.POSITIVE_INFINITY ? undefined : this.releaseAt(oldestArrival);
  }

  private releaseAt(arrivedAt: number): number {
    const held = arrivedAt + this.limits.holdMs;
    return this.groupSpoke.size === this.groupCount ? held : Math.max(held, this.startedAt + this.limits.startupHoldMs);
  }

  private take(source: number): TimedLine {
    const queue = this.queues[source];
    const { line } = queue[this.heads[source]++];
    this.held[source] -= line.text.length;
    // Drop the lines already taken now and then, so the array does not keep them (amortised O(1)).
    if (this.heads[source] === queue.length) {
      queue.length = 0;
      this.heads[source] = 0;
    } else if (this.heads[source] >= 1024) {
      queue.splice(0, this.heads[source]);
      this.heads[source] = 0;
    }
    return line;
  }
}

/** Pure: one piece of `docker logs --timestamps` output → its time and text; a continued piece keeps the time of its line. */
export function timedPiece(service: string, stream: 'stdout' | 'stderr', piece: string, continuesAt: string | undefined): TimedLine {
  if (continuesAt !== undefined) return { service, stream, time: continuesAt, text: piece };
  const space = piece.indexOf(' ');
  return space > 0 ? { service, stream, time: piece.slice(0, space), text: piece.slice(space + 1) } : { service, stream, time: '', text: piece };
}

/**
 * `docker <args>` with its output handed on as it comes (never buffered: execa's `buffer: false`;
 * execa still ends the child when this process exits). `attach` gets its output streams and a
 * function that ends it. Resolves when the child has exited and its output ended; rejects with a
 * ChildProcessError carrying the end of its stderr.
 */
export async function streamDocker(args: readonly string[], attach: (stdout: Readable, stderr: Readable, stop: () => void) => void): Promise<void> {
  const child = execa('docker', [...args], { buffer: false, stdin: 'ignore', reject: false });
  let errorTail = '';
  child.stderr!.on('data', (chunk: Buffer | string) => {
    errorTail = (errorTail + chunk.toString()).slice(-ERROR_TAIL_CHARS);
  });
  attach(child.stdout!, child.stderr!, () => child.kill('SIGTERM'));
  const [result] = await Promise.all([child, finished(child.stdout!).catch(() => undefined), finished(child.stderr!).catch(() => undefined)]);
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new ChildProcessError('docker', args, null, 'docker: command not found', { fix: 'install docker or put it on PATH', notStarted: true });
  }
  if (result.exitCode !== 0 || result.failed) {
    throw new ChildProcessError('docker', args, result.exitCode ?? null, errorTail.trim(), { signal: result.signal });
  }
}

/** One service's output, as `docker logs` prints it (no prefix): piped straight through. */
export function pipeOne(args: readonly string[], output: LogsOutput): Promise<void> {
  return streamDocker(args, (stdout, stderr) => {
    stdout.pipe(output.stdout, { end: false });
    stderr.pipe(output.stderr, { end: false });
  });
}

export interface MergeRequest {
  /** Service → the `docker logs --timestamps` arguments of its container. */
  followers: ReadonlyMap<string, readonly string[]>;
  prefix: ReadonlyMap<string, string>;
  output: LogsOutput;
}

/** Several services' logs, each line with its prefix, in time order as they stream (see the header). */
export async function mergeStreaming(request: MergeRequest): Promise<void> {
  const services = [...request.followers.keys()];
  const streams = ['stdout', 'stderr'] as const;
  const merge = new TimeOrderedMerge(
    services.flatMap((_, group) => [group, group]),
    Date.now(),
  );
  const readables: Readable[] = [];
  const stops: Array<() => void> = [];
  let blocked: Writable | undefined;
  let timer: NodeJS.Timeout | undefined;

  const pump = () => {
    clearTimeout(timer);
    timer = undefined;
    while (!blocked) {
      const line = merge.next(Date.now());
      if (!line) break;
      const target = request.output[line.stream];
      if (!target.write(`${request.prefix.get(line.service)}${line.text}\n`)) {
        blocked = target;
        target.once('drain', () => {
          blocked = undefined;
          pump();
        });
      }
    }
    if (blocked) return;
    // Room again: sources paused for a full queue or a blocked reader read on.
    readables.forEach((readable, source) => readable.isPaused() && !merge.isFull(source) && readable.resume());
    const wake = merge.wakeAt();
    if (wake !== undefined) timer = setTimeout(pump, Math.max(0, wake - Date.now()));
  };

  const follow = (service: string, group: number) =>
    streamDocker(request.followers.get(service)!, (stdout, stderr, stop) => {
      stops.push(stop);
      [stdout, stderr].forEach((readable, index) => {
        const source = group * 2 + index;
        const splitter = new BoundedLineSplitter();
        let continuesAt: string | undefined;
        readables[source] = readable;
        const add = (pieces: LinePiece[]) => {
          for (const piece of pieces) {
            const line = timedPiece(service, streams[index], piece.text, continuesAt);
            continuesAt = piece.cut ? line.time : undefined;
            merge.push(source, line, Date.now());
          }
        };
        readable.setEncoding('utf8');
        readable.on('data', (chunk: string) => {
          add(splitter.push(chunk));
          pump();
          if (blocked || merge.isFull(source)) readable.pause();
        });
        readable.on('end', () => {
          add(splitter.flush());
          merge.end(source);
          pump();
        });
      });
    });

  try {
    await Promise.all(services.map(follow));
    // Every source has ended, so nothing older can come: what is held goes out as fast as the reader takes it.
    while (merge.size > 0) {
      if (blocked) await new Promise((resolve) => blocked!.once('drain', resolve));
      else pump();
    }
  } catch (error) {
    // One `docker logs` failed: the others stop too, and the error says why.
    stops.forEach((stop) => stop());
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
