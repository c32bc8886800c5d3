/**
 * The team's image registry, as build-image and doctor use it (issue 24):
 *   - lookUp: is the image for this portable hash there? A manifest HEAD with a short deadline, so a
 *     registry that is down or slow costs a run a second, never a stall or a failure;
 *   - pull: `docker pull` with a timeout (the engine holds the credentials and the transfer);
 *   - pushInBackground: `docker push` as a detached process writing logs/push/<service>.log, so a
 *     push never delays `up`; its outcome is read back from that log by the next run or doctor;
 *   - registryChecks: doctor's questions (reachable, credentials, push allowed).
 * Credentials only ever come from `docker login` (see registry-http.ts), never from config.yaml.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { RegistrySettings } from '../config/registry';
import { ChildProcessError } from '../core/errors';
import { writeFileAtomically } from '../core/atomic-write';
import { makePrivateDir } from '../core/private-dir';
import { isProcessAlive, processStartTime } from '../core/proc';
import { readJsonIfExists, readTextIfExists } from '../core/read-if-exists';
import { displayPath, type WorkspacePaths } from '../core/workspace';
import { exec } from '../core/exec';
import { engineUnreachableError, isEngineUnreachable } from './cli';
import { Deadline, RegistryClient } from './registry-http';

/** A look-up decides in this long or calls the registry unreachable: a run must not wait on it. */
export const LOOKUP_TIMEOUT_MS = 1_500;
/** A pull of one service's image; past this the image is built instead. */
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
  const slash = ref.indexOf('/');
  const colon = ref.lastIndexOf(':');
  if (slash <= 0 || colon < ref.lastIndexOf('/')) return undefined;
  const repository = ref.slice(slash + 1, colon);
  const tag = ref.slice(colon + 1);
  return repository && tag ? { host: ref.slice(0, slash), repository, tag } : undefined;
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
    if (reply.status === 401 || reply.status === 403) return { state: 'unreachable', ...loginProblem(parts.host, client.needsLogin) };
    return { state: 'unreachable', reason: `registry ${parts.host} answered ${reply.status} to a manifest look-up` };
  } catch (error) {
    return { state: 'unreachable', reason: `registry ${parts.host} did not answer: ${(error as Error).message}` };
  }
}

function loginProblem(host: string, needsLogin: boolean): { reason: string; fix: string } {
  return needsLogin
    ? { reason: `registry ${host} needs a login and this machine has none`, fix: `docker login ${host}` }
    : {
        reason: `registry ${host} refused the credentials of \`docker login\``,
        fix: `docker login ${host} again (the stored password or token is no longer accepted)`,
      };
}

export type PullResult = { pulled: true } | { pulled: false; reason: string };

/**
 * `docker pull ref`, given up after `timeoutMs`. A pull that fails (the registry went away, a
 * timeout) is a result, not an error: the caller builds instead. An engine that does not answer is
 * thrown (cli.ts's DockerError): nothing else would work either.
 */
export async function pull(ref: string, timeoutMs = PULL_TIMEOUT_MS): Promise<PullResult> {
  try {
    await exec('docker', ['pull', '--quiet', ref], { timeoutMs });
    return { pulled: true };
  } catch (error) {
    if (!(error instanceof ChildProcessError)) throw error;
    if (error.signal?.startsWith('timeout')) return { pulled: false, reason: `no image after ${timeoutMs} ms (${error.signal})` };
    // "Error response from daemon": the engine answered, the registry did not (its "connection
    // refused" is not the engine's, which cli.ts's engine-down test would take it for).
    if (!error.outputTail.includes('Error response from daemon') && isEngineUnreachable(error)) throw engineUnreachableError(error);
    return { pulled: false, reason: error.outputTail.split('\n').pop()?.trim() || error.message };
  }
}

// ---------------------------------------------------------------------------------------------
// Pushing in the background

export interface PushRecord {
  service: string;
  ref: string;
  pid: number;
  /** processStartTime of pid, so a reused pid is never taken for the push. */
  processStart: string;
  startedAt: string;
}

export type PushStatus = PushRecord & { state: 'running' | 'pushed' | 'failed'; log: string; detail?: string };

export function pushFolder(paths: WorkspacePaths): string {
  return path.join(paths.logs, 'push');
}

export function pushLogFile(paths: WorkspacePaths, service: string): string {
  return path.join(pushFolder(paths), `${service}.log`);
}

function pushRecordFile(paths: WorkspacePaths, service: string): string {
  return path.join(pushFolder(paths), `${service}.json`);
}

/**
 * Starts `docker push ref` as a detached process (its own session: it outlives the task, Ctrl-C of
 * the run does not reach it) writing logs/push/<service>.log, records it, and returns at once. A push
 * of the same reference still running is left to finish instead.
 * logs/push/ is private (0700): a push log names the registry and images.
 */
export function pushInBackground(paths: WorkspacePaths, ref: string, service: string): PushRecord {
  const current = readPushStatus(paths, service);
  // The same image already on its way (two runs close together): one push is enough.
  if (current?.state === 'running' && current.ref === ref) return current;
  makePrivateDir(pushFolder(paths), paths.logs);
  const log = pushLogFile(paths, service);
  const fd = openSync(log, 'w', 0o600);
  let record: PushRecord;
  try {
    const child = spawn('docker', ['push', ref], { cwd: paths.root, detached: true, stdio: ['ignore', fd, fd] });
    // A docker missing from PATH is reported asynchronously; it goes to the log, where the next
    // run reads the push as failed (with this line).
    child.on('error', (error) => appendFileSync(log, `could not start docker push: ${error.message}\n`));
    child.unref();
    const pid = child.pid ?? 0;
    record = { service, ref, pid, processStart: pid > 0 ? processStartTime(pid) : '', startedAt: new Date().toISOString() };
  } finally {
    closeSync(fd);
  }
  writeFileAtomically(pushRecordFile(paths, service), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return record;
}

/** Pure: what a finished push's log says — pushed (docker's "<tag>: digest: sha256:… size: …" line for this tag) or failed, with why. */
export function pushOutcome(logText: string, ref: string): { state: 'pushed' } | { state: 'failed'; detail: string } {
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  const lines = logText.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.some((line) => line.startsWith(`${tag}: digest: sha256:`))) return { state: 'pushed' };
  return { state: 'failed', detail: lines.at(-1)?.trim() || 'docker push ended without a word (killed, or the machine stopped)' };
}

/** The last push of `service`: running, pushed, or failed with its last line; undefined when none was made. */
export function readPushStatus(paths: WorkspacePaths, service: string): PushStatus | undefined {
  const record = readJsonIfExists<PushRecord>(pushRecordFile(paths, service));
  if (!record || typeof record.ref !== 'string' || typeof record.pid !== 'number') return undefined;
  const log = displayPath(paths, pushLogFile(paths, service));
  if (record.pid > 0 && isProcessAlive(record.pid, record.processStart)) return { ...record, state: 'running', log };
  return { ...record, ...pushOutcome(readTextIfExists(pushLogFile(paths, service)) ?? '', record.ref), log };
}

/** Every service whose last push failed, for doctor and the next run to say. */
export function failedPushes(paths: WorkspacePaths): PushStatus[] {
  let files: string[];
  try {
    files = readdirSync(pushFolder(paths));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return files
    .filter((file) => file.endsWith('.json'))
    .map((file) => readPushStatus(paths, file.slice(0, -'.json'.length)))
    .filter((status): status is PushStatus => status?.state === 'failed');
}

/** Pure: one line about a failed push, with where to read more. */
export function describeFailedPush(status: PushStatus): string {
  return `the last push of ${status.service} (${status.ref}, ${status.startedAt}) failed: ${status.detail ?? 'see the log'} — ${status.log}`;
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
  const host = settings.url.split('/')[0] ?? settings.url;
  const base = settings.url.slice(host.length + 1);
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
      detail: `${host} does not answer: ${(error as Error).message}`,
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
        ? loginProblem(host, client.needsLogin)
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
    checks.push({ name: 'registry push', result: 'fail', detail: `${host} did not answer an upload: ${(error as Error).message}` });
  }
  return [...checks, ...pushedLater];
}
