import { UsageError } from '../core/errors';
import { containersToShow, LineSplitter, logsArgs, mergeByTime, prefixes, sortableTime, timedLines, wantsColour } from './logs';

describe('logs', () => {
  it('builds docker logs arguments', () => {
    expect(logsArgs('abc', { follow: false, tail: 50, since: undefined, timestamps: false })).toEqual(['logs', '--tail', '50', 'abc']);
    expect(logsArgs('abc', { follow: true, tail: 0, since: '10m', timestamps: true })).toEqual(['logs', '--follow', '--timestamps', '--tail', '0', '--since', '10m', 'abc']);
  });

  it('pads prefixes to the longest name; colours only when asked', () => {
    expect([...prefixes(['a', 'long-name'], false).values()]).toEqual(['a         | ', 'long-name | ']);
    expect(prefixes(['a', 'b'], true).get('b')).toBe('\u001b[33mb | \u001b[0m');
  });

  it('merges several services\' lines by their timestamps', () => {
    const lines = mergeByTime([
      ...timedLines('a', 'stdout', '2026-11-29T10:00:01.000000000Z first of a\n2026-11-29T10:00:03.000000000Z second of a\n'),
      ...timedLines('b', 'stderr', '2026-11-29T10:00:02.000000000Z first of b\n'),
    ]);
    expect(lines.map((line) => `${line.service}/${line.stream}: ${line.text}`)).toEqual(['a/stdout: first of a', 'b/stderr: first of b', 'a/stdout: second of a']);
  });

  it('orders times whose fractions an engine printed without trailing zeros', () => {
    const lines = mergeByTime([
      ...timedLines('a', 'stdout', '2026-11-29T10:00:02.1Z later\n2026-11-29T10:00:02Z earliest\n'),
      ...timedLines('b', 'stdout', '2026-11-29T10:00:02.12Z latest\n2026-11-29T10:00:02.05Z early\n'),
    ]);
    expect(lines.map((line) => line.text)).toEqual(['earliest', 'early', 'later', 'latest']);
    expect(sortableTime('2026-11-29T10:00:02.1+01:00')).toBe('2026-11-29T10:00:02.100000000+01:00');
  });

  it('cuts chunks into whole lines', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('one\ntw')).toEqual(['one']);
    expect(splitter.push('o\nthree')).toEqual(['two']);
    expect(splitter.flush()).toEqual(['three']);
    expect(splitter.flush()).toEqual([]);
  });

  it('shows a running container first; refuses when no service has one', () => {
    const containers = [
      { id: 'old', service: 'a', state: 'exited', name: 'x' },
      { id: 'new', service: 'a', state: 'running', name: 'y' },
    ];
    expect(containersToShow(['a', 'b'], containers)).toEqual({ shown: new Map([['a', 'new']]), missing: ['b'] });
    expect(() => containersToShow(['b'], containers)).toThrow(new UsageError('b has no container: there are no logs to show'));
  });

  it('colours a terminal, or when FORCE_COLOR asks; never with NO_COLOR', () => {
    expect(wantsColour({}, true)).toBe(true);
    expect(wantsColour({}, false)).toBe(false);
    expect(wantsColour({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(wantsColour({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(wantsColour({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
  });
});
