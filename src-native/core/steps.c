/* Names of the setup steps and syscalls, as they appear in errors (err.step, err.syscall). */
#include "nsjs.h"

static const char *const step_names[NSJS_STEP_COUNT] = {
  [NSJS_STEP_NONE] = NULL,
  [NSJS_STEP_ERRPIPE] = "error-pipe",
  [NSJS_STEP_CLONE] = "clone",
  [NSJS_STEP_RESET_SIGNALS] = "reset-signals",
  [NSJS_STEP_DIE_WITH_PARENT] = "die-with-parent",
  [NSJS_STEP_UID_MAP] = "uid-map",
  [NSJS_STEP_SETGROUPS] = "setgroups",
  [NSJS_STEP_GID_MAP] = "gid-map",
  [NSJS_STEP_SET_PROPAGATION] = "set-propagation",
  [NSJS_STEP_SETHOSTNAME] = "sethostname",
  [NSJS_STEP_SETDOMAINNAME] = "setdomainname",
  [NSJS_STEP_MOUNT_PROC] = "mount-proc",
  [NSJS_STEP_LOOPBACK_UP] = "loopback-up",
  [NSJS_STEP_TIME_NAMESPACE] = "time-namespace",
  [NSJS_STEP_TIME_OFFSETS] = "time-offsets",
  [NSJS_STEP_SETSID] = "setsid",
  [NSJS_STEP_NO_NEW_PRIVS] = "no-new-privs",
  [NSJS_STEP_CHDIR] = "chdir",
  [NSJS_STEP_STDIO] = "stdio",
  [NSJS_STEP_CLOSE_FDS] = "close-fds",
  [NSJS_STEP_EXEC_INIT] = "exec-init",
  [NSJS_STEP_INIT] = "init",
  [NSJS_STEP_EXEC] = "exec",
};

static const char *const sys_names[NSJS_SYS_COUNT] = {
  [NSJS_SYS_NONE] = NULL,
  [NSJS_SYS_PIPE2] = "pipe2",
  [NSJS_SYS_CLONE] = "clone",
  [NSJS_SYS_RT_SIGACTION] = "rt_sigaction",
  [NSJS_SYS_PRCTL] = "prctl",
  [NSJS_SYS_OPEN] = "open",
  [NSJS_SYS_WRITE] = "write",
  [NSJS_SYS_MOUNT] = "mount",
  [NSJS_SYS_SETHOSTNAME] = "sethostname",
  [NSJS_SYS_SETDOMAINNAME] = "setdomainname",
  [NSJS_SYS_SOCKET] = "socket",
  [NSJS_SYS_IOCTL] = "ioctl",
  [NSJS_SYS_UNSHARE] = "unshare",
  [NSJS_SYS_SETSID] = "setsid",
  [NSJS_SYS_CHDIR] = "chdir",
  [NSJS_SYS_FCNTL] = "fcntl",
  [NSJS_SYS_DUP3] = "dup3",
  [NSJS_SYS_CLOSE_RANGE] = "close_range",
  [NSJS_SYS_EXECVE] = "execve",
  [NSJS_SYS_FORK] = "fork",
  [NSJS_SYS_WAITID] = "waitid",
  [NSJS_SYS_READ] = "read",
  [NSJS_SYS_SETNS] = "setns",
};

const char *nsjs_step_name(int step) {
  return step > 0 && step < NSJS_STEP_COUNT ? step_names[step] : NULL;
}

const char *nsjs_sys_name(int sys) {
  return sys > 0 && sys < NSJS_SYS_COUNT ? sys_names[sys] : NULL;
}
