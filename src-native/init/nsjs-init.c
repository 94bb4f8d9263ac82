/* nsjs-init: PID 1 of a sandbox's PID namespace.
 *
 * Usage (built by the addon, never by hand):
 *   nsjs-init <status-fd> <candidate-count> <candidate>... <argv0> <arg>...
 *
 * It starts the program, reaps every orphan, forwards every signal it receives
 * to the program, and exits when the program does. Without it, the program
 * itself would be PID 1: it would ignore SIGTERM (no default action for PID 1)
 * and never reap the orphans reparented to it.
 *
 * On <status-fd> (inherited from the addon) it writes fixed-size records:
 * ERROR if the program could not be exec'd, SPAWNED once it was, EXIT with the
 * program's wait status. So the parent reports the program's own exit code or
 * signal, which PID 1 could not reproduce by dying (it cannot kill itself). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/exec.h"
#include "../core/record.h"

extern char **environ;

struct program {
  const char *const *paths;
  int path_count;
  char *const *argv;
  int status_fd;
  volatile int exec_errno; /* written by the CLONE_VM child when exec fails */
};

static int write_record(int fd, int kind, int step, int sys, int err, int value) {
  struct nsjs_record rec = {.kind = kind, .step = step, .sys = sys, .err = err, .value = value};
  const char *p = (const char *)&rec;
  size_t left = sizeof rec;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    p += n;
    left -= (size_t)n;
  }
  return 0;
}

static int start_program(void *arg) {
  struct program *prog = arg;
  sigset_t none;
  sigemptyset(&none);
  fcntl(prog->status_fd, F_SETFD, FD_CLOEXEC);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int err = nsjs_exec_candidates(prog->paths, prog->path_count, prog->argv, environ);
  prog->exec_errno = err;
  _exit(127);
}

static int parse_int(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  return (*s && !*end && v >= 0 && v < 1 << 20) ? (int)v : -1;
}

int main(int argc, char **argv) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL); /* already blocked by the addon; keep it so */

  int status_fd = argc > 3 ? parse_int(argv[1]) : -1;
  int count = argc > 3 ? parse_int(argv[2]) : -1;
  if (status_fd < 0 || count < 1 || 3 + count >= argc) return 125;

  struct program prog = {
    .paths = (const char *const *)(argv + 3),
    .path_count = count,
    .argv = argv + 3 + count,
    .status_fd = status_fd,
    .exec_errno = 0,
  };
  /* CLONE_VM|CLONE_VFORK: we resume once the program was exec'd or gave up,
   * and then exec_errno tells which. */
  static char stack[64 * 1024] __attribute__((aligned(16)));
  pid_t child = clone(start_program, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &prog);
  if (child < 0) {
    write_record(status_fd, NSJS_REC_ERROR, NSJS_STEP_INIT, NSJS_SYS_FORK, errno, 0);
    return 125;
  }
  if (prog.exec_errno != 0) {
    int status;
    write_record(status_fd, NSJS_REC_ERROR, NSJS_STEP_EXEC, NSJS_SYS_EXECVE, prog.exec_errno, 0);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return 127;
  }
  write_record(status_fd, NSJS_REC_SPAWNED, 0, 0, 0, child);

  /* The program has its own copy of argv now; show just "nsjs-init" in ps
   * instead of the PATH candidates (the setproctitle trick). */
  char *end = argv[argc - 1] + strlen(argv[argc - 1]);
  memset(argv[0], 0, (size_t)(end - argv[0]));
  memcpy(argv[0], "nsjs-init", sizeof "nsjs-init" < (size_t)(end - argv[0]) ? sizeof "nsjs-init" : 1);

  /* The program owns stdio now; holding it would keep the caller's pipes open. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2; fd++) {
    if (devnull >= 0) dup3(devnull, fd, O_CLOEXEC);
    else close(fd);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == child) {
        write_record(status_fd, NSJS_REC_EXIT, 0, 0, 0, status);
        /* Our exit tears the namespace down: every other process in it is killed. */
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
  }
}
