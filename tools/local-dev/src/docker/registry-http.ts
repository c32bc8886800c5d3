/**
 * Talking to an image registry's HTTP API (distribution v2) directly, bounded by a deadline: a
 * registry that is down or slow must cost a run a second or two, never a stall (`docker pull` of a
 * missing image can take far longer to give up, and cannot tell "absent" from "down" cheaply).
 *
 * As the engine does: plain HTTP for a loopback host (Docker treats 127.0.0.0/8 as insecure by
 * default), HTTPS otherwise; a CA in /etc/docker/certs.d/<host>/ca.crt is trusted as the engine
 * trusts it. Plain HTTP for any other host only when the engine itself would use it — the host is
 * in `docker info`'s insecure registries (IndexConfigs Secure=false, or an IP inside
 * InsecureRegistryCIDRs) — and even then no credentials are ever sent over it: a registry that
 * wants a login gets HTTPS or nothing. Credentials are the ones `docker login` stored (config.json's
 * auths, credential helpers or store; a helper is asked under the same deadline), read only to
 * answer a 401 challenge (Basic, or Bearer through the registry's token service).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { exec } from '../core/exec';
import { ChildProcessError } from '../core/errors';
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

/** A credential helper that failed for another reason than "nothing stored for this host": said as it is. */
export class CredentialHelperError extends Error {}

/** Pure: a credential helper's answer meaning "no login stored for this host" (docker-credential-helpers' ErrCredentialsNotFound). */
export function isCredentialsNotFound(output: string): boolean {
  return /credentials not found/i.test(output);
}

/**
 * What `docker login <host>` stored, asking the credential helper when one holds it (within
 * `timeoutMs`). Only the helper's "credentials not found" means "not logged in"; a helper that
 * fails otherwise (locked keychain, missing binary, timeout) is a CredentialHelperError saying so.
 */
export async function loginCredentials(host: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 5_000): Promise<Credentials | undefined> {
  const stored = storedCredentials(readJsonIfExists(path.join(dockerConfigDir(env), 'config.json')), host);
  if (!stored || !('helper' in stored)) return stored;
  const helper = `docker-credential-${stored.helper}`;
  let stdout: string;
  try {
    stdout = (await exec(helper, ['get'], { input: host, timeoutMs })).stdout;
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    if (isCredentialsNotFound(error.outputTail)) return undefined;
    const why = error.signal?.startsWith('timeout') ? `gave no answer within ${timeoutMs} ms` : error.outputTail.trim().split('\n').pop() || error.message;
    throw new CredentialHelperError(`the credential helper ${helper} (docker login's store for ${host}) failed: ${why}`);
  }
  let answer: { Username?: string; Secret?: string };
  try {
    answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
  } catch {
    throw new CredentialHelperError(`the credential helper ${helper} answered something that is not JSON for ${host}`);
  }
  return answer.Username && answer.Secret ? { username: answer.Username, secret: answer.Secret } : undefined;
}

/** The engine's registry settings (`docker info`'s RegistryConfig), as far as local-dev needs them. */
export interface EngineRegistryConfig {
  InsecureRegistryCIDRs?: string[] | null;
  IndexConfigs?: Record<string, { Secure?: boolean }> | null;
}

function ipv4Number(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

/**
 * Pure: whether the engine talks plain HTTP to `host` — loopback, a registry listed under
 * insecure-registries (IndexConfigs Secure=false), or an IPv4 address inside InsecureRegistryCIDRs.
 * (A host NAME inside a CIDR would need the engine's DNS answer: not counted, so HTTPS is kept.)
 */
export function engineUsesPlainHttp(host: string, config: EngineRegistryConfig | undefined): boolean {
  if (isLoopbackHost(host)) return true;
  if (config?.IndexConfigs?.[host]?.Secure === false) return true;
  const address = ipv4Number(host.replace(/:\d+$/, ''));
  if (address === undefined) return false;
  return (config?.InsecureRegistryCIDRs ?? []).some((cidr) => {
    const [base = '', bits = '32'] = cidr.split('/');
    const network = ipv4Number(base);
    const size = Number(bits);
    if (network === undefined || !(size >= 0 && size <= 32)) return false;
    const mask = size === 0 ? 0 : (0xffffffff << (32 - size)) >>> 0;
    return (address & mask) >>> 0 === (network & mask) >>> 0;
  });
}

const engineRegistryConfigs = new Map<string, Promise<EngineRegistryConfig | undefined>>();

/** `docker info`'s RegistryConfig, asked once per process and engine (undefined: the engine did not say). */
export function engineRegistryConfig(env: NodeJS.ProcessEnv = process.env): Promise<EngineRegistryConfig | undefined> {
  const key = `${env.DOCKER_HOST ?? ''}|${env.DOCKER_CONTEXT ?? ''}`;
  let asked = engineRegistryConfigs.get(key);
  if (!asked) {
    asked = exec('docker', ['info', '--format', '{{json .RegistryConfig}}'], { timeoutMs: 10_000 }).then(
      (result) => JSON.parse(result.stdout) as EngineRegistryConfig,
      // The engine not answering is said by what needs it; here it only means "nothing listed as insecure".
      () => undefined,
    );
    engineRegistryConfigs.set(key, asked);
  }
  return asked;
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
  /** Whether the engine talks plain HTTP to this host (default: engineUsesPlainHttp with the engine's `docker info`). */
  plainHttpAllowed?: (host: string) => Promise<boolean>;
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
  /** Set when a login was asked for over plain HTTP to a host that is not loopback: no credentials were sent. */
  refusedPlainHttpLogin = false;

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
      const allowed = await (this.options.plainHttpAllowed ?? (async (host) => engineUsesPlainHttp(host, await engineRegistryConfig(this.options.env))))(
        this.host,
      );
      if (!allowed) {
        throw new Error(
          `${this.host} speaks plain HTTP, and the Docker engine does not list it under insecure-registries (it would refuse it too): serve it over HTTPS, or add it to insecure-registries in the engine's daemon.json`,
        );
      }
      this.base = `http://${this.host}`;
      return send(`${this.base}${pathAndQuery}`, { method, headers: withAuth, deadline: this.options.deadline });
    }
  }

  /** Over plain HTTP to a host that is not loopback no credentials ever travel (no authorization is ever set for it). */
  private credentialsMayTravel(): boolean {
    return !this.base?.startsWith('http:') || isLoopbackHost(this.host);
  }

  /** A request; a 401 is answered with the login's credentials for `scope` and the request made again. */
  async request(method: string, pathAndQuery: string, scope: string | undefined, headers: Record<string, string> = {}): Promise<RegistryReply> {
    const reply = await this.raw(method, pathAndQuery, headers);
    if (reply.status !== 401) return reply;
    if (!this.credentialsMayTravel()) {
      this.refusedPlainHttpLogin = true;
      return reply;
    }
    const credentials = await loginCredentials(this.host, this.options.env, this.options.deadline.left());
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
    // A token service in plain HTTP elsewhere than loopback never gets the password either.
    if (basic && realm.protocol === 'http:' && !isLoopbackHost(realm.host)) {
      this.refusedPlainHttpLogin = true;
      return undefined;
    }
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
