/** The pure parts of streaming logs: the bounded line splitter and the time-ordered merge (time passed in). */
import { BoundedLineSplitter, timedPiece, TimeOrderedMerge, type TimedLine } from './logs-follow';

const line = (service: string, time: string, text = `${service}@${time}`): TimedLine => ({ service, stream: 'stdout', time, text });
const t = (second: number) => `2026-12-06T10:00:${String(second).padStart(2, '0')}.000000000Z`;
const limits = { holdMs: 200, startupHoldMs: 1000, maxHeldChars: 100 };

/** Everything `merge` lets out at `now`, as texts. */
function drain(merge: TimeOrderedMerge, now: number): string[] {
  const out: string[] = [];
  for (let next = merge.next(now); next; next = merge.next(now)) out.push(next.text);
  return out;
}

describe('BoundedLineSplitter', () => {
  it('cuts chunks into whole lines, across chunk boundaries', () => {
    const splitter = new BoundedLineSplitter(10);
    expect(splitter.push('one\ntw')).toEqual([{ text: 'one', cut: false }]);
    expect(splitter.push('o\n\nthree')).toEqual([
      { text: 'two', cut: false },
      { text: '', cut: false },
    ]);
    expect(splitter.flush()).toEqual([{ text: 'three', cut: false }]);
    expect(splitter.flush()).toEqual([]);
  });

  it('never holds more than the longest line: a longer one comes out in pieces, marked as cut', () => {
    const splitter = new BoundedLineSplitter(4);
    expect(splitter.push('abcdefghij')).toEqual([
      { text: 'abcd', cut: true },
      { text: 'efgh', cut: true },
    ]);
    expect(splitter.push('k\nxy')).toEqual([{ text: 'ijk', cut: false }]);
    // A line of exactly the limit is whole, not cut.
    expect(splitter.push('zw\n')).toEqual([{ text: 'xyzw', cut: false }]);
  });
});

describe('timedPiece', () => {
  it("splits docker's timestamp off; a piece continuing a cut line keeps that line's time and all its text", () => {
    expect(timedPiece('a', 'stderr', `${t(1)} hello world`, undefined)).toEqual({ service: 'a', stream: 'stderr', time: t(1), text: 'hello world' });
    expect(timedPiece('a', 'stdout', 'rest of a long line', t(1))).toEqual({ service: 'a', stream: 'stdout', time: t(1), text: 'rest of a long line' });
    expect(timedPiece('a', 'stdout', 'no-time', undefined)).toEqual({ service: 'a', stream: 'stdout', time: '', text: 'no-time' });
  });
});

describe('TimeOrderedMerge (time passed in)', () => {
  it('lets lines out in time order as soon as every open source has shown its next one', () => {
    const merge = new TimeOrderedMerge([0, 1], 0, limits);
    merge.push(0, line('a', t(1)), 0);
    merge.push(0, line('a', t(3)), 0);
    expect(drain(merge, 0)).toEqual([]);
    merge.push(1, line('b', t(2)), 0);
    // b's next line may still be older than a@3: only a@1 and b@2 go out.
    expect(drain(merge, 0)).toEqual([`a@${t(1)}`, `b@${t(2)}`]);
    merge.end(1);
    expect(drain(merge, 0)).toEqual([`a@${t(3)}`]);
  });

  it('holds a line while another source is silent, up to holdMs after it arrived, and says when to look again', () => {
    const merge = new TimeOrderedMerge([0, 1], 0, limits);
    merge.push(1, line('b', t(0)), 0);
    merge.push(0, line('a', t(5)), 2000);
    expect(drain(merge, 2000)).toEqual([`b@${t(0)}`]);
    expect(drain(merge, 2199)).toEqual([]);
    expect(merge.wakeAt()).toBe(2200);
    expect(drain(merge, 2200)).toEqual([`a@${t(5)}`]);
    expect(merge.wakeAt()).toBeUndefined();
  });

  it('at the start, waits up to startupHoldMs for every docker logs to say something', () => {
    // Sources 0 and 1 are one container's stdout and stderr, 2 and 3 another's.
    const merge = new TimeOrderedMerge([0, 0, 1, 1], 0, limits);
    merge.push(0, line('a', t(9)), 10);
    expect(merge.wakeAt()).toBe(1000);
    expect(drain(merge, 500)).toEqual([]);
    // The second container answers with an older line: it goes first.
    merge.push(3, line('b', t(8)), 600);
    expect(merge.wakeAt()).toBe(210);
    expect(drain(merge, 800)).toEqual([`b@${t(8)}`, `a@${t(9)}`]);
  });

  it('lets the oldest line out when a source holds maxHeldChars, so memory stays bounded', () => {
    const merge = new TimeOrderedMerge([0, 1], 0, limits);
    const long = 'x'.repeat(60);
    merge.push(0, line('a', t(1), long), 0);
    expect([merge.isFull(0), drain(merge, 0)]).toEqual([false, []]);
    merge.push(0, line('a', t(2), long), 0);
    expect(merge.isFull(0)).toBe(true);
    expect(drain(merge, 0)).toEqual([long]);
    expect([merge.isFull(0), merge.size]).toEqual([false, 1]);
  });

  it('keeps the order of equal times (first source first) and sorts fractions docker printed short', () => {
    const merge = new TimeOrderedMerge([0, 1], 0, limits);
    merge.push(1, line('b', '2026-12-06T10:00:02.1Z', 'b-later'), 0);
    merge.push(1, line('b', '2026-12-06T10:00:03Z', 'b-last'), 0);
    merge.push(0, line('a', '2026-12-06T10:00:02.05Z', 'a-first'), 0);
    merge.push(0, line('a', '2026-12-06T10:00:03Z', 'a-same-time'), 0);
    merge.end(0);
    merge.end(1);
    expect(drain(merge, 0)).toEqual(['a-first', 'b-later', 'a-same-time', 'b-last']);
  });

  it('drops what it let out (a long run keeps nothing it printed)', () => {
    const merge = new TimeOrderedMerge([0], 0, { ...limits, maxHeldChars: 1 });
    for (let index = 0; index < 5000; index++) {
      merge.push(0, line('a', t(index % 60)), index);
      expect(drain(merge, index)).toHaveLength(1);
    }
    expect(merge.size).toBe(0);
    expect((merge as unknown as { queues: unknown[][] }).queues[0]).toHaveLength(0);
  });
});
