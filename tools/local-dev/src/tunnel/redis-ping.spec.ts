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
});

describe('judgePingReply', () => {
  it('is healthy on +PONG, reachable on -NOAUTH, failed otherwise', () => {
    expect(judgePingReply({ type: 'simple', value: 'PONG' }, 3)).toEqual({ ok: true, reply: 'PONG', ms: 3 });
    expect(judgePingReply({ type: 'error', value: 'NOAUTH Authentication required.' }, 3)).toEqual({ ok: true, reply: 'NOAUTH', ms: 3 });
    expect(judgePingReply({ type: 'error', value: 'LOADING Redis is loading the dataset in memory' }, 3)).toMatchObject({ ok: false, reason: expect.stringContaining('LOADING') });
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
    const port = await serve((socket) => socket.once('data', () => {
      socket.write('+PO');
      setTimeout(() => socket.write('NG\r\n'), 20);
    }));
    expect(await pingRedis('127.0.0.1', port, 1000)).toMatchObject({ ok: true, reply: 'PONG' });
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
    const closed = await serve(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await pingRedis('127.0.0.1', closed, 1000)).toMatchObject({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
  });
});
