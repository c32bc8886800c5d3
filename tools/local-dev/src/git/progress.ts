/**
 * Live progress for a clone, as a few readable lines instead of git's carriage-return bar.
 *
 * git clone --progress rewrites one line per phase with "\r". Printed raw into Nx's parallel output
 * that is noise; not printed at all, a one-minute clone looks hung. So we keep git's latest state
 * and print it at most every `intervalMs`, plus a heartbeat when git has said nothing new.
 * Pure: chunks and clock readings in, lines out; the caller owns the timer.
 */

export interface ProgressState {
  phase: string;
  percent?: number;
  /** e.g. "12.40 MiB | 3.10 MiB/s" when git reports it. */
  detail?: string;
}

const PROGRESS_LINE = /^(?:remote: )?([A-Z][A-Za-z ]+?):\s+(\d{1,3})% \(\d+\/\d+\)(?:,\s*([^,]*?\|[^,]*?))?(?:, done\.?)?\s*$/;

/** The last progress state in a chunk of git's stderr, if it has one. */
export function parseProgress(chunk: string): ProgressState | undefined {
  const pieces = chunk
    .split(/\r\n|\r|\n/)
    .map((piece) => piece.trim())
    .filter(Boolean);
  for (let i = pieces.length - 1; i >= 0; i--) {
    const match = PROGRESS_LINE.exec(pieces[i]);
    if (match) return { phase: match[1].toLowerCase(), percent: Number(match[2]), detail: match[3]?.trim() || undefined };
  }
  return undefined;
}

export function formatProgress(state: ProgressState, elapsedMs: number): string {
  const seconds = Math.round(elapsedMs / 1000);
  const detail = state.detail ? `, ${state.detail}` : '';
  return `${state.phase} ${state.percent ?? 0}%${detail} (${seconds} s)`;
}

export class ProgressThrottle {
  private latest: ProgressState | undefined;
  private lastPrinted = '';
  private lastPrintAt: number;

  constructor(
    private readonly startedAt: number,
    private readonly intervalMs = 3000,
  ) {
    this.lastPrintAt = startedAt;
  }

  /** Remembers git's newest state; never prints by itself (so fast clones stay quiet). */
  feed(chunk: string): void {
    const state = parseProgress(chunk);
    if (state) this.latest = state;
  }

  /** A line to print now, or undefined when it is too early or nothing changed worth saying. */
  tick(now: number): string | undefined {
    if (now - this.lastPrintAt < this.intervalMs) return undefined;
    const line = this.latest
      ? formatProgress(this.latest, now - this.startedAt)
      : `still waiting for the remote (${Math.round((now - this.startedAt) / 1000)} s)`;
    this.lastPrintAt = now;
    // The same state again means git is stalled: say so, so the user knows we are alive.
    const sameAsBefore = this.latest && line.replace(/\(\d+ s\)$/, '') === this.lastPrinted.replace(/\(\d+ s\)$/, '');
    this.lastPrinted = line;
    return sameAsBefore ? `${line} — no progress from git since the last line` : line;
  }
}
