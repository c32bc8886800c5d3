/**
 * The dashboard server on a real socket (127.0.0.1, a free port), with its data sources replaced
 * by small fakes: the page, the snapshot, the event streams (who may open one, their cleanup, their
 * bound, a client that does not read), and who may run an action. The real sources behind them
 * (docker, the stack model) are driven in e2e/dashboard-streams.e2e.spec.ts and dashboard.e2e.spec.ts.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { ActionRunner } from './actions';
import type { LogSend } from './followers';
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
  return {
    generatedAt: '',
    namespace: 's1',
    engine: { reachable: true, error: undefined },
    services: [{ name } as DashboardView['services'][number]],
    tunnel: {} as DashboardView['tunnel'],
    run: undefined,
    buildTimes: [],
    problems: [],
  };
}

describe('the dashboard server', () => {
  let port: number;
  let server: http.Server;
  let listeners: ((view: DashboardView) => void)[];
  let runAction: jest.MockedFunction<ActionRunner>;
  let snapshot: jest.Mock<Promise<DashboardView>, []>;
  /** The log subscriptions open now (their `send`), and those ever opened. */
  let logSubscribers: Set<LogSend>;
  let followLogs: jest.Mock<() => void, [string[], LogSend]>;
  let followBuildOutput: jest.Mock;

  beforeEach(async () => {
    port = await freePort();
    listeners = [];
    logSubscribers = new Set();
    runAction = jest.fn(async (_action, _service, log) => log('svc-0: restarted'));
    snapshot = jest.fn(async () => view('svc-0'));
    followLogs = jest.fn((_services: string[], send: LogSend) => {
      logSubscribers.add(send);
      return () => logSubscribers.delete(send);
    });
    followBuildOutput = jest.fn(() => () => undefined);
    server = createDashboardServer({
      port,
      token: TOKEN,
      snapshot: () => snapshot(),
      subscribe: (listener) => {
        listeners.push(listener);
        return () => (listeners = listeners.filter((other) => other !== listener));
      },
      services: () => ['svc-0', 'svc-1'],
      followLogs,
      followBuildOutput,
      runAction,
      log: () => undefined,
      maxStreams: 4,
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const own = () => ({ origin: `http://127.0.0.1:${port}`, 'x-dashboard-token': TOKEN, 'content-type': 'application/json' });
  const restart = (headers: Record<string, string>, method = 'POST') =>
    request(port, method, '/api/actions/restart', headers, method === 'POST' ? JSON.stringify({ service: 'svc-0' }) : undefined);

  it("serves the page with this start's token, its script, and the snapshot as JSON", async () => {
    const page = await request(port, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<meta name="dashboard-token" content="${TOKEN}">`);
    expect((await request(port, 'GET', '/app.js')).headers['content-type']).toContain('text/javascript');
    const reply = await request(port, 'GET', '/api/snapshot', { 'sec-fetch-site': 'same-origin' });
    expect(JSON.parse(reply.body)).toEqual(view('svc-0'));
    expect((await request(port, 'GET', '/nope')).status).toBe(404);
  });

  it('pushes a snapshot at once, then each new one, as server-sent events', async () => {
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/api/events?token=${TOKEN}`, headers: { host: `localhost:${port}` } }, (response) => {
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
    expect({ status: reply.status, error: (JSON.parse(reply.body) as { error: string }).error }).toEqual({ status, error: expect.stringMatching(message) });
    expect(runAction).not.toHaveBeenCalled();
  });

  it('refuses GET on an action (405, POST only), even with the token', async () => {
    const reply = await restart(own(), 'GET');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
    expect(runAction).not.toHaveBeenCalled();
  });

  it("refuses the page and the snapshot to a Host that is not the dashboard's own", async () => {
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
    expect({ status: second.status, error: (JSON.parse(second.body) as { error: string }).error }).toEqual({
      status: 409,
      error: 'restart svc-0 is already running',
    });
    expect((await request(port, 'POST', '/api/actions/restart', own(), JSON.stringify({ service: 'svc-1' }))).status).toBe(200);
    finish();
    expect((await first).status).toBe(200);
    expect((await restart(own())).status).toBe(200);
  });

  it('a failing action answers ok: false with the error and its fix, as the command line prints them', async () => {
    const { UsageError } = await import('../core/errors');
    runAction.mockRejectedValue(new UsageError('svc-0 has no container to restart — nothing was restarted', { fix: '`nx run svc-0:up`' }));
    const reply = JSON.parse((await restart(own())).body) as { ok: boolean; lines: string[]; error: string };
    expect(reply).toEqual({ ok: false, lines: [], error: expect.stringContaining('svc-0 has no container to restart') });
    expect(reply.error).toContain('fix: `nx run svc-0:up`');
  });

  describe('the GETs that do work: snapshot and event streams', () => {
    const workPaths = ['/api/snapshot', '/api/events', '/api/logs', '/api/logs?services=svc-0', '/api/build-output'];

    /** Opens a stream, returns what it received once `until` holds for the text, and closes it. */
    function openStream(path: string, headers: Record<string, string> = {}): { response: Promise<http.IncomingMessage>; close: () => void } {
      const req = http.get({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } });
      const response = new Promise<http.IncomingMessage>((resolve, reject) => {
        req.on('response', resolve);
        req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
      });
      return { response, close: () => req.destroy() };
    }

    async function until(condition: () => boolean, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`waited 10 s for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    const foreign: [string, Record<string, string>][] = [
      ["a foreign page's no-cors fetch", { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }],
      ['a page of another local server', { origin: `http://127.0.0.1:${1}`, 'sec-fetch-site': 'same-site' }],
      ['a foreign page of a browser without Sec-Fetch-Site', { origin: 'http://evil.example' }],
      ['a request that says nothing (no token, no Sec-Fetch-Site, no Origin)', {}],
      ['a wrong token', { 'x-dashboard-token': 'a1b2c3d4e5f7' }],
    ];
    it.each(foreign)('refuses %s with 403 on every one of them, and starts nothing', async (_who, headers) => {
      for (const path of workPaths) {
        const reply = await request(port, 'GET', path, headers);
        expect({ path, status: reply.status }).toEqual({ path, status: 403 });
        expect((JSON.parse(reply.body) as { error: string }).error).toMatch(/another web page|not this dashboard|dashboard token/);
      }
      expect({
        snapshots: snapshot.mock.calls.length,
        subscribers: listeners.length,
        logs: followLogs.mock.calls.length,
        buildOutput: followBuildOutput.mock.calls.length,
      }).toEqual({ snapshots: 0, subscribers: 0, logs: 0, buildOutput: 0 });
    });

    it("serves its own page's requests: the token in the URL or the header, or the browser saying same-origin", async () => {
      expect((await request(port, 'GET', `/api/snapshot?token=${TOKEN}`)).status).toBe(200);
      expect((await request(port, 'GET', '/api/snapshot', { 'x-dashboard-token': TOKEN })).status).toBe(200);
      expect((await request(port, 'GET', '/api/snapshot', { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
      const stream = openStream(`/api/logs?services=svc-1&token=${TOKEN}`, { 'sec-fetch-site': 'same-origin' });
      expect((await stream.response).statusCode).toBe(200);
      stream.close();
      expect(followLogs).toHaveBeenCalledWith(['svc-1'], expect.any(Function));
    });

    it('a page that leaves while its first snapshot is gathered leaves nothing subscribed', async () => {
      let gathered = (_view: DashboardView) => undefined as void;
      snapshot.mockImplementation(() => new Promise((resolve) => (gathered = resolve)));
      const stream = openStream(`/api/events?token=${TOKEN}`);
      await stream.response;
      await until(() => snapshot.mock.calls.length === 1, 'the snapshot to be asked for');
      expect(listeners).toHaveLength(1);
      stream.close();
      await until(() => listeners.length === 0, 'the subscription to end');
      gathered(view('svc-0'));
    });

    it('a page that leaves ends its log subscription', async () => {
      const stream = openStream(`/api/logs?token=${TOKEN}`);
      await stream.response;
      expect(followLogs).toHaveBeenCalledWith(['svc-0', 'svc-1'], expect.any(Function));
      expect(logSubscribers.size).toBe(1);
      stream.close();
      await until(() => logSubscribers.size === 0, 'the log subscription to end');
    });

    it('opens at most maxStreams event streams; the next is told 503 and may come back when one closed', async () => {
      const streams = [0, 1, 2, 3].map(() => openStream(`/api/build-output?token=${TOKEN}`));
      expect(await Promise.all(streams.map(async (stream) => (await stream.response).statusCode))).toEqual([200, 200, 200, 200]);
      const refused = await request(port, 'GET', `/api/logs?token=${TOKEN}`);
      expect({ status: refused.status, error: (JSON.parse(refused.body) as { error: string }).error }).toEqual({
        status: 503,
        error: '4 dashboard streams are open already (at most 4): close some dashboard tabs',
      });
      expect(followLogs).not.toHaveBeenCalled();
      streams[0].close();
      // The server sees the close a moment later: until then the next one is still refused.
      const deadline = Date.now() + 10_000;
      let again = openStream(`/api/logs?token=${TOKEN}`);
      while ((await again.response).statusCode !== 200 && Date.now() < deadline) {
        again.close();
        await new Promise((resolve) => setTimeout(resolve, 20));
        again = openStream(`/api/logs?token=${TOKEN}`);
      }
      expect(followLogs).toHaveBeenCalledTimes(1);
      streams.slice(1).forEach((stream) => stream.close());
      again.close();
    });

    it('a page that does not read gets "N lines skipped" once it reads again: the lines are dropped meanwhile, never piled up', async () => {
      const stream = openStream(`/api/logs?services=svc-0&token=${TOKEN}`);
      const response = await stream.response;
      // Reads nothing: what the server writes fills the socket, then its buffer.
      response.pause();
      await until(() => logSubscribers.size === 1, 'the log subscription');
      const [send] = logSubscribers;
      const sent = 20_000;
      for (let index = 0; index < sent; index++) send({ service: 'svc-0', stream: 'stdout', text: `${index} ${'x'.repeat(1000)}` });
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.resume();
      await until(() => text.includes('event: skipped'), 'the skipped event');
      send({ service: 'svc-0', stream: 'stdout', text: 'the end' });
      await until(() => text.includes('"the end"'), 'the last line');
      stream.close();
      const received = (text.match(/^event: line$/gm) ?? []).length - 1;
      const skipped = [...text.matchAll(/event: skipped\ndata: \{"lines":(\d+)\}/g)].reduce((sum, match) => sum + Number(match[1]), 0);
      expect(received + skipped).toBe(sent);
      // 20 MB were sent; what got through is what the socket held, not all of it.
      expect(received).toBeLessThan(sent / 2);
    });

    it('a page that reads gets a burst (the 200 lines a page gets first) whole, with nothing skipped', async () => {
      const stream = openStream(`/api/logs?services=svc-0&token=${TOKEN}`);
      const response = await stream.response;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      await until(() => logSubscribers.size === 1, 'the log subscription');
      const [send] = logSubscribers;
      for (let index = 0; index < 200; index++) send({ service: 'svc-0', stream: 'stdout', text: `${index} ${'x'.repeat(1000)}` });
      send({ service: 'svc-0', stream: 'stdout', text: 'the end' });
      await until(() => text.includes('"the end"'), 'the last line');
      stream.close();
      expect({ lines: (text.match(/^event: line$/gm) ?? []).length, skipped: text.includes('event: skipped') }).toEqual({ lines: 201, skipped: false });
    });

    it('a page that does not read gets only the newest snapshot once it reads again', async () => {
      const stream = openStream(`/api/events?token=${TOKEN}`);
      const response = await stream.response;
      response.pause();
      await until(() => listeners.length === 1, 'the subscription');
      const big = (index: number) => ({ ...view(`svc-${index}`), namespace: 'x'.repeat(10_000) });
      for (let index = 0; index < 2000; index++) listeners[0](big(index));
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.resume();
      await until(() => text.includes('"svc-1999"'), 'the newest snapshot');
      stream.close();
      expect((text.match(/^event: snapshot$/gm) ?? []).length).toBeLessThan(1000);
    });
  });

  it('pageHtml only embeds a hex token', () => {
    expect(pageHtml('<meta content="__DASHBOARD_TOKEN__">', 'ab12')).toBe('<meta content="ab12">');
    expect(() => pageHtml('x', '"><script>')).toThrow('hex');
  });
});
