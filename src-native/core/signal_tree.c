/* Stopping and resuming a whole sandbox from outside (docs/lifecycle.md).
 *
 * Delivering SIGTSTP & co. as they are would not stop a sandbox: the kernel
 * discards them, at their default action, for a process in an orphaned
 * process group (after setsid(), no parent of the group is in its session)
 * and for a PID namespace's init sent from outside; and SIGSTOP would stop
 * nsjs-init, not the program. So the parent walks the tree under the child it
 * cloned (/proc/PID/task/TID/children) and gives each process the signal: a
 * process that catches or ignores it gets it, one that leaves it at its
 * default action gets SIGSTOP, the same stop, which the kernel always delivers.
 *
 * Each process is reached through a pidfd that is checked, while it is open,
 * to be alive and the child of the process whose list named it: a pid that
 * was reused by a host process is never signalled. Parent side: plain libc. */
#include "nsjs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_DEPTH 256
#define MAX_ROUNDS 16

struct walk {
  int sig;
  pid_t *done; /* processes already given the signal */
  int *kept;   /* with keep: a pidfd of each of them, for a second signal */
  int keep;
  size_t ndone, cap;
  int added;
};

static ssize_t read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n >= 0) buf[n] = '\0';
  return n;
}

static int alive(int pidfd) { return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0; }

static pid_t parent_of(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (read_small(path, buf, sizeof buf) <= 0) return -1;
  const char *p = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
  int ppid;
  return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? ppid : -1;
}

static uint64_t status_mask(const char *status, const char *field) {
  const char *p = strstr(status, field);
  return p ? strtoull(p + strlen(field), NULL, 16) : 0;
}

/* The signal this process gets: SIGSTOP for a job-control stop it leaves at its default action. */
static int signal_for(pid_t pid, int sig) {
  if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) return sig;
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (read_small(path, buf, sizeof buf) <= 0) return SIGSTOP;
  uint64_t handled = status_mask(buf, "SigIgn:") | status_mask(buf, "SigCgt:");
  return handled & (1ULL << (sig - 1)) ? sig : SIGSTOP;
}

static int seen(const struct walk *w, pid_t pid) {
  for (size_t i = 0; i < w->ndone; i++)
    if (w->done[i] == pid) return 1;
  return 0;
}

static void give(struct walk *w, pid_t pid, int pidfd) {
  if (seen(w, pid)) return;
  if (w->ndone == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    pid_t *grown = realloc(w->done, cap * sizeof *grown);
    if (!grown) return;
    w->done = grown;
    int *kept = realloc(w->kept, cap * sizeof *kept);
    if (!kept) return;
    w->kept = kept;
    w->cap = cap;
  }
  int fd = w->keep ? fcntl(pidfd, F_DUPFD_CLOEXEC, 0) : -1;
  if (w->keep && fd < 0) return;
  if (syscall(SYS_pidfd_send_signal, pidfd, signal_for(pid, w->sig), NULL, 0) == 0) {
    w->kept[w->ndone] = fd;
    w->done[w->ndone++] = pid;
    w->added = 1;
  } else if (fd >= 0) {
    close(fd);
  }
}

/* The children of every thread of `pid`, while `pidfd` shows it alive after reading. */
static size_t children_of(pid_t pid, int pidfd, pid_t **out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *tasks = opendir(path);
  size_t n = 0, cap = 0;
  pid_t *list = NULL;
  if (!tasks) return 0;
  for (struct dirent *t; (t = readdir(tasks)) != NULL;) {
    if (t->d_name[0] == '.') continue;
    char file[320], buf[8192];
    snprintf(file, sizeof file, "/proc/%d/task/%s/children", (int)pid, t->d_name);
    if (read_small(file, buf, sizeof buf) <= 0) continue;
    for (char *p = buf, *end; *p; p = end) {
      long c = strtol(p, &end, 10);
      if (end == p) break;
      if (n == cap) {
        cap = cap ? cap * 2 : 16;
        pid_t *grown = realloc(list, cap * sizeof *grown);
        if (!grown) break;
        list = grown;
      }
      list[n++] = (pid_t)c;
    }
  }
  closedir(tasks);
  if (!alive(pidfd)) n = 0; /* the list may have been another process's */
  *out = list;
  return n;
}

static void walk_below(struct walk *w, pid_t pid, int pidfd, int depth) {
  if (depth >= MAX_DEPTH) return;
  pid_t *kids = NULL;
  size_t n = children_of(pid, pidfd, &kids);
  for (size_t i = 0; i < n; i++) {
    int fd = (int)syscall(SYS_pidfd_open, kids[i], 0);
    if (fd < 0) continue;
    if (parent_of(kids[i]) == pid && alive(fd)) {
      give(w, kids[i], fd);
      walk_below(w, kids[i], fd, depth + 1);
    }
    close(fd);
  }
  free(kids);
}

static int not_alive(nsjs_error *e) {
  e->step = NSJS_STEP_NONE;
  e->sys = NSJS_SYS_PIDFD_SEND_SIGNAL;
  e->err = errno;
  return -1;
}

static void walk_tree(struct walk *w, pid_t root, int root_pidfd, int include_root) {
  if (include_root) give(w, root, root_pidfd);
  /* Until a walk finds no process it missed: one that forked meanwhile. */
  for (int round = 0; round < MAX_ROUNDS; round++) {
    w->added = 0;
    walk_below(w, root, root_pidfd, 0);
    if (!w->added) break;
  }
}

int nsjs_signal_tree(pid_t root, int root_pidfd, int sig, int include_root, nsjs_error *e) {
  if (!alive(root_pidfd)) return not_alive(e);
  struct walk w = {.sig = sig, .done = NULL, .kept = NULL, .keep = 0, .ndone = 0, .cap = 0, .added = 0};
  walk_tree(&w, root, root_pidfd, include_root);
  free(w.done);
  free(w.kept);
  return 0;
}

/* The whole tree is stopped first (a stopped process neither forks nor exits,
 * so the tree holds still while it is walked), keeping a pidfd of each; then
 * the group is signalled with kill(-root) (root is unreaped: the caller holds
 * its pidfd and has not collected it, so no other group can hold that id),
 * then each process of the tree, then, unless the signal was SIGKILL, they
 * are resumed (as systemd follows SIGTERM with SIGCONT): a stopped process
 * takes a fatal signal at once, and one it handles on resuming, once, however
 * many copies came while it was stopped. A process that left both the group
 * and the tree (a daemon: a new session, then its parent exited) is reached
 * by neither (docs/lifecycle.md). */
int nsjs_kill_sandbox(pid_t root, int root_pidfd, int sig, int group, nsjs_error *e) {
  if (!alive(root_pidfd)) return not_alive(e);
  struct walk w = {.sig = SIGSTOP, .done = NULL, .kept = NULL, .keep = 1, .ndone = 0, .cap = 0, .added = 0};
  walk_tree(&w, root, root_pidfd, 1);
  if (group) kill(-root, sig);
  for (size_t i = 0; i < w.ndone; i++) syscall(SYS_pidfd_send_signal, w.kept[i], sig, NULL, 0);
  for (size_t i = 0; i < w.ndone; i++) {
    if (sig != SIGKILL) syscall(SYS_pidfd_send_signal, w.kept[i], SIGCONT, NULL, 0);
    close(w.kept[i]);
  }
  free(w.done);
  free(w.kept);
  return 0;
}
