/* nsjs-init: PID 1 of a sandbox's PID namespace. Freestanding: raw syscalls,
 * no libc, so that its exec costs little and it stays a few pages resident.
 *
 * Usage (built by the addon, never by hand):
 *   nsjs-init <status-fd> <candidate-count> <candidate>... <argv0> <arg>...
 *
 * It starts the program, reaps every orphan, forwards every signal it receives
 * to the program, and exits when the program does. Without it the program
 * itself would be PID 1: it would ignore SIGTERM (PID 1 has no default
 * actions) and never reap the orphans reparented to it.
 *
 * On <status-fd> (inherited from the addon) it writes fixed-size records:
 * ERROR if the program could not be exec'd, SPAWNED once it was, EXIT with the
 * program's wait status. So the parent reports the program's own exit code or
 * signal, which PID 1 could not reproduce by dying (it cannot kill itself).
 * Every signal stays blocked from the addon's clone on, so none is lost. */
#include <stddef.h>
#include <stdint.h>

#include "../core/exec.h"
#include "../core/record.h"
#include "syscall.h"

#define SIG_BLOCK 0
#define SIG_SETMASK 2
#define SIGCHLD 17
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000
#define WNOHANG 1
#define F_SETFD 2
#define FD_CLOEXEC 1
#define O_RDWR 02
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)
#define EINTR 4

/* The compiler may emit calls to these even in freestanding code. */
void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

static size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static int parse_int(const char *s) {
  int v = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (1 << 20)) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

static __attribute__((noreturn)) void exit_now(int code) {
  for (;;) sys1(__NR_exit_group, code);
}

static void write_record(int fd, int kind, int step, int sys, int err, int value) {
  struct nsjs_record rec = {.kind = kind, .step = step, .sys = sys, .err = err, .value = value};
  const char *p = (const char *)&rec;
  size_t left = sizeof rec;
  while (left > 0) {
    long n = sys3(__NR_write, fd, p, left);
    if (n == -EINTR) continue;
    if (n < 0) return;
    p += n;
    left -= (size_t)n;
  }
}

static long raw_execve(const char *path, char *const argv[], char *const envp[]) {
  return sys3(__NR_execve, path, argv, envp);
}

static volatile int exec_errno; /* written by the vfork child when exec fails */

/* The program's side of the vfork: never returns into the caller's frame. */
static __attribute__((noinline, noreturn)) void start_program(int status_fd, const char *const *paths, int count,
                                                             char *const argv[], char *const envp[]) {
  uint64_t none = 0;
  sys3(__NR_fcntl, status_fd, F_SETFD, FD_CLOEXEC);
  sys4(__NR_rt_sigprocmask, SIG_SETMASK, &none, 0, sizeof none);
  exec_errno = nsjs_exec_candidates(raw_execve, paths, count, argv, envp);
  exit_now(127);
}

static __attribute__((noreturn, used)) void init_main(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;

  uint64_t all = ~(uint64_t)0;
  sys4(__NR_rt_sigprocmask, SIG_BLOCK, &all, 0, sizeof all);
  /* Exec'd from a sealed memfd (its comm would be "memfd:nsjs-init"): name it. */
  sys2(__NR_prctl, 15 /* PR_SET_NAME */, "nsjs-init");

  int status_fd = argc > 3 ? parse_int(argv[1]) : -1;
  int count = argc > 3 ? parse_int(argv[2]) : -1;
  if (status_fd < 0 || count < 1 || 3 + count >= argc) exit_now(125);

  /* vfork semantics: we resume once the program was exec'd or gave up. The
   * syscall is inlined here (a call would let the child clobber our return
   * address), and the child runs in a function of its own. */
  long child = sys5(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
  if (child == 0) start_program(status_fd, (const char *const *)(argv + 3), count, argv + 3 + count, envp);
  if (child < 0) {
    write_record(status_fd, NSJS_REC_ERROR, NSJS_STEP_INIT, NSJS_SYS_FORK, (int)-child, 0);
    exit_now(125);
  }
  if (exec_errno != 0) {
    write_record(status_fd, NSJS_REC_ERROR, NSJS_STEP_EXEC, NSJS_SYS_EXECVE, exec_errno, 0);
    int status;
    while (sys4(__NR_wait4, child, &status, 0, 0) == -EINTR) {
    }
    exit_now(127);
  }
  write_record(status_fd, NSJS_REC_SPAWNED, 0, 0, 0, (int)child);

  /* The program has its own copy of argv now: show just "nsjs-init" in ps
   * instead of the PATH candidates (the setproctitle trick). */
  char *end = argv[argc - 1] + str_len(argv[argc - 1]);
  memset(argv[0], 0, (size_t)(end - argv[0]));
  memcpy(argv[0], "nsjs-init", (size_t)(end - argv[0]) > 9 ? 9 : 0);

  /* The program owns stdio now; holding it would keep the caller's pipes open. */
  long devnull = sys4(__NR_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0);
  for (int fd = 0; fd <= 2; fd++) {
    if (devnull > 2) sys3(__NR_dup3, devnull, fd, O_CLOEXEC);
    else if (devnull != fd) sys1(__NR_close, fd);
  }

  for (;;) {
    unsigned char info[128]; /* siginfo_t */
    long sig = sys4(__NR_rt_sigtimedwait, &all, info, 0, sizeof all);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      sys2(__NR_kill, child, sig);
      continue;
    }
    for (;;) {
      int status = 0;
      long pid = sys4(__NR_wait4, -1, &status, WNOHANG, 0);
      if (pid <= 0) break;
      if (pid == child) {
        write_record(status_fd, NSJS_REC_EXIT, 0, 0, 0, status);
        /* Our exit tears the namespace down: every other process in it is killed. */
        int sig_no = status & 0x7f;
        exit_now(sig_no == 0 ? (status >> 8) & 0xff : 128 + sig_no);
      }
    }
  }
}

/* The kernel starts us with argc, argv and envp on the stack. */
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call init_main\n  hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n  mov x29, #0\n  mov x0, sp\n  bl init_main\n  brk #0\n");
#endif
