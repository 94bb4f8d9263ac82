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

/* Setup steps, in the order the child runs them (steps.def). */
enum nsjs_step {
  NSJS_STEP_NONE = 0,
#define NSJS_STEP(id, name) NSJS_STEP_##id,
#include "steps.def"
#undef NSJS_STEP
  NSJS_STEP_COUNT
};

/* Syscalls a step can fail in (syscalls.def); one step may make more than one. */
enum nsjs_sys {
  NSJS_SYS_NONE = 0,
#define NSJS_SYS(id, name) NSJS_SYS_##id,
#include "syscalls.def"
#undef NSJS_SYS
  NSJS_SYS_COUNT
};

struct nsjs_record {
  int32_t kind;
  int32_t step;
  int32_t sys;
  int32_t err;   /* positive errno */
  int32_t value; /* SPAWNED: pid inside; EXIT: wait status */
  int32_t op;    /* ERROR in the mounts step: 1 + the index of the op that failed; 0: none */
};

#endif
