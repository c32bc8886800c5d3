// Nx loads this plain-JS shim as the build-image executor's custom hasher (executors.json "hasher");
// see ../compiled.js and src/runtime-state/hashers.ts.
module.exports = require('../compiled').load('src/runtime-state/hashers').buildImage;
