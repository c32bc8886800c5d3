/**
 * One Jest run for everything: unit specs beside the code (*.spec.ts) and the end-to-end suites
 * under tools/local-dev/e2e/ that drive real git, Docker, redis-server and the nx CLI.
 * @swc/jest only strips types (fast on 2 cores); `npm run typecheck` does the type checking.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tools/testing/summary-reporter.js'],
};
