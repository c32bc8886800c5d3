import { redactCredentials, splitCredentials } from './redact';

describe('redactCredentials', () => {
  it.each([
    ['https://x-access-token:ghp_abc123@github.com/o/r.git', 'https://x-access-token:***@github.com/o/r.git'],
    ['https://user:pass@host/x.git', 'https://user:***@host/x.git'],
    ['ssh://user:pass@host:22/x.git', 'ssh://user:***@host:22/x.git'],
    ['HTTPS://User:Pass@Host/x', 'HTTPS://User:***@Host/x'],
    // A token as the user name (GitHub accepts https://<token>@github.com/…).
    ['https://ghp_abc123@github.com/o/r.git', 'https://***@github.com/o/r.git'],
    ['http://glpat-xyz@gitlab.local/o/r', 'http://***@gitlab.local/o/r'],
    // A raw "@" or ":" in the password: nothing of it may stay visible.
    ['https://me:p@ss:w0rd@host/x', 'https://me:***@host/x'],
    ['https://me:@host/x', 'https://me:***@host/x'],
    // No secret: left alone.
    ['ssh://git@github.com/o/r.git', 'ssh://git@github.com/o/r.git'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['https://github.com/o/r.git', 'https://github.com/o/r.git'],
    ['file:///srv/git/r.git', 'file:///srv/git/r.git'],
    ['../repos/r.git', '../repos/r.git'],
  ])('%s → %s', (url, redacted) => {
    expect(redactCredentials(url)).toBe(redacted);
    expect(redactCredentials(redacted)).toBe(redacted);
  });

  it('redacts every URL inside longer text (messages, git output) and leaves the rest byte for byte', () => {
    const text = "cloning https://u:s3cret@h/x.git …\nfatal: unable to access 'https://u:s3cret@h/x.git/': 403\nmail a@b.c, see https://h/docs?q=a@b";
    expect(redactCredentials(text)).toBe(
      "cloning https://u:***@h/x.git …\nfatal: unable to access 'https://u:***@h/x.git/': 403\nmail a@b.c, see https://h/docs?q=a@b",
    );
  });
});

describe('splitCredentials', () => {
  it.each([
    // http(s): the whole user info goes; git asks for both through GIT_ASKPASS.
    ['https://x-access-token:ghp_abc123@github.com/o/r.git', 'https://github.com/o/r.git', { username: 'x-access-token', password: 'ghp_abc123' }],
    ['https://ghp_abc123@github.com/o/r.git', 'https://github.com/o/r.git', { username: 'ghp_abc123', password: '' }],
    ['HTTP://User:Pass@Host:8080/x', 'HTTP://Host:8080/x', { username: 'User', password: 'Pass' }],
    ['https://me:@host/x', 'https://host/x', { username: 'me', password: '' }],
    // A raw "@" or ":" in the password belongs to it (user info runs to the last "@" before the host).
    ['https://me:p@ss:w0rd@host/x', 'https://host/x', { username: 'me', password: 'p@ss:w0rd' }],
    // Percent-escapes decoded as git decodes them; a stray "%" stays.
    ['https://me%2Bbot:p%40ss%2Fw%C3%B6rd%@host/x', 'https://host/x', { username: 'me+bot', password: 'p@ss/wörd%' }],
    // ssh: the user name is how ssh logs in and stays; only the password goes.
    ['ssh://user:pass@host:22/x.git', 'ssh://user@host:22/x.git', { username: 'user', password: 'pass' }],
  ])('%s → %s', (url, bare, credentials) => {
    expect(splitCredentials(url)).toEqual({ url: bare, credentials });
    expect(redactCredentials(bare)).toBe(bare);
  });

  it.each([
    'ssh://git@github.com/o/r.git',
    'git@github.com:o/r.git',
    'https://github.com/o/r.git',
    'file:///srv/git/r.git',
    '../repos/r.git',
    'https://github.com/o/r@v2.git',
  ])('leaves %s as it is, with no credentials', (url) => {
    expect(splitCredentials(url)).toEqual({ url, credentials: undefined });
  });
});
