/**
 * A real image registry for tests and benches: Debian's `docker-registry` (distribution 2.x,
 * installed by scripts/setup-machine.sh) serving on 127.0.0.1:<free port> from a temporary config
 * and storage folder, never the package's system service.
 *
 * Docker treats every 127.0.0.0/8 registry as insecure (plain HTTP) without any daemon
 * configuration, so `docker push 127.0.0.1:<port>/…` works on the test engine as it is.
 *
 * `stop()` and `start()` end and restart the same registry (same port, same storage), so a test can
 * take it away in the middle of a run and bring it back; `remove()` stops it and deletes its folder.
 * With `auth: true` it asks for a user and password (htpasswd), as a team's registry does: 401 until
 * `docker login` with TEST_REGISTRY_USER / TEST_REGISTRY_PASSWORD. With `readOnly: true` it refuses
 * every upload, as a registry does to a user without push rights.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const TEST_REGISTRY_USER = 'tester';
export const TEST_REGISTRY_PASSWORD = 'local-dev-test';
// bcrypt (cost 4: fast) of TEST_REGISTRY_PASSWORD; the registry's htpasswd accepts only bcrypt.
const TEST_REGISTRY_BCRYPT = '$2b$04$vXKBatl/gNh9GbgaECUyse50cpK2Dy2qpLu/XatPNJZ7T.Qebm2Qe';

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:41235 — what config.yaml's `registry.url` starts with. */
  host: string;
  port: number;
  folder: string;
  /** Whether it is serving now. */
  running(): boolean;
  /** The registry process's pid while it runs (a test's docker wrapper may end it at a chosen moment). */
  pid(): number | undefined;
  /** Ends the registry process (the storage stays). */
  stop(): Promise<void>;
  /** Starts it again on the same port and storage; resolves when /v2/ answers. */
  start(): Promise<void>;
  /** The repositories it holds (the catalog API). */
  repositories(): Promise<string[]>;
  /** The tags of one repository, [] when it has none. */
  tags(repository: string): Promise<string[]>;
  /** stop() and delete its folder. */
  remove(): Promise<void>;
}

export async function startTestRegistry(options: { auth?: boolean; readOnly?: boolean } = {}): Promise<TestRegistry> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = path.join(folder, 'config.yml');
  const authLines = options.auth ? ['auth:', '  htpasswd:', '    realm: local-dev-test', `    path: ${path.join(folder, 'htpasswd')}`] : [];
  if (options.auth) writeFileSync(path.join(folder, 'htpasswd'), `${TEST_REGISTRY_USER}:${TEST_REGISTRY_BCRYPT}\n`);
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(folder, 'data')}`,
      '  delete:',
      '    enabled: true',
      // Read-only: pulls work, every upload is refused (a registry where this user may not push).
      ...(options.readOnly ? ['  maintenance:', '    readonly:', '      enabled: true'] : []),
      'http:',
      `  addr: ${host}`,
      // A fixed secret: without one the registry warns on every start.
      '  secret: local-dev-test-secret',
      ...authLines,
      '',
    ].join('\n'),
  );
  const logFile = path.join(folder, 'registry.log');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    current.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    if (current.exitCode === null && current.signalCode === null) {
      current.kill('SIGKILL');
      await exited;
    }
  };
  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    // The log goes to a file, not a pipe, so nothing of it holds Jest open.
    const logFd = openSync(logFile, 'a');
    const started = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    const deadline = Date.now() + 15_000;
    while ((await v2Status(host)) === undefined) {
      if (started.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`docker-registry did not start on ${host}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const getJson = async <T>(urlPath: string): Promise<T | undefined> => {
    const reply = await httpGet(`http://${host}${urlPath}`, options.auth ? basicAuth() : undefined);
    return reply.status === 200 ? (JSON.parse(reply.body) as T) : undefined;
  };

  await start();
  return {
    host,
    port,
    folder,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    stop,
    start,
    repositories: async () => (await getJson<{ repositories?: string[] }>('/v2/_catalog?n=1000'))?.repositories ?? [],
    tags: async (repository) => (await getJson<{ tags?: string[] | null }>(`/v2/${repository}/tags/list`))?.tags ?? [],
    remove: async () => {
      await stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The Authorization header value for the test user. */
export function basicAuth(): string {
  return `Basic ${Buffer.from(`${TEST_REGISTRY_USER}:${TEST_REGISTRY_PASSWORD}`).toString('base64')}`;
}

/** A port nobody listens on now (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the kernel');
  return address.port;
}

/** GET /v2/'s status (200, or 401 with auth), undefined while nothing answers. */
async function v2Status(host: string): Promise<number | undefined> {
  try {
    return (await httpGet(`http://${host}/v2/`)).status;
  } catch {
    return undefined;
  }
}

function httpGet(url: string, authorization?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: 2_000, headers: authorization ? { authorization } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 2 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers: a registry that stalls. */
export interface SilentServer {
  port: number;
  /** How many connections it has accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => sockets.length,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
