import { redactCredentials } from './redact';

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
    expect(redactCredentials(text)).toBe("cloning https://u:***@h/x.git …\nfatal: unable to access 'https://u:***@h/x.git/': 403\nmail a@b.c, see https://h/docs?q=a@b");
  });
});
