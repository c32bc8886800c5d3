'use strict';
/**
 * What Nx keeps in memory of a running task's output: its tail, not all of it.
 *
 * Nx 23.3.1 collects every chunk a task prints in an array (`terminalOutputChunks`) and joins it
 * when the task ends, for the cache, the run's results and the summary. A task that runs for hours
 * (`nx run stack:logs --follow`, `make logs`) made the `nx` process grow with everything it
 * followed: 69 MB → 785 MB over 216 MB of logs (bench/logs-follow.ts). scripts/patch-nx.js copies
 * this file into Nx's dist (tasks-runner/local-dev-output-tail.js) and makes Nx collect a task's
 * output in an OutputTail wherever that output is also shown live as it comes: the head is then
 * on the terminal already, and Nx keeps the last KEEP_CHARS of it, after one line that says how
 * much was not kept. Output Nx holds back to print when the task ends (a style that does not
 * stream it) is still kept whole: there, the head is shown nowhere else.
 *
 * Plain JavaScript with no dependencies: it runs inside Nx, from Nx's own folder.
 */

/** What is kept of a task's output (characters; one byte each for the ASCII most logs are). */
const KEEP_CHARS = 8 * 1024 * 1024;
/** Compact the chunk list once this many dropped slots lead it (amortised: no shift() per chunk). */
const COMPACT_AFTER = 1024;

/** The line that stands for the dropped head. */
function notKeptLine(droppedBytes, keptChars) {
  const mb = (droppedBytes / 1e6).toFixed(1);
  const keptMiB = Math.round(keptChars / (1024 * 1024));
  return `[local-dev] the first ${mb} MB of this task's output are not kept here (Nx keeps its last ${keptMiB} MiB); they were shown live as they came\n`;
}

/**
 * Collects a task's output like the array Nx used (push chunks, join('') at the end), keeping
 * only the last `limit` characters. join() starts the tail at a line (the rest of a cut line goes
 * with the head, unless that line is longer than half the limit) after the not-kept line.
 */
class OutputTail {
  constructor(limit = KEEP_CHARS) {
    this.limit = limit;
    this.chunks = [];
    /** Index of the first kept chunk: the ones before it are dropped (undefined). */
    this.first = 0;
    this.keptChars = 0;
    this.droppedBytes = 0;
  }

  push(...chunks) {
    for (const chunk of chunks) this.add(String(chunk));
    return this.chunks.length - this.first;
  }

  add(chunk) {
    this.chunks.push(chunk);
    this.keptChars += chunk.length;
    while (this.keptChars > this.limit) {
      const head = this.chunks[this.first];
      const excess = this.keptChars - this.limit;
      if (head.length <= excess) {
        this.chunks[this.first] = undefined;
        this.first += 1;
        this.keptChars -= head.length;
        this.droppedBytes += Buffer.byteLength(head);
      } else {
        this.chunks[this.first] = head.slice(excess);
        this.keptChars -= excess;
        this.droppedBytes += Buffer.byteLength(head.slice(0, excess));
      }
    }
    if (this.first >= COMPACT_AFTER && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  /** The kept output (Nx calls join('')): all of it, or the not-kept line and the tail from a line start. */
  join(separator = '') {
    const tail = this.chunks.slice(this.first).join(separator);
    if (this.droppedBytes === 0) return tail;
    const newline = tail.indexOf('\n');
    const start = newline === -1 || newline >= this.limit / 2 ? 0 : newline + 1;
    return notKeptLine(this.droppedBytes + Buffer.byteLength(tail.slice(0, start)), this.limit) + tail.slice(start);
  }
}

module.exports = { OutputTail, KEEP_CHARS };
