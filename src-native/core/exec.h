/* execve over a list of candidate paths, with execvp's error rules. Header-only
 * so that the addon's clone child (libc) and the freestanding nsjs-init (raw
 * syscalls) share it. Async-signal-safe: it only calls `exec`. */
#ifndef NSJS_EXEC_H
#define NSJS_EXEC_H

#include <errno.h>

/* Returns a negative errno, like a raw syscall. */
typedef long (*nsjs_execve_fn)(const char *path, char *const argv[], char *const envp[]);

/* Tries each path in order; returns only on failure, with the errno to report:
 * EACCES if any candidate was not executable, else the first error other than
 * ENOENT/ENOTDIR (which stops the search), else ENOENT. */
static inline int nsjs_exec_candidates(nsjs_execve_fn exec, const char *const *paths, int count,
                                       char *const argv[], char *const envp[]) {
  int seen_eacces = 0;
  for (int i = 0; i < count; i++) {
    int e = (int)-exec(paths[i], argv, envp);
    if (e == EACCES) {
      seen_eacces = 1;
    } else if (e != ENOENT && e != ENOTDIR) {
      return e;
    }
  }
  return seen_eacces ? EACCES : ENOENT;
}

#endif
