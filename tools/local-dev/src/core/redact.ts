/**
 * Credentials written into a repo URL (`https://x-access-token:ghp_…@github.com/o/r.git`,
 * `https://user:pass@host/…`, `ssh://user:pass@host/…`) must never reach the terminal, Nx's
 * cached task output, a file local-dev writes or a command line. Pure: any text in (a URL, a
 * message, git's output), the same text out with the secret part of every URL's user info
 * replaced by `***`; and one URL split into what may be shown, stored and passed as an argument,
 * and the secret that git gets from the environment instead (../git/git.ts).
 *
 * What is secret:
 *  - a password (`user:pass@` → `user:***@`): the user name stays, so the message still says
 *    which account was used;
 *  - a user name alone in an http(s) URL (`https://ghp_…@github.com/…` → `https://***@github.com/…`),
 *    because GitHub, GitLab and Bitbucket take a token in that place.
 * `ssh://git@host/…` and `git@host:org/x.git` carry no secret and are left as they are (the
 * messages tell users to run `ssh -T git@host`). Idempotent: redacted text stays the same.
 */

/**
 * scheme://userinfo@ — userinfo runs up to the LAST "@" before the host (a raw "@" in a password
 * must not leave its tail visible), and stops at what cannot be inside a URL's authority.
 */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*):\/\/([^\s/?#'"`<>]*)@/gi;
/** The same, for one URL from its start. */
const LEADING_USER_INFO = new RegExp(`^${URL_USER_INFO.source}`, 'i');

export interface UrlCredentials {
  /** As git would use it: percent-escapes decoded. */
  username: string;
  /** '' for a token given as the user name alone. */
  password: string;
}

/** The secret in one URL's user info, and the user name that may stay visible (undefined: none). */
function secretOf(scheme: string, userInfo: string): { visibleUser: string | undefined; username: string; password: string } | undefined {
  const colon = userInfo.indexOf(':');
  if (colon !== -1) return { visibleUser: userInfo.slice(0, colon), username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) };
  if (/^https?$/i.test(scheme) && userInfo !== '') return { visibleUser: undefined, username: userInfo, password: '' };
  return undefined;
}

export function redactCredentials(text: string): string {
  return text.replace(URL_USER_INFO, (whole, scheme: string, userInfo: string) => {
    const secret = secretOf(scheme, userInfo);
    if (secret === undefined) return whole;
    return secret.visibleUser === undefined ? `${scheme}://***@` : `${scheme}://${secret.visibleUser}:***@`;
  });
}

/**
 * A repo URL without its secret, and the credentials it held, decoded as git decodes them. An
 * http(s) URL loses its whole user info (a user name left alone there would read as a token);
 * another keeps its user name (`ssh://git@…`) and loses the password. The URL that comes out holds
 * nothing redactCredentials would hide.
 */
export function splitCredentials(url: string): { url: string; credentials: UrlCredentials | undefined } {
  const match = LEADING_USER_INFO.exec(url);
  const secret = match ? secretOf(match[1], match[2]) : undefined;
  if (match === null || secret === undefined) return { url, credentials: undefined };
  const kept = secret.visibleUser === undefined || /^https?$/i.test(match[1]) ? '' : `${secret.visibleUser}@`;
  return {
    url: `${match[1]}://${kept}${url.slice(match[0].length)}`,
    credentials: { username: percentDecode(secret.username), password: percentDecode(secret.password) },
  };
}

/** `%40` → `@`, byte by byte as git's url_decode does; a `%` not followed by two hex digits stays. */
function percentDecode(text: string): string {
  const parts = text.split(/(%[0-9a-f]{2})/i);
  return Buffer.concat(parts.map((part) => (/^%[0-9a-f]{2}$/i.test(part) ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part, 'utf8')))).toString(
    'utf8',
  );
}
