/**
 * One server-sent-events response, written so that a page that does not read (a stalled
 * connection, a frozen tab, a client that means harm) cannot grow the dashboard's memory: once
 * MAX_BUFFERED_BYTES wait in the socket's buffer, nothing more is queued until it has drained.
 * (Not as soon as `write` returns false, past 16 KiB: the 200 lines a page gets first would
 * already be cut.)
 *
 * - `line` events (log lines) are dropped meanwhile and counted; once the page reads again it gets
 *   one `skipped` event ({lines: N}) and the lines from then on;
 * - `state` events (a snapshot, the build output as a whole) replace each other: only the latest
 *   of each name waits, and is sent once the page reads again.
 *
 * So one stream holds at most MAX_BUFFERED_BYTES plus one event plus one state per name.
 */
import type * as http from 'node:http';

/** What one stream may hold for a page that does not read, beyond the event being written. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/** The browser's EventSource reconnects after this long when the server goes away (restart, stop). */
export const RETRY_MS = 1000;
/** SSE comment lines keep proxies and the browser from treating a quiet stream as dead. */
const KEEPALIVE_MS = 15_000;

/** Pure: one server-sent event. */
export function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class EventStream {
  private blocked = false;
  private skipped = 0;
  private readonly waiting = new Map<string, unknown>();
  private readonly cleanups: (() => void)[] = [];
  private isClosed = false;

  constructor(
    private readonly response: http.ServerResponse,
    headers: Record<string, string>,
  ) {
    response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    this.write(`retry: ${RETRY_MS}\n\n`);
    const keepalive = setInterval(() => {
      if (!this.blocked) this.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    response.on('drain', () => this.drained());
    response.on('close', () => {
      this.isClosed = true;
      clearInterval(keepalive);
      this.waiting.clear();
      for (const cleanup of this.cleanups.splice(0)) cleanup();
    });
  }

  /** The page went away (or the stream was ended). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The page does not read: its buffer is full. */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Runs `cleanup` when the page goes away (now, if it already has). */
  onClose(cleanup: () => void): void {
    if (this.isClosed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** A line of a stream: sent now, or dropped and counted while the page does not read. */
  line(event: string, data: unknown): void {
    if (this.isClosed) return;
    if (this.blocked) this.skipped++;
    else this.write(formatEvent(event, data));
  }

  /** A state that replaces the previous one of its name: sent now, or the latest sent once the page reads again. */
  state(event: string, data: unknown): void {
    if (this.isClosed) return;
    if (this.blocked) {
      // Re-inserted: the waiting states go out in the order they last changed.
      this.waiting.delete(event);
      this.waiting.set(event, data);
    } else this.write(formatEvent(event, data));
  }

  end(): void {
    this.response.end();
  }

  private write(text: string): void {
    // Past the budget `write` has returned false too, so 'drain' follows once the page has read it all.
    this.response.write(text);
    if (this.response.writableLength > MAX_BUFFERED_BYTES) this.blocked = true;
  }

  private drained(): void {
    if (this.isClosed) return;
    this.blocked = false;
    if (this.skipped > 0) {
      const lines = this.skipped;
      this.skipped = 0;
      this.write(formatEvent('skipped', { lines }));
    }
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const [event, data] of waiting) this.state(event, data);
  }
}
