/**
 * The dashboard server on a real socket (127.0.0.1, a free port), with its data sources replaced
 * by small fakes: the page, the snapshot, the event stream, and who may run an action.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { ActionRunner } from './actions';
import { createDashboardServer, pageHtml } from './server';
import type { DashboardView } from './view';

const TOKEN = 'a1b2c3d4e5f6';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function view(name: string): DashboardView {
  return { generatedAt: '', namespace: 's1', engine: { reachable: true, error: undefined }, services: [{ name } as DashboardView['services'][number]], tunnel: {} as DashboardView['tunnel'], run: undefined, buildTimes: [], problems: [] };
}

describe('the dashboard server', () => {
  let port: number;
  let server: http.Server;
  let listeners: ((view: DashboardView) => void)[];
  let runAction: jest.MockedFunction<ActionRunner>;

  beforeEach(async () => {
    port = await freePort();
    listeners = [];
    runAction = jest.fn(async (_action, _service, log) => log('svc-0: restarted'));
    server = createDashboardServer({
      port,
      token: TOKEN,
      snapshot: async () => view('svc-0'),
      subscribe: (listener) => {
        listeners.push(listener);
        return () => (listeners = listeners.filter((other) => other !== listener));
      },
      services: () => ['svc-0', 'svc-1'],
      followLogs: async () => () => undefined,
      followBuildOutput: () => () => undefined,
      runAction,
      log: () => undefined,
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const own = () => ({ origin: `http://127.0.0.1:${port}`, 'x-dashboard-token': TOKEN, 'content-type': 'application/json' });
  const restart = (headers: Record<string, string>, method = 'POST') => request(port, method, '/api/actions/restart', headers, method === 'POST' ? JSON.stringify({ service: 'svc-0' }) : undefined);

  it('serves the page with this start\'s token, its script, and the snapshot as JSON', async () => {
    const page = await request(port, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<meta name="dashboard-token" content="${TOKEN}">`);
    expect((await request(port, 'GET', '/app.js')).headers['content-type']).toContain('text/javascript');
    const snapshot = await request(port, 'GET', '/api/snapshot');
    expect(JSON.parse(snapshot.body)).toEqual(view('svc-0'));
    expect((await request(port, 'GET', '/nope')).status).toBe(404);
  });

  it('pushes a snapshot at once, then each new one, as server-sent events', async () => {
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/events', headers: { host: `localhost:${port}` } }, (response) => {
        expect(response.headers['content-type']).toContain('text/event-stream');
        response.on('data', (chunk: Buffer) => {
          received.push(chunk.toString());
          const text = received.join('');
          if (text.includes('"svc-0"') && listeners.length === 1 && !text.includes('"svc-9"')) listeners[0](view('svc-9'));
          if (text.includes('"svc-9"')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', reject);
    });
    const text = received.join('');
    expect(text).toContain('retry: 1000');
    expect(text).toMatch(/event: snapshot\ndata: \{.*"svc-0".*\n\nevent: snapshot\ndata: \{.*"svc-9"/s);
  });

  it('runs an action sent by its own page, and answers with its lines', async () => {
    const reply = await restart(own());
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ok: true, lines: ['svc-0: restarted'] });
    expect(runAction).toHaveBeenCalledWith('restart', 'svc-0', expect.any(Function));
  });

  it.each([
    ['another origin', { origin: 'http://evil.example' }, 403, /Origin "http:\/\/evil.example" is not this dashboard/],
    ['no Origin', { origin: undefined }, 403, /Origin "" is not this dashboard/],
    ['no token', { 'x-dashboard-token': undefined }, 403, /missing or wrong dashboard token/],
    ['a wrong token', { 'x-dashboard-token': 'a1b2c3d4e5f7' }, 403, /missing or wrong dashboard token/],
    ['a wrong token of another length', { 'x-dashboard-token': 'a1' }, 403, /missing or wrong dashboard token/],
    ['a Host that is not loopback (DNS rebinding)', { host: 'evil.example:9999' }, 403, /Host "evil.example:9999" is not this dashboard/],
  ])('refuses an action with %s, and runs nothing', async (_what, change, status, message) => {
    const headers = Object.fromEntries(Object.entries({ ...own(), ...change }).filter(([, value]) => value !== undefined)) as Record<string, string>;
    const reply = await restart(headers);
    expect({ status: reply.status, error: JSON.parse(reply.body).error }).toEqual({ status, error: expect.stringMatching(message) });
    expect(runAction).not.toHaveBeenCalled();
  });

  it('refuses GET on an action (405, POST only), even with the token', async () => {
    const reply = await restart(own(), 'GET');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
    expect(runAction).not.toHaveBeenCalled();
  });

  it('refuses the page and the snapshot to a Host that is not the dashboard\'s own', async () => {
    for (const path of ['/', '/api/snapshot', '/api/events']) {
      const reply = await request(port, 'GET', path, { host: 'attacker.example' });
      expect(reply.status).toBe(403);
      expect(reply.body).not.toContain(TOKEN);
    }
  });

  it('refuses an unknown service or action, and a body that is not JSON', async () => {
    expect((await request(port, 'POST', '/api/actions/restart', own(), JSON.stringify({ service: 'svc-O' }))).status).toBe(400);
    expect((await request(port, 'POST', '/api/actions/format-disk', own(), '{}')).status).toBe(404);
    expect((await request(port, 'POST', '/api/actions/restart', own(), '{nope')).status).toBe(400);
    expect(runAction).not.toHaveBeenCalled();
  });

  it('the same action for the same service cannot run twice at once; another service can', async () => {
    let finish = () => undefined as void;
    const blocked = new Promise<void>((resolve) => (finish = resolve));
    runAction.mockImplementation(async (_action, service) => {
      if (service === 'svc-0') await blocked;
    });
    const first = restart(own());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await restart(own());
    expect({ status: second.status, error: JSON.parse(second.body).error }).toEqual({ status: 409, error: 'restart svc-0 is already running' });
    expect((await request(port, 'POST', '/api/actions/restart', own(), JSON.stringify({ service: 'svc-1' }))).status).toBe(200);
    finish();
    expect((await first).status).toBe(200);
    expect((await restart(own())).status).toBe(200);
  });

  it('a failing action answers ok: false with the error and its fix, as the command line prints them', async () => {
    const { UsageError } = await import('../core/errors');
    runAction.mockRejectedValue(new UsageError('svc-0 has no container to restart — nothing was restarted', { fix: '`nx run svc-0:up`' }));
    const reply = JSON.parse((await restart(own())).body);
    expect(reply).toEqual({ ok: false, lines: [], error: expect.stringContaining('svc-0 has no container to restart') });
    expect(reply.error).toContain('fix: `nx run svc-0:up`');
  });

  it('pageHtml only embeds a hex token', () => {
    expect(pageHtml('<meta content="__DASHBOARD_TOKEN__">', 'ab12')).toBe('<meta content="ab12">');
    expect(() => pageHtml('x', '"><script>')).toThrow('hex');
  });
});
