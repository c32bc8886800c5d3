#!/usr/bin/env node
/**
 * Two fixes to Nx 23.3.1, each a few lines of its dist code, applied after every install.
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
 * Custom task runners and life cycles, where these could be fixed from outside, are gone in Nx 23.
 *
 * Runs after every `npm ci` / `npm install` (package.json "postinstall"). Idempotent. If the text
 * to patch is not found (Nx was upgraded), it fails loudly: check whether the new Nx still has
 * the problem (tools/local-dev/e2e/workspace.e2e.spec.ts tests the exit status,
 * tools/local-dev/e2e/batch-output.e2e.spec.ts the batch output) and remove or update the patch.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PATCHED_VERSION = '23.3.1';

const PATCHES = [
  {
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
    check: 'whether `NX_TUI=false nx run <service>:up` still prints each batch task\'s output twice (tools/local-dev/e2e/batch-output.e2e.spec.ts)',
  },
];

function main() {
  const nxRoot = path.dirname(require.resolve('nx/package.json', { paths: [path.resolve(__dirname, '..')] }));
  const { version } = JSON.parse(fs.readFileSync(path.join(nxRoot, 'package.json'), 'utf8'));
  for (const patch of PATCHES) {
    const file = path.join(nxRoot, patch.file);
    const text = fs.readFileSync(file, 'utf8');
    if (text.includes(patch.replacement)) continue;
    if (version !== PATCHED_VERSION || !text.includes(patch.original)) {
      process.stderr.write(
        `scripts/patch-nx.js: nx ${version} is not the ${PATCHED_VERSION} this patch was written for (or its ${patch.file} changed).\n` +
          `  fix: check ${patch.check}; then update or remove that patch in scripts/patch-nx.js (and the postinstall line in package.json when none is left)\n`,
      );
      process.exit(1);
    }
    fs.writeFileSync(file, text.replace(patch.original, patch.replacement));
    process.stdout.write(`scripts/patch-nx.js: nx ${version} now ${patch.done}\n`);
  }
}

main();
