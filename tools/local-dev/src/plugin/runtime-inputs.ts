/**
 * Nx runtime inputs: commands Nx runs through a shell (`sh -c`) while it hashes tasks, before any
 * task starts and even when Docker is unreachable. So no text from config.yaml may ever be part of
 * one: a `source: "x;touch /tmp/pwned"` would run as a command on `nx run <svc>:build-image`.
 *
 * What a runtime input needs to know about the config (which clone a service is built from, which
 * secret files it reads) is written by the plugin into small argument files under
 * RUNTIME_INPUTS_DIR, and the command names only the file. Every command is built by
 * `runtimeInput`, which refuses any word outside a plain character set — config text cannot get
 * in even by mistake. Service names (NAME_PATTERN: lower-case letters, digits, dashes) pass it.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { RepoModel, WorkspaceModel } from '../config/model';
import { writeFileAtomically } from '../core/atomic-write';
import { readTextIfExists } from '../core/read-if-exists';

/**
 * Where the argument files live, relative to the workspace root (the commands name them, and Nx
 * runs them in the root). Under .nx/ so it is gitignored and goes with Nx's other local state; not
 * NX_WORKSPACE_DATA_DIRECTORY, whose value would then be part of the command.
 */
export const RUNTIME_INPUTS_DIR = '.nx/local-dev/runtime-inputs';
/** Names the config the files were written for; the files are rewritten when it changes. */
const KEY_FILE = 'key';

/** The only characters a runtime input's words may hold: no quote, space, `$`, `;`, backtick or glob, no leading dash. */
const PLAIN_WORD = /^[A-Za-z0-9._][A-Za-z0-9._/-]*$/;

/** A runtime input command from fixed words; throws (a bug, never user input) on anything else. */
export function runtimeInput(...words: string[]): string {
  const unsafe = words.find((word) => !PLAIN_WORD.test(word) || word.split('/').includes('..'));
  if (unsafe !== undefined) throw new Error(`refusing to put ${JSON.stringify(unsafe)} into an Nx runtime input: it runs through a shell`);
  return words.join(' ');
}

/**
 * The argument file of build-image's input (bin/input-state.sh) for the services built from one
 * clone, named after the repo's owner service (a validated name, never other config text). Per
 * repo, not per service: services sharing a clone (a service and its workers) then share one
 * command, which Nx runs once per hashing round instead of once per service.
 */
export function buildStateArgsFile(repoOwner: string): string {
  return `${RUNTIME_INPUTS_DIR}/build-image-${repoOwner}.txt`;
}

/** The argument file of inject-config's input (src/runtime-state/inject-state.ts): the clone folders. */
export const INJECTION_STATE_ARGS_FILE = `${RUNTIME_INPUTS_DIR}/clones.txt`;
/** The argument file of up's input (src/runtime-state/up-state.ts): the service names. */
export const UP_STATE_ARGS_FILE = `${RUNTIME_INPUTS_DIR}/services.txt`;

/**
 * The secret files a repo's injection reads, as patterns over every namespace folder
 * (configs/<ns>/<source>); the only wildcard is the namespace.
 */
export function secretPatterns(repo: RepoModel): string[] {
  return repo.configs.map((entry) => `configs/*/${entry.source}`);
}

/**
 * The content of every argument file, keyed by its workspace-relative path. One line per value;
 * config values cannot hold a line break (src/config/schema.ts limits their characters).
 */
export function runtimeInputArgs(model: WorkspaceModel): Record<string, string> {
  const files: Record<string, string> = {
    [INJECTION_STATE_ARGS_FILE]: lines(model.repos.map((repo) => repo.dir)),
    [UP_STATE_ARGS_FILE]: lines(model.services.map((service) => service.name)),
  };
  for (const repo of model.repos) files[buildStateArgsFile(repo.owner)] = lines([`cloned/${repo.dir}`, ...secretPatterns(repo)]);
  return files;
}

function lines(values: string[]): string {
  return values.map((value) => `${value}\n`).join('');
}

/**
 * Makes the argument files on disk those of `key` (a hash of the config they come from). Costs one
 * small read when they already are, so the plugin calls it on every graph computation, and a
 * deleted .nx/ is restored by the next nx command. Files of services no longer in the config go.
 */
export function ensureRuntimeInputArgs(workspaceRoot: string, key: string, files: Record<string, string>): void {
  const folder = path.join(workspaceRoot, RUNTIME_INPUTS_DIR);
  const keyFile = path.join(folder, KEY_FILE);
  if (readTextIfExists(keyFile) === key) return;
  mkdirSync(folder, { recursive: true });
  // The key goes last, and first out: a reader never takes a half-written set for a complete one.
  rmSync(keyFile, { force: true });
  const wanted = new Set(Object.keys(files).map((file) => path.basename(file)));
  for (const stale of readdirSync(folder).filter((name) => !wanted.has(name))) rmSync(path.join(folder, stale), { force: true });
  for (const [file, content] of Object.entries(files)) writeFileAtomically(path.join(workspaceRoot, file), content);
  writeFileAtomically(keyFile, key);
}

