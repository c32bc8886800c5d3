import { formatProgress, parseProgress, ProgressThrottle } from './progress';

const CHUNK = 'remote: Counting objects: 100% (3/3), done.\nReceiving objects:  33% (1/3)\rReceiving objects:  66% (2/3), 1.98 MiB | 961.00 KiB/s\r';

describe('parseProgress', () => {
  it("takes the newest state from git's carriage-return output", () => {
    expect(parseProgress(CHUNK)).toEqual({ phase: 'receiving objects', percent: 66, detail: '1.98 MiB | 961.00 KiB/s' });
    expect(parseProgress('Resolving deltas: 100% (10/10), done.\n')).toEqual({ phase: 'resolving deltas', percent: 100, detail: undefined });
    expect(parseProgress("Cloning into 'x'...\n")).toBeUndefined();
  });

  it('formats a line a person can read', () => {
    expect(formatProgress({ phase: 'receiving objects', percent: 66, detail: '1.98 MiB | 961.00 KiB/s' }, 12_400)).toBe(
      'receiving objects 66%, 1.98 MiB | 961.00 KiB/s (12 s)',
    );
  });
});

describe('ProgressThrottle', () => {
  it('stays quiet for a fast clone and prints at most once per interval', () => {
    const throttle = new ProgressThrottle(0, 3000);
    throttle.feed(CHUNK);
    expect(throttle.tick(1000)).toBeUndefined();
    expect(throttle.tick(3000)).toBe('receiving objects 66%, 1.98 MiB | 961.00 KiB/s (3 s)');
    expect(throttle.tick(4000)).toBeUndefined();
    throttle.feed('Receiving objects:  90% (9/10), 3.00 MiB | 1.00 MiB/s\r');
    expect(throttle.tick(6000)).toBe('receiving objects 90%, 3.00 MiB | 1.00 MiB/s (6 s)');
  });

  it('keeps talking when git says nothing, so a stalled clone never looks hung', () => {
    const throttle = new ProgressThrottle(0, 3000);
    expect(throttle.tick(3000)).toBe('still waiting for the remote (3 s)');
    throttle.feed(CHUNK);
    throttle.tick(6000);
    expect(throttle.tick(9000)).toBe('receiving objects 66%, 1.98 MiB | 961.00 KiB/s (9 s) — no progress from git since the last line');
  });
});
