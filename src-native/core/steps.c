/* Names of the setup steps, syscalls and op kinds, as errors and plans name them. */
#include "nsjs.h"

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const step_names[NSJS_STEP_COUNT] = {
  [NSJS_STEP_NONE] = NULL,
#define NSJS_STEP(id, name) [NSJS_STEP_##id] = name,
#include "steps.def"
#undef NSJS_STEP
};

static const char *const sys_names[NSJS_SYS_COUNT] = {
  [NSJS_SYS_NONE] = NULL,
#define NSJS_SYS(id, name) [NSJS_SYS_##id] = name,
#include "syscalls.def"
#undef NSJS_SYS
};

const char *nsjs_step_name(int step) {
  return step > 0 && step < NSJS_STEP_COUNT ? step_names[step] : NULL;
}

const char *nsjs_sys_name(int sys) {
  return sys > 0 && sys < NSJS_SYS_COUNT ? sys_names[sys] : NULL;
}

static const char *const op_names[NSJS_OP_COUNT] = {
#define NSJS_OP(id, name) [NSJS_OP_##id] = name,
#include "ops.def"
#undef NSJS_OP
};

const char *nsjs_op_name(int kind) { return kind >= 0 && kind < NSJS_OP_COUNT ? op_names[kind] : NULL; }

int nsjs_op_kind(const char *name) {
  for (int i = 0; i < NSJS_OP_COUNT; i++) {
    const char *a = op_names[i], *b = name;
    while (*a && *a == *b) a++, b++;
    if (*a == *b) return i;
  }
  return -1;
}

int nsjs_raise_rlimit(pid_t pid, const nsjs_rlimit *lim) {
  struct { uint64_t cur, max; } now;
  if (syscall(SYS_prlimit64, pid, lim->resource, NULL, &now) != 0) return -1;
  if (lim->hard <= now.max) return 0;
  now.max = lim->hard;
  return (int)syscall(SYS_prlimit64, pid, lim->resource, &now, NULL);
}
