import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import { chooseEngineSocket, DEFAULT_SOCKET, engineRequest } from './engine';
import { labelFiltersParameter, parseListLines } from './queries';

describe('chooseEngineSocket (pure): the local socket only where the CLI would use it too', () => {
  it('uses the default socket with no DOCKER_HOST and the default context', () => {
    expect(chooseEngineSocket({}, undefined)).toBe(DEFAULT_SOCKET);
    expect(chooseEngineSocket({}, 'default')).toBe(DEFAULT_SOCKET);
    expect(chooseEngineSocket({ DOCKER_CONTEXT: 'default' }, undefined)).toBe(DEFAULT_SOCKET);
  });

  it('follows a unix:// DOCKER_HOST (rootless Docker, colima on Linux)', () => {
    expect(chooseEngineSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, undefined)).toBe('/run/user/1000/docker.sock');
  });

  it('leaves remote engines and contexts to the CLI', () => {
    expect(chooseEngineSocket({ DOCKER_HOST: 'tcp://10.0.0.5:2376' }, undefined)).toBeUndefined();
    expect(chooseEngineSocket({ DOCKER_HOST: 'ssh://me@box' }, undefined)).toBeUndefined();
    expect(chooseEngineSocket({ DOCKER_CONTEXT: 'desktop-linux' }, undefined)).toBeUndefined();
    expect(chooseEngineSocket({}, 'colima')).toBeUndefined();
  });
});

describe('queries (pure parts)', () => {
  it('passes label filters as the API expects them', () => {
    expect(decodeURIComponent(labelFiltersParameter(['a=1', 'b=x y']))).toBe('{"label":["a=1","b=x y"]}');
  });

  it('reads the CLI\'s tab-separated list, labels a container lacks included', () => {
    expect(parseListLines('c1\tbusybox:1.36\trunning\tapi\tdef1\nc2\tx\texited\t\t\n\n', ['service', 'definition'])).toEqual([
      { id: 'c1', image: 'busybox:1.36', state: 'running', labels: { service: 'api', definition: 'def1' } },
      { id: 'c2', image: 'x', state: 'exited', labels: { service: '', definition: '' } },
    ]);
  });
});

describe('engineRequest against sockets that misbehave (real unix sockets)', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-engine-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('an engine that accepts and never answers fails within the timeout, saying so', async () => {
    const socket = path.join(folder, 'hung.sock');
    const held: net.Socket[] = [];
    const server = net.createServer((connection) => held.push(connection));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const failure = engineRequest(socket, 'GET', '/containers/json', 300);
      await expect(failure).rejects.toBeInstanceOf(DockerError);
      await expect(failure).rejects.toThrow('did not answer GET /containers/json within 1 s');
    } finally {
      for (const connection of held) connection.destroy();
      server.close();
    }
  });

  it('no engine at the socket is a DockerError with the fix', async () => {
    const failure = engineRequest(path.join(folder, 'absent.sock'), 'GET', '/_ping', 1000);
    await expect(failure).rejects.toThrow(/cannot reach the Docker engine at .*absent\.sock/);
    await expect(failure).rejects.toMatchObject({ fix: 'start Docker (docker info must work), then run again' });
  });
});
