import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import { ENGINE_DOWN_FIX } from './cli';
import { chooseEngineSocket, cliContext, cliContextName, DEFAULT_SOCKET, engineRequest, localEngineSocket } from './engine';
import { labelFiltersParameter, parseListLines } from './queries';

describe('the engine socket, found as the CLI finds it', () => {
  const desktop = { name: 'desktop-linux', endpoint: 'unix:///Users/me/.docker/run/docker.sock' };
  it.each([
    ['no DOCKER_HOST, the default context (Linux; macOS with the default socket)', {}, { name: 'default', endpoint: undefined }, DEFAULT_SOCKET],
    [
      'a unix:// DOCKER_HOST (rootless Docker)',
      { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' },
      { name: 'default', endpoint: undefined },
      '/run/user/1000/docker.sock',
    ],
    ['Docker Desktop on macOS (context desktop-linux)', {}, desktop, '/Users/me/.docker/run/docker.sock'],
    [
      'colima on macOS (context colima)',
      {},
      { name: 'colima', endpoint: 'unix:///Users/me/.colima/default/docker.sock' },
      '/Users/me/.colima/default/docker.sock',
    ],
    [
      'OrbStack on macOS (context orbstack)',
      {},
      { name: 'orbstack', endpoint: 'unix:///Users/me/.orbstack/run/docker.sock' },
      '/Users/me/.orbstack/run/docker.sock',
    ],
    ['a remote engine by DOCKER_HOST', { DOCKER_HOST: 'tcp://10.0.0.5:2376' }, { name: 'default', endpoint: undefined }, undefined],
    ['a remote engine by context', {}, { name: 'build-box', endpoint: 'ssh://me@box' }, undefined],
    ['a context the store does not hold (the CLI says so)', {}, { name: 'gone', endpoint: undefined }, undefined],
  ])('%s', (_, env: Record<string, string>, context, socket) => {
    expect(chooseEngineSocket(env, context)).toBe(socket);
  });

  it("picks the context in the CLI's order: DOCKER_HOST, then DOCKER_CONTEXT, then the config's current context", () => {
    expect(cliContextName({ DOCKER_HOST: 'unix:///x.sock', DOCKER_CONTEXT: 'colima' }, 'orbstack')).toBe('default');
    expect(cliContextName({ DOCKER_CONTEXT: 'colima' }, 'orbstack')).toBe('colima');
    expect(cliContextName({}, 'orbstack')).toBe('orbstack');
    expect(cliContextName({}, undefined)).toBe('default');
  });

  describe('with a context the real docker CLI created (a temp DOCKER_CONFIG)', () => {
    let config: string;
    const cli = (args: string[], env: NodeJS.ProcessEnv) => {
      const result = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, ...env } });
      if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
      return result.stdout.trim();
    };
    beforeEach(() => {
      config = mkdtempSync(path.join(os.tmpdir(), 'local-dev-docker-config-'));
    });
    afterEach(() => rmSync(config, { recursive: true, force: true }));

    it('talks to the socket of the current context (as Docker Desktop sets desktop-linux), as `docker context inspect` names it', async () => {
      const env = { DOCKER_CONFIG: config };
      // Docker Desktop's context, pointed at this machine's real engine.
      cli(['context', 'create', 'desktop-linux', '--docker', `host=unix://${DEFAULT_SOCKET}`], env);
      cli(['context', 'use', 'desktop-linux'], env);
      expect(cliContext(env)).toEqual({ name: 'desktop-linux', endpoint: cli(['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], env) });
      const socket = localEngineSocket(env);
      expect(socket).toBe(DEFAULT_SOCKET);
      const version = await engineRequest<{ ApiVersion?: string }>(socket!, 'GET', '/version', 10_000);
      expect([version.status, typeof version.body?.ApiVersion]).toEqual([200, 'string']);
      // DOCKER_CONTEXT names another context; one the store does not hold is left to the CLI.
      cli(['context', 'create', 'colima', '--docker', 'host=unix:///Users/me/.colima/default/docker.sock'], env);
      expect(localEngineSocket({ ...env, DOCKER_CONTEXT: 'colima' })).toBe('/Users/me/.colima/default/docker.sock');
      expect(localEngineSocket({ ...env, DOCKER_CONTEXT: 'no-such-context' })).toBeUndefined();
    });

    it('leaves a config the CLI cannot read to the CLI', () => {
      writeFileSync(path.join(config, 'config.json'), '{ not json');
      expect(cliContext({ DOCKER_CONFIG: config }).endpoint).toBeUndefined();
      expect(localEngineSocket({ DOCKER_CONFIG: config })).toBeUndefined();
    });
  });
});

describe('queries (pure parts)', () => {
  it('passes label filters as the API expects them', () => {
    expect(decodeURIComponent(labelFiltersParameter(['a=1', 'b=x y']))).toBe('{"label":["a=1","b=x y"]}');
  });

  it("reads the CLI's tab-separated list, labels a container lacks included", () => {
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
    await expect(failure).rejects.toMatchObject({ fix: ENGINE_DOWN_FIX });
  });
});
