/**
 * The team's image registry, as build-image and doctor use it (issue 24):
 *   - lookUp: is the image for this portable hash there? A manifest HEAD with a short deadline, so a
 *     registry that is down or slow costs a run a second, never a stall or a failure;
 *   - pull: `docker pull`, ended when it makes no progress for PULL_STALL_MS (or at a cap), so a
 *     registry that stops sending costs a run seconds, not minutes: the image is built instead;
 *   - pushing in the background: ./registry-push.ts (re-exported here);
 *   - registryChecks: doctor's questions (reachable, credentials, push allowed).
 * Credentials: only those `docker login` stored, read from its store (config.json's auths or its
 * credential helper, ./registry-http.ts) to answer a look-up's 401; never from config.yaml, never sent
 * over plain HTTP to a host that is not loopback. Pulls and pushes go through the engine, which
 * reads the same store.
 */
import { spawn } from 'node:child_process';
import { registryUrlParts, type RegistrySettings } from '../config/registry';
import { ChildProcessError } from '../core/errors';
import type { WorkspacePaths } from '../core/workspace';
import { engineUnreachableError, isEngineUnreachable } from './cli';
import { CredentialHelperError, Deadline, RegistryClient } from './registry-http';
import { describeFailedPush, failedPushes } from './registry-push';

export * from './registry-push';

/** A look-up decides in this long or calls the registry unreachable: a run must not wait on it. */
export const LOOKUP_TIMEOUT_MS = 1_500;
/** A pull whose output has been silent this long is stalled: ended, and the image built instead. */
export const PULL_STALL_MS = 20_000;
/** A pull of one service's image, however it progresses; past this the image is built instead. */
export const PULL_TIMEOUT_MS = 10 * 60_000;
/** Each doctor question. */
export const DOCTOR_TIMEOUT_MS = 5_000;

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export interface ImageRef {
  /** host[:port] */
  host: string;
  /** The path below the host, e.g. local-dev/api. */
  repository: string;
  tag: string;
}

/** Pure: `host:port/path/service:tag` → its parts; undefined for a reference without a registry host or tag. */
export function parseImageRef(ref: string): ImageRef | undefined {
  const { host, path: rest } = registryUrlParts(ref);
  const colon = rest.lastIndexOf(':');
  if (host === '' || rest === '' || colon <= rest.lastIndexOf('/')) return undefined;
  const repository = rest.slice(0, colon);
  const tag = rest.slice(colon + 1);
  return repository && tag ? { host, repository, tag } : undefined;
}

export type LookUp =
  | { state: 'present' }
  | { state: 'absent' }
  /** Down, slow, refusing credentials: the caller builds, and says `reason` once per run. */
  | { state: 'unreachable'; reason: string; fix?: string };

/** Is `ref` in its registry? Never throws and never takes (much) longer than `timeoutMs`. */
export async function lookUp(ref: string, timeoutMs = LOOKUP_TIMEOUT_MS, env: NodeJS.ProcessEnv = process.env): Promise<LookUp> {
  const parts = parseImageRef(ref);
  if (!parts) return { state: 'unreachable', reason: `${ref} names no registry` };
  const client = new RegistryClient(parts.host, { deadline: new Deadline(timeoutMs), env });
  try {
    const reply = await client.request('HEAD', `/v2/${parts.repository}/manifests/${parts.tag}`, `repository:${parts.repository}:pull`, {
      accept: MANIFEST_TYPES,
    });
    if (reply.status === 200) return { state: 'present' };
    if (reply.status === 404) return { state: 'absent' };
    if (reply.status === 401 || reply.status === 403) return { state: 'unreachable', ...loginProblem(parts.host, client) };
    return { state: 'unreachable', reason: `registry ${parts.host} answered ${reply.status} to a manifest look-up` };
  } catch (error) {
    return { state: 'unreachable', reason: failureReason(parts.host, error) };
  }
}

/** Pure: why a conversation failed — the credential helper's own words, else the registry did not answer. */
function failureReason(host: string, error: unknown): string {
  return error instanceof CredentialHelperError ? error.message : `registry ${host} did not answer: ${(error as Error).message}`;
}

function loginProblem(host: string, client: Pick<RegistryClient, 'needsLogin' | 'refusedPlainHttpLogin'>): { reason: string; fix: string } {
  if (client.refusedPlainHttpLogin) {
    return {
      reason: `registry ${host} asks for a login over plain HTTP: local-dev never sends credentials unencrypted to a host that is not this machine`,
      fix: `serve ${host} over HTTPS (a CA the engine trusts: /etc/docker/certs.d/${host}/ca.crt)`,
    };
  }
  return client.needsLogin
    ? { reason: `registry ${host} needs a login and this machine has none`, fix: `docker login ${host}` }
    : {
        reason: `registry ${host} refused the credentials of \`docker login\``,
        fix: `docker login ${host} again (the stored password or token is no longer accepted)`,
      };
}

export type PullResult = { pulled: true } | { pulled: false; reason: string };

/**
 * `docker pull ref`, ended when its output has been silent for `stallMs` (a registry that answers
 * the manifest and then sends nothing) or after `timeoutMs` in all. A pull that fails (the registry
 * went away, a stall) is a result, not an error: the caller builds instead. An engine that does not
 * answer is thrown (cli.ts's DockerError): nothing else would work either.
 */
export function pull(ref: string, timeoutMs = PULL_TIMEOUT_MS, stallMs = PULL_STALL_MS): Promise<PullResult> {
  return new Promise((resolve, reject) => {
    // Not --quiet: each line docker prints (a layer waiting, downloaded, extracted) is progress.
    const child = spawn('docker', ['pull', ref], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let ended: string | undefined;
    const end = (why: string) => {
      ended ??= why;
      child.kill('SIGKILL');
    };
    const stall = setTimeout(() => end(`no progress for ${Math.round(stallMs / 1000)} s: the registry stopped sending`), stallMs);
    const cap = setTimeout(() => end(`no image after ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    const onOutput = (chunk: Buffer) => {
      output = `${output}${chunk.toString()}`.slice(-8_000);
      stall.refresh();
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const settle = () => {
      clearTimeout(stall);
      clearTimeout(cap);
    };
    child.on('error', (error) => {
      settle();
      resolve({ pulled: false, reason: `could not start docker pull: ${error.message}` });
    });
    child.on('close', (code) => {
      settle();
      if (ended !== undefined) return resolve({ pulled: false, reason: ended });
      if (code === 0) return resolve({ pulled: true });
      const tail = output.trim();
      const error = new ChildProcessError('docker', ['pull', ref], code, tail);
      // "Error response from daemon": the engine answered, the registry did not (its "connection
      // refused" is not the engine's, which cli.ts's engine-down test would take it for).
      if (!tail.includes('Error response from daemon') && isEngineUnreachable(error)) return reject(engineUnreachableError(error));
      resolve({ pulled: false, reason: tail.split('\n').pop()?.trim() || error.message });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Doctor

/** The shape of a doctor check (stack/doctor.ts's Check; docker/ does not import stack/). */
export interface RegistryCheck {
  name: string;
  result: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/**
 * Doctor's registry questions: is it reachable, does it take this machine's credentials, may this
 * machine push (a blob upload started in `probeRepository` — a service's repository — then
 * cancelled, so nothing is left behind). Plus one warning per service whose last push failed.
 */
export async function registryChecks(
  settings: RegistrySettings,
  options: { paths?: WorkspacePaths; probeService?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RegistryCheck[]> {
  const { host, path: base } = registryUrlParts(settings.url);
  const timeoutMs = options.timeoutMs ?? DOCTOR_TIMEOUT_MS;
  const client = new RegistryClient(host, { deadline: new Deadline(timeoutMs), env: options.env });
  const checks: RegistryCheck[] = [];
  const pushedLater = (options.paths ? failedPushes(options.paths) : []).map((status): RegistryCheck => ({
    name: `push of ${status.service}`,
    result: 'warn',
    detail: describeFailedPush(status),
    fix: 'run it again; if it fails again read the log',
  }));

  let v2;
  try {
    v2 = await client.request('GET', '/v2/', undefined);
  } catch (error) {
    checks.push({
      name: 'registry',
      result: 'fail',
      detail: error instanceof CredentialHelperError ? error.message : `${host} does not answer: ${(error as Error).message}`,
      fix: `check the registry's url (${settings.url}) and that it runs; until then every image is built here`,
    });
    return [...checks, ...pushedLater];
  }
  const challenged = v2.status === 401 || client.loggedInAs !== undefined || client.needsLogin;
  checks.push({ name: 'registry', result: 'ok', detail: `${host} answers${challenged ? ' and needs a login' : ''}` });
  if (v2.status === 200) {
    checks.push({ name: 'registry credentials', result: 'ok', detail: client.loggedInAs ? `logged in as ${client.loggedInAs}` : 'no login needed' });
  } else {
    const problem =
      v2.status === 401
        ? loginProblem(host, client)
        : { reason: `${host} answered HTTP ${v2.status} at /v2/`, fix: 'check that the url names a Docker registry (distribution v2 API)' };
    checks.push({ name: 'registry credentials', result: 'fail', detail: problem.reason, fix: problem.fix });
    return [...checks, ...pushedLater];
  }

  if (!settings.push) {
    checks.push({ name: 'registry push', result: 'ok', detail: 'push is off: this machine only pulls' });
    return [...checks, ...pushedLater];
  }
  const repository = [base, options.probeService ?? 'local-dev-doctor'].filter(Boolean).join('/');
  try {
    const started = await client.request('POST', `/v2/${repository}/blobs/uploads/`, `repository:${repository}:pull,push`, { 'content-length': '0' });
    if (started.status === 202 && typeof started.headers.location === 'string') {
      await client.requestUrl('DELETE', client.resolve(started.headers.location));
      checks.push({ name: 'registry push', result: 'ok', detail: `this machine may push to ${host}/${repository}` });
    } else {
      checks.push({
        name: 'registry push',
        result: 'fail',
        detail: `${host} refused an upload to ${repository} (HTTP ${started.status})`,
        fix: `ask for push rights on ${settings.url}, or set push: false (this machine then only pulls)`,
      });
    }
  } catch (error) {
    checks.push({ name: 'registry push', result: 'fail', detail: failureReason(host, error) });
  }
  return [...checks, ...pushedLater];
}
