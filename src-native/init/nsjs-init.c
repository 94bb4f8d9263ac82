/* nsjs-init: PID 1 of a sandbox's PID namespace. Freestanding: raw syscalls,
 * no libc, so that its exec costs little and it stays a few pages resident.
 *
 * Usage (built by the addon, never by hand):
 *   nsjs-init <status-fd> <candidate-count> <candidate>... <argv0> <arg>...
 *   nsjs-init --hold
 *   nsjs-init --serve <socket-fd>
 *
 * --hold (a namespace set, lib/sets/): started as the program itself, as PID 1
 * of the set, it only holds the set's namespaces open and reaps the orphans
 * reparented to it; it exits on SIGTERM, SIGINT or SIGHUP (and dies by the
 * core's parent-death SIGKILL with dieWithParent). Its exit ends every process
 * of the set's PID namespace.
 *
 * --serve (a ready set of a pool, lib/pool/): PID 1 of namespaces made ahead
 * of time, waiting on a SOCK_SEQPACKET socket for one request: the program's
 * PATH candidates, argv, envp and cwd, with its stdio fds (SCM_RIGHTS). Then
 * it is the program's init as above, with the socket as its status fd. So a
 * pooled spawn neither creates namespaces nor clones Node. EOF on the socket
 * (the pool closed, or Node died) ends it.
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
#define SIGKILL 9
#define PR_SET_PDEATHSIG 1
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
  /* In a joined PID namespace nsjs-init is outside it: its death (SIGKILL,
   * dieWithParent) does not end the namespace, so the program goes with it
   * this way. (In a new one, init's death ends everything anyway.) */
  sys2(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
  sys3(__NR_fcntl, status_fd, F_SETFD, FD_CLOEXEC);
  sys4(__NR_rt_sigprocmask, SIG_SETMASK, &none, 0, sizeof none);
  exec_errno = nsjs_exec_candidates(raw_execve, paths, count, argv, envp);
  exit_now(127);
}

#define SIGHUP 1
#define SIGINT 2
#define SIGTERM 15

static __attribute__((noreturn)) void hold(void) {
  uint64_t all = ~(uint64_t)0;
  for (;;) {
    unsigned char info[128]; /* siginfo_t */
    long sig = sys4(__NR_rt_sigtimedwait, &all, info, 0, sizeof all);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) exit_now(0);
    if (sig != SIGCHLD) continue;
    int status;
    while (sys4(__NR_wait4, -1, &status, WNOHANG, 0) > 0) {
    }
  }
}

static int str_eq(const char *s, const char *h) {
  while (*s && *s == *h) s++, h++;
  return *s == 0 && *h == 0;
}
#define is_hold(s) str_eq((s), "--hold")
#define is_serve(s) str_eq((s), "--serve")

/* Starts the program and is its init until it exits. title: our own argv,
 * cleared to "nsjs-init" once the program has its copy (NULL: leave it). */
static __attribute__((noreturn)) void run(int status_fd, const char *const *paths, int count, char *const argv[],
                                          char *const envp[], char **title, int title_count) {
  uint64_t all = ~(uint64_t)0;
  /* vfork semantics: we resume once the program was exec'd or gave up. The
   * syscall is inlined here (a call would let the child clobber our return
   * address), and the child runs in a function of its own. */
  long child = sys5(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
  if (child == 0) start_program(status_fd, paths, count, argv, envp);
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
  if (title != NULL) {
    char *end = title[title_count - 1] + str_len(title[title_count - 1]);
    memset(title[0], 0, (size_t)(end - title[0]));
    memcpy(title[0], "nsjs-init", (size_t)(end - title[0]) > 9 ? 9 : 0);
  }

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

/* ---- --serve: one request on a SOCK_SEQPACKET socket (lib/pool/request.ts) ----
 * Message: u32 count, u32 argc, u32 envc, u32 has_cwd, then NUL-terminated
 * strings: count PATH candidates, argc args, envc env entries, the cwd if any.
 * Ancillary: SCM_RIGHTS with the program's fds 0, 1, 2. Static storage: .bss
 * costs no memory until a request touches it. */
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define MSG_CMSG_CLOEXEC 0x40000000
#define MSG_TRUNC 0x20
#define MSG_CTRUNC 0x8
#define E2BIG 7
#define EPROTO 71
#define REQ_MAX (256 * 1024)
#define REQ_PTRS 16384

struct iovec_ {
  void *base;
  size_t len;
};
struct msghdr_ {
  void *name;
  uint32_t namelen;
  struct iovec_ *iov;
  size_t iovlen;
  void *control;
  size_t controllen;
  int flags;
};
struct cmsghdr_ {
  size_t len;
  int level;
  int type;
};

static char req[REQ_MAX];
static char *req_ptrs[REQ_PTRS];

static __attribute__((noreturn)) void serve(int sock, char **title, int title_count) {
  struct iovec_ iov = {req, sizeof req - 1};
  uint64_t control[8]; /* room for a cmsghdr and 3 fds, aligned */
  struct msghdr_ mh = {0, 0, &iov, 1, control, sizeof control, 0};
  long n;
  while ((n = sys3(__NR_recvmsg, sock, &mh, MSG_CMSG_CLOEXEC)) == -EINTR) {
  }
  if (n <= 0) exit_now(0); /* the pool closed (or Node is gone) before using this set */
  int fds[3] = {-1, -1, -1};
  int nfds = 0;
  struct cmsghdr_ *c = (struct cmsghdr_ *)control;
  if (mh.controllen >= sizeof *c && c->level == SOL_SOCKET && c->type == SCM_RIGHTS) {
    nfds = (int)((c->len - sizeof *c) / sizeof(int));
    if (nfds > 3) nfds = 3;
    memcpy(fds, (char *)c + sizeof *c, (size_t)nfds * sizeof(int));
  }
  uint32_t hdr[4];
  if ((mh.flags & (MSG_TRUNC | MSG_CTRUNC)) || n < (long)sizeof hdr || nfds != 3) {
    write_record(sock, NSJS_REC_ERROR, NSJS_STEP_INIT, NSJS_SYS_READ, (mh.flags & MSG_TRUNC) ? E2BIG : EPROTO, 0);
    exit_now(125);
  }
  memcpy(hdr, req, sizeof hdr);
  req[n] = 0;
  /* Split the strings into pointers: paths, argv (NULL-ended), envp (NULL-ended), cwd. */
  uint64_t want = (uint64_t)hdr[0] + hdr[1] + hdr[2] + hdr[3];
  if (hdr[0] < 1 || hdr[1] < 1 || hdr[3] > 1 || want + 2 > REQ_PTRS) {
    write_record(sock, NSJS_REC_ERROR, NSJS_STEP_INIT, NSJS_SYS_READ, E2BIG, 0);
    exit_now(125);
  }
  char *p = req + sizeof hdr, *end = req + n;
  int k = 0;
  for (int section = 0; section < 4; section++) {
    for (uint32_t i = 0; i < hdr[section]; i++) {
      if (p >= end) {
        write_record(sock, NSJS_REC_ERROR, NSJS_STEP_INIT, NSJS_SYS_READ, EPROTO, 0);
        exit_now(125);
      }
      req_ptrs[k++] = p;
      p += str_len(p) + 1;
    }
    if (section == 1 || section == 2) req_ptrs[k++] = 0; /* argv and envp end in NULL */
  }
  char **argv = req_ptrs + hdr[0];
  char **envp = argv + hdr[1] + 1;
  if (hdr[3]) {
    const char *cwd = envp[hdr[2] + 1];
    long rc = sys1(__NR_chdir, cwd);
    if (rc < 0) {
      write_record(sock, NSJS_REC_ERROR, NSJS_STEP_CHDIR, NSJS_SYS_CHDIR, (int)-rc, 0);
      exit_now(125);
    }
  }
  /* The program's stdio: received CLOEXEC, set on 0-2 without it. */
  for (int fd = 0; fd < 3; fd++) {
    long rc = sys3(__NR_dup3, fds[fd], fd, 0);
    if (rc < 0) {
      write_record(sock, NSJS_REC_ERROR, NSJS_STEP_STDIO, NSJS_SYS_DUP3, (int)-rc, 0);
      exit_now(125);
    }
  }
  for (int fd = 0; fd < 3; fd++)
    if (fds[fd] > 2) sys1(__NR_close, fds[fd]);
  run(sock, (const char *const *)req_ptrs, (int)hdr[0], argv, envp, title, title_count);
}

static __attribute__((noreturn, used)) void init_main(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;

  uint64_t all = ~(uint64_t)0;
  sys4(__NR_rt_sigprocmask, SIG_BLOCK, &all, 0, sizeof all);
  /* Exec'd from a sealed memfd (its comm would be "memfd:nsjs-init"): name it. */
  sys2(__NR_prctl, 15 /* PR_SET_NAME */, "nsjs-init");
  if (argc == 2 && is_hold(argv[1])) hold();
  if (argc == 3 && is_serve(argv[1])) {
    int sock = parse_int(argv[2]);
    if (sock < 0) exit_now(125);
    serve(sock, 0, 0);
  }

  int status_fd = argc > 3 ? parse_int(argv[1]) : -1;
  int count = argc > 3 ? parse_int(argv[2]) : -1;
  if (status_fd < 0 || count < 1 || 3 + count >= argc) exit_now(125);
  run(status_fd, (const char *const *)(argv + 3), count, argv + 3 + count, envp, argv, argc);
}

/* The kernel starts us with argc, argv and envp on the stack. */
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call init_main\n  hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n  mov x29, #0\n  mov x0, sp\n  bl init_main\n  brk #0\n");
#endif
