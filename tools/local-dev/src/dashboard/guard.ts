/**
 * Who may talk to the dashboard. It listens on 127.0.0.1 only, but any web page open in the
 * user's browser can still send requests to 127.0.0.1:<port>. So:
 *
 * - every request must name the dashboard itself in Host (127.0.0.1:<port> or localhost:<port>):
 *   a page on evil.example that rebinds its DNS name to 127.0.0.1 sends Host: evil.example;
 * - actions are POST only, and must carry Origin equal to the dashboard's own (a cross-site form
 *   or fetch carries the attacker's) and the per-start random token that only the page served by
 *   this process knows (another origin cannot read that page).
 */
import { timingSafeEqual } from 'node:crypto';

/** The header the page sends its token in (a custom header also forces a CORS preflight, never granted). */
export const TOKEN_HEADER = 'x-dashboard-token';

export interface RequestFacts {
  method: string | undefined;
  host: string | undefined;
  origin: string | undefined;
  token: string | undefined;
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

/** Pure: an action request — POST, own Host, own Origin, and the token of this start. */
export function checkAction(request: RequestFacts, port: number, token: string): Verdict {
  if (request.method !== 'POST') return { ok: false, status: 405, reason: 'actions are POST only' };
  const host = checkHost(request.host, port);
  if (!host.ok) return host;
  const origins = ownHosts(port).map((own) => `http://${own}`);
  if (request.origin === undefined || !origins.includes(request.origin.toLowerCase())) {
    return { ok: false, status: 403, reason: `Origin ${JSON.stringify(request.origin ?? '')} is not this dashboard` };
  }
  if (request.token === undefined || !sameSecret(request.token, token)) return { ok: false, status: 403, reason: 'missing or wrong dashboard token (reload the page)' };
  return { ok: true };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
