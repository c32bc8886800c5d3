/**
 * The log followers' bookkeeping against a SCRIPTED engine (a stand-in for Docker, named so):
 * the orderings that matter here (a start seen before the old `docker logs` ended, a page leaving
 * while docker ps answers) cannot be made to happen on demand with the real engine. The real
 * engine behind it is driven in e2e/dashboard-streams.e2e.spec.ts.
 */
import { keepRecent, LOG_TAIL, LogFollowers, NOTICES, type LogEngine, type LogLine, type ShownContainer } from './followers';

interface ScriptedChild {
  id: string;
  since: string | undefined;
  line: (stream: LogLine['stream'], time: string | undefined, text: string) => void;
  ended: (failure: string | undefined) => void;
  stopped: boolean;
}

class ScriptedEngine implements LogEngine {
  shown = new Map<string, ShownContainer>();
  children: ScriptedChild[] = [];
  watches: { started: (service: string, id: string) => void; ended: (failure: string | undefined) => void; stopped: boolean }[] = [];
  lookups = 0;
  private answers: (() => void)[] = [];
  /** When set, docker ps answers only when `answer()` is called. */
  holdLookups = false;

  async containers(services: readonly string[]): Promise<Map<string, ShownContainer>> {
    this.lookups++;
    if (this.holdLookups) await new Promise<void>((resolve) => this.answers.push(resolve));
    return new Map([...this.shown].filter(([service]) => services.includes(service)));
  }
  answer(): void {
    for (const resolve of this.answers.splice(0)) resolve();
  }
  follow(id: string, options: { since: string | undefined }, line: ScriptedChild['line'], ended: ScriptedChild['ended']): () => void {
    const child: ScriptedChild = { id, since: options.since, line, ended, stopped: false };
    this.children.push(child);
    return () => {
      child.stopped = true;
      ended(undefined);
    };
  }
  watchStarts(started: (service: string, id: string) => void, ended: (failure: string | undefined) => void): () => void {
    const watch = { started, ended, stopped: false };
    this.watches.push(watch);
    return () => {
      watch.stopped = true;
      ended(undefined);
    };
  }
  /** The watch dies (the engine went away). */
  failWatch(failure: string): void {
    for (const watch of this.watches.filter((candidate) => !candidate.stopped)) {
      watch.stopped = true;
      watch.ended(failure);
    }
  }
  running(): ScriptedChild[] {
    return this.children.filter((child) => !child.stopped);
  }
  /** The engine says a container started. */
  start(service: string, id: string): void {
    this.shown.set(service, { id, running: true });
    for (const watch of this.watches.filter((candidate) => !candidate.stopped)) watch.started(service, id);
  }
  /** The container stopped: its `docker logs --follow` ends by itself. */
  stop(id: string): void {
    for (const child of this.running().filter((candidate) => candidate.id === id)) {
      child.stopped = true;
      child.ended(undefined);
    }
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still not so after 5 s: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const texts = (lines: LogLine[]) => lines.map((line) => `${line.service} ${line.text}`);

describe('log followers', () => {
  let engine: ScriptedEngine;
  let followers: LogFollowers;
  const logged: string[] = [];

  beforeEach(() => {
    engine = new ScriptedEngine();
    followers = new LogFollowers(engine, (line) => logged.push(line), { minMs: 10, maxMs: 1000 });
  });

  afterEach(() => followers.close());

  it('two pages showing one service share one docker logs; the second gets the lines the first had', async () => {
    engine.shown.set('svc-0', { id: 'c0', running: true });
    const first: LogLine[] = [];
    const second: LogLine[] = [];
    const leaveFirst = followers.subscribe(['svc-0'], (line) => first.push(line));
    await settle();
    engine.running()[0].line('stdout', '2026-01-01T00:00:01.000000000Z', 'one');
    const leaveSecond = followers.subscribe(['svc-0'], (line) => second.push(line));
    await settle();
    engine.running()[0].line('stdout', '2026-01-01T00:00:02.000000000Z', 'two');
    expect(engine.children.map((child) => child.id)).toEqual(['c0']);
    expect(texts(first)).toEqual(['svc-0 one', 'svc-0 two']);
    expect(texts(second)).toEqual(['svc-0 one', 'svc-0 two']);
    leaveFirst();
    expect(engine.running()).toHaveLength(1);
    leaveSecond();
    expect(engine.running()).toHaveLength(0);
    expect(engine.watches.every((watch) => watch.stopped)).toBe(true);
    expect(followers.counts).toEqual({ services: 0, following: 0 });
  });

  it('a page that shows no service starts nothing, not even the watch', () => {
    followers.subscribe([], () => undefined)();
    expect({ watches: engine.watches.length, lookups: engine.lookups }).toEqual({ watches: 0, lookups: 0 });
  });

  it('a page that leaves while docker ps answers starts nothing', async () => {
    engine.shown.set('svc-0', { id: 'c0', running: true });
    engine.holdLookups = true;
    const leave = followers.subscribe(['svc-0'], () => undefined);
    leave();
    engine.answer();
    await settle();
    expect(engine.children).toHaveLength(0);
    expect(engine.watches.every((watch) => watch.stopped)).toBe(true);
  });

  it('after a restart it follows again from the last line it had, whichever of the end and the start comes first', async () => {
    engine.shown.set('svc-0', { id: 'c0', running: true });
    const lines: LogLine[] = [];
    followers.subscribe(['svc-0'], (line) => lines.push(line));
    await settle();
    engine.running()[0].line('stdout', '2026-01-01T00:00:01.5Z', 'before');
    // The start is seen before the old follower ends (docker restart: both can come in either order).
    engine.start('svc-0', 'c0');
    expect(engine.running()).toHaveLength(1);
    engine.stop('c0');
    expect(engine.running().map((child) => [child.id, child.since])).toEqual([['c0', '2026-01-01T00:00:01.500000000Z']]);
    // --since is inclusive: the line it resumes from comes once more, and is not shown twice.
    engine.running()[0].line('stdout', '2026-01-01T00:00:01.500000000Z', 'before');
    engine.running()[0].line('stdout', '2026-01-01T00:00:03.000000000Z', 'after');
    expect(texts(lines)).toEqual(['svc-0 before', 'svc-0 after']);
    // The other order: stopped (said on the page), then started.
    engine.stop('c0');
    expect(texts(lines).at(-1)).toBe(`svc-0 ${NOTICES.stopped}`);
    engine.start('svc-0', 'c0');
    expect(engine.running().map((child) => child.since)).toEqual(['2026-01-01T00:00:03.000000000Z']);
  });

  it('with the service stopped or never started, nothing runs until the engine says it started', async () => {
    engine.shown.set('svc-0', { id: 'c0', running: false });
    const lines: LogLine[] = [];
    followers.subscribe(['svc-0', 'svc-1'], (line) => lines.push(line));
    await settle();
    // A stopped container's last lines are shown once, then its docker logs ends.
    expect(engine.running().map((child) => child.id)).toEqual(['c0']);
    engine.running()[0].line('stdout', '2026-01-01T00:00:01Z', 'last words');
    engine.stop('c0');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect({ lookups: engine.lookups, follows: engine.children.length, watches: engine.watches.length }).toEqual({ lookups: 1, follows: 1, watches: 1 });
    expect(texts(lines)).toEqual([`svc-1 ${NOTICES.noContainer}`, 'svc-0 last words', `svc-0 ${NOTICES.stopped}`]);
    // `up` creates svc-1's first container: followed from its start, with no --since.
    engine.start('svc-1', 'c1');
    expect(engine.running().map((child) => [child.id, child.since])).toEqual([['c1', undefined]]);
  });

  it('a watch that ends is started again, less often while it keeps failing, and catches up with what started meanwhile', async () => {
    engine.shown.set('svc-0', { id: 'c0', running: false });
    followers.subscribe(['svc-0'], () => undefined);
    await settle();
    engine.stop('c0');
    engine.failWatch('Cannot connect to the Docker daemon');
    expect(logged.at(-1)).toBe('docker events ended (Cannot connect to the Docker daemon): watching for container starts again in 0.01 s');
    await waitFor(() => engine.watches.length === 2);
    expect(engine.lookups).toBe(2);
    // It started while no watch ran: the catch-up docker ps finds it running.
    engine.shown.set('svc-0', { id: 'c0', running: true });
    engine.failWatch('Cannot connect to the Docker daemon');
    expect(logged.at(-1)).toContain('again in 0.02 s');
    await waitFor(() => engine.watches.length === 3 && engine.running().length === 1);
    expect(engine.running().map((child) => child.id)).toEqual(['c0']);
  });

  it('keeps the last LOG_TAIL lines, and at most a bounded number of characters', () => {
    const line = (text: string): LogLine => ({ service: 's', stream: 'stdout', text });
    const recent: LogLine[] = [];
    let chars = 0;
    for (let index = 0; index < LOG_TAIL + 5; index++) chars = keepRecent(recent, chars, line(String(index)));
    expect(recent.map((entry) => entry.text)).toEqual(Array.from({ length: LOG_TAIL }, (_, index) => String(index + 5)));
    chars = keepRecent(recent, chars, line('x'.repeat(30)), LOG_TAIL, 40);
    expect({ texts: recent.map((entry) => entry.text), chars }).toEqual({ texts: ['202', '203', '204', 'x'.repeat(30)], chars: 39 });
    const alone: LogLine[] = [];
    expect(keepRecent(alone, 0, line('y'.repeat(100)), LOG_TAIL, 40)).toBe(100);
    expect(alone).toHaveLength(1);
  });
});
