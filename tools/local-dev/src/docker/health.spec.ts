import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import { probeHttp, probeTcp, waitUntilHealthy, type HealthTarget } from './health';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function close(server: net.Server): Promise<unknown> {
  return new Promise((resolve) => server.close(resolve));
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
      await close(server);
    }
  });

  it("passes when the container's own address accepts, and says why not otherwise", async () => {
    const server = net.createServer((socket) => socket.end());
    const port = await listen(server);
    await expect(probeTcp('127.0.0.1', port)).resolves.toEqual({ ok: true });
    await close(server);
    const closed = await probeTcp('127.0.0.1', port);
    expect(closed).toMatchObject({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
    await expect(probeHttp('127.0.0.1', port, '/')).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
  });

  it('through a port proxy, an accept that is dropped at once is not ready (what docker-proxy does before the app listens)', async () => {
    const proxyWithoutApp = net.createServer((socket) => socket.destroy());
    const port = await listen(proxyWithoutApp);
    try {
      await expect(probeTcp('127.0.0.1', port, 2000, true)).resolves.toMatchObject({
        ok: false,
        reason: expect.stringContaining('accepted and closed at once'),
      });
    } finally {
      await close(proxyWithoutApp);
    }
  });

  it('through a port proxy, a connection that stays open or brings data is ready', async () => {
    const sockets: net.Socket[] = [];
    const quiet = net.createServer((socket) => sockets.push(socket));
    const greeting = net.createServer((socket) => socket.end('hello\n'));
    const [quietPort, greetingPort] = [await listen(quiet), await listen(greeting)];
    try {
      await expect(probeTcp('127.0.0.1', quietPort, 2000, true)).resolves.toEqual({ ok: true });
      await expect(probeTcp('127.0.0.1', greetingPort, 2000, true)).resolves.toEqual({ ok: true });
    } finally {
      for (const socket of sockets) socket.destroy();
      await Promise.all([close(quiet), close(greeting)]);
    }
  });
});

describe('waitUntilHealthy against stand-in docker programs (real tiny processes)', () => {
  let folder: string;
  const originalPath = process.env.PATH;
  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'local-dev-health-'));
    process.env.PATH = `${folder}${path.delimiter}${originalPath}`;
    // A context other than the local default: the engine is asked through the CLI (the stand-in).
    process.env.DOCKER_CONTEXT = 'stand-in';
  });
  afterEach(() => {
    process.env.PATH = originalPath;
    delete process.env.DOCKER_CONTEXT;
    rmSync(folder, { recursive: true, force: true });
  });

  /** A `docker` whose `inspect` runs `inspect` (shell) and whose `logs` prints a line. */
  function standInDocker(inspect: string): void {
    const program = path.join(folder, 'docker');
    writeFileSync(program, `#!/bin/sh\nif [ "$1" = inspect ]; then ${inspect}; fi\nif [ "$1" = logs ]; then echo "last words"; exit 0; fi\nexit 2\n`);
    chmodSync(program, 0o755);
  }
  const target = (healthcheck: HealthTarget['healthcheck']): HealthTarget => ({
    service: 'svc',
    containerId: 'abc',
    healthcheck,
    endpoint: async () => ({ host: '127.0.0.1', port: 1, viaProxy: false }),
  });

  it('a hung engine cannot make the wait outlast its deadline', async () => {
    standInDocker('exec sleep 60');
    const started = Date.now();
    const failure = waitUntilHealthy(target({ type: 'tcp', port: 1, timeoutSeconds: 2 }));
    await expect(failure).rejects.toBeInstanceOf(DockerError);
    await expect(failure).rejects.toThrow('did not answer `docker inspect` within 2 s');
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('with no healthcheck, passes as soon as the engine reports the container running, as docker-compose up -d does', async () => {
    const counter = path.join(folder, 'count');
    // A container docker run -d has just started: one look at the engine, no wait on top.
    standInDocker(`n=$(cat '${counter}' 2>/dev/null || echo 0); echo $((n+1)) > '${counter}'; echo "running 0"; exit 0`);
    await expect(waitUntilHealthy(target({ type: 'none' }))).resolves.toBeUndefined();
    expect(readFileSync(counter, 'utf8').trim()).toBe('1');
  });

  it('with no healthcheck, a container that exited fails with its exit code and last log lines', async () => {
    standInDocker('case "$1" in inspect) echo "exited 4";; logs) echo "last words";; esac; exit 0');
    await expect(waitUntilHealthy(target({ type: 'none' }))).rejects.toThrow(/svc stopped while starting \(exited, exit code 4\)[\s\S]*last words/);
  });
});
