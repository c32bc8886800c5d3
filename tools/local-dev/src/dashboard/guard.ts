/**
 * Who may talk to the dashboard. It listens on 127.0.0.1 only, but any web page open in the
 * user's browser can still send requests to 127.0.0.1:<port>. So:
 *
 * - every request must name the dashboard itself in Host (127.0.0.1:<port> or localhost:<port>):
 *   a page on evil.example that rebinds its DNS name to 127.0.0.1 sends Host: evil.example;
 * - actions are POST only, and must carry Origin equal to the dashboard's own (a cross-site form
 *   or fetch carries the attacker's) and the per-start random token that only the page served by
 *   this process knows (another origin cannot read that page);
 * - every other request that does work (a snapshot gathers the model; the event streams start a
 *   poller, `docker logs` followers, a file watch) must show it comes from the dashboard's own page:
 *   the token (the page puts it in its streams' URLs, as EventSource cannot send a header), or the
 *   browser's own word (Sec-Fetch-Site: same-origin, or Origin equal to the dashboard's). A foreign
 *   page's `fetch(…, {mode: 'no-cors'})` carries neither: its answer is opaque to it, but without
 *   this check the work it asked for would still run. The page itself and its script and style
 *   need only the Host: they do nothing, and the token they hold cannot be read by another origin.
 */
import { timingSafeEqual } from 'node:crypto';

/** The header the page sends its token in (a custom header also forces a CORS preflight, never granted). */
export const TOKEN_HEADER = 'x-dashboard-token';

/** The query parameter the page's event streams carry the token in. */
export const TOKEN_PARAMETER = 'token';

export interface RequestFacts {
  method: string | undefined;
  host: string | undefined;
  origin: string | undefined;
  /** From the header, or for a GET from the `token` query parameter. */
  token: string | undefined;
  /** Sec-Fetch-Site, which browsers set on every request and no page can forge. */
  fetchSite: string | undefined;
}

export type Verdict = { ok: true } | { ok: false; status: number; reason: string };

/** Pure: the Host values this dashboard answers to. */
export function ownHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Pure: any request (page, snapshot, events, logs) — refused when Host is not the dashboard's own. */
export function checkHost(host: string | undefined, port: number): Verdict {
  if (host === undefined || !ownHosts(port).includes(host.toLowerCase())) {
    return { ok: false, status: 403, reason: `Host ${JSON.stringify(host ?? '')} is not this dashboard (${ownHosts(port).join(' or ')})` };
  }
  return { ok: true };
}

/**
 * Sec-Fetch-Site values that mean "not the dashboard's own page". same-site counts as foreign:
 * ports do not make sites, so a page of any other local server (localhost:3000) is same-site.
 */
const FOREIGN_FETCH_SITES = ['cross-site', 'same-site'];

/**
 * Pure: a GET that does work (snapshot, event streams). Refused when Host is not the dashboard's,
 * when the browser says another site sent it (Sec-Fetch-Site or Origin), when its token is wrong
 * (a page of an earlier start: it reloads its token), and when nothing at all says it comes from
 * the dashboard's page (no token, no Sec-Fetch-Site, no Origin: an old browser's foreign page).
 * A typed address (Sec-Fetch-Site: none) is the user's own request.
 */
export function checkRead(request: RequestFacts, port: number, token: string): Verdict {
  const host = checkHost(request.host, port);
  if (!host.ok) return host;
  const fetchSite = request.fetchSite?.toLowerCase();
  if (fetchSite !== undefined && FOREIGN_FETCH_SITES.includes(fetchSite)) {
    return {
      ok: false,
      status: 403,
      reason: `a request from another web page (Sec-Fetch-Site: ${fetchSite}): open the dashboard itself, ${ownOrigins(port)[0]}/`,
    };
  }
  if (request.origin !== undefined && !ownOrigins(port).includes(request.origin.toLowerCase())) {
    return { ok: false, status: 403, reason: `Origin ${JSON.stringify(request.origin)} is not this dashboard` };
  }
  if (request.token !== undefined)
    return sameSecret(request.token, token) ? { ok: true } : { ok: false, status: 403, reason: 'wrong dashboard token (reload the page)' };
  if (fetchSite === 'same-origin' || fetchSite === 'none' || request.origin !== undefined) return { ok: true };
  return {
    ok: false,
    status: 403,
    reason: `missing dashboard token: open the dashboard itself, ${ownOrigins(port)[0]}/ (a script sends the header ${TOKEN_HEADER} with the token of its page)`,
  };
}

/** Pure: `http://127.0.0.1:<port>` and `http://localhost:<port>`. */
function ownOrigins(port: number): string[] {
  return ownHosts(port).map((own) => `http://${own}`);
}

/** Pure: an action request — POST, own Host, own Origin, and the token of this start. */
export function checkAction(request: RequestFacts, port: number, token: string): Verdict {
  if (request.method !== 'POST') return { ok: false, status: 405, reason: 'actions are POST only' };
  const host = checkHost(request.host, port);
  if (!host.ok) return host;
  if (request.origin === undefined || !ownOrigins(port).includes(request.origin.toLowerCase())) {
    return { ok: false, status: 403, reason: `Origin ${JSON.stringify(request.origin ?? '')} is not this dashboard` };
  }
  if (request.token === undefined || !sameSecret(request.token, token))
    return { ok: false, status: 403, reason: 'missing or wrong dashboard token (reload the page)' };
  return { ok: true };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
