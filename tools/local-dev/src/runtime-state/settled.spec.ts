import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { printedToken, settle, settledAfterSuccess, tokenFor, type Observation } from './settled';

const tokens = () => {
  let next = 0;
  return () => `attempt-${++next}`;
};
const state = (text: string, satisfied = true): Observation => ({ text, satisfied });

describe('settled tokens (pure)', () => {
  it('the first run after a successful one is hashed like it: the settled state prints the token the run was hashed under', () => {
    const newToken = tokens();
    const before = tokenFor({}, state('not running', false), newToken);
    expect(before.token).toBe('attempt-1');
    const after = settledAfterSuccess(before.record ?? {}, 'running as built');
    expect(tokenFor(after, state('running as built'), newToken)).toEqual({ token: 'attempt-1' });
  });

  it('keeps one attempt, whatever the state does, until a run settles: the hashing rounds of one run agree', () => {
    const newToken = tokens();
    const first = tokenFor({}, state('nothing injected (at 1700000000000-42)', false), newToken);
    // A later round of the same run sees other tasks' work half done.
    expect(tokenFor(first.record ?? {}, state('nothing injected (at 1700000000001-42)', false), newToken)).toEqual({ token: 'attempt-1' });
    expect(tokenFor(first.record ?? {}, state('half injected'), newToken)).toEqual({ token: 'attempt-1' });
  });

  it('never prints a token a run succeeded under for any later state but the one that run left', () => {
    const newToken = tokens();
    const cold = tokenFor({}, state('not running', false), newToken);
    const settled = settledAfterSuccess(cold.record ?? {}, 'running as built');
    // Stopped again, even in exactly the state the cold run started from: a new attempt.
    expect(tokenFor(settled, state('not running', false), newToken).token).toBe('attempt-2');
    expect(tokenFor(settled, state('running as built, then edited'), newToken).token).toBe('attempt-3');
  });

  it('an unsatisfied state is never settled, even when a run left it (a best-effort success on a failing tunnel)', () => {
    const newToken = tokens();
    const start = tokenFor({}, state('absent', false), newToken);
    const settled = settledAfterSuccess(start.record ?? {}, 'degraded');
    expect(tokenFor(settled, state('degraded', false), newToken).token).toBe('attempt-2');
  });

  it('a run that found the state settled (another namespace, a cleared cache) keeps the settled token', () => {
    const settled = settledAfterSuccess({ settled: { token: 'attempt-7', observed: 'running' } }, 'running');
    expect(settled).toEqual({ settled: { token: 'attempt-7', observed: 'running' } });
  });
});

describe('settled tokens (files under .nx/local-dev/settled)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-settled-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('what the runtime input prints before a run, it prints again after the task settled', () => {
    const before = printedToken(root, 'up-api', state('no container', false));
    expect(printedToken(root, 'up-api', state('no container', false))).toBe(before);
    settle(root, 'up-api', state('running'));
    expect(printedToken(root, 'up-api', state('running'))).toBe(before);
    const stopped = printedToken(root, 'up-api', state('exited', false));
    expect(stopped).not.toBe(before);
    // Keys do not mix.
    expect(printedToken(root, 'up-web', state('running'))).not.toBe(before);
  });
});
