/**
 * Credentials written into a repo URL (`https://x-access-token:ghp_…@github.com/o/r.git`,
 * `https://user:pass@host/…`, `ssh://user:pass@host/…`) must never reach the terminal, Nx's
 * cached task output or a file local-dev writes. Pure: any text in (a URL, a message, git's
 * output), the same text out with the secret part of every URL's user info replaced by `***`.
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

export function redactCredentials(text: string): string {
  return text.replace(URL_USER_INFO, (whole, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    if (colon !== -1) return `${scheme}://${userInfo.slice(0, colon)}:***@`;
    if (/^https?$/i.test(scheme) && userInfo !== '') return `${scheme}://***@`;
    return whole;
  });
}
