import { describeCloneStatus, describeRemote } from './describe';

const base = { branch: 'master', head: 'abc1234', changedFiles: 0 };

describe('describeRemote', () => {
  it.each([
    [0, 0, 'up to date with origin/master'],
    [2, 0, 'ahead of origin/master by 2 commits'],
    [0, 4, 'behind origin/master by 4 commits — --refresh updates it (your local work is saved first)'],
    [1, 1, 'ahead of origin/master by 1 commit and behind by 1 — --refresh updates it (your local work is saved first)'],
  ])('ahead %d, behind %d', (ahead, behind, text) => {
    expect(describeRemote({ upstream: 'origin/master', ahead, behind })).toBe(text);
  });
});

describe('describeCloneStatus', () => {
  it('a kept clone with local changes, offline', () => {
    expect(
      describeCloneStatus({
        ...base,
        action: { type: 'kept' },
        changedFiles: 3,
        remote: { upstream: 'origin/master', ahead: 0, behind: 4 },
        fetchWarning: 'fatal: unable to access',
      }),
    ).toEqual([
      'kept master at abc1234 as it is (nothing pulled without --refresh)',
      'kept local changes: 3 files',
      '⚠ could not ask the remote (fatal: unable to access); working offline, comparing with the last fetch',
      'behind origin/master by 4 commits — --refresh updates it (your local work is saved first)',
    ]);
  });

  it('a switch, and a branch that exists only locally', () => {
    expect(describeCloneStatus({ ...base, branch: 'develop', action: { type: 'switched', from: 'master' }, remoteBranchMissing: true })).toEqual([
      'switched master → develop (abc1234)',
      'origin has no branch develop: it exists only in this clone',
    ]);
  });

  it('offline with no earlier fetch of the branch: does not claim origin lacks it', () => {
    expect(describeCloneStatus({ ...base, action: { type: 'kept' }, fetchWarning: 'no answer within 30 s' })).toEqual([
      'kept master at abc1234 as it is (nothing pulled without --refresh)',
      '⚠ could not ask the remote (no answer within 30 s); working offline',
      'not compared with origin/master: this clone has never fetched it',
    ]);
  });

  it('a refresh that saved work says how to get it back', () => {
    const backup = {
      ref: 'refs/local-dev/backup/20261126T080000Z',
      localCommits: 2,
      changedFiles: 1,
      ignoredFiles: 1,
      restoreCommands: ['git -C cloned/x switch -c rescued refs/local-dev/backup/20261126T080000Z^1'],
      extraRefs: [],
    };
    expect(describeCloneStatus({ ...base, action: { type: 'refreshed', backup }, remote: { upstream: 'origin/master', ahead: 0, behind: 0 } })).toEqual([
      'refreshed to origin/master (abc1234)',
      'saved your local work (2 local commits and 1 changed file (uncommitted and untracked) and 1 ignored file the new checkout overwrites) in refs/local-dev/backup/20261126T080000Z and as a git stash',
      'to get it back:',
      '  git -C cloned/x switch -c rescued refs/local-dev/backup/20261126T080000Z^1',
      'up to date with origin/master',
    ]);
  });

  it('a fresh clone says only that', () => {
    expect(describeCloneStatus({ ...base, action: { type: 'cloned', url: 'git@h:o/x.git' } })).toEqual(['cloned git@h:o/x.git at master (abc1234)']);
    expect(describeCloneStatus({ ...base, action: { type: 'cloned', url: 'https://u:s3cret@h/o/x.git' } })).toEqual([
      'cloned https://u:***@h/o/x.git at master (abc1234)',
    ]);
  });
});
