// The command of local-dev's settling Nx runtime inputs (`node tools/local-dev/runtime/state.js up …`):
// precompiled JS, no transpiler per hashing round; see ./compiled.js and src/runtime-state/main.ts.
'use strict';
let program;
try {
  program = require('./compiled').load('src/runtime-state/main');
} catch (error) {
  // Nx hashes the output, not the exit code: a line that never repeats makes the task run (and
  // fail with the same load error) instead of being skipped for good on an empty output.
  process.stdout.write(`state program failed to load at ${Date.now()}-${process.pid}: ${error.message}\n`);
}
if (program) program.main(process.argv.slice(2));
