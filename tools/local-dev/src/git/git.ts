/**
 * The thin layer that runs git for local-dev: argument arrays through the one exec helper, with an
 * environment that makes git's behaviour predictable for a tool (English messages we can classify,
 * no terminal prompts that would hang a parallel Nx run, literal pathspecs for file names).
 */
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
  return exec('git', args, {
    cwd: options.cwd,
    env: gitEnvironment(options.env),
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
