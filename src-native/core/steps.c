/* Names of the setup steps and syscalls, as they appear in errors (err.step, err.syscall). */
#include "nsjs.h"

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
