import { GitError } from '../core/errors';
import { accessFix, classifyGitFailure, describeGitFailure, gitSaid, urlScheme } from './classify';

describe('classifyGitFailure', () => {
  it.each([
    ['fatal: write error: No space left on device\nfatal: fetch-pack: invalid index-pack output', 'disk-full'],
    ['warning: Could not find remote branch develp to clone.\nfatal: Remote branch develp not found in upstream origin', 'branch-missing'],
    ["fatal: couldn't find remote ref refs/heads/develp", 'branch-missing'],
    ['git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'no-access'],
    ['ERROR: Repository not found.\nfatal: Could not read from remote repository.', 'no-access'],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", 'no-access'],
    ["fatal: '/tmp/x/health-api.git' does not appear to be a git repository", 'no-access'],
    ["fatal: unable to access 'https://github.com/o/r.git/': Could not resolve host: github.com", 'network'],
    ['ssh: connect to host github.com port 22: Connection refused', 'network'],
    ['fatal: bad object HEAD', 'unknown'],
  ])('%s → %s', (output, kind) => {
    expect(classifyGitFailure(output)).toBe(kind);
  });
});

describe('describeGitFailure', () => {
  const context = { repo: 'cloned/health-api', url: 'git@github.com:orange-health/health-api.git', branch: 'develp' };

  it('lists the closest branches and suggests the first', () => {
    const error = describeGitFailure('branch-missing', 'fatal: Remote branch develp not found', { ...context, closeBranches: ['develop', 'dev'] }, 'cloning');
    expect(error).toBeInstanceOf(GitError);
    expect(error.describe()).toBe(
      'cloned/health-api: branch "develp" does not exist on git@github.com:orange-health/health-api.git (closest branches on the remote: develop, dev)\n' +
        '  fix: set `branch:` in repos_docker_files/config.yaml to an existing branch, e.g. develop, or push the branch',
    );
  });

  it("quotes git's fatal lines and gives the SSH fix for an SSH remote", () => {
    const error = describeGitFailure('no-access', 'Cloning into x...\ngit@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.', context, 'cloning');
    expect(error.message).toBe(
      'cloned/health-api: cannot read git@github.com:orange-health/health-api.git: no access, or no such repository, while cloning\n  git said: fatal: Could not read from remote repository.',
    );
    expect(error.fix).toMatch(/^check your SSH key can read it: `ssh -T git@github.com` must greet you/);
  });

  it('never repeats a credential of the URL, in our words or in git\'s', () => {
    const https = { repo: 'cloned/x', url: 'https://x-access-token:ghp_s3cret@github.com/o/x.git', branch: 'develp' };
    const said = "fatal: unable to access 'https://x-access-token:ghp_s3cret@github.com/o/x.git/': The requested URL returned error: 403";
    const errors = [
      describeGitFailure('no-access', said, https, 'cloning'),
      describeGitFailure('branch-missing', said, { ...https, closeBranches: ['develop'] }, 'cloning'),
      describeGitFailure('unknown', said, https, 'cloning'),
    ];
    for (const error of errors) expect(error.describe()).not.toContain('ghp_s3cret');
    expect(errors[0].message).toBe(
      "cloned/x: cannot read https://x-access-token:***@github.com/o/x.git: no access, or no such repository, while cloning\n  git said: fatal: unable to access 'https://x-access-token:***@github.com/o/x.git/': The requested URL returned error: 403",
    );
  });

  it('says the disk is full and that the half-made clone goes away', () => {
    const error = describeGitFailure('disk-full', 'fatal: write error: No space left on device', context, 'cloning');
    expect(error.message).toBe('cloned/health-api: the disk is full while cloning\n  git said: fatal: write error: No space left on device');
    expect(error.fix).toContain('a half-made clone is removed automatically on the next run');
  });
});

describe('helpers', () => {
  it('tells SSH, HTTPS and local remotes apart, with a fix for each', () => {
    expect(urlScheme('git@github.com:o/r.git')).toBe('ssh');
    expect(urlScheme('ssh://git@github.com/o/r')).toBe('ssh');
    expect(urlScheme('https://github.com/o/r.git')).toBe('https');
    expect(urlScheme('/srv/git/r.git')).toBe('local');
    expect(accessFix('https://github.com/o/r.git')).toMatch(/personal access token/);
  });

  it('keeps only the lines of git output worth reading', () => {
    expect(gitSaid('Cloning into x...\nremote: Counting\nfatal: one\nfatal: two')).toBe('fatal: one\n  fatal: two');
    expect(gitSaid('just a line')).toBe('just a line');
  });
});
