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
    // Every phrase each kind is recognised by, as git (or ssh, curl) prints it.
    ['error: unable to create temporary file: ENOSPC', 'disk-full'],
    ['fatal: write error: Disk quota exceeded', 'disk-full'],
    ["fatal: invalid refspec '+refs/heads/a b:refs/remotes/origin/a b'", 'branch-missing'],
    // As git 2.39 prints it for a branch the remote does not have: the ref comes before the phrase.
    [
      "fatal: ambiguous argument 'origin/develp': unknown revision or path not in the working tree.\nUse '--' to separate paths from revisions, like this:",
      'branch-missing',
    ],
    ["fatal: ambiguous argument 'HEAD~3': unknown revision or path not in the working tree.", 'unknown'],
    ['Host key verification failed.\nfatal: Could not read from remote repository.', 'no-access'],
    ["remote: Invalid username or token.\nfatal: Authentication failed for 'https://github.com/o/r.git/'", 'no-access'],
    ['remote: Access denied\nfatal: unable to access', 'no-access'],
    ["fatal: unable to access 'https://example.com/r.git/': The requested URL returned error: 403", 'no-access'],
    ["fatal: unable to access 'https://example.com/r.git/': The requested URL returned error: 401", 'no-access'],
    ["fatal: repository 'https://example.com/r.git/' not found: https://example.com/r.git", 'no-access'],
    ["fatal: '/srv/missing': No such file or directory while reading /srv/missing/.git", 'no-access'],
    ['fatal: Could not read from remote repository.', 'no-access'],
    ["fatal: unable to access 'https://github.com/o/r.git/': Failed to connect to github.com port 443: Connection timed out", 'network'],
    ['ssh: connect to host github.com port 22: Network is unreachable', 'network'],
    ["fatal: unable to access 'https://github.com/o/r.git/': Operation timed out after 300000 milliseconds", 'network'],
    ["fatal: unable to access 'https://github.com/o/r.git/': Failed to connect to proxy port 3128", 'network'],
    ['kex_exchange_identification: read: Connection reset by peer', 'network'],
    ["fatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 500", 'unknown'],
    // Case does not matter (some servers shout), and the first kind that matches wins: a full disk
    // during a fetch also ends with "Could not read from remote repository".
    ['FATAL: NO SPACE LEFT ON DEVICE', 'disk-full'],
    ['fatal: write error: No space left on device\nfatal: Could not read from remote repository.', 'disk-full'],
    ["fatal: couldn't find remote ref refs/heads/x\nfatal: Could not read from remote repository.", 'branch-missing'],
    ['ssh: connect to host github.com port 22: Connection refused\nfatal: Could not read from remote repository.', 'network'],
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
    const error = describeGitFailure(
      'no-access',
      'Cloning into x...\ngit@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.',
      context,
      'cloning',
    );
    expect(error.message).toBe(
      'cloned/health-api: cannot read git@github.com:orange-health/health-api.git: no access, or no such repository, while cloning\n  git said: fatal: Could not read from remote repository.',
    );
    expect(error.fix).toMatch(/^check your SSH key can read it: `ssh -T git@github.com` must greet you/);
  });

  it("never repeats a credential of the URL, in our words or in git's", () => {
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

  it('says when the remote has no branch close to the one asked for', () => {
    const error = describeGitFailure('branch-missing', '', { ...context, closeBranches: [] }, 'cloning');
    expect(error.message).toBe('cloned/health-api: branch "develp" does not exist on git@github.com:orange-health/health-api.git (the remote has no branches)');
    expect(error.fix).toBe('set `branch:` in repos_docker_files/config.yaml to an existing branch, or push the branch');
    expect(describeGitFailure('branch-missing', '', context, 'cloning').fix).toBe(error.fix);
  });

  it('names the host it cannot reach, whatever form the URL has', () => {
    const reach = (url: string) => describeGitFailure('network', 'ssh: connect to host h port 22: Connection refused', { ...context, url }, 'fetching').message;
    expect(reach('git@github.com:orange-health/health-api.git')).toBe(
      'cloned/health-api: cannot reach github.com while fetching\n  git said: ssh: connect to host h port 22: Connection refused',
    );
    expect(reach('ssh://git@gitlab.example.com:2222/o/r.git')).toMatch(/^cloned\/health-api: cannot reach gitlab.example.com while fetching/);
    expect(reach('https://x-access-token:t0ken@github.com/o/r.git')).toMatch(/^cloned\/health-api: cannot reach github.com while/);
    expect(reach('HTTPS://bitbucket.org/o/r.git')).toMatch(/^cloned\/health-api: cannot reach bitbucket.org while/);
    expect(reach('/srv/git/r.git')).toMatch(/^cloned\/health-api: cannot reach \/srv\/git\/r.git while/);
    expect(describeGitFailure('network', '', context, 'fetching').fix).toBe(
      'check your network connection / VPN, then re-run (an existing clone keeps working offline without --refresh)',
    );
  });

  it("passes on git's own words when the failure is not recognised, and says nothing of them when there are none", () => {
    const error = describeGitFailure('unknown', 'fatal: bad object HEAD', context, 'refreshing');
    expect(error.message).toBe('cloned/health-api: git failed while refreshing\n  git said: fatal: bad object HEAD');
    expect(error.fix).toBe("read git's message above, fix what it names and re-run");
    expect(describeGitFailure('unknown', '', context, 'refreshing').message).toBe('cloned/health-api: git failed while refreshing');
    expect(describeGitFailure('disk-full', '\n', context, 'cloning').message).toBe('cloned/health-api: the disk is full while cloning');
  });

  it('never shows a token written into the repo URL, in the message or in what git said', () => {
    const url = 'https://x-access-token:ghp_secret@github.com/o/r.git';
    const error = describeGitFailure('no-access', `fatal: Authentication failed for '${url}'`, { ...context, url }, 'cloning');
    expect(error.describe()).not.toContain('ghp_secret');
    expect(error.message).toContain('cannot read https://x-access-token:***@github.com/o/r.git');
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
    expect(urlScheme('SSH://git@github.com/o/r')).toBe('ssh');
    expect(urlScheme('https://github.com/o/r.git')).toBe('https');
    expect(urlScheme('http://git.internal/o/r.git')).toBe('https');
    expect(urlScheme('HTTPS://github.com/o/r.git')).toBe('https');
    expect(urlScheme('/srv/git/r.git')).toBe('local');
    expect(urlScheme('file:///srv/git/r.git')).toBe('local');
    // An "@" and a ":" in a local path do not make it an SSH remote.
    expect(urlScheme('/srv/me@host:x/r.git')).toBe('local');
    // ssh:// only as the scheme, not somewhere inside a path.
    expect(urlScheme('file:///srv/mirror/ssh://host/r.git')).toBe('local');
    expect(urlScheme('./repos/me@host:x')).toBe('local');
    expect(urlScheme('C:\\repos\\me@x:y')).toBe('local');
    expect(urlScheme('prefix https://github.com/o/r.git')).toBe('local');
    expect(accessFix('https://github.com/o/r.git')).toBe(
      'git needs a token for github.com: configure a credential helper with a personal access token that can read the repo (git config --global credential.helper store), or switch the repo URL in config.yaml to SSH',
    );
    // An "@…:" further along an HTTPS URL's path is not an SSH host.
    expect(accessFix('https://git.example.com/team/a@b:c.git')).toContain('git needs a token for git.example.com:');
    expect(accessFix('git@gitlab.example.com:o/r.git')).toBe(
      'check your SSH key can read it: `ssh -T git@gitlab.example.com` must greet you; if not, add your key (ssh-add ~/.ssh/id_ed25519) and register it with gitlab.example.com (Settings → SSH keys), and ask for access to the repo if you lack it',
    );
    expect(accessFix('/srv/git/r.git')).toBe('check that the path in config.yaml points at an existing git repository you can read');
  });

  it('keeps only the lines of git output worth reading', () => {
    expect(gitSaid('Cloning into x...\nremote: Counting\nfatal: one\nfatal: two')).toBe('fatal: one\n  fatal: two');
    expect(gitSaid('just a line')).toBe('just a line');
    expect(gitSaid('')).toBe('');
  });

  it("keeps git's error lines of every kind, at most four, and the last line when there is none", () => {
    const output = [
      'Cloning into x...',
      'remote: error: GH001: Large files detected.',
      'error: failed to push some refs',
      'ERROR: Repository not found.',
      'warning: fatal-looking but not fatal',
      'fatality: not an error line either',
      'fatal: one',
      'fatal: two',
    ].join('\n');
    expect(gitSaid(output)).toBe(
      'remote: error: GH001: Large files detected.\n  error: failed to push some refs\n  ERROR: Repository not found.\n  fatal: one',
    );
    // Progress lines end in \r; Windows git ends lines in \r\n; both are split and trimmed.
    expect(gitSaid('Receiving objects:  10%\rReceiving objects: 100%\r\n  last line  \r\n')).toBe('last line');
    expect(gitSaid('copying...\nwrite error: No space left on device\ndone')).toBe('write error: No space left on device');
  });
});
