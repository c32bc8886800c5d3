// Nx loads this plain-JS shim (no transpiler in the task process); see ../compiled.js.
module.exports = require('../compiled').load('executors/up/up.batch');
