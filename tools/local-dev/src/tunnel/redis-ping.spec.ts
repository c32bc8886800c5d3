import * as net from 'node:net';
import { judgePingReply, parseRespReply, pingRedis } from './redis-ping';

describe('parseRespReply', () => {
  it('parses the replies a PING can get', () => {
    expect(parseRespReply('+PONG\r\n')).toEqual({ type: 'simple', value: 'PONG' });
    expect(parseRespReply('-NOAUTH Authentication required.\r\n')).toEqual({ type: 'error', value: 'NOAUTH Authentication required.' });
    expect(parseRespReply(':42\r\n')).toEqual({ type: 'integer', value: 42 });
    expect(parseRespReply('$4\r\nPONG\r\n')).toEqual({ type: 'bulk', value: 'PONG' });
    expect(parseRespReply('$-1\r\n')).toEqual({ type: 'bulk', value: null });
  });

  it('waits for the rest of a reply split across packets', () => {
    expect(parseRespReply('')).toBeUndefined();
    expect(parseRespReply('+PO')).toBeUndefined();
    expect(parseRespReply('$4\r\nPO')).toBeUndefined();
  });

  it('rejects bytes that are not RESP (something else answers on the port)', () => {
    expect(() => parseRespReply('HTTP/1.1 400 Bad Request\r\n')).toThrow('not a Redis reply');
    expect(() => parseRespReply('SSH-2.0')).toThrow('not a Redis reply');
  });

  it('quotes at most 40 characters of what answered, with or without a line end', () => {
    const banner = 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10 and then some more';
    expect(() => parseRespReply(banner)).toThrow(new Error('not a Redis reply: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"'));
    expect(() => parseRespReply(`${banner}\r\n`)).toThrow(new Error('not a Redis reply: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"'));
  });

  it('refuses a bulk reply whose length is not a number', () => {
    expect(() => parseRespReply('$abc\r\nPONG\r\n')).toThrow(new Error('not a Redis reply: bad bulk length "abc"'));
  });

  it('reads an empty bulk string as empty, not as a missing value', () => {
    expect(parseRespReply('$0\r\n\r\n')).toEqual({ type: 'bulk', value: '' });
  });
});

describe('judgePingReply', () => {
  it('is healthy on +PONG, reachable on -NOAUTH, failed otherwise', () => {
    expect(judgePingReply({ type: 'simple', value: 'PONG' }, 3)).toEqual({ ok: true, reply: 'PONG', ms: 3 });
    expect(judgePingReply({ type: 'error', value: 'NOAUTH Authentication required.' }, 3)).toEqual({ ok: true, reply: 'NOAUTH', ms: 3 });
    expect(judgePingReply({ type: 'error', value: 'LOADING Redis is loading the dataset in memory' }, 3)).toEqual({
      ok: false,
      reason: 'Redis answered PING with an error: LOADING Redis is loading the dataset in memory',
      ms: 3,
    });
  });

  it('takes only the simple string +PONG for healthy, and only an error that starts with NOAUTH for a password', () => {
    expect(judgePingReply({ type: 'bulk', value: 'PONG' }, 3)).toEqual({ ok: false, reason: 'Redis answered PING with "PONG" instead of PONG', ms: 3 });
    expect(judgePingReply({ type: 'error', value: 'ERR unknown command, NOAUTH follows' }, 3)).toMatchObject({ ok: false });
  });
});

describe('pingRedis against tiny real servers', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    sockets.splice(0).forEach((socket) => socket.destroy());
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function serve(onConnection: (socket: net.Socket) => void): Promise<number> {
    const server = net.createServer((socket) => {
      sockets.push(socket);
      onConnection(socket);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  it('reads a reply that arrives in pieces', async () => {
    const port = await serve((socket) =>
      socket.once('data', () => {
        socket.write('+PO');
        setTimeout(() => socket.write('NG\r\n'), 20);
      }),
    );
    const outcome = await pingRedis('127.0.0.1', port, 1000);
    expect(outcome).toMatchObject({ ok: true, reply: 'PONG' });
    // ms is how long the PING took (shown in the status), not a point in time.
    expect(outcome.ms).toBeGreaterThanOrEqual(0);
    expect(outcome.ms).toBeLessThan(60_000);
  });

  it('names what answered when it is not Redis (an HTTP server on the port)', async () => {
    const port = await serve((socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    expect(await pingRedis('127.0.0.1', port, 1000)).toEqual({
      ok: false,
      reason: 'not a Redis reply: "HTTP/1.1 400 Bad Request\\r\\n\\r\\n"',
      ms: expect.any(Number),
    });
  });

  it('tells a connection dropped after connecting from one that never connected', async () => {
    // A reset after the PING arrived: what a forward whose pod went away does.
    const port = await serve((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const outcome = await pingRedis('127.0.0.1', port, 1000);
    expect(outcome).toEqual({ ok: false, reason: `127.0.0.1:${port} dropped the connection before Redis answered PING (ECONNRESET)`, ms: expect.any(Number) });
    expect(outcome.ms).toBeLessThan(60_000);
  });

  it('is not fooled by a server that answers every command with +OK: only +PONG is Redis answering PING', async () => {
    // A tunnel that reaches something other than Redis (a proxy, another service on the port)
    // must not read healthy just because the reply is a RESP simple string.
    const port = await serve((socket) => socket.on('data', () => socket.write('+OK\r\n')));
    expect(await pingRedis('127.0.0.1', port, 1000)).toEqual({ ok: false, reason: 'Redis answered PING with "OK" instead of PONG', ms: expect.any(Number) });
  });

  it('times out on a server that accepts and never answers (a stuck forward)', async () => {
    const port = await serve(() => undefined);
    expect(await pingRedis('127.0.0.1', port, 200)).toMatchObject({ ok: false, reason: expect.stringContaining('no answer to PING within 200 ms') });
  });

  it('fails on a server that closes at once, and on a closed port', async () => {
    const port = await serve((socket) => socket.destroy());
    expect(await pingRedis('127.0.0.1', port, 1000)).toMatchObject({ ok: false });
    // Read the PING, then hang up without a word. 60 s: the close must end the PING, not its timeout.
    const hangsUp = await serve((socket) => socket.once('data', () => socket.end()));
    expect(await pingRedis('127.0.0.1', hangsUp, 60_000)).toEqual({
      ok: false,
      reason: `127.0.0.1:${hangsUp} closed the connection before Redis answered PING`,
      ms: expect.any(Number),
    });
    const closed = await serve(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await pingRedis('127.0.0.1', closed, 1000)).toEqual({
      ok: false,
      reason: `cannot connect to 127.0.0.1:${closed}: ECONNREFUSED`,
      ms: expect.any(Number),
    });
  });
});
