/**
 * The one file Nx loads local-dev's executors, batch executors, hashers and generators from:
 * executors.json and generators.json name `./runtime/entry.js#<kind>/<name>`, e.g. `#executor/up`,
 * `#batch/up`, `#hasher/buildImage`, `#generator/service`. Nx reads `module[<kind>/<name>]`, and this
 * module answers by loading just that compiled module (./compiled.js: no transpiler in a task
 * process), so a task loads only the code it runs. Plain JavaScript on purpose, like compiled.js.
 */
'use strict';
const { load } = require('./compiled');

/** Where each kind lives, by the folder conventions (one folder per executor and generator). */
const KINDS = {
  executor: (name) => load(`executors/${name}/${name}.impl`).default,
  batch: (name) => load(`executors/${name}/${name}.batch`).default,
  hasher: (name) => load('src/runtime-state/hashers')[name],
  generator: (name) => load(`generators/${name}/generator`).default,
};

function resolve(key) {
  const [kind, name, ...rest] = key.split('/');
  const find = KINDS[kind];
  if (!find || !name || rest.length > 0) throw new Error(`local-dev: no entry "${key}" (expected <${Object.keys(KINDS).join('|')}>/<name>)`);
  const found = find(name);
  if (typeof found !== 'function') throw new Error(`local-dev: entry "${key}" is not a function`);
  return found;
}

module.exports = new Proxy(
  {},
  {
    // Only "<kind>/<name>" keys are entries; anything else Nx or Node may probe (then, default, …) is absent.
    get: (_target, key) => (typeof key === 'string' && key.includes('/') ? resolve(key) : undefined),
  },
);
