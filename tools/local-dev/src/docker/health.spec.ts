import * as http from 'node:http';
import * as net from 'node:net';
import { probeHttp, probeTcp } from './health';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

describe('health probes (real sockets)', () => {
  it('passes on HTTP 2xx and reports other answers', async () => {
    const server = http.createServer((request, response) => {
      response.statusCode = request.url === '/health' ? 204 : 503;
      response.end();
    });
    const port = await listen(server);
    try {
      await expect(probeHttp('127.0.0.1', port, '/health')).resolves.toEqual({ ok: true });
      await expect(probeHttp('127.0.0.1', port, '/ready')).resolves.toEqual({ ok: false, reason: 'GET /ready answered 503' });
    } finally {
      server.close();
    }
  });

  it('passes when the TCP port accepts, and says why not otherwise', async () => {
    const server = net.createServer((socket) => socket.end());
    const port = await listen(server);
    await expect(probeTcp('127.0.0.1', port)).resolves.toEqual({ ok: true });
    await new Promise((resolve) => server.close(resolve));
    const closed = await probeTcp('127.0.0.1', port);
    expect(closed).toMatchObject({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
    await expect(probeHttp('127.0.0.1', port, '/')).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
  });
});
