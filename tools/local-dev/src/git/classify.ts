/**
 * Turning git's failure text into an error a user can act on. Pure: text in, kind and fix out.
 *
 * git reports everything on stderr in English (we run it with LC_ALL=C), so a few well-known
 * phrases tell us what went wrong. What we do not recognise is passed on with git's own words.
 */
import { GitError } from '../core/errors';
import { redactCredentials, splitCredentials } from '../core/redact';

export type GitFailureKind = 'disk-full' | 'branch-missing' | 'no-access' | 'network' | 'unknown';

const PATTERNS: Array<{ kind: GitFailureKind; pattern: RegExp }> = [
  { kind: 'disk-full', pattern: /No space left on device|ENOSPC|Disk quota exceeded/i },
  {
    kind: 'branch-missing',
    pattern:
      /Remote branch \S+ not found in upstream|couldn't find remote ref|fatal: invalid refspec|'origin\/[^']*': unknown revision or path not in the working tree/i,
  },
  {
    kind: 'network',
    pattern:
      /Could not resolve host|Connection refused|Connection timed out|Network is unreachable|Operation timed out|ssh: connect to host|Failed to connect to|Connection reset/i,
  },
  {
    kind: 'no-access',
    pattern:
      /Permission denied \(publickey|Host key verification failed|Authentication failed|could not read Username|terminal prompts disabled|Repository not found|does not appear to be a git repository|Could not read from remote repository|Access denied|returned error: 40[134]|not found: .*\.git|No such file or directory.*\.git/i,
  },
];

export function classifyGitFailure(output: string): GitFailureKind {
  for (const { kind, pattern } of PATTERNS) if (pattern.test(output)) return kind;
  return 'unknown';
}

/** The lines of git's output worth showing: its "fatal:"/"error:"/"ERROR:" lines, else the last one. */
export function gitSaid(output: string): string {
  const lines = output
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter(Boolean);
  const important = lines.filter((line) => /^(fatal|error|ERROR|remote: error)\b/.test(line) || /No space left/.test(line));
  return (important.length > 0 ? important : lines.slice(-1)).slice(0, 4).join('\n  ');
}

export type UrlScheme = 'ssh' | 'https' | 'local';

export function urlScheme(url: string): UrlScheme {
  if (/^https?:\/\//i.test(url)) return 'https';
  if (/^ssh:\/\//i.test(url) || /^[^/\\]+@[^:/\\]+:/.test(url)) return 'ssh';
  return 'local';
}

function hostOf(url: string): string {
  const sshShort = /^[^@/]+@([^:/]+):/.exec(url);
  if (sshShort) return sshShort[1];
  // Stryker disable next-line Regex: equivalent — reached only for URLs whose scheme starts them (ssh:// or http(s)://).
  const withScheme = /^[a-z+]+:\/\/(?:[^@/]+@)?([^:/]+)/i.exec(url);
  return withScheme ? withScheme[1] : url;
}

export interface FailureContext {
  /** How the user names the clone in messages: cloned/<dir>. */
  repo: string;
  url: string;
  /** The branch we asked for, when there was one. */
  branch?: string;
  /** For branch-missing: remote branches closest to the one asked for. */
  closeBranches?: string[];
}

export function accessFix(url: string): string {
  const host = hostOf(url);
  switch (urlScheme(url)) {
    case 'ssh':
      return `check your SSH key can read it: \`ssh -T git@${host}\` must greet you; if not, add your key (ssh-add ~/.ssh/id_ed25519) and register it with ${host} (Settings → SSH keys), and ask for access to the repo if you lack it`;
    case 'https':
      if (splitCredentials(url).credentials !== undefined) {
        return `${host} did not accept the credentials in the repo URL for this repo: check that the token has not expired or been revoked and that it may read the repo, then fix repo: in repos_docker_files/config.yaml`;
      }
      return `git needs a token for ${host}: configure a credential helper with a personal access token that can read the repo (git config --global credential.helper store), or switch the repo URL in config.yaml to SSH`;
    case 'local':
      return 'check that the path in config.yaml points at an existing git repository you can read';
  }
}

/**
 * Builds the GitError a user reads for a failed git operation on `context.repo`. Credentials in
 * the URL or in git's words are redacted here, so no caller can print them (../core/redact.ts).
 */
export function describeGitFailure(kind: GitFailureKind, output: string, rawContext: FailureContext, doing: string): GitError {
  const context = { ...rawContext, url: redactCredentials(rawContext.url) };
  const said = redactCredentials(gitSaid(output));
  const cause = said ? `\n  git said: ${said}` : '';
  switch (kind) {
    case 'disk-full':
      return new GitError(context.repo, `the disk is full while ${doing}${cause}`, {
        fix: 'free some space (e.g. `docker system prune`, remove unused clones under cloned/) and re-run; a half-made clone is removed automatically on the next run',
      });
    case 'branch-missing': {
      const close = context.closeBranches ?? [];
      const list = close.length > 0 ? `closest branches on the remote: ${close.join(', ')}` : 'the remote has no branches';
      return new GitError(context.repo, `branch "${context.branch}" does not exist on ${context.url} (${list})`, {
        fix: `set \`branch:\` in repos_docker_files/config.yaml to an existing branch${close.length > 0 ? `, e.g. ${close[0]}` : ''}, or push the branch`,
      });
    }
    case 'no-access':
      return new GitError(context.repo, `cannot read ${context.url}: no access, or no such repository, while ${doing}${cause}`, {
        fix: accessFix(context.url),
      });
    case 'network':
      return new GitError(context.repo, `cannot reach ${hostOf(context.url)} while ${doing}${cause}`, {
        fix: 'check your network connection / VPN, then re-run (an existing clone keeps working offline without --refresh)',
      });
    case 'unknown':
      return new GitError(context.repo, `git failed while ${doing}${cause}`, {
        fix: "read git's message above, fix what it names and re-run",
      });
  }
}
