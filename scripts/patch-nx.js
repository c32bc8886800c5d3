#!/usr/bin/env node
/**
 * Fixes Nx 23.3.1's exit status for runs where a task failed and its dependents were skipped:
 * Nx exits with 130 (what make and scripts read as Ctrl-C) instead of 1.
 *
 * Why: Nx never reports skipped tasks through its `endTasks` life cycle (its own terminal output
 * says so, and derives them by subtraction), but `didCommandComplete` in
 * tasks-runner/run-command.js takes any task without a result for an interrupted run. So every
 * `nx run-many -t up` where one clone or build fails ends with 130. Custom task runners, where this
 * could be fixed from outside, are gone in Nx 23.
 *
 * What: one condition in that function — a task without a result counts as skipped, not as
 * interrupted, when some task of the run failed. A real Ctrl-C is unaffected: Nx's own SIGINT
 * handler exits with 130 before this function runs, and a stopped task still makes it false.
 *
 * Runs after every `npm ci` / `npm install` (package.json "postinstall"). Idempotent. If the text to
 * patch is not found (Nx was upgraded), it fails loudly: check whether the new Nx still exits 130
 * (tools/local-dev/e2e/workspace.e2e.spec.ts tests it) and remove or update this script.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PATCHED_VERSION = '23.3.1';
const ORIGINAL = `            // Discrete task must have a result (was started and finished)
            if (!taskResults[task.id])
                return false;`;
const REPLACEMENT = `            // Discrete task must have a result (was started and finished)
            // local-dev patch (scripts/patch-nx.js): a task left without a result after a failure was skipped, not interrupted.
            if (!taskResults[task.id] && !Object.values(taskResults).some((r) => r.status === 'failure'))
                return false;`;

function main() {
  const nxRoot = path.dirname(require.resolve('nx/package.json', { paths: [path.resolve(__dirname, '..')] }));
  const { version } = JSON.parse(fs.readFileSync(path.join(nxRoot, 'package.json'), 'utf8'));
  const file = path.join(nxRoot, 'dist/src/tasks-runner/run-command.js');
  const text = fs.readFileSync(file, 'utf8');
  if (text.includes(REPLACEMENT)) return;
  if (version !== PATCHED_VERSION || !text.includes(ORIGINAL)) {
    process.stderr.write(
      `scripts/patch-nx.js: nx ${version} is not the ${PATCHED_VERSION} this patch was written for (or its run-command.js changed).\n` +
        '  fix: check whether a failed task with skipped dependents still makes nx exit 130 (tools/local-dev/e2e/workspace.e2e.spec.ts); then update or remove scripts/patch-nx.js and the postinstall line in package.json\n',
    );
    process.exit(1);
  }
  fs.writeFileSync(file, text.replace(ORIGINAL, REPLACEMENT));
  process.stdout.write(`scripts/patch-nx.js: nx ${version} now exits 1, not 130, when a failed task leaves dependents skipped\n`);
}

main();
