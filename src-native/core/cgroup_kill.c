/* Killing every process of a cgroup v1 (v2 has cgroup.kill): a freeze-and-kill
 * walk. Each process listed in cgroup.procs is stopped through a pidfd that is
 * checked, while open, to be in that cgroup still (a pid recycled by a host
 * process is never signalled); the listing is repeated until it shows no
 * process it missed (a stopped process cannot fork), then all are SIGKILLed.
 * Parent side: plain libc. */
#include "nsjs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_ROUNDS 64

/* Whether /proc/PID/cgroup has the line that names our cgroup. */
static int in_cgroup(pid_t pid, const char *member) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  return strstr(buf, member) != NULL;
}

/* The pids listed in the file, NULL-safe; *count set. */
static pid_t *read_pids(const char *procs, size_t *count) {
  *count = 0;
  FILE *f = fopen(procs, "re");
  if (!f) return NULL;
  size_t cap = 0;
  pid_t *list = NULL;
  long pid;
  while (fscanf(f, "%ld", &pid) == 1) {
    if (*count == cap) {
      cap = cap ? cap * 2 : 64;
      pid_t *grown = realloc(list, cap * sizeof *grown);
      if (!grown) break;
      list = grown;
    }
    list[(*count)++] = (pid_t)pid;
  }
  fclose(f);
  return list;
}

int nsjs_kill_cgroup(const char *procs, const char *member, nsjs_error *e) {
  pid_t *stopped = NULL;
  int *fds = NULL;
  size_t nstopped = 0, cap = 0;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    size_t n;
    pid_t *pids = read_pids(procs, &n);
    if (!pids && n == 0 && errno != 0 && errno != ENOENT && round == 0) {
      e->step = NSJS_STEP_NONE;
      e->sys = NSJS_SYS_OPEN;
      e->err = errno;
      return -1;
    }
    int added = 0;
    for (size_t i = 0; i < n; i++) {
      int known = 0;
      for (size_t k = 0; k < nstopped && !known; k++) known = stopped[k] == pids[i];
      if (known) continue;
      int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
      if (fd < 0) continue;
      if (!in_cgroup(pids[i], member) || syscall(SYS_pidfd_send_signal, fd, SIGSTOP, NULL, 0) != 0) {
        close(fd);
        continue;
      }
      if (nstopped == cap) {
        cap = cap ? cap * 2 : 64;
        pid_t *s = realloc(stopped, cap * sizeof *s);
        int *f = s ? realloc(fds, cap * sizeof *f) : NULL;
        if (s) stopped = s;
        if (f) fds = f;
        if (!s || !f) {
          syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
          close(fd);
          continue;
        }
      }
      stopped[nstopped] = pids[i];
      fds[nstopped++] = fd;
      added = 1;
    }
    free(pids);
    if (!added) break;
  }
  for (size_t k = 0; k < nstopped; k++) {
    syscall(SYS_pidfd_send_signal, fds[k], SIGKILL, NULL, 0);
    close(fds[k]);
  }
  free(stopped);
  free(fds);
  return 0;
}
