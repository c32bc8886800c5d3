/**
 * Is the clone's origin the repo config.yaml names? Pure comparison of git URLs.
 *
 * The same GitHub repo is reachable as git@host:org/x.git, ssh://git@host/org/x and
 * https://host/org/x; someone who switched their clone from SSH to HTTPS has not pointed it at
 * another repo, so those compare equal. Local paths compare after resolving.
 */
import * as path from 'node:path';
import { GitError } from '../core/errors';
import { redactCredentials, splitCredentials, type UrlCredentials } from '../core/redact';
import { urlScheme } from './classify';

/** host/path in lower case without ".git" or slashes at the end, or the resolved local path. */
export function repositoryIdentity(url: string, relativeTo = '/'): string {
  const trimmed = url.trim().replace(/[/\\]+$/, '');
  const sshShort = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.+)$/.exec(trimmed);
  // User info runs to the last "@" before the path: a password may hold a raw "@".
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/]*@)?([^/:@]+)(?::\d+)?\/(.*)$/i.exec(trimmed);
  if (/^file:\/\//i.test(trimmed)) return stripGit(path.resolve(trimmed.replace(/^file:\/\//i, '')));
  if (withScheme) return `${withScheme[1].toLowerCase()}/${stripGit(withScheme[2]).toLowerCase()}`;
  if (sshShort && !/^[A-Za-z]$/.test(sshShort[1])) return `${sshShort[1].toLowerCase()}/${stripGit(sshShort[2]).toLowerCase()}`;
  return stripGit(path.resolve(relativeTo, trimmed));
}

function stripGit(value: string): string {
  return value
    .replace(/^\/+/, '')
    .replace(/\.git$/i, '')
    .replace(/\/+$/, '');
}

export function sameRepository(a: string, b: string, relativeTo = '/'): boolean {
  return repositoryIdentity(a, relativeTo) === repositoryIdentity(b, relativeTo);
}

/** config.yaml's repo URL, settled once per task into the three forms it is used in. */
export interface GitRemote {
  /** For git's command line and .git/config: holds no secret. */
  url: string;
  /** For git's environment only (./git.ts); undefined when the URL held none. */
  credentials: UrlCredentials | undefined;
  /** For people: the URL as config.yaml has it, its secret shown as `***`. */
  shown: string;
}

/**
 * Splits the URL; refuses a password in an ssh URL, which git cannot use (it would pass `user:pass`
 * to ssh as the user name) and could only put on ssh's command line.
 */
export function gitRemote(configUrl: string, display: string): GitRemote {
  const { url, credentials } = splitCredentials(configUrl);
  const shown = redactCredentials(configUrl);
  if (credentials !== undefined && urlScheme(url) !== 'https') {
    throw new GitError(display, `the repo URL in config.yaml (${shown}) has a password, which git cannot use over ssh (ssh logs in with your key)`, {
      fix: `set repo: in repos_docker_files/config.yaml to ${url} (no password), or to an https:// URL with a token`,
    });
  }
  return { url, credentials, shown };
}
