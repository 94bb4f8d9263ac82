/**
 * The setup steps a child runs between clone and exec, in order, as
 * `err.step` names them. The C list (src-native/core/steps.def) is the
 * source; test/unit/steps.test.ts fails when this or docs/errors.md differ.
 * @module
 */

/** Every setup step, in the order the child runs them. */
export const SETUP_STEPS = Object.freeze([
  'error-pipe',
  'clone',
  'reset-signals',
  'die-with-parent',
  'rlimits',
  'setns',
  'unshare',
  'uid-map',
  'setgroups',
  'gid-map',
  'cgroup',
  'wait-parent',
  'identity',
  'set-propagation',
  'new-root',
  'mounts',
  'readonly-root',
  'pivot-root',
  'sethostname',
  'setdomainname',
  'mount-proc',
  'loopback-up',
  'time-namespace',
  'time-offsets',
  'setsid',
  'no-new-privs',
  'lock-mounts',
  'chdir',
  'landlock',
  'stdio',
  'close-fds',
  'set-rlimits',
  'capabilities',
  'seccomp',
  'exec-init',
  'init',
  'exec',
] as const);

/** A setup step (see docs/errors.md for what each does and can fail with). */
export type SetupStep = (typeof SETUP_STEPS)[number];
