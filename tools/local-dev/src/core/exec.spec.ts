/** The one spawn helper, against real tiny processes (node -e …). */
import { ChildProcessError } from './errors';
import { exec, tail } from './exec';

const node = process.execPath;

async function failureOf(promise: Promise<unknown>): Promise<ChildProcessError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof ChildProcessError)) throw new Error(`expected a ChildProcessError, got ${String(outcome)}`);
  return outcome;
}

describe('exec', () => {
  it('returns the output of a program that succeeds', async () => {
    const result = await exec(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err")']);
    expect(result).toEqual({ stdout: 'out', stderr: 'err', exitCode: 0 });
  });

  it('passes input, working directory and extra environment', async () => {
    const result = await exec(node, ['-e', 'process.stdin.pipe(process.stdout); process.stdout.write(process.cwd() + ":" + process.env.LOCAL_DEV_X)'], {
      cwd: '/',
      env: { LOCAL_DEV_X: 'y' },
      input: 'in:',
    });
    expect(result.stdout).toBe('/:yin:');
  });

  it('fails with the command, exit code and the tail of the output', async () => {
    const script = 'for (let i = 1; i <= 30; i++) console.error("line " + i); process.exit(3)';
    const error = await failureOf(exec(node, ['-e', script], { tailLines: 2 }));
    expect(error.exitCode).toBe(3);
    expect(error.command).toBe(node);
    expect(error.outputTail).toBe('line 29\nline 30');
    expect(error.message).toContain('exited with 3');
  });

  it('says a missing program is not installed, with the fix, and returns at once', async () => {
    const started = Date.now();
    const error = await failureOf(exec('local-dev-no-such-program', ['x'], { timeoutMs: 5000 }));
    expect(error.describe()).toBe(
      '`local-dev-no-such-program x` could not start:\n    local-dev-no-such-program: command not found\n  fix: install local-dev-no-such-program or put it on PATH',
    );
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('kills a program that outlives its timeout', async () => {
    // 2 s: long enough for node to start and print on a loaded 2-core machine, far below its 60 s.
    const error = await failureOf(exec(node, ['-e', 'console.log("started"); setTimeout(() => {}, 60000)'], { timeoutMs: 2000 }));
    expect(error.exitCode).toBeNull();
    expect(error.message).toContain('was killed by timeout after 2000 ms');
    expect(error.signal).toBe('timeout after 2000 ms');
    expect(error.outputTail).toBe('started');
  });

  it('streams output as it arrives', async () => {
    const chunks: string[] = [];
    await exec(node, ['-e', 'console.log("a"); console.error("b")'], { onOutput: (chunk, stream) => chunks.push(`${stream}:${chunk.trim()}`) });
    expect(chunks.sort()).toEqual(['stderr:b', 'stdout:a']);
  });
});

describe('tail', () => {
  it('keeps the last non-empty lines', () => {
    expect(tail('a\n\nb\r\nc\n', 2)).toBe('b\nc');
  });
});
