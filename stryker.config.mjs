// @ts-check
/**
 * Mutation testing (Stryker) of the modules whose mistakes hurt users most (issue 15). Run it with
 * `npm run test:mutation [-- <folder|folder/module> …]` (tools/testing/mutation.mjs), which picks
 * the files from MUTATION_SCOPE, runs folder by folder with one incremental file each and prints
 * the score per module. `npx stryker run` also works and takes the whole scope in one run.
 *
 * Bounded on 2 shared cores: the unit-only jest config (no Docker, no nx), one test-runner process,
 * per-test coverage so a mutant runs only the tests that reach it, and incremental mode so a
 * re-run only tests mutants whose code or covering tests changed.
 */

/** Folder → the modules mutated in it, under tools/local-dev/src/. */
export const MUTATION_SCOPE = {
  config: ['load', 'rules', 'schema'],
  inject: ['plan', 'path-safety', 'apply'],
  compose: ['document'],
  docker: ['input-hash', 'ports', 'build-args'],
  tunnel: ['plan', 'redis-ping', 'supervisor'],
  git: ['backup', 'classify'],
  core: ['namespace'],
};

/**
 * Modules that are nothing but module-level declarations (config/schema is one zod schema): every
 * mutant in them is static, which `ignoreStatic` would skip, so they run on their own with static
 * mutants on. A static mutant runs every unit spec (about 10 s each), so this costs minutes.
 */
export const STATIC_MODULES = ['config/schema'];

export const SOURCE_ROOT = 'tools/local-dev/src';

/** The bar: killed + timeout over all valid mutants. */
export const REQUIRED_SCORE = 85;

/** @param {string} folder @param {string} module */
export const modulePath = (folder, module) => `${SOURCE_ROOT}/${folder}/${module}.ts`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { configFile: 'jest.unit.config.js' },
  coverageAnalysis: 'perTest',
  // Mutants in module-level constants would need every spec re-run for each; their values are
  // asserted through the functions that use them.
  ignoreStatic: true,
  checkers: ['typescript'],
  // The runtime sources only (tsconfig.mutation.json): a spec mid-edit elsewhere cannot stop the run.
  tsconfigFile: 'tsconfig.mutation.json',
  // Other engineers share the 2 cores; `npm run test:mutation -- --concurrency 2` when the machine is yours.
  concurrency: 1,
  // Generous, so a slow moment on a busy machine is not scored as a killed (timed-out) mutant.
  timeoutMS: 15000,
  mutate: Object.entries(MUTATION_SCOPE).flatMap(([folder, modules]) => modules.map((module) => modulePath(folder, module))),
  // Run-time folders of a developer's checkout: never read by the unit specs. examples/ is read by
  // the demo's e2e suite only, and a demo that has run holds a symlink to tools/ that Stryker
  // cannot copy into its sandbox (EISDIR).
  ignorePatterns: ['/cloned', '/logs', '/.nx', '/docker-compose.yml', '/examples'],
  incremental: true,
  // Generated, so git-ignored: it holds the sources and specs of the run (hundreds of kB per
  // folder) and changes with every run; the launcher keeps one per folder.
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'html', 'progress-append-only'],
  // The per-module table comes from tools/testing/mutation.mjs; Stryker lists the survivors.
  clearTextReporter: { reportScoreTable: false, reportTests: false, logTests: false },
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 90, low: REQUIRED_SCORE, break: null },
  tempDirName: '.stryker-tmp',
};
