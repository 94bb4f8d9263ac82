#include "exec.h"

#include <errno.h>
#include <unistd.h>

int nsjs_exec_candidates(const char *const *paths, int count, char *const argv[], char *const envp[]) {
  int seen_eacces = 0;
  for (int i = 0; i < count; i++) {
    execve(paths[i], argv, envp);
    int e = errno;
    if (e == EACCES) {
      seen_eacces = 1;
    } else if (e != ENOENT && e != ENOTDIR) {
      return e;
    }
  }
  return seen_eacces ? EACCES : ENOENT;
}
