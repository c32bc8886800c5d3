/**
 * The one place local-dev spawns a program and waits for it.
 *
 * Arguments are always an array (never a shell string), and a failure always becomes a
 * ChildProcessError carrying the command, the exit code and the tail of the output, so the edge
 * can show what went wrong without anyone re-running the command by hand.
 */
import execa from 'execa';
import { ChildProcessError } from './errors';

export interface ExecOptions {
  cwd?: string;
  /** Extra variables on top of the current environment. */
  env?: Record<string, string | undefined>;
  /** What the child reads on stdin: text, or bytes (a tar archive for `docker cp -`). */
  input?: string | Buffer;
  /** Called with each chunk of output as it arrives, for live progress. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Kill the child after this many milliseconds. */
  timeoutMs?: number;
  /** How many trailing lines of output a failure keeps. */
  tailLines?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const DEFAULT_TAIL_LINES = 20;

export async function exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const child = execa(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    input: options.input,
    // No execa `timeout`: execa 5 keeps a timer alive for the whole timeout even when the spawn
    // failed with ENOENT, holding the process open. Our own timer below is always cleared.
    reject: false,
    all: true,
    stripFinalNewline: true,
  });
  if (options.onOutput) {
    const onOutput = options.onOutput;
    child.stdout?.on('data', (chunk: Buffer) => onOutput(chunk.toString(), 'stdout'));
    child.stderr?.on('data', (chunk: Buffer) => onOutput(chunk.toString(), 'stderr'));
  }
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs);
  const result = await child.finally(() => clearTimeout(timer));
  if (result.exitCode === 0 && !result.failed && !timedOut) {
    return { stdout: result.stdout, stderr: result.stderr, exitCode: 0 };
  }
  const output = result.all ?? `${result.stdout}\n${result.stderr}`;
  // With reject:false a spawn failure comes back as the error object itself, carrying `code`.
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new ChildProcessError(command, args, null, `${command}: command not found`, {
      fix: `install ${command} or put it on PATH`,
      notStarted: true,
    });
  }
  throw new ChildProcessError(command, args, timedOut ? null : (result.exitCode ?? null), tail(output, options.tailLines), {
    signal: timedOut ? `timeout after ${options.timeoutMs} ms` : result.signal,
  });
}

/** The last `lines` non-empty lines of `text`. */
export function tail(text: string, lines = DEFAULT_TAIL_LINES): string {
  const all = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return all.slice(-lines).join('\n');
}
