import { formatMode, gitIndexMode, injectedMode } from './file-mode';

describe('injectedMode', () => {
  it.each([
    // source, replaced,  result
    [0o600, undefined, 0o600],
    [0o640, undefined, 0o640],
    [0o100600, undefined, 0o600], // stat's file-type bits are dropped
    [0o600, gitIndexMode('100755'), 0o700], // a tracked script stays runnable by its owner only
    [0o640, gitIndexMode('100755'), 0o750],
    [0o644, gitIndexMode('100755'), 0o755],
    [0o644, gitIndexMode('100644'), 0o644],
    [0o600, 0o711, 0o700], // execute only for classes the source lets read
    [0o755, undefined, 0o755], // the source's own execute bits stay
    [0o666, 0o644, 0o666], // never narrower than the source either
  ])('source %o over %o → %o', (sourceMode, replaced, expected) => {
    expect(injectedMode(sourceMode, replaced)).toBe(expected);
  });

  it('formats modes as chmod takes them', () => {
    expect([formatMode(0o600), formatMode(0o100755), formatMode(0o7)]).toEqual(['0600', '0755', '0007']);
  });
});
