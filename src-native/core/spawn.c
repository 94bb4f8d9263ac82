/* Parent side of a spawn: prepare, clone, learn whether the program was exec'd. */
#include "nsjs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_clone3
#define SYS_clone3 435 /* the same number on every architecture */
#endif
#define NSJS_CLONE_INTO_CGROUP 0x200000000ULL

/* struct clone_args up to .cgroup (CLONE_ARGS_SIZE_VER2): glibc 2.17's headers
 * do not have it. */
struct nsjs_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* The child runs on this stack. With CLONE_VM|CLONE_VFORK the parent thread is
 * suspended until exec, so a buffer in its frame is safe to lend. */
#define CHILD_STACK_SIZE (64 * 1024)

static int fail(nsjs_error *e, int step, int sys, int err) {
  e->step = step;
  e->sys = sys;
  e->err = err;
  return -1;
}

static int parent_pidfd = -1; /* a pidfd of this process, for the child's death check */

static int self_pidfd(void) {
  if (parent_pidfd < 0) parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  return parent_pidfd;
}

static ssize_t read_record(int fd, struct nsjs_record *rec) {
  size_t got = 0;
  while (got < sizeof *rec) {
    ssize_t n = read(fd, (char *)rec + got, sizeof *rec - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

/* Whether the child, whose end of the error pipe is closed (so it is exiting),
 * was ended by a signal. Leaves it unreaped for the exit watcher. */
static int ended_by_signal(int pidfd) {
  siginfo_t info = {0};
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOWAIT) < 0) {
    if (errno != EINTR) return 0;
  }
  return info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
}

static void reap(int pidfd) {
  siginfo_t info;
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno == EINTR) {
  }
}

/* Writes /proc/<pid>/<name> in one write, as the map files require. */
static int write_child_file(pid_t pid, const char *name, const char *data, int step, nsjs_error *e) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(e, step, NSJS_SYS_OPEN, errno);
  size_t len = strlen(data);
  ssize_t n;
  do n = write(fd, data, len);
  while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : (size_t)n != len ? EIO : 0;
  close(fd);
  return err ? fail(e, step, NSJS_SYS_WRITE, err) : 0;
}

/* newuidmap/newgidmap <pid> <inside> <outside> <count>…: setuid helpers that
 * check /etc/subuid and /etc/subgid, for a caller who is not root (as
 * util-linux unshare --map-users runs them). Only this helper's pid is waited
 * for. Its output goes to /dev/null: a refusal is reported with a hint. */
static int run_map_helper(const char *helper, pid_t pid, const char *map, int step, int sys, nsjs_error *e) {
  char pid_text[16], words[4096];
  char *argv[2 + 3 * 340 + 1];
  int argc = 0;
  snprintf(pid_text, sizeof pid_text, "%d", (int)pid);
  size_t len = strlen(map);
  if (len >= sizeof words) return fail(e, step, sys, E2BIG);
  memcpy(words, map, len + 1);
  argv[argc++] = (char *)helper;
  argv[argc++] = pid_text;
  char *save = NULL;
  for (char *w = strtok_r(words, " \n", &save); w && argc < (int)(sizeof argv / sizeof argv[0]) - 1; w = strtok_r(NULL, " \n", &save))
    argv[argc++] = w;
  argv[argc] = NULL;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
  pid_t child;
  int rc = posix_spawn(&child, helper, &actions, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail(e, step, NSJS_SYS_POSIX_SPAWN, rc);
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return fail(e, step, sys, errno);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : fail(e, step, sys, EPERM);
}

static int has_parent_phase(const nsjs_plan *plan) { return plan->maps_by_parent || plan->cgroup_count > 0; }

/* The hard limits the plan raises, on the waiting child: prlimit checks the
 * caller's privileges (see step_rlimits). */
static int set_child_rlimits(const nsjs_plan *plan, pid_t pid, nsjs_error *e) {
  for (int i = 0; i < plan->rlimit_count; i++) {
    if (nsjs_raise_rlimit(pid, &plan->rlimits[i]) != 0) {
      e->op = i + 1;
      return fail(e, NSJS_STEP_RLIMITS, NSJS_SYS_PRLIMIT64, errno);
    }
  }
  return 0;
}

/* Moves the waiting child into each cgroup before it runs a single instruction
 * of its own: its children are born there too. For a cgroup v2 that clone3
 * already placed it in, the write is a no-op the kernel accepts. */
static int join_cgroups(const nsjs_plan *plan, pid_t pid, nsjs_error *e) {
  char buf[24];
  int len = snprintf(buf, sizeof buf, "%d", (int)pid);
  for (int i = 0; i < plan->cgroup_count; i++) {
    ssize_t n;
    do n = pwrite(plan->cgroup_procs[i], buf, (size_t)len, 0);
    while (n < 0 && errno == EINTR);
    if (n != len) return fail(e, NSJS_STEP_CGROUP, NSJS_SYS_WRITE, n < 0 ? errno : EIO);
  }
  return 0;
}

/* What the parent does while the child waits in step_wait_parent. */
static int parent_phase(const nsjs_plan *plan, pid_t pid, nsjs_error *e) {
  if (set_child_rlimits(plan, pid, e) < 0 || join_cgroups(plan, pid, e) < 0) return -1;
  if (!plan->maps_by_parent) return 0;
  if (plan->uid_map_helper) {
    if (run_map_helper(plan->uid_map_helper, pid, plan->uid_map, NSJS_STEP_UID_MAP, NSJS_SYS_NEWUIDMAP, e) < 0) return -1;
    return run_map_helper(plan->gid_map_helper, pid, plan->gid_map, NSJS_STEP_GID_MAP, NSJS_SYS_NEWGIDMAP, e);
  }
  if (write_child_file(pid, "uid_map", plan->uid_map, NSJS_STEP_UID_MAP, e) < 0) return -1;
  if (plan->deny_setgroups && write_child_file(pid, "setgroups", "deny", NSJS_STEP_SETGROUPS, e) < 0) return -1;
  return write_child_file(pid, "gid_map", plan->gid_map, NSJS_STEP_GID_MAP, e);
}

/* A fork-style clone3 straight into the cgroup v2 directory cgroup_fd, so the
 * child never runs a step outside it (its limits hold from the first page).
 * Returns as clone() does; -1 with ENOSYS/E2BIG/EINVAL where the kernel (< 5.7)
 * or a seccomp profile (Docker's answers ENOSYS) has no clone3 for it: the
 * caller then clones as usual and the parent phase writes cgroup.procs. */
static pid_t clone_into_cgroup(const struct nsjs_child_arg *arg, int flags, int cgroup_fd, int *pidfd) {
  struct nsjs_clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.flags = (uint64_t)(unsigned)(flags & ~CSIGNAL) | NSJS_CLONE_INTO_CGROUP;
  ca.pidfd = (uint64_t)(uintptr_t)pidfd;
  ca.exit_signal = SIGCHLD;
  ca.cgroup = (uint64_t)cgroup_fd;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  if (pid == 0) syscall(SYS_exit, nsjs_child_main((void *)arg)); /* the child: a copy of this stack */
  return (pid_t)pid;
}

static void close_pair(int fds[2]) {
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0) close(fds[i]);
}

static int spawn_here(const nsjs_plan *plan, nsjs_spawn_result *out, nsjs_error *e) {
  int parent_pid_fd = self_pidfd();
  if (plan->die_with_parent && parent_pid_fd < 0) return fail(e, NSJS_STEP_DIE_WITH_PARENT, NSJS_SYS_PIDFD_OPEN, errno);
  int parent_acts = has_parent_phase(plan);
  int sync_fd[2] = {-1, -1};
  if (parent_acts && pipe2(sync_fd, O_CLOEXEC) != 0) return fail(e, NSJS_STEP_ERRPIPE, NSJS_SYS_PIPE2, errno);
  /* The error and status channel. A socketpair, not a pipe: nsjs-init keeps
   * its end, and a pipe could be opened through /proc/1/fd by the program, which
   * could then forge EXIT records or fill it until init blocks; a socket cannot
   * be opened through /proc (ENXIO). EOF still means exec, as for a pipe. */
  int pipefd[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pipefd) != 0) {
    int err = errno;
    close_pair(sync_fd);
    return fail(e, NSJS_STEP_ERRPIPE, NSJS_SYS_SOCKETPAIR, err);
  }

  struct nsjs_child_arg arg = {
    .plan = plan, .errfd = pipefd[1], .parent_pidfd = parent_pid_fd, .sync_fd = {sync_fd[0], sync_fd[1]}};
  int flags = plan->clone_flags | CLONE_PIDFD | SIGCHLD;
  /* CLONE_VFORK suspends this thread until exec, so a parent phase needs a
   * fork-style clone; CLONE_VM alone would share errno (TLS) with the child. */
  if (plan->use_vm && !parent_acts) flags |= CLONE_VM | CLONE_VFORK;

  /* Block every signal so that no handler of Node's runs in the child before
   * it has reset them; the child unblocks right before exec. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  char stack[CHILD_STACK_SIZE] __attribute__((aligned(16)));
  int pidfd = -1, clone_sys = NSJS_SYS_CLONE;
  pid_t pid = -1;
  /* A cgroup v2 always comes with a parent phase, so this clone is fork-style. */
  if (plan->cgroup_fd >= 0) {
    pid = clone_into_cgroup(&arg, flags, plan->cgroup_fd, &pidfd);
    if (pid < 0 && errno != ENOSYS && errno != E2BIG && errno != EINVAL) clone_sys = NSJS_SYS_CLONE3;
  }
  if (pid < 0 && clone_sys == NSJS_SYS_CLONE) pid = clone(nsjs_child_main, stack + sizeof stack, flags, &arg, &pidfd, NULL, NULL);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
#ifdef __SANITIZE_ADDRESS__
  /* The child's instrumented frames ran on this buffer and exited without
   * unpoisoning their redzones: clear them, or later frames look corrupt. */
  __asan_unpoison_memory_region(stack, sizeof stack);
#endif
  close(pipefd[1]);
  if (sync_fd[0] >= 0) close(sync_fd[0]);
  if (pid < 0) {
    close(pipefd[0]);
    if (sync_fd[1] >= 0) close(sync_fd[1]);
    return fail(e, NSJS_STEP_CLONE, clone_sys, clone_errno);
  }
  if (parent_acts) {
    int rc = parent_phase(plan, pid, e);
    if (rc == 0 && write(sync_fd[1], "", 1) != 1) rc = fail(e, NSJS_STEP_WAIT_PARENT, NSJS_SYS_WRITE, errno);
    close(sync_fd[1]);
    if (rc < 0) {
      syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
      close(pipefd[0]);
      reap(pidfd);
      close(pidfd);
      return -1;
    }
  }

  /* EOF: the program was exec'd. A record: a step failed, or nsjs-init speaks.
   *
   * A child killed by a signal before exec also closes the pipe. Without init
   * that cannot be told apart from a kill just after exec, so it is reported
   * as spawned, then ended by that signal (as libuv reports it). With init it
   * could be told, but it is reported the same way, so that one contract holds
   * for both (docs/security.md, #19): the exit watcher then reports the signal,
   * and nsPid is 1, the process that was killed. */
  int ns_pid = (plan->clone_flags & CLONE_NEWPID) ? 1 : pid;
  for (;;) {
    struct nsjs_record rec;
    ssize_t n = read_record(pipefd[0], &rec);
    if (n == 0 && (!plan->init_path || ended_by_signal(pidfd))) break;
    if (n == (ssize_t)sizeof rec && rec.kind == NSJS_REC_SPAWNED) {
      ns_pid = rec.value;
      break;
    }
    /* nsjs-init exited without a word (errno 0: ERR_NSJS_INIT_FAILED), the
     * read failed, or a record says which step and syscall failed. */
    int err_step = NSJS_STEP_INIT, err_sys = n < 0 ? NSJS_SYS_READ : NSJS_SYS_NONE, err = n < 0 ? errno : 0;
    if (n == (ssize_t)sizeof rec && rec.kind == NSJS_REC_ERROR) {
      err_step = rec.step;
      err_sys = rec.sys;
      err = rec.err;
      e->op = rec.op;
    }
    close(pipefd[0]);
    reap(pidfd);
    close(pidfd);
    return fail(e, err_step, err_sys, err);
  }
  if (plan->init_path) {
    out->status_fd = pipefd[0];
  } else {
    close(pipefd[0]);
    out->status_fd = -1;
  }
  out->pid = pid;
  out->pidfd = pidfd;
  out->ns_pid = ns_pid;
  return 0;
}

/* ---- the spawner thread ----
 * PR_SET_PDEATHSIG fires when the thread that cloned exits. A Worker or a
 * threadpool thread can exit long before the process does, so clones asked
 * for off the main thread run on one thread that lives as long as the process. */
struct spawn_job {
  const nsjs_plan *plan;
  nsjs_spawn_result *out;
  nsjs_error *e;
  int rc;
  int done;
};

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;  /* one job at a time */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_done = PTHREAD_COND_INITIALIZER;
static struct spawn_job *current_job = NULL;
static int spawner_started = 0;

static void *spawner_main(void *unused) {
  (void)unused;
  pthread_mutex_lock(&state_lock);
  for (;;) {
    while (current_job == NULL || current_job->done) pthread_cond_wait(&job_ready, &state_lock);
    struct spawn_job *job = current_job;
    pthread_mutex_unlock(&state_lock);
    job->rc = spawn_here(job->plan, job->out, job->e);
    pthread_mutex_lock(&state_lock);
    job->done = 1;
    pthread_cond_broadcast(&job_done);
  }
  return NULL;
}

static int start_spawner(nsjs_error *e) {
  if (spawner_started) return 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* the spawner never takes signals */
  pthread_t t;
  int rc = pthread_create(&t, &attr, spawner_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) return fail(e, NSJS_STEP_CLONE, NSJS_SYS_CLONE, rc);
  spawner_started = 1;
  return 0;
}

int nsjs_spawn(const nsjs_plan *plan, nsjs_spawn_result *out, nsjs_error *e) {
  if (!plan->die_with_parent || syscall(SYS_gettid) == getpid()) {
    pthread_mutex_lock(&job_lock);  /* guards the cached self pidfd */
    int rc = spawn_here(plan, out, e);
    pthread_mutex_unlock(&job_lock);
    return rc;
  }
  pthread_mutex_lock(&job_lock);
  if (start_spawner(e) < 0) {
    pthread_mutex_unlock(&job_lock);
    return -1;
  }
  struct spawn_job job = {.plan = plan, .out = out, .e = e, .rc = -1, .done = 0};
  pthread_mutex_lock(&state_lock);
  current_job = &job;
  pthread_cond_broadcast(&job_ready);
  while (!job.done) pthread_cond_wait(&job_done, &state_lock);
  current_job = NULL;
  pthread_mutex_unlock(&state_lock);
  pthread_mutex_unlock(&job_lock);
  return job.rc;
}
