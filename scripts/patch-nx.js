#!/usr/bin/env node
/**
 * Three fixes to Nx 23.3.1, each a few lines of its dist code, applied after every install.
 *
 * 1. The exit status of a run where a task failed and its dependents were skipped: Nx exits with
 *    130 (what make and scripts read as Ctrl-C) instead of 1. Nx never reports skipped tasks
 *    through its `endTasks` life cycle (its own terminal output says so, and derives them by
 *    subtraction), but `didCommandComplete` in tasks-runner/run-command.js takes any task without
 *    a result for an interrupted run. So every `nx run-many -t up` where one clone or build fails
 *    ended with 130. The fix: a task without a result counts as skipped, not as interrupted, when
 *    some task of the run failed. A real Ctrl-C is unaffected: Nx's own SIGINT handler exits with
 *    130 before this function runs, and a stopped task still makes it false.
 *
 * 2. Batch tasks printed twice (clone, inject-config, up run in batches). A batch worker's output
 *    streams live to the terminal as it is written (batch-process.js), and then, as each task
 *    ends, tasks-runner/task-orchestrator.js hands its terminalOutput — the same lines — to the
 *    life cycle, which prints it again: in full for the task a `nx run` names, for a failure, and
 *    with --outputStyle=stream/static (`> nx run x:clone` and every line under it, twice). The
 *    fix: when the output has already streamed live (no TUI, no GitHub log groups, a style that
 *    prints output), each task gets one line, `✔  nx run x:clone  (output above)` (✖ on failure),
 *    Nx's own stand-in for a task whose output is shown elsewhere. The terminalOutput still goes to
 *    the cache, the run's results and the post-run hook (logs/build_output.log).
 *
 * 3. A running task's output kept whole in the `nx` process: Nx collects every chunk a task prints
 *    (`terminalOutputChunks`) until the task ends, in tasks-runner/running-tasks/node-child-process.js
 *    (output piped: CI, a redirect, `| less`), tasks-runner/pseudo-terminal.js (a real terminal: what
 *    users have) and executors/run-commands/running-tasks.js (nx:run-commands without a terminal).
 *    So `nx run stack:logs --follow` grew by everything it followed (69 MB → 785 MB over 216 MB;
 *    out of memory after 13 MB with V8's heap capped at 48 MB: bench/logs-follow.ts), although the
 *    task's own process stays flat. The fix: where the output is shown live as it comes, Nx keeps
 *    its tail (the last 8 MiB) after one line saying how much was not kept (scripts/nx-output-tail.js,
 *    copied into Nx's dist); then nx follows all 216 MB within that 48 MB cap at a flat 136 MB.
 *    The consequence: a task's terminal output in the cache, the run's results and the post-run
 *    hook (logs/build_output.log) is that tail too. local-dev's cached tasks print far less than
 *    8 MiB, so nothing is lost in practice; output Nx holds back to print at the end (a style that
 *    does not stream it) is kept whole.
 *    Checked: the batch worker's output (running-tasks/batch-process.js) is streamed or written to
 *    a file, never collected in memory; a task forked with NX_NATIVE_COMMAND_RUNNER=false
 *    collects its stdout in its own process (bin/run-executor.js), which local-dev does not set.
 *
 * Custom task runners and life cycles, where these could be fixed from outside, are gone in Nx 23.
 *
 * Runs after every `npm ci` / `npm install` (package.json "postinstall"). Idempotent. If the text
 * to patch is not found (Nx was upgraded), it fails loudly: check whether the new Nx still has
 * the problem (tools/local-dev/e2e/workspace.e2e.spec.ts tests the exit status,
 * tools/local-dev/e2e/batch-output.e2e.spec.ts the batch output, tools/local-dev/e2e/nx-output-tail.e2e.spec.ts
 * the kept output) and remove or update the patch. `require('./patch-nx.js')` applies nothing: the
 * benchmark and the e2e use its exports to make a private copy of Nx without one of the patches.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PATCHED_VERSION = '23.3.1';
const TAIL_CHECK =
  "whether Nx still keeps a running task's whole output in memory (`terminalOutputChunks`; tools/local-dev/e2e/nx-output-tail.e2e.spec.ts, bench/logs-follow.ts)";

const PATCHES = [
  {
    id: 'exit-status',
    file: 'dist/src/tasks-runner/run-command.js',
    original: `            // Discrete task must have a result (was started and finished)
            if (!taskResults[task.id])
                return false;`,
    replacement: `            // Discrete task must have a result (was started and finished)
            // local-dev patch (scripts/patch-nx.js): a task left without a result after a failure was skipped, not interrupted.
            if (!taskResults[task.id] && !Object.values(taskResults).some((r) => r.status === 'failure'))
                return false;`,
    done: 'exits 1, not 130, when a failed task leaves dependents skipped',
    check: 'whether a failed task with skipped dependents still makes nx exit 130 (tools/local-dev/e2e/workspace.e2e.spec.ts)',
  },
  {
    id: 'batch-output-once',
    file: 'dist/src/tasks-runner/task-orchestrator.js',
    original: `                if (status !== 'skipped' && !(0, output_1.shouldGroupBatchOutput)()) {
                    this.options.lifeCycle.printTaskTerminalOutput(task, status, result.terminalOutput ?? '');
                }`,
    replacement: `                if (status !== 'skipped' && !(0, output_1.shouldGroupBatchOutput)()) {
                    // local-dev patch (scripts/patch-nx.js): output the batch worker streamed live is not printed again.
                    if (!this.tuiEnabled && (0, output_1.printsTaskOutput)(this.resolvedOutputStyle))
                        output_1.output.logCommandRedirect((0, utils_1.getPrintableCommandArgsForTask)(task).join(' '), status, '(output above)');
                    else
                        this.options.lifeCycle.printTaskTerminalOutput(task, status, result.terminalOutput ?? '');
                }`,
    done: 'prints the output of a batch task once (it streamed live), then one line for the task',
    check: "whether `NX_TUI=false nx run <service>:up` still prints each batch task's output twice (tools/local-dev/e2e/batch-output.e2e.spec.ts)",
  },
  {
    id: 'output-tail',
    file: 'dist/src/tasks-runner/running-tasks/node-child-process.js',
    original: `        this.childProcess = childProcess;
        this.terminalOutputChunks = [];`,
    replacement: `        this.childProcess = childProcess;
        // local-dev patch (scripts/patch-nx.js): output shown live is kept only as its tail.
        this.terminalOutputChunks = streamOutput ? new (require('../local-dev-output-tail').OutputTail)() : [];`,
    done: "keeps the tail of a piped task's output it streams, not all of it",
    check: TAIL_CHECK,
  },
  {
    id: 'output-tail',
    file: 'dist/src/tasks-runner/pseudo-terminal.js',
    original: `        this.outputCallbacks = [];
        this.terminalOutputChunks = [];
        childProcess.onOutput((chunk) => {`,
    replacement: `        this.outputCallbacks = [];
        // local-dev patch (scripts/patch-nx.js): output shown live is kept only as its tail.
        this.terminalOutputChunks = quiet ? [] : new (require('./local-dev-output-tail').OutputTail)();
        childProcess.onOutput((chunk) => {`,
    done: "keeps the tail of a terminal task's output it shows, not all of it",
    check: TAIL_CHECK,
  },
  {
    id: 'output-tail',
    file: 'dist/src/executors/run-commands/running-tasks.js',
    original: `        this.streamOutput = streamOutput;
        this.task = task;
        this.terminalOutputChunks = [];`,
    replacement: `        this.streamOutput = streamOutput;
        this.task = task;
        // local-dev patch (scripts/patch-nx.js): output shown live is kept only as its tail.
        this.terminalOutputChunks = streamOutput ? new (require('../../tasks-runner/local-dev-output-tail').OutputTail)() : [];`,
    done: "keeps the tail of a run-commands command's output it streams, not all of it",
    check: TAIL_CHECK,
  },
];

/** Files added to Nx's dist, from this folder; the output-tail patches require the first. */
const ADDED_FILES = [{ id: 'output-tail', from: path.join(__dirname, 'nx-output-tail.js'), to: 'dist/src/tasks-runner/local-dev-output-tail.js' }];

function installedNx() {
  return path.dirname(require.resolve('nx/package.json', { paths: [path.resolve(__dirname, '..')] }));
}

/**
 * Applies every patch to the Nx in `nxRoot` (idempotent). Every patch is checked before any file is
 * written: a text not found (another Nx) exits 1 with the fix and leaves Nx exactly as it was, never
 * half patched.
 */
function applyPatches(nxRoot) {
  const { version } = JSON.parse(fs.readFileSync(path.join(nxRoot, 'package.json'), 'utf8'));
  const pending = PATCHES.filter((patch) => !fs.readFileSync(path.join(nxRoot, patch.file), 'utf8').includes(patch.replacement));
  const unpatchable = pending.filter(
    (patch) => version !== PATCHED_VERSION || !fs.readFileSync(path.join(nxRoot, patch.file), 'utf8').includes(patch.original),
  );
  if (unpatchable.length > 0) {
    for (const patch of unpatchable) {
      process.stderr.write(
        `scripts/patch-nx.js: nx ${version} is not the ${PATCHED_VERSION} this patch was written for (or its ${patch.file} changed); nothing was patched.\n` +
          `  fix: check ${patch.check}; then update or remove that patch in scripts/patch-nx.js (and the postinstall line in package.json when none is left)\n`,
      );
    }
    process.exit(1);
  }
  for (const added of ADDED_FILES) {
    const content = fs.readFileSync(added.from, 'utf8');
    const file = path.join(nxRoot, added.to);
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) fs.writeFileSync(file, content);
  }
  for (const patch of pending) {
    const file = path.join(nxRoot, patch.file);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(patch.original, patch.replacement));
    process.stdout.write(`scripts/patch-nx.js: nx ${version} now ${patch.done}\n`);
  }
}

/**
 * Undoes the patches `id` names in the Nx at `nxRoot` — a private copy, never the installed one: the
 * benchmark and the e2e measure Nx as it ships beside Nx as patched. Throws when one is not applied there.
 */
function removePatches(nxRoot, id) {
  const chosen = PATCHES.filter((patch) => patch.id === id);
  if (chosen.length === 0) throw new Error(`scripts/patch-nx.js has no patch "${id}"`);
  for (const patch of chosen) {
    const file = path.join(nxRoot, patch.file);
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes(patch.replacement)) throw new Error(`${file} does not have the "${id}" patch to remove`);
    fs.writeFileSync(file, text.replace(patch.replacement, patch.original));
  }
  for (const added of ADDED_FILES.filter((file) => file.id === id)) fs.rmSync(path.join(nxRoot, added.to), { force: true });
}

module.exports = { PATCHES, installedNx, applyPatches, removePatches };

if (require.main === module) applyPatches(installedNx());
