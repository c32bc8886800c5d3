/**
 * The containers' logs of every open page: at most one `docker logs --follow` per service, shared
 * by all the pages that show that service, and none for a service no page shows.
 *
 * A service's follower exists while at least one page shows it; the last page to leave ends its
 * child. It is in one of three states:
 *
 *   looking    its first page arrived: which container to follow is being asked (one docker ps);
 *   following  a `docker logs --follow --timestamps` child runs (it ends when the container stops);
 *   waiting    no container of it runs: nothing runs for it until the engine says one started.
 *
 * "Started" comes from one `docker events` watch shared by all followers (engine.watchStarts),
 * never from asking again every second: a stopped stack costs one idle process, not one
 * `docker logs` per service per second. A start seen while a child still runs (a restart: the old
 * child may end after the new start) is kept and followed as soon as that child ends.
 *
 * Following the same container again resumes after the last line it gave (`--since` that line's
 * time, inclusive, so that one line is dropped once more): a restarted service shows its new lines,
 * not its last 200 again. The last LOG_TAIL lines are kept so that a page joining a running
 * follower gets the same history as the first page did.
 */
import { sortableTime } from '../stack/logs-follow';

export interface LogLine {
  service: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export type LogSend = (line: LogLine) => void;

/** The container shown for a service: a running one first (containersToShow's choice). */
export interface ShownContainer {
  id: string;
  running: boolean;
}

/** What the followers ask of the engine: the IO layer (streams.ts: real docker). */
export interface LogEngine {
  /** The container to show of each of `services` that has one. */
  containers(services: readonly string[]): Promise<Map<string, ShownContainer>>;
  /**
   * Follows a container's log from `since` (at most `tail` earlier lines): each line with the time
   * docker logged it at (undefined for docker's own complaints), then `ended` once (with what went
   * wrong, if anything did). The returned function ends it (then `ended` may still be called).
   */
  follow(
    containerId: string,
    options: { since: string | undefined; tail: number },
    line: (stream: LogLine['stream'], time: string | undefined, text: string) => void,
    ended: (failure: string | undefined) => void,
  ): () => void;
  /** Calls `started` for each container of this workspace that starts, until stopped; `ended` if the watch itself ends. */
  watchStarts(started: (service: string, containerId: string) => void, ended: (failure: string | undefined) => void): () => void;
}

/** Lines shown from before the page opened. */
export const LOG_TAIL = 200;
/**
 * The kept history's bound in characters too (LOG_TAIL lines of up to 64 KiB would be 12 MiB a
 * service): what a new page gets at once fits in the buffer a stream may fill (event-stream.ts).
 */
export const RECENT_CHARS = 512 * 1024;
/** How soon a `docker events` watch that ended (the engine restarting or gone) is started again: doubling up to the max. */
export const WATCH_RETRY_MIN_MS = 1000;
export const WATCH_RETRY_MAX_MS = 30_000;

export const NOTICES = {
  noContainer: '(no container yet: its logs appear here when it starts)',
  stopped: '(stopped: its logs continue here when it starts again)',
};

type State = 'looking' | 'following' | 'waiting';

interface Follower {
  service: string;
  subscribers: Set<LogSend>;
  recent: LogLine[];
  recentChars: number;
  state: State;
  containerId: string | undefined;
  /** Sortable time of the newest line seen from containerId: where following it again resumes. */
  lastTime: string | undefined;
  /** A container that started while this follower was looking or following. */
  startedMeanwhile: string | undefined;
  stop: (() => void) | undefined;
}

/**
 * Adds `line` to the history `recent` (in place: it runs for every line), trimmed to `keep` lines
 * and `maxChars` characters (the newest line always stays); returns the characters it now holds.
 */
export function keepRecent(recent: LogLine[], chars: number, line: LogLine, keep = LOG_TAIL, maxChars = RECENT_CHARS): number {
  recent.push(line);
  let total = chars + line.text.length;
  while (recent.length > 1 && (recent.length > keep || total > maxChars)) total -= recent.shift()?.text.length ?? 0;
  return total;
}

export class LogFollowers {
  private readonly followers = new Map<string, Follower>();
  private stopWatch: (() => void) | undefined;
  private watchRetry: NodeJS.Timeout | undefined;
  private watchRetryMs: number;

  constructor(
    private readonly engine: LogEngine,
    private readonly log: (line: string) => void,
    private readonly retry = { minMs: WATCH_RETRY_MIN_MS, maxMs: WATCH_RETRY_MAX_MS },
  ) {
    this.watchRetryMs = retry.minMs;
  }

  /**
   * Sends `send` the recent and then every new line of `services`' containers until the returned
   * function is called. Registers synchronously: whoever calls it can hand the returned function to
   * its cleanup before anything is awaited.
   */
  subscribe(services: readonly string[], send: LogSend): () => void {
    const fresh: Follower[] = [];
    for (const service of new Set(services)) {
      let follower = this.followers.get(service);
      if (!follower) {
        follower = {
          service,
          subscribers: new Set(),
          recent: [],
          recentChars: 0,
          state: 'looking',
          containerId: undefined,
          lastTime: undefined,
          startedMeanwhile: undefined,
          stop: undefined,
        };
        this.followers.set(service, follower);
        fresh.push(follower);
      }
      follower.subscribers.add(send);
      for (const line of follower.recent) send(line);
    }
    // Watching before asking docker ps: a start between the two is not missed.
    if (this.followers.size > 0) this.watch();
    if (fresh.length > 0) this.lookUp(fresh, false).catch((error: unknown) => this.log(`following logs failed: ${messageOf(error)}`));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      for (const service of new Set(services)) {
        const follower = this.followers.get(service);
        if (!follower) continue;
        follower.subscribers.delete(send);
        if (follower.subscribers.size === 0) this.drop(follower);
      }
    };
  }

  /** Services with a follower, and how many of them have a `docker logs` child running. */
  get counts(): { services: number; following: number } {
    return { services: this.followers.size, following: [...this.followers.values()].filter((follower) => follower.stop !== undefined).length };
  }

  /** Ends every follower's child and the watch (the dashboard is closing). */
  close(): void {
    for (const follower of [...this.followers.values()]) this.drop(follower);
    this.stopWatching();
  }

  private current(follower: Follower): boolean {
    return this.followers.get(follower.service) === follower;
  }

  private drop(follower: Follower): void {
    if (!this.current(follower)) return;
    this.followers.delete(follower.service);
    follower.stop?.();
    follower.stop = undefined;
    if (this.followers.size === 0) this.stopWatching();
  }

  private stopWatching(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    clearTimeout(this.watchRetry);
    this.watchRetry = undefined;
  }

  private emit(follower: Follower, stream: LogLine['stream'], text: string): void {
    const line = { service: follower.service, stream, text };
    follower.recentChars = keepRecent(follower.recent, follower.recentChars, line);
    for (const send of follower.subscribers) send(line);
  }

  /**
   * Which container each of `followers` shows, then follow it. At the first look any container
   * (a stopped one's last lines are still worth showing); on a resync only running ones.
   */
  private async lookUp(followers: Follower[], runningOnly: boolean): Promise<void> {
    let shown: Map<string, ShownContainer>;
    try {
      shown = await this.engine.containers(followers.map((follower) => follower.service));
    } catch (error) {
      const message = messageOf(error);
      for (const follower of followers) {
        if (!this.current(follower) || follower.state !== 'looking') continue;
        this.emit(follower, 'stderr', `(cannot list its containers: ${message}; trying again when Docker says a container started)`);
        this.settle(follower);
      }
      return;
    }
    for (const follower of followers) {
      if (!this.current(follower)) continue;
      const container = shown.get(follower.service);
      if (runningOnly) {
        if (follower.state === 'waiting' && container?.running) this.follow(follower, container.id);
        continue;
      }
      if (follower.state !== 'looking') continue;
      // A start seen during the look is covered by following now: docker logs reads the container as it is then.
      if (container) this.follow(follower, container.id);
      else if (follower.startedMeanwhile) this.follow(follower, follower.startedMeanwhile);
      else {
        this.emit(follower, 'stderr', NOTICES.noContainer);
        follower.state = 'waiting';
      }
    }
  }

  /** After a child ended or a look failed: follow what started meanwhile, or wait for a start. */
  private settle(follower: Follower): void {
    if (follower.startedMeanwhile) this.follow(follower, follower.startedMeanwhile);
    else follower.state = 'waiting';
  }

  private follow(follower: Follower, containerId: string): void {
    follower.startedMeanwhile = undefined;
    if (follower.containerId !== containerId) {
      follower.containerId = containerId;
      follower.lastTime = undefined;
    }
    const resumeAfter = follower.lastTime;
    follower.state = 'following';
    // Its callbacks run later (a child's events), never during follow() itself.
    const mine = () => this.current(follower) && follower.stop === stop;
    const stop = this.engine.follow(
      containerId,
      { since: resumeAfter, tail: LOG_TAIL },
      (stream, time, text) => {
        if (!mine()) return;
        if (time !== undefined) {
          const sortable = sortableTime(time);
          // --since is inclusive: the line it resumes from was shown already.
          if (resumeAfter !== undefined && sortable <= resumeAfter) return;
          if (follower.lastTime === undefined || sortable > follower.lastTime) follower.lastTime = sortable;
        }
        this.emit(follower, stream, text);
      },
      (failure) => {
        if (!mine()) return;
        follower.stop = undefined;
        if (failure) this.emit(follower, 'stderr', `(docker logs failed: ${failure})`);
        else if (!follower.startedMeanwhile) this.emit(follower, 'stderr', NOTICES.stopped);
        this.settle(follower);
      },
    );
    follower.stop = stop;
  }

  private started(service: string, containerId: string): void {
    const follower = this.followers.get(service);
    if (!follower) return;
    if (follower.state === 'waiting') this.follow(follower, containerId);
    else follower.startedMeanwhile = containerId;
  }

  private watch(): void {
    if (this.stopWatch || this.watchRetry) return;
    const startedAt = Date.now();
    const stop = this.engine.watchStarts(
      (service, containerId) => this.started(service, containerId),
      (failure) => {
        if (this.stopWatch !== stop) return;
        this.stopWatch = undefined;
        if (this.followers.size === 0) return;
        // A watch that ran a while ended by accident (engine restart): back soon; one that keeps failing: less and less often.
        if (Date.now() - startedAt > this.retry.maxMs) this.watchRetryMs = this.retry.minMs;
        const delay = this.watchRetryMs;
        this.watchRetryMs = Math.min(delay * 2, this.retry.maxMs);
        this.log(`docker events ended${failure ? ` (${failure})` : ''}: watching for container starts again in ${delay / 1000} s`);
        this.watchRetry = setTimeout(() => {
          this.watchRetry = undefined;
          if (this.followers.size === 0) return;
          this.watch();
          // Starts while nobody watched: a container that runs now is followed now.
          const waiting = [...this.followers.values()].filter((follower) => follower.state === 'waiting');
          if (waiting.length > 0) this.lookUp(waiting, true).catch((error: unknown) => this.log(`following logs again failed: ${messageOf(error)}`));
        }, delay);
      },
    );
    this.stopWatch = stop;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
