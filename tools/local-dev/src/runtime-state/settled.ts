/**
 * Settled tokens: what a hasher adds to a task's hash (./hashers.ts), so that the first run after a task changed the state
 * it fingerprints is a cache hit, not a second run of the task.
 *
 * Nx hashes a task before running it. A hash of the state the task acts on (is
 * the container running? is the clone injected?) therefore files the task's success under the
 * state as it was BEFORE the run ("not running"), and the next run, seeing "running", misses the
 * cache once more: every `up`, inject-config and redis-tunnel:up ran a second time in the first
 * no-op after a cold start (issue 10).
 *
 * So the hasher adds a token, not the state:
 * - the state is one the task itself left behind (recorded by `settle` right after a success) and
 *   is satisfactory: the token recorded with it, which is the token the successful run was hashed
 *   under, so Nx finds that run in its cache;
 * - anything else: the attempt token, made up once and printed, whatever the state does meanwhile,
 *   until a task run settles. It names no success yet, so the task runs. It must not follow the
 *   state: the hashing rounds of one run see other tasks' work half done (a clone not injected
 *   yet, another service starting), and every task of the run must be hashed under one token.
 *
 * Why a hit can never lie: a settled token is printed only while the state is exactly one that a
 * successful run of the task produced, where the task has nothing left to do. An attempt token is
 * dropped by the first settle, so once a run has succeeded under it, it is never printed again:
 * a later stopped container or edited file gets a new attempt, which no cache entry answers.
 * Races between commands can only lose a record, which costs a miss, never a false hit.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { writeFileAtomically } from '../core/atomic-write';
import { readJsonIfExists } from '../core/read-if-exists';
import { makePrivateDir } from '../core/private-dir';

/** What a hasher sees now. */
export interface Observation {
  /** Everything the task's work depends on, deterministic (no time, no pid): equal text, equal state. */
  text: string;
  /** Whether the state is what the task would leave (e.g. the container runs the wanted image). */
  satisfied: boolean;
}

export interface SettledRecord {
  /** The state a successful run left, and the token it ran under. */
  settled?: { token: string; observed: string };
  /** The token printed while the state is not a settled one. */
  attempt?: { token: string };
}

/** Under .nx/ (gitignored, Nx's local state): deleting it only costs one more miss per task. */
export const SETTLED_DIR = '.nx/local-dev/settled';

export function newAttemptToken(): string {
  return `attempt-${randomBytes(8).toString('hex')}`;
}

/** Pure: the token to print for `observation`, and the record to store when it changed. */
export function tokenFor(record: SettledRecord, observation: Observation, newToken: () => string = newAttemptToken): { token: string; record?: SettledRecord } {
  if (observation.satisfied && record.settled?.observed === observation.text) return { token: record.settled.token };
  if (record.attempt) return { token: record.attempt.token };
  const attempt = { token: newToken() };
  return { token: attempt.token, record: { ...record, attempt } };
}

/**
 * Pure: the record after a successful run that left `observed`. The run was hashed under the
 * pending attempt, or under the settled token when it found the state settled already (a task run
 * anyway: another namespace, a cleared cache); the attempt is spent either way.
 */
export function settledAfterSuccess(record: SettledRecord, observed: string, newToken: () => string = newAttemptToken): SettledRecord {
  return { settled: { token: record.attempt?.token ?? record.settled?.token ?? newToken(), observed } };
}

export function settledFile(workspaceRoot: string, key: string): string {
  return path.join(workspaceRoot, SETTLED_DIR, `${key}.json`);
}

/** The record, or none yet (absent, or torn by hand: starting over costs one miss). */
export function readSettledRecord(file: string): SettledRecord {
  return readJsonIfExists<SettledRecord>(file) ?? {};
}

function writeSettledRecord(file: string, record: SettledRecord): void {
  // .nx/local-dev/settled/<key>.json: .nx/local-dev/ is the private root (its records hash secret files).
  makePrivateDir(path.dirname(file), path.dirname(path.dirname(file)));
  writeFileAtomically(file, `${JSON.stringify(record)}\n`);
}

/** The hasher's side: the token for what it observes now (storing a new attempt). */
export function printedToken(workspaceRoot: string, key: string, observation: Observation): string {
  const file = settledFile(workspaceRoot, key);
  const { token, record } = tokenFor(readSettledRecord(file), observation);
  if (record) writeSettledRecord(file, record);
  return token;
}

/** The task's side, after it succeeded: records the state it left under the token it ran with. */
export function settle(workspaceRoot: string, key: string, observed: Observation): void {
  const file = settledFile(workspaceRoot, key);
  writeSettledRecord(file, settledAfterSuccess(readSettledRecord(file), observed.text));
}
