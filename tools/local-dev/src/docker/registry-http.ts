/**
 * Talking to an image registry's HTTP API (distribution v2) directly, bounded by a deadline: a
 * registry that is down or slow must cost a run a second or two, never a stall (`docker pull` of a
 * missing image can take far longer to give up, and cannot tell "absent" from "down" cheaply).
 *
 * As the engine does: plain HTTP for a loopback host (Docker treats 127.0.0.0/8 as insecure by
 * default), HTTPS otherwise, falling back to HTTP when the server answers TLS with plain HTTP (a
 * registry the daemon lists under insecure-registries); a CA in /etc/docker/certs.d/<host>/ca.crt is
 * trusted as the engine trusts it. Credentials are the ones `docker login` stored (config.json's
 * auths, credential helpers or store), read only to answer a 401 challenge (Basic, or Bearer
 * through the registry's token service).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { exec } from '../core/exec';
import { readJsonIfExists, readTextIfExists } from '../core/read-if-exists';

export interface RegistryReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Credentials {
  username: string;
  secret: string;
}

/** Pure: Docker's own rule — a loopback registry is spoken to in plain HTTP without any daemon setting. */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '[::1]';
}

/** Pure: a 401's WWW-Authenticate header → its scheme and parameters. */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  const match = header ? /^\s*(\w+)\s*(.*)$/.exec(header) : null;
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) params[(pair[1] ?? '').toLowerCase()] = pair[2] ?? '';
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

/** Pure: the credentials `docker login` stored for `host` in a config.json, or which helper holds them. */
export function storedCredentials(
  config: { auths?: Record<string, { auth?: string }>; credHelpers?: Record<string, string>; credsStore?: string } | undefined,
  host: string,
): Credentials | { helper: string } | undefined {
  if (!config) return undefined;
  const helper = config.credHelpers?.[host];
  if (helper) return { helper };
  const auth = config.auths?.[host]?.auth;
  if (auth) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  if (config.credsStore && config.auths?.[host] !== undefined) return { helper: config.credsStore };
  return undefined;
}

/** The docker CLI's config folder: DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

/** What `docker login <host>` stored, asking the credential helper when one holds it. */
export async function loginCredentials(host: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const stored = storedCredentials(readJsonIfExists(path.join(dockerConfigDir(env), 'config.json')), host);
  if (!stored || !('helper' in stored)) return stored;
  try {
    const result = await exec(`docker-credential-${stored.helper}`, ['get'], { input: host, timeoutMs: 5_000 });
    const answer = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
    return answer.Username && answer.Secret ? { username: answer.Username, secret: answer.Secret } : undefined;
  } catch {
    // A helper that has nothing for this host exits non-zero ("credentials not found"): not logged in.
    return undefined;
  }
}

export class Deadline {
  private readonly end: number;
  constructor(readonly totalMs: number) {
    this.end = Date.now() + totalMs;
  }
  left(): number {
    return Math.max(1, this.end - Date.now());
  }
}

/** One HTTP exchange, aborted at the deadline; the body is read up to 64 KiB (registry replies are small). */
export function send(url: string, options: { method: string; headers?: Record<string, string>; deadline: Deadline; ca?: string }): Promise<RegistryReply> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method, headers: options.headers, ca: options.ca, signal: AbortSignal.timeout(options.deadline.left()) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 65_536) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: Error) =>
      reject(error.name === 'AbortError' || error.name === 'TimeoutError' ? new Error(`no answer within ${options.deadline.totalMs} ms`) : error),
    );
    req.end();
  });
}

/** Pure: a TLS failure meaning "this server speaks plain HTTP". */
function speaksPlainHttp(error: unknown): boolean {
  return /wrong version number|EPROTO|packet length too long/i.test(String((error as Error).message ?? error));
}

export interface RegistryClientOptions {
  deadline: Deadline;
  env?: NodeJS.ProcessEnv;
}

/**
 * A registry conversation: the base URL settled once (scheme), a 401 answered once with the
 * stored credentials (or anonymously, for a token service that gives public pulls).
 */
export class RegistryClient {
  private base: string | undefined;
  private authorization: string | undefined;
  /** Whether the last reply needed credentials and whether there were any to give. */
  needsLogin = false;
  loggedInAs: string | undefined;

  constructor(
    readonly host: string,
    private readonly options: RegistryClientOptions,
  ) {}

  private ca(): string | undefined {
    return readTextIfExists(path.join('/etc/docker/certs.d', this.host, 'ca.crt'));
  }

  private async raw(method: string, pathAndQuery: string, headers: Record<string, string>): Promise<RegistryReply> {
    const withAuth = this.authorization ? { ...headers, authorization: this.authorization } : headers;
    if (this.base) return send(`${this.base}${pathAndQuery}`, { method, headers: withAuth, deadline: this.options.deadline, ca: this.ca() });
    const first = isLoopbackHost(this.host) ? 'http' : 'https';
    try {
      const reply = await send(`${first}://${this.host}${pathAndQuery}`, { method, headers: withAuth, deadline: this.options.deadline, ca: this.ca() });
      this.base = `${first}://${this.host}`;
      return reply;
    } catch (error) {
      if (first === 'http' || !speaksPlainHttp(error)) throw error;
      const reply = await send(`http://${this.host}${pathAndQuery}`, { method, headers: withAuth, deadline: this.options.deadline });
      this.base = `http://${this.host}`;
      return reply;
    }
  }

  /** A request; a 401 is answered with the login's credentials for `scope` and the request made again. */
  async request(method: string, pathAndQuery: string, scope: string | undefined, headers: Record<string, string> = {}): Promise<RegistryReply> {
    const reply = await this.raw(method, pathAndQuery, headers);
    if (reply.status !== 401) return reply;
    const credentials = await loginCredentials(this.host, this.options.env);
    this.needsLogin = credentials === undefined;
    this.loggedInAs = credentials?.username;
    const authorization = await this.answer(parseChallenge(firstHeader(reply.headers['www-authenticate'])), credentials, scope);
    if (authorization === undefined) return reply;
    this.authorization = authorization;
    return this.raw(method, pathAndQuery, headers);
  }

  /** The upload URL of a reply's Location header, made absolute. */
  resolve(location: string): string {
    return new URL(location, `${this.base ?? `http://${this.host}`}/`).toString();
  }

  async requestUrl(method: string, url: string): Promise<RegistryReply> {
    const headers: Record<string, string> = this.authorization ? { authorization: this.authorization } : {};
    return send(url, { method, headers, deadline: this.options.deadline, ca: this.ca() });
  }

  private async answer(
    challenge: ReturnType<typeof parseChallenge>,
    credentials: Credentials | undefined,
    scope: string | undefined,
  ): Promise<string | undefined> {
    const basic = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.secret}`).toString('base64')}` : undefined;
    if (challenge?.scheme === 'basic') return basic;
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    if (scope) realm.searchParams.set('scope', scope);
    const reply = await send(realm.toString(), { method: 'GET', headers: basic ? { authorization: basic } : {}, deadline: this.options.deadline });
    if (reply.status !== 200) return undefined;
    const token = JSON.parse(reply.body) as { token?: string; access_token?: string };
    const value = token.token ?? token.access_token;
    return value ? `Bearer ${value}` : undefined;
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
