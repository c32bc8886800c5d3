import { gitRemote, repositoryIdentity, sameRepository } from './remote-url';
import { backupStamp, restoreCommands } from './backup';
import { parseHeads } from './remote-branches';

describe('sameRepository', () => {
  it('treats the SSH and HTTPS forms of one GitHub repo as the same repo', () => {
    const ssh = 'git@github.com:orange-health/health-api.git';
    expect(sameRepository(ssh, 'https://github.com/orange-health/health-api')).toBe(true);
    expect(sameRepository(ssh, 'ssh://git@github.com/orange-health/health-api.git/')).toBe(true);
    expect(sameRepository(ssh, 'git@github.com:orange-health/oms.git')).toBe(false);
    expect(sameRepository(ssh, 'git@gitlab.com:orange-health/health-api.git')).toBe(false);
  });

  it('ignores credentials in the URL, even a password holding a raw "@"', () => {
    const ssh = 'git@github.com:orange-health/health-api.git';
    expect(sameRepository(ssh, 'https://x-access-token:ghp_abc@github.com/orange-health/health-api.git')).toBe(true);
    expect(sameRepository(ssh, 'https://me:p@ss@github.com/orange-health/health-api.git')).toBe(true);
    expect(sameRepository(ssh, 'https://me:p@ss@gitlab.com/orange-health/health-api.git')).toBe(false);
  });

  it('resolves local paths, with or without file://', () => {
    expect(sameRepository('/srv/git/x.git', 'file:///srv/git/x.git')).toBe(true);
    expect(sameRepository('../git/x.git', '/srv/git/x', '/srv/work')).toBe(true);
    expect(repositoryIdentity('C:/repos/x.git')).not.toBe(repositoryIdentity('D:/repos/x.git'));
  });
});

describe('gitRemote', () => {
  it('settles the URL for git (no secret), its credentials, and the URL as people see it', () => {
    expect(gitRemote('https://x-access-token:ghp_abc@github.com/o/r.git', 'cloned/r')).toEqual({
      url: 'https://github.com/o/r.git',
      credentials: { username: 'x-access-token', password: 'ghp_abc' },
      shown: 'https://x-access-token:***@github.com/o/r.git',
    });
    expect(gitRemote('git@github.com:o/r.git', 'cloned/r')).toEqual({ url: 'git@github.com:o/r.git', credentials: undefined, shown: 'git@github.com:o/r.git' });
  });

  it('refuses a password in an ssh URL, which git could only hand to ssh as part of the user name', () => {
    expect(() => gitRemote('ssh://me:s3cret@host/r.git', 'cloned/r')).toThrow(
      'cloned/r: the repo URL in config.yaml (ssh://me:***@host/r.git) has a password, which git cannot use over ssh (ssh logs in with your key)',
    );
  });
});

describe('backup naming', () => {
  it('makes ref-safe UTC stamps and the commands that restore a backup', () => {
    expect(backupStamp(new Date('2026-11-26T08:07:23.456Z'))).toBe('20261126T080723Z');
    expect(restoreCommands('cloned/x', 'refs/local-dev/backup/S', 'S', true)).toEqual([
      'git -C cloned/x switch -c rescued-S refs/local-dev/backup/S^1',
      'git -C cloned/x stash apply --index refs/local-dev/backup/S',
    ]);
    expect(restoreCommands('cloned/x', 'refs/local-dev/backup/S', 'S', false)).toHaveLength(1);
  });

  it('reads branch names from ls-remote', () => {
    expect(parseHeads('abc\trefs/heads/master\ndef\trefs/heads/feature/login\n')).toEqual(['master', 'feature/login']);
  });
});
