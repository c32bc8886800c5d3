/**
 * What Nx keeps in memory of a task's output while it runs (scripts/patch-nx.js, "output-tail";
 * issue 20, item 7): the tail, after one line saying how much was not kept. Measured where Nx
 * leaves what it kept: `.nx/cache/terminalOutputs/<hash>`, the task's terminalOutput that the cache,
 * the run's results and logs/build_output.log get.
 *
 * A real `stack:logs` through the real nx CLI over a real container that has printed 12 MB (more
 * than the 8 MiB kept), with its output piped (CI, a redirect) and in a real terminal (a pseudo-terminal
 * from Python's pty module: Nx then runs the task in its own pseudo-terminal, as for a user), and
 * an nx:run-commands target printing as much. Every line is still shown live. The control: the
 * same run on a private copy of Nx without the patch (the last test) keeps everything.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { LABELS, workspaceId } from '../src/core/naming';
import { removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createTempWorkspace, initWorkspace, type RunResult, type TempWorkspace } from './support/temp-workspace';
import { useNxWithoutPatch } from './support/unpatched-nx';

jest.setTimeout(120_000);

const LINES = 120_000;
/** Each line is exactly 100 bytes with its newline: "line 0000001 xxx…". */
const lineText = (n: number) => `line ${String(n).padStart(7, '0')} ${'x'.repeat(87)}`;
const KEPT_CHARS = 8 * 1024 * 1024;
const NOT_KEPT =
  /^\[local-dev\] the first (\d+\.\d) MB of this task's output are not kept here \(Nx keeps its last 8 MiB\); they were shown live as they came$/;
const NX_ENV = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
/** Runs argv in a new pseudo-terminal and copies what it prints to stdout: a real terminal for nx, without a shell. */
const IN_A_TERMINAL = 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))';

function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** The numbers of the payload lines in `text`, in order (a prefix and \r ignored). */
function lineNumbers(text: string): number[] {
  return [...text.matchAll(/line (\d{7}) x{87}\r?$/gm)].map((match) => Number(match[1]));
}

/**
 * The same in what nx printed, with every newline taken out first: with its output piped, Nx 23.3.1
 * breaks a line in two wherever a chunk of the task's output ends (addPrefixTransformer in
 * running-tasks/output-prefix.js ends every chunk with a newline), patched or not.
 */
function shownLineNumbers(printed: string): number[] {
  return [...printed.replace(/\r?\n/g, '').matchAll(/line (\d{7}) x{87}/g)].map((match) => Number(match[1]));
}

describe('Nx keeps the tail of a long task output, not all of it (scripts/patch-nx.js output-tail)', () => {
  const workspaces: TempWorkspace[] = [];

  /** A workspace with one service, `bulk`, whose running container has printed LINES lines. */
  async function bulkWorkspace(name: string): Promise<TempWorkspace> {
    const created = createTempWorkspace({
      config: ['services:', '  bulk:', '    repo: /nonexistent/bulk.git', ''].join('\n'),
      name,
      files: {
        // An nx:run-commands target printing the same lines (Nx runs those in its own process).
        'printer/project.json': JSON.stringify({
          name: 'printer',
          targets: {
            print: {
              executor: 'nx:run-commands',
              options: { command: `node -e "for (let n = 1; n <= ${LINES}; n++) console.log('line ' + String(n).padStart(7, '0') + ' ' + 'x'.repeat(87))"` },
            },
          },
        }),
      },
    });
    workspaces.push(created);
    await initWorkspace(created);
    const labels = ['--label', `${LABELS.workspace}=${workspaceId(created.root)}`, '--label', `${LABELS.service}=bulk`];
    const script = `awk 'BEGIN { x = sprintf("%87s", ""); gsub(/ /, "x", x); for (n = 1; n <= ${LINES}; n++) printf "line %07d %s\\n", n, x }'; exec sleep 3600`;
    const container = docker(['run', '-d', ...labels, 'busybox:1.36', 'sh', '-c', script]);
    // Wait for the last line (a signal, not a sleep): logs are read once, after it.
    const deadline = Date.now() + 60_000;
    while (docker(['logs', '--tail', '1', container]) !== lineText(LINES)) {
      if (Date.now() > deadline) throw new Error(`container ${container} did not print its ${LINES} lines within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return created;
  }

  /** Runs nx with the output piped (`terminal`: in a pseudo-terminal), after emptying Nx's record of task outputs. */
  async function run(workspace: TempWorkspace, args: string[], terminal = false): Promise<{ result: RunResult; kept: string }> {
    const outputs = path.join(workspace.root, '.nx', 'cache', 'terminalOutputs');
    rmSync(outputs, { recursive: true, force: true });
    const nx = path.join(workspace.root, 'node_modules', '.bin', 'nx');
    const result = terminal
      ? await workspace.run('python3', ['-c', IN_A_TERMINAL, nx, ...args], { env: NX_ENV, timeoutMs: 90_000 })
      : await workspace.nx(args, { timeoutMs: 90_000 });
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.output.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const files = readdirSync(outputs);
    expect(files).toHaveLength(1);
    return { result, kept: readFileSync(path.join(outputs, files[0]), 'utf8') };
  }

  /** Every line was shown live; Nx kept the not-kept line, then whole lines up to the last, within 8 MiB. */
  function expectTailKept({ result, kept }: { result: RunResult; kept: string }): void {
    const shown = shownLineNumbers(result.stdout);
    expect({ shown: shown.length, first: shown[0], last: shown[shown.length - 1] }).toEqual({ shown: LINES, first: 1, last: LINES });

    const [notKept, ...rest] = kept.split('\n');
    expect(notKept.replace(/\r$/, '')).toMatch(NOT_KEPT);
    const numbers = lineNumbers(rest.join('\n'));
    const firstKept = numbers[0];
    // The tail starts at a whole line, holds every line from there to the last, and nothing else of the head.
    expect({
      startsWithALine: /^(\S+ \| )?line \d{7} x{87}\r?$/.test(rest[0]),
      consecutive: numbers.every((n, index) => n === firstKept + index),
      last: numbers[numbers.length - 1],
    }).toEqual({ startsWithALine: true, consecutive: true, last: LINES });
    expect(kept.length).toBeLessThanOrEqual(KEPT_CHARS + notKept.length + 1);
    // What was not kept is what the line says (within the rounding of its MB figure and the prefixes).
    const notKeptMb = Number(NOT_KEPT.exec(notKept.replace(/\r$/, ''))?.[1]);
    expect(Math.abs(notKeptMb - ((firstKept - 1) * 100) / 1e6)).toBeLessThan(0.5);
  }

  afterAll(() => {
    for (const workspace of workspaces) {
      removeByWorkspaceLabel(workspaceId(workspace.root));
      workspace.remove();
    }
  });

  let workspace: TempWorkspace;
  beforeAll(async () => {
    workspace = await bulkWorkspace('output-tail');
  });

  it('stack:logs with its output piped (CI, a redirect): the last 8 MiB after the not-kept line; every line shown live', async () => {
    expectTailKept(await run(workspace, ['run', 'stack:logs', `--tail=${LINES}`]));
  });

  it('stack:logs in a real terminal (Nx runs it in a pseudo-terminal): the same', async () => {
    expectTailKept(await run(workspace, ['run', 'stack:logs', `--tail=${LINES}`], true));
  });

  it('an nx:run-commands target with its output piped: the same', async () => {
    expectTailKept(await run(workspace, ['run', 'printer:print']));
  });

  it('control: Nx as it ships (a private copy without the patch) keeps all 12 MB', async () => {
    useNxWithoutPatch(workspace, 'output-tail');
    const { result, kept } = await run(workspace, ['run', 'stack:logs', `--tail=${LINES}`]);
    expect(shownLineNumbers(result.stdout)).toHaveLength(LINES);
    expect({ notKeptLine: NOT_KEPT.test(kept.split('\n')[0]), lines: lineNumbers(kept).length }).toEqual({ notKeptLine: false, lines: LINES });
  });
});
