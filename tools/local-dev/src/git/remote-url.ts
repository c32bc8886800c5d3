/**
 * Is the clone's origin the repo config.yaml names? Pure comparison of git URLs.
 *
 * The same GitHub repo is reachable as git@host:org/x.git, ssh://git@host/org/x and
 * https://host/org/x; someone who switched their clone from SSH to HTTPS has not pointed it at
 * another repo, so those compare equal. Local paths compare after resolving.
 */
import * as path from 'node:path';

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
  return value.replace(/^\/+/, '').replace(/\.git$/i, '').replace(/\/+$/, '');
}

export function sameRepository(a: string, b: string, relativeTo = '/'): boolean {
  return repositoryIdentity(a, relativeTo) === repositoryIdentity(b, relativeTo);
}
