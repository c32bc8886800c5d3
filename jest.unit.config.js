/**
 * The unit specs only: jest.config.js without the end-to-end suites (tools/local-dev/e2e/: Docker
 * and the nx CLI) and runtime/compiled.spec.ts (compiles the whole source tree in child processes).
 * Stryker runs this config (stryker.config.mjs); also handy alone: `npx jest -c jest.unit.config.js`.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tools/local-dev/(e2e|runtime)/'],
};
