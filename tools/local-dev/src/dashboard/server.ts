/**
 * The dashboard's HTTP server (node:http, no framework): the page, a JSON snapshot of the view,
 * server-sent events for new snapshots, logs and build output, and the POST actions.
 *
 *   GET  /                         the page (the per-start token embedded in it)
 *   GET  /app.js, /app.css         its script and style
 *   GET  /api/snapshot             the current view (src/dashboard/view.ts), as JSON
 *   GET  /api/events               SSE: `snapshot` events, one now and one on every change
 *   GET  /api/logs?services=a,b    SSE: `line` events from the services' containers
 *   GET  /api/build-output         SSE: `output` events following logs/build_output.log
 *   POST /api/actions/<action>     {"service": "svc"} → {ok, lines, error?}; 409 while the same one runs
 *
 * Every request must carry the dashboard's own Host; the /api/ GETs also the token or the
 * browser's word that the dashboard's page sent them, actions its Origin and token (guard.ts).
 * An event stream registers its cleanup before it awaits anything, at most MAX_STREAMS are open
 * at once, and a page that does not read costs a bounded buffer (event-stream.ts).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { describeFailure } from '../core/edge';
import { isLocalDevError } from '../core/errors';
import { actionKey, isActionName, type ActionRunner } from './actions';
import { EventStream } from './event-stream';
import type { LogSend } from './followers';
import { checkAction, checkHost, checkRead, TOKEN_HEADER, TOKEN_PARAMETER } from './guard';
import type { BuildOutputSend } from './streams';
import type { DashboardView } from './view';

export interface DashboardServerOptions {
  port: number;
  token: string;
  snapshot: () => Promise<DashboardView>;
  subscribe: (listener: (view: DashboardView) => void) => () => void;
  services: () => string[];
  /** Sends the services' log lines until the returned function is called; registers at once (followers.ts). */
  followLogs: (services: string[], send: LogSend) => () => void;
  followBuildOutput: (send: BuildOutputSend) => () => void;
  runAction: ActionRunner;
  log: (line: string) => void;
  /** Event streams open at once (MAX_STREAMS unless a test says otherwise). */
  maxStreams?: number;
}

const ASSETS = path.join(__dirname, 'assets');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
/** Event streams open at once, over all pages: each page holds three (snapshots, logs, build output). */
export const MAX_STREAMS = 30;

/** Pure: the page with this start's token (hex, so it needs no escaping) in its meta tag. */
export function pageHtml(template: string, token: string): string {
  if (!/^[0-9a-f]+$/.test(token)) throw new Error('the dashboard token must be hex');
  return template.replace('__DASHBOARD_TOKEN__', token);
}

export function createDashboardServer(options: DashboardServerOptions): http.Server {
  const running = new Set<string>();
  const streams = new Set<EventStream>();
  const maxStreams = options.maxStreams ?? MAX_STREAMS;
  const template = readFileSync(path.join(ASSETS, 'index.html'), 'utf8');

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    const host = checkHost(request.headers.host, options.port);
    if (!host.ok) return sendJson(response, host.status, { error: host.reason });

    if (url.pathname.startsWith('/api/actions/')) {
      const verdict = checkAction(
        {
          method: request.method,
          host: request.headers.host,
          origin: header(request, 'origin'),
          token: header(request, TOKEN_HEADER),
          fetchSite: header(request, 'sec-fetch-site'),
        },
        options.port,
        options.token,
      );
      if (!verdict.ok) return sendJson(response, verdict.status, { error: verdict.reason }, verdict.status === 405 ? { allow: 'POST' } : {});
      const action = url.pathname.slice('/api/actions/'.length);
      if (!isActionName(action)) return sendJson(response, 404, { error: `no action ${JSON.stringify(action)}` });
      let body: Record<string, unknown>;
      try {
        body = await readBody(request);
      } catch (error) {
        return sendJson(response, 400, { error: `the request body is not JSON: ${(error as Error).message}` });
      }
      const service = typeof body.service === 'string' ? body.service : undefined;
      if (action !== 'reconnect-tunnel' && (!service || !options.services().includes(service)))
        return sendJson(response, 400, { error: `no service ${JSON.stringify(service ?? '')} in config.yaml` });
      const key = actionKey(action, service);
      if (running.has(key)) return sendJson(response, 409, { error: `${action}${service ? ` ${service}` : ''} is already running` });
      running.add(key);
      const lines: string[] = [];
      try {
        await options.runAction(action, service, (line) => lines.push(line));
        return sendJson(response, 200, { ok: true, lines });
      } catch (error) {
        if (!isLocalDevError(error)) options.log(`${key} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return sendJson(response, 200, { ok: false, lines, error: describeFailure(`${action}${service ? ` ${service}` : ''}`, error) });
      } finally {
        running.delete(key);
      }
    }

    if (request.method !== 'GET') return sendJson(response, 405, { error: 'only GET here' }, { allow: 'GET' });
    if (url.pathname.startsWith('/api/')) {
      const token = header(request, TOKEN_HEADER) ?? url.searchParams.get(TOKEN_PARAMETER) ?? undefined;
      const verdict = checkRead(
        { method: request.method, host: request.headers.host, origin: header(request, 'origin'), token, fetchSite: header(request, 'sec-fetch-site') },
        options.port,
        options.token,
      );
      if (!verdict.ok) return sendJson(response, verdict.status, { error: verdict.reason });
    }
    /** An event stream, or undefined when MAX_STREAMS are open (answered 503: the page tries again later). */
    const openStream = (): EventStream | undefined => {
      if (streams.size >= maxStreams) {
        sendJson(
          response,
          503,
          { error: `${streams.size} dashboard streams are open already (at most ${maxStreams}): close some dashboard tabs` },
          { 'retry-after': '5' },
        );
        return undefined;
      }
      const stream = new EventStream(response, BASE_HEADERS);
      streams.add(stream);
      stream.onClose(() => streams.delete(stream));
      return stream;
    };
    switch (url.pathname) {
      case '/':
        return send(response, 200, 'text/html; charset=utf-8', pageHtml(template, options.token));
      case '/app.js':
      case '/app.css':
        return send(response, 200, TYPES[path.extname(url.pathname)], readFileSync(path.join(ASSETS, url.pathname.slice(1)), 'utf8'));
      case '/api/snapshot':
        return sendJson(response, 200, await options.snapshot());
      case '/api/events': {
        const events = openStream();
        if (!events) return;
        let pushed = false;
        events.onClose(
          options.subscribe((view) => {
            pushed = true;
            events.state('snapshot', view);
          }),
        );
        const view = await options.snapshot();
        // A newer view may have been pushed while this one was gathered.
        if (!pushed) events.state('snapshot', view);
        return;
      }
      case '/api/logs': {
        const wanted = (url.searchParams.get('services') ?? '').split(',').filter(Boolean);
        const known = options.services();
        const unknown = wanted.filter((service) => !known.includes(service));
        if (unknown.length > 0) return sendJson(response, 400, { error: `no service ${unknown.join(', ')} in config.yaml` });
        const events = openStream();
        if (!events) return;
        events.onClose(options.followLogs(wanted.length > 0 ? wanted : known, (line) => events.line('line', line)));
        return;
      }
      case '/api/build-output': {
        const events = openStream();
        if (!events) return;
        // Changes missed while the page did not read are made good by the whole text once it reads again.
        events.onClose(options.followBuildOutput((change, whole) => events.state('output', events.isBlocked ? { reset: true, text: whole } : change)));
        return;
      }
      default:
        return sendJson(response, 404, { error: `nothing at ${url.pathname}` });
    }
  };

  return http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // The path only: a stream's URL carries the token.
      options.log(`${request.method} ${(request.url ?? '').split('?')[0]} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { error: describeFailure('dashboard', error) });
      else response.end();
    });
  });
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' };

function send(response: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { ...BASE_HEADERS, 'content-type': type, ...extra });
  response.end(body);
}

function sendJson(response: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body), extra);
}

/** The JSON body of an action (at most 64 KiB; an empty body is `{}`). */
async function readBody(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) {
    text += (chunk as Buffer).toString();
    if (text.length > 65_536) throw new Error('request body too large');
  }
  if (text.trim() === '') return {};
  const parsed = JSON.parse(text) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}
