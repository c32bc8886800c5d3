/**
 * The thin layer that runs git for local-dev: argument arrays through the one exec helper, with an
 * environment that makes git's behaviour predictable for a tool (English messages we can classify,
 * no terminal prompts that would hang a parallel Nx run, literal pathspecs for file names).
 *
 * Credentials from a repo URL in config.yaml travel to git in the environment only: the URL on the
 * command line and in .git/config has none (splitCredentials in ../core/redact.ts), so neither
 * `ps` nor a file shows them. git asks GIT_ASKPASS for what the URL lacks, and ./askpass.sh (a
 * fixed file, run by git without a shell) answers from the variables below. The user's own
 * credential helpers are switched off for that command (`-c credential.helper=`): git would
 * otherwise hand them the token after a successful fetch, and `store` writes it to ~/.git-credentials.
 */
import * as path from 'node:path';
import type { UrlCredentials } from '../core/redact';
import { exec, type ExecResult } from '../core/exec';
import { ChildProcessError } from '../core/errors';

export interface GitOptions {
  /** The repository (or, for clone, the folder it runs in). */
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Kill git after this long (a remote behind a dead VPN can hang for minutes). */
  timeoutMs?: number;
  /** For commands that talk to a remote whose URL in config.yaml carried these. */
  credentials?: UrlCredentials;
}

/** What a command that talks to a remote needs besides its folder. */
export type RemoteOptions = Pick<GitOptions, 'env' | 'credentials'>;

/** The program git runs for a user name or password; its answers are the two variables below. */
export const ASKPASS = path.join(__dirname, 'askpass.sh');
const USERNAME_VARIABLE = 'LOCAL_DEV_GIT_USERNAME';
const PASSWORD_VARIABLE = 'LOCAL_DEV_GIT_PASSWORD';

/** What git is given, besides the command, to authenticate with `credentials`. Pure. */
export function credentialPassing(credentials: UrlCredentials | undefined): { configArgs: string[]; env: Record<string, string> } {
  if (credentials === undefined) return { configArgs: [], env: {} };
  return {
    configArgs: ['-c', 'credential.helper='],
    env: { GIT_ASKPASS: ASKPASS, [USERNAME_VARIABLE]: credentials.username, [PASSWORD_VARIABLE]: credentials.password },
  };
}

/** Identity for the commits local-dev makes itself (backups), so they work without user.name set. */
export const LOCAL_DEV_IDENTITY = {
  GIT_AUTHOR_NAME: 'local-dev',
  GIT_AUTHOR_EMAIL: 'local-dev@localhost',
  GIT_COMMITTER_NAME: 'local-dev',
  GIT_COMMITTER_EMAIL: 'local-dev@localhost',
};

export function gitEnvironment(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    // Messages in English whatever the user's locale: errors are classified by their text.
    LC_ALL: 'C',
    LANGUAGE: 'C',
    // An https remote without credentials must fail, not wait for a password nobody sees.
    GIT_TERMINAL_PROMPT: '0',
    // File names we pass after `--` are paths, never glob patterns.
    GIT_LITERAL_PATHSPECS: '1',
    ...extra,
  };
}

export async function git(args: readonly string[], options: GitOptions): Promise<ExecResult> {
  const passing = credentialPassing(options.credentials);
  return exec('git', [...passing.configArgs, ...args], {
    cwd: options.cwd,
    env: gitEnvironment({ ...options.env, ...passing.env }),
    input: options.input,
    onOutput: options.onOutput,
    timeoutMs: options.timeoutMs,
    tailLines: 30,
  });
}

/**
 * For git commands whose non-zero exit is an answer, not a failure (`rev-parse --verify`,
 * `symbolic-ref -q`, `show-ref --verify`): exit 1 (or 128 for "not a ref") → undefined.
 * Any other failure still throws.
 */
export async function gitQuery(args: readonly string[], options: GitOptions, answerCodes: readonly number[] = [1]): Promise<string | undefined> {
  try {
    return (await git(args, options)).stdout;
  } catch (error) {
    if (error instanceof ChildProcessError && error.exitCode !== null && answerCodes.includes(error.exitCode)) return undefined;
    throw error;
  }
}
