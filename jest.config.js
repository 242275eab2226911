/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 60000,
  setupFiles: ['<rootDir>/test/support/env.ts'],
  // End-to-end suites that wait for the clock first, the ones timing stops and lag last (see the file).
  testSequencer: '<rootDir>/test/support/sequencer.js',
};
