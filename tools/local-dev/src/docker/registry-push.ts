/**
 * Pushing a built image to the team's registry in the background (issue 24): `docker push` as a
 * detached process writing logs/push/<service>.log, so a push never delays `up`; its outcome is read
 * back from that log by the next run or doctor. A push that makes no progress (its log silent) for
 * PUSH_STALL_MS is ended by whoever reads it next and recorded failed, with that reason.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from '../core/atomic-write';
import { makePrivateDir } from '../core/private-dir';
import { isProcessAlive, processStartTime } from '../core/proc';
import { readJsonIfExists, readTextIfExists } from '../core/read-if-exists';
import { displayPath, type WorkspacePaths } from '../core/workspace';

/** A push whose log has not grown for this long is taken for hung: ended, recorded failed. */
export const PUSH_STALL_MS = 5 * 60_000;

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

/** Pure: the line that starts each push's part of the log. */
export function pushHeader(ref: string): string {
  return `--- local-dev: docker push ${ref}`;
}

/**
 * Starts `docker push ref` as a detached process (its own session: it outlives the task, Ctrl-C of
 * the run does not reach it) writing logs/push/<service>.log, records it, and returns at once. A push
 * of the same reference still running is left to finish instead; while a push of an older reference
 * still runs, the log is appended to (never truncated under it).
 * logs/push/ is private (0700): a push log names the registry and images.
 */
export function pushInBackground(paths: WorkspacePaths, ref: string, service: string): PushRecord {
  const current = readPushStatus(paths, service);
  // The same image already on its way (two runs close together): one push is enough.
  if (current?.state === 'running' && current.ref === ref) return current;
  makePrivateDir(pushFolder(paths), paths.logs);
  const log = pushLogFile(paths, service);
  const fd = openSync(log, current?.state === 'running' ? 'a' : 'w', 0o600);
  let record: PushRecord;
  try {
    appendFileSync(fd, `${pushHeader(ref)}\n`);
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

/**
 * Pure: what a finished push's log says — pushed (docker's "<tag>: digest: sha256:… size: …" line
 * for this tag) or failed, with why (the last line of this push's part of the log).
 */
export function pushOutcome(logText: string, ref: string): { state: 'pushed' } | { state: 'failed'; detail: string } {
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  const all = logText.split(/\r?\n/).filter((line) => line.trim() !== '');
  const start = all.lastIndexOf(pushHeader(ref));
  const lines = all.slice(start + 1).filter((line) => !line.startsWith('--- local-dev: docker push '));
  if (lines.some((line) => line.startsWith(`${tag}: digest: sha256:`))) return { state: 'pushed' };
  return { state: 'failed', detail: lines.at(-1)?.trim() || 'docker push ended without a word (killed, or the machine stopped)' };
}

/** Ends a hung push (its whole process group: it was started detached) and says so in its log. */
function endStalledPush(record: PushRecord, log: string, stallMs: number): void {
  appendFileSync(log, `local-dev ended this push: no progress for ${Math.round(stallMs / 1000)} s (docker push wrote nothing)\n`);
  try {
    process.kill(-record.pid, 'SIGKILL');
  } catch (error) {
    // Already gone between the check and the kill: it is over either way.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * The last push of `service`: running, pushed, or failed with its last line; undefined when none was
 * made. A running push whose log has been silent for `stallMs` is ended here and reads as failed.
 */
export function readPushStatus(paths: WorkspacePaths, service: string, stallMs = PUSH_STALL_MS): PushStatus | undefined {
  const record = readJsonIfExists<PushRecord>(pushRecordFile(paths, service));
  if (!record || typeof record.ref !== 'string' || typeof record.pid !== 'number') return undefined;
  const logFile = pushLogFile(paths, service);
  const log = displayPath(paths, logFile);
  if (record.pid > 0 && isProcessAlive(record.pid, record.processStart)) {
    const quietFor = Date.now() - (statSync(logFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (quietFor < stallMs) return { ...record, state: 'running', log };
    endStalledPush(record, logFile, stallMs);
  }
  return { ...record, ...pushOutcome(readTextIfExists(logFile) ?? '', record.ref), log };
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
