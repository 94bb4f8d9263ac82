/* The fixed-size record a sandbox child writes on its CLOEXEC pipe.
 * Shared by the addon (parent and clone child) and nsjs-init. Plain C, no N-API. */
#ifndef NSJS_RECORD_H
#define NSJS_RECORD_H

#include <stdint.h>

enum nsjs_record_kind {
  NSJS_REC_ERROR = 1,   /* a setup step failed: step, sys, err */
  NSJS_REC_SPAWNED = 2, /* nsjs-init started the program: value = its pid inside */
  NSJS_REC_EXIT = 3     /* nsjs-init saw the program end: value = wait status */
};

/* Setup steps, in the order the child runs them. Names live in steps.c. */
enum nsjs_step {
  NSJS_STEP_NONE = 0,
  NSJS_STEP_ERRPIPE,
  NSJS_STEP_CLONE,
  NSJS_STEP_RESET_SIGNALS,
  NSJS_STEP_DIE_WITH_PARENT,
  NSJS_STEP_UID_MAP,
  NSJS_STEP_SETGROUPS,
  NSJS_STEP_GID_MAP,
  NSJS_STEP_SET_PROPAGATION,
  NSJS_STEP_SETHOSTNAME,
  NSJS_STEP_SETDOMAINNAME,
  NSJS_STEP_MOUNT_PROC,
  NSJS_STEP_LOOPBACK_UP,
  NSJS_STEP_TIME_NAMESPACE,
  NSJS_STEP_TIME_OFFSETS,
  NSJS_STEP_SETSID,
  NSJS_STEP_NO_NEW_PRIVS,
  NSJS_STEP_CHDIR,
  NSJS_STEP_STDIO,
  NSJS_STEP_CLOSE_FDS,
  NSJS_STEP_EXEC_INIT,
  NSJS_STEP_INIT,
  NSJS_STEP_EXEC,
  NSJS_STEP_COUNT
};

/* Syscalls a step can fail in (one step may make more than one call). */
enum nsjs_sys {
  NSJS_SYS_NONE = 0,
  NSJS_SYS_PIPE2,
  NSJS_SYS_CLONE,
  NSJS_SYS_RT_SIGACTION,
  NSJS_SYS_PRCTL,
  NSJS_SYS_OPEN,
  NSJS_SYS_WRITE,
  NSJS_SYS_MOUNT,
  NSJS_SYS_SETHOSTNAME,
  NSJS_SYS_SETDOMAINNAME,
  NSJS_SYS_SOCKET,
  NSJS_SYS_IOCTL,
  NSJS_SYS_UNSHARE,
  NSJS_SYS_SETSID,
  NSJS_SYS_CHDIR,
  NSJS_SYS_FCNTL,
  NSJS_SYS_DUP3,
  NSJS_SYS_CLOSE_RANGE,
  NSJS_SYS_EXECVE,
  NSJS_SYS_FORK,
  NSJS_SYS_WAITID,
  NSJS_SYS_READ,
  NSJS_SYS_SETNS,
  NSJS_SYS_COUNT
};

struct nsjs_record {
  int32_t kind;
  int32_t step;
  int32_t sys;
  int32_t err;   /* positive errno */
  int32_t value; /* SPAWNED: pid inside; EXIT: wait status */
};

#endif
