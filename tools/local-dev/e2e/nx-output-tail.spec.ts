/**
 * scripts/nx-output-tail.js, the collector the output-tail patch puts in Nx (scripts/patch-nx.js),
 * with a small limit: what join() gives back is what Nx caches and records for a task.
 * nx-output-tail.e2e.spec.ts checks it inside the real Nx.
 */
import * as path from 'node:path';
import { REPO_ROOT } from './support/temp-workspace';

interface Tail {
  push(...chunks: string[]): number;
  join(separator?: string): string;
}
// A plain script that runs inside Nx's dist: required, not imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { OutputTail } = require(path.join(REPO_ROOT, 'scripts', 'nx-output-tail.js')) as { OutputTail: new (limit?: number) => Tail };

const NOT_KEPT =
  /^\[local-dev\] the first (\d+\.\d) MB of this task's output are not kept here \(Nx keeps its last \d+ MiB\); they were shown live as they came\n/;
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => `line ${from + index}\n`).join('');

describe('OutputTail', () => {
  it('keeps everything, as Nx did, while the output is within the limit', () => {
    const tail = new OutputTail(1000);
    tail.push('a\n', 'b', 'c\n');
    expect(tail.join('')).toBe('a\nbc\n');
  });

  it('past the limit: the not-kept line, then whole lines up to the last, within the limit', () => {
    const tail = new OutputTail(10_000);
    const all = lines(1, 5000);
    // In uneven chunks that cut lines, as pipes and terminals deliver them.
    for (let at = 0; at < all.length; at += 777) tail.push(all.slice(at, at + 777));
    const kept = tail.join('');
    const notKept = NOT_KEPT.exec(kept);
    expect(notKept).not.toBeNull();
    const rest = kept.slice(notKept![0].length);
    const first = Number(/^line (\d+)\n/.exec(rest)?.[1]);
    expect({ rest, withinLimit: rest.length <= 10_000 }).toEqual({ rest: lines(first, 5000), withinLimit: true });
    expect(notKept![1]).toBe((Buffer.byteLength(lines(1, first - 1)) / 1e6).toFixed(1));
  });

  it('one chunk larger than the limit keeps only its end', () => {
    const tail = new OutputTail(1000);
    tail.push(`${'x'.repeat(1_000_000)}\n${lines(1, 100)}`);
    const kept = tail.join('');
    expect({ notKept: NOT_KEPT.exec(kept)?.[1], rest: kept.replace(NOT_KEPT, '') }).toEqual({ notKept: '1.0', rest: lines(1, 100) });
  });

  it('a line longer than half the limit is kept from its middle rather than dropped', () => {
    const tail = new OutputTail(100);
    tail.push('head\n', 'y'.repeat(300), '\n');
    expect(tail.join('').split('\n').slice(1)).toEqual(['y'.repeat(99), '']);
  });

  it('counts what was not kept in bytes (UTF-8), as the line says MB', () => {
    const tail = new OutputTail(10);
    tail.push(`${'é'.repeat(500_000)}\n0123456\n`);
    expect(NOT_KEPT.exec(tail.join(''))?.[1]).toBe('1.0');
  });
});
