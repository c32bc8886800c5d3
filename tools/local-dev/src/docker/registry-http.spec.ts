/**
 * registry-http.ts: when plain HTTP is used and what travels over it, and what a credential
 * helper's failure means. Real HTTP servers (node's, on this machine's addresses) and real
 * executables on PATH; the one STAND-IN is named where it is used.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { lookUp } from './registry';
import { CredentialHelperError, Deadline, engineUsesPlainHttp, loginCredentials, RegistryClient } from './registry-http';

describe('engineUsesPlainHttp (the engine’s own rule, from docker info)', () => {
  const config = {
    InsecureRegistryCIDRs: ['127.0.0.0/8', '10.20.0.0/16'],
    IndexConfigs: { 'docker.io': { Secure: true }, 'reg.internal:5000': { Secure: false } },
  };
  it.each<[string, boolean]>([
    ['127.0.0.1:5000', true],
    ['localhost:5000', true],
    ['reg.internal:5000', true],
    ['reg.internal:5001', false],
    ['10.20.3.4:5000', true],
    ['10.21.3.4:5000', false],
    ['registry.example.com', false],
  ])('%s → %s', (host, plain) => expect(engineUsesPlainHttp(host, config)).toBe(plain));
});

describe('a plain-HTTP registry on an address that is not loopback', () => {
  let server: Server;
  let host: string;
  let config: string;
  const seen: IncomingHttpHeaders[] = [];
  const address = Object.values(os.networkInterfaces())
    .flat()
    .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    host = `${address}:${(server.address() as AddressInfo).port}`;
    config = mkdtempSync(path.join(os.tmpdir(), 'local-dev-docker-config-'));
    // docker login's store, as config.json keeps it without a helper.
    writeFileSync(path.join(config, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(config, { recursive: true, force: true });
  });
  beforeEach(() => (seen.length = 0));

  it('is not spoken to in plain HTTP when the engine does not list it as insecure, and no credentials are sent', async () => {
    expect(address).toBeDefined();
    const found = await lookUp(`${host}/local-dev/api:abc`, 3_000, { ...process.env, DOCKER_CONFIG: config });
    expect(found).toEqual({ state: 'unreachable', reason: expect.stringContaining('does not list it under insecure-registries') });
    expect(seen).toEqual([]);
  });

  it('listed as insecure (a STAND-IN for the engine saying so, daemon.json cannot change here): asked, but the password never travels', async () => {
    const client = new RegistryClient(host, {
      deadline: new Deadline(3_000),
      env: { ...process.env, DOCKER_CONFIG: config },
      plainHttpAllowed: async () => true,
    });
    const reply = await client.request('HEAD', '/v2/local-dev/api/manifests/abc', 'repository:local-dev/api:pull');
    expect(reply.status).toBe(401);
    expect(client.refusedPlainHttpLogin).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((headers) => headers.authorization === undefined)).toBe(true);
  });
});

describe('loginCredentials with a credential helper (real executables on PATH)', () => {
  let folder: string;
  let savedPath: string | undefined;
  const helper = (name: string, script: string) => {
    // A real helper reads the host name from stdin; one that does not would fail exec's write (EPIPE).
    writeFileSync(path.join(folder, `docker-credential-${name}`), `#!/bin/sh\ncat > /dev/null\n${script}\n`);
    chmodSync(path.join(folder, `docker-credential-${name}`), 0o755);
  };
  const env = () => ({ ...process.env, DOCKER_CONFIG: folder });
  beforeEach(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-cred-helper-'));
    savedPath = process.env.PATH;
    process.env.PATH = `${folder}:${process.env.PATH}`;
    writeFileSync(
      path.join(folder, 'config.json'),
      JSON.stringify({ credHelpers: { 'reg.example:5000': 'nothing', 'reg.locked:5000': 'locked', 'reg.slow:5000': 'slow', 'reg.ok:5000': 'ok' } }),
    );
    helper('nothing', 'echo "credentials not found in native keychain"; exit 1');
    helper('locked', 'echo "error getting credentials - err: exit status 2, out: gpg: decryption failed: No secret key" >&2; exit 1');
    helper('slow', 'exec sleep 5');
    helper('ok', 'echo \'{"Username":"bob","Secret":"pw"}\'');
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(folder, { recursive: true, force: true });
  });

  it('"credentials not found" means not logged in', async () => {
    expect(await loginCredentials('reg.example:5000', env())).toBeUndefined();
    expect(await loginCredentials('reg.ok:5000', env())).toEqual({ username: 'bob', secret: 'pw' });
  });

  it('any other failure is said with the helper’s own words, not taken for "needs a login"', async () => {
    const failure = loginCredentials('reg.locked:5000', env());
    await expect(failure).rejects.toBeInstanceOf(CredentialHelperError);
    await expect(loginCredentials('reg.locked:5000', env())).rejects.toThrow(/docker-credential-locked .* failed: .*gpg: decryption failed/);
  });

  it('a helper that does not answer is given up at the deadline', async () => {
    const started = Date.now();
    await expect(loginCredentials('reg.slow:5000', env(), 300)).rejects.toThrow(/docker-credential-slow .* gave no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
