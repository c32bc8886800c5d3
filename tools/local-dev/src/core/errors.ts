/**
 * The small family of errors local-dev raises on purpose.
 *
 * Every error a user can cause or meet (bad config, unknown namespace, a repo we cannot reach, a
 * busy port, a failed docker build) is one of these. They travel up unchanged and are turned into
 * a printed message and an exit status only at the edge (`runAtEdge` in ./edge.ts), so no module
 * below the edge prints-and-swallows.
 */

export type ErrorKind = 'config' | 'usage' | 'git' | 'docker' | 'tunnel' | 'child-process' | 'runtime';

export abstract class LocalDevError extends Error {
  abstract readonly kind: ErrorKind;
  /** One short line telling the user what to do next, when we know it. */
  readonly fix?: string;

  constructor(message: string, options: { fix?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.fix = options.fix;
  }

  /** What the user reads: the message and, when known, the fix. Never a stack trace. */
  describe(): string {
    return this.fix ? `${this.message}\n  fix: ${this.fix}` : this.message;
  }
}

/** One thing wrong in a config file, pinned to a line so an editor can jump to it. */
export interface ConfigProblem {
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  message: string;
  fix?: string;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}` : problem.file;
  const fix = problem.fix ? `\n    fix: ${problem.fix}` : '';
  return `  ${where}: ${problem.message}${fix}`;
}

/** config.yaml (or another file the user edits) is wrong. Carries every problem found, not the first. */
export class ConfigError extends LocalDevError {
  readonly kind = 'config';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${count} in ${[...new Set(problems.map((p) => p.file))].join(', ')}:\n${problems.map(formatProblem).join('\n')}`);
    this.problems = problems;
  }

  override describe(): string {
    return this.message;
  }
}

/** The user asked for something that cannot be done as asked (unknown namespace, bad option). */
export class UsageError extends LocalDevError {
  readonly kind = 'usage';
}

/** A git operation on a clone failed in a way the user must act on. */
export class GitError extends LocalDevError {
  readonly kind = 'git';
  constructor(
    readonly repo: string,
    message: string,
    options: { fix?: string; cause?: unknown } = {},
  ) {
    super(`${repo}: ${message}`, options);
  }
}

/** Docker (engine, build, compose) failed in a way the user must act on. */
export class DockerError extends LocalDevError {
  readonly kind = 'docker';
}

/** The Redis tunnel could not be started or kept healthy. */
export class TunnelError extends LocalDevError {
  readonly kind = 'tunnel';
}

/** A child process exited badly. Carries what is needed to understand it without re-running. */
export class ChildProcessError extends LocalDevError {
  readonly kind = 'child-process';
  /** The signal that ended it, or `timeout after N ms` when exec's own timeout did. */
  readonly signal?: string;
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    /** The last lines of combined stdout/stderr. */
    readonly outputTail: string,
    options: { fix?: string; cause?: unknown; signal?: string; notStarted?: boolean } = {},
  ) {
    const how = options.notStarted
      ? 'could not start'
      : exitCode === null
        ? `was killed${options.signal ? ` by ${options.signal}` : ''}`
        : `exited with ${exitCode}`;
    super(`\`${[command, ...args].join(' ')}\` ${how}${outputTail ? `:\n${indent(outputTail)}` : ''}`, options);
    this.signal = options.signal;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

export function isLocalDevError(error: unknown): error is LocalDevError {
  return error instanceof LocalDevError;
}
