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

#define MAX_ROUNDS 16

struct walk {
  int sig;
  pid_t *done; /* processes already given the signal */
  int *kept;   /* with keep: a pidfd of each of them, for a second signal */
  int keep;
  size_t ndone, cap;
  int added;
  int err; /* the first errno that left the walk incomplete, 0 if none */
  char *buf; /* for reading /proc files; one per walk (Workers may walk at once) */
  size_t bufsize;
};

static void note(struct walk *w, int err) {
  if (w->err == 0) w->err = err;
}

/* Reads a whole small /proc file into buf (NUL-terminated); -1 on error. */
static ssize_t read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fd, buf + got, size - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (got == size - 1) break;
  }
  close(fd);
  buf[got] = '\0';
  return (ssize_t)got;
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
  char path[64], buf[16384];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (read_small(path, buf, sizeof buf) <= 0 || !strstr(buf, "SigCgt:")) return SIGSTOP;
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
    if (!grown) return note(w, ENOMEM);
    w->done = grown;
    int *kept = realloc(w->kept, cap * sizeof *kept);
    if (!kept) return note(w, ENOMEM);
    w->kept = kept;
    w->cap = cap;
  }
  int fd = w->keep ? fcntl(pidfd, F_DUPFD_CLOEXEC, 0) : -1;
  if (w->keep && fd < 0) return note(w, errno);
  if (syscall(SYS_pidfd_send_signal, pidfd, signal_for(pid, w->sig), NULL, 0) == 0) {
    w->kept[w->ndone] = fd;
    w->done[w->ndone++] = pid;
    w->added = 1;
  } else {
    if (errno != ESRCH) note(w, errno);
    if (fd >= 0) close(fd);
  }
}

/* Appends the children of every thread of `pid` to *list; they count only if
 * `pidfd` still shows it alive after reading. */
static void children_of(struct walk *w, pid_t pid, int pidfd, pid_t **list, size_t *n, size_t *cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *tasks = opendir(path);
  if (!tasks) {
    /* Gone meanwhile: procfs says ENOENT, or ESRCH for a process it found
     * but that exited while the directory was opened (seen as a SIGCONT
     * walk's spurious ESRCH while the resumed tree reaped its children). */
    if (errno != ENOENT && errno != ESRCH) note(w, errno);
    return;
  }
  size_t first = *n;
  for (struct dirent *t; (t = readdir(tasks)) != NULL;) {
    if (t->d_name[0] == '.') continue;
    char file[320];
    snprintf(file, sizeof file, "/proc/%d/task/%s/children", (int)pid, t->d_name);
    if (read_small(file, w->buf, w->bufsize) < 0) continue; /* the thread ended */
    for (char *p = w->buf, *end; *p; p = end) {
      long c = strtol(p, &end, 10);
      if (end == p) break;
      if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 64;
        pid_t *grown = realloc(*list, grown_cap * sizeof *grown);
        if (!grown) {
          note(w, ENOMEM);
          break;
        }
        *list = grown;
        *cap = grown_cap;
      }
      (*list)[(*n)++] = (pid_t)c;
    }
  }
  closedir(tasks);
  if (!alive(pidfd)) *n = first; /* the list may have been another process's */
}

/* One pass over the tree under root, breadth first, with no depth limit:
 * each process is reached through a pidfd checked against its parent. */
static void walk_once(struct walk *w, pid_t root, int root_pidfd) {
  pid_t *queue = NULL; /* pids whose children are still to be read */
  size_t head = 0, n = 0, cap = 0;
  children_of(w, root, root_pidfd, &queue, &n, &cap);
  pid_t *parents = NULL; /* the parent each queued pid was listed by */
  size_t pcap = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == pcap) {
      pcap = pcap ? pcap * 2 : 64;
      pid_t *grown = realloc(parents, pcap * sizeof *grown);
      if (!grown) {
        note(w, ENOMEM);
        break;
      }
      parents = grown;
    }
    parents[i] = root;
  }
  while (parents && head < n) {
    pid_t kid = queue[head], parent = parents[head];
    head++;
    int fd = (int)syscall(SYS_pidfd_open, kid, 0);
    if (fd < 0) {
      if (errno != ESRCH) note(w, errno);
      continue;
    }
    /* The parent is checked again after the match: had it died and its pid
     * been reused, the match could name a stranger's child. */
    int parent_fd = parent == root ? root_pidfd : (int)syscall(SYS_pidfd_open, parent, 0);
    int ok = parent_fd >= 0 && parent_of(kid) == parent && alive(parent_fd) && alive(fd);
    if (parent_fd >= 0 && parent_fd != root_pidfd) close(parent_fd);
    if (ok) {
      give(w, kid, fd);
      size_t before = n;
      children_of(w, kid, fd, &queue, &n, &cap);
      for (size_t i = before; i < n; i++) {
        if (i >= pcap) {
          pcap = pcap * 2 > n ? pcap * 2 : n + 64;
          pid_t *grown = realloc(parents, pcap * sizeof *grown);
          if (!grown) {
            note(w, ENOMEM);
            n = i;
            break;
          }
          parents = grown;
        }
        parents[i] = kid;
      }
    }
    close(fd);
  }
  free(queue);
  free(parents);
}

static int not_alive(nsjs_error *e) {
  e->step = NSJS_STEP_NONE;
  e->sys = NSJS_SYS_PIDFD_SEND_SIGNAL;
  e->op = 0;
  e->err = errno;
  return -1;
}

/* Walks until a pass finds no process it missed (one that forked meanwhile).
 * Returns the number of passes; MAX_ROUNDS: the tree was still growing. */
static int walk_tree(struct walk *w, pid_t root, int root_pidfd, int include_root) {
  if (include_root) give(w, root, root_pidfd);
  int round = 0;
  for (; round < MAX_ROUNDS; round++) {
    w->added = 0;
    walk_once(w, root, root_pidfd);
    if (!w->added || w->err) break;
  }
  return round;
}

static void free_walk(struct walk *w) {
  free(w->done);
  free(w->kept);
  free(w->buf);
}

int nsjs_signal_tree(pid_t root, int root_pidfd, int sig, int include_root, nsjs_error *e) {
  if (!alive(root_pidfd)) return not_alive(e);
  struct walk w = {.sig = sig, .keep = 0, .buf = malloc(65536), .bufsize = 65536};
  if (!w.buf) {
    errno = ENOMEM;
    return not_alive(e);
  }
  int rounds = walk_tree(&w, root, root_pidfd, include_root);
  free_walk(&w);
  /* Incomplete (out of fds or memory, or a tree still growing after every
   * round): say so rather than report a sandbox stopped that is not. */
  if (!w.err && rounds == MAX_ROUNDS) w.err = EAGAIN;
  if (w.err) {
    errno = w.err;
    return not_alive(e);
  }
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
 * by neither (docs/lifecycle.md). Best effort past the root: an incomplete
 * walk still signals every process it reached (a kill is never held back). */
int nsjs_kill_sandbox(pid_t root, int root_pidfd, int sig, int group, nsjs_error *e) {
  if (!alive(root_pidfd)) return not_alive(e);
  struct walk w = {.sig = SIGSTOP, .keep = 1, .buf = malloc(65536), .bufsize = 65536};
  if (w.buf) walk_tree(&w, root, root_pidfd, 1);
  if (group) kill(-root, sig);
  if (!w.buf) syscall(SYS_pidfd_send_signal, root_pidfd, sig, NULL, 0);
  for (size_t i = 0; i < w.ndone; i++) syscall(SYS_pidfd_send_signal, w.kept[i], sig, NULL, 0);
  for (size_t i = 0; i < w.ndone; i++) {
    if (sig != SIGKILL) syscall(SYS_pidfd_send_signal, w.kept[i], SIGCONT, NULL, 0);
    close(w.kept[i]);
  }
  free_walk(&w);
  return 0;
}
