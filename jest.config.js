// Test projects, run at three privilege levels by test/run.sh:
//   unit     - no privileges, no namespaces changed anywhere
//   spawn    - spawnIsolated/clone; every level (root, rootless, root in a user namespace)
//   root     - in-process API (unshare/setns/sethostname/mountProc), inside throwaway namespaces
//   rootless - what only an unprivileged caller sees (id maps, setgroups, file ownership)
//   package  - the packed tarball, installed with no compiler
//   final    - the host is as it was before the run
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] };
const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  setupFiles: ['<rootDir>/test/helpers/setup.ts'],
  ...extra,
});

module.exports = {
  testTimeout: 60000,
  projects: ['unit', 'spawn', 'root', 'rootless', 'package', 'final'].map((n) => project(n)),
};
