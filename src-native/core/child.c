/* The clone child: runs between clone and exec. Everything it needs was prepared
 * by the parent; it makes only raw, async-signal-safe syscalls (no malloc, no
 * stdio, no locks), because it may share memory with a multithreaded Node
 * (CLONE_VM) or be a copy of it taken while other threads held locks.
 * Each step is a small function that returns 0 or fails with its step name. */
#include "child.h"
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int nsjs_step_fail(struct child_state *s, int step, int sys) {
  s->step = step;
  s->sys = sys;
  return -1;
}
#define step_fail nsjs_step_fail

int nsjs_write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

#define write_all nsjs_write_all

size_t nsjs_cstrlen(const char *p) {
  size_t n = 0;
  while (p[n]) n++;
  return n;
}

/* Writes a whole small file (uid_map, setgroups, timens_offsets) in one write. */
static int write_file_at(struct child_state *s, int step, int dirfd, const char *path, const char *data) {
  int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return step_fail(s, step, NSJS_SYS_OPEN);
  int rc = write_all(fd, data, nsjs_cstrlen(data));
  int saved = errno;
  close(fd);
  errno = saved;
  return rc < 0 ? step_fail(s, step, NSJS_SYS_WRITE) : 0;
}

static int write_file(struct child_state *s, int step, const char *path, const char *data) {
  return write_file_at(s, step, AT_FDCWD, path, data);
}

/* ---- steps ---- */

static int step_reset_signals(struct child_state *s) {
  /* Node's handlers must never run here: the memory may be the parent's.
   * Raw rt_sigaction also resets glibc's reserved signals 32 and 33. */
  struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } sa = {
    .handler = SIG_DFL, .flags = 0, .restorer = NULL, .mask = 0};
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (syscall(SYS_rt_sigaction, sig, &sa, NULL, sizeof(uint64_t)) != 0 && errno != EINVAL)
      return step_fail(s, NSJS_STEP_RESET_SIGNALS, NSJS_SYS_RT_SIGACTION);
  }
  return 0;
}

static int step_die_with_parent(struct child_state *s) {
  if (!s->plan->die_with_parent) return 0;
  /* Armed without a way to close the race would fail open: refuse instead. */
  if (s->parent_pidfd < 0) {
    errno = EBADF;
    return step_fail(s, NSJS_STEP_DIE_WITH_PARENT, NSJS_SYS_PIDFD_OPEN);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    return step_fail(s, NSJS_STEP_DIE_WITH_PARENT, NSJS_SYS_PRCTL);
  /* Close the race: if Node died before the prctl, no signal will come.
   * getppid() is 0 in a new PID namespace, so ask the parent's pidfd. */
  struct pollfd p = {.fd = s->parent_pidfd, .events = POLLIN, .revents = 0};
  if (poll(&p, 1, 0) > 0) _exit(128 + SIGKILL);
  return 0;
}

/* Resource limits come in two steps. Here, before any namespace is joined or
 * made after clone, the hard limits the plan raises are raised, with the
 * caller's own privileges (CAP_SYS_RESOURCE in the host's user namespace);
 * with a parent phase the parent does it (a user namespace made by clone has
 * already taken this child's). The values themselves are set last
 * (step_set_rlimits), so that a small nofile cannot break the setup.
 * op: 1 + the failing limit's index. */
static int step_rlimits(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (s->sync_fd[0] >= 0) return 0;
  for (int i = 0; i < p->rlimit_count; i++) {
    if (nsjs_raise_rlimit(0, &p->rlimits[i]) != 0) {
      s->op = i + 1;
      return step_fail(s, NSJS_STEP_RLIMITS, NSJS_SYS_PRLIMIT64);
    }
  }
  return 0;
}

/* The parent phase: the parent acts on this child (writes its id maps) and
 * then sends one byte. EOF instead means it gave up; it kills us and reports. */
static int step_wait_parent(struct child_state *s) {
  if (s->sync_fd[0] < 0) return 0;
  close(s->sync_fd[1]);
  char byte;
  ssize_t n;
  do n = read(s->sync_fd[0], &byte, 1);
  while (n < 0 && errno == EINTR);
  int saved = n == 0 ? EPIPE : errno;
  close(s->sync_fd[0]);
  errno = saved;
  return n == 1 ? 0 : step_fail(s, NSJS_STEP_WAIT_PARENT, NSJS_SYS_READ);
}

/* Joins existing namespaces in the plan's order: the user namespace first, so
 * that its capabilities apply to the others. The parent checked each fd's type. */
static int step_setns(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  for (int i = 0; i < p->join_count; i++)
    if (setns(p->joins[i].fd, p->joins[i].nstype) != 0) return step_fail(s, NSJS_STEP_SETNS, NSJS_SYS_SETNS);
  return 0;
}

/* New namespaces that a joined user namespace must own: made after the joins. */
static int step_unshare(struct child_state *s) {
  if (s->plan->unshare_flags && unshare(s->plan->unshare_flags) != 0)
    return step_fail(s, NSJS_STEP_UNSHARE, NSJS_SYS_UNSHARE);
  return 0;
}

static int step_id_maps(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (!p->uid_map || p->maps_by_parent) return 0;
  /* Order matters for an unprivileged caller: setgroups must say "deny"
   * before gid_map may be written (CVE-2014-8989). */
  if (write_file(s, NSJS_STEP_UID_MAP, "/proc/self/uid_map", p->uid_map) < 0) return -1;
  if (p->deny_setgroups && write_file(s, NSJS_STEP_SETGROUPS, "/proc/self/setgroups", "deny") < 0)
    return -1;
  return write_file(s, NSJS_STEP_GID_MAP, "/proc/self/gid_map", p->gid_map);
}

static int step_set_propagation(struct child_state *s) {
  /* Before anything is mounted: with "/" shared, mounts would leak to the host. */
  if (!s->plan->propagation) return 0;
  if (mount(NULL, "/", NULL, s->plan->propagation, NULL) != 0)
    return step_fail(s, NSJS_STEP_SET_PROPAGATION, NSJS_SYS_MOUNT);
  return 0;
}

static int step_hostnames(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (p->hostname && sethostname(p->hostname, p->hostname_len) != 0)
    return step_fail(s, NSJS_STEP_SETHOSTNAME, NSJS_SYS_SETHOSTNAME);
  if (p->domainname && setdomainname(p->domainname, p->domainname_len) != 0)
    return step_fail(s, NSJS_STEP_SETDOMAINNAME, NSJS_SYS_SETDOMAINNAME);
  return 0;
}

/* Does a mount on a directory of "/" stay in this namespace whatever happens? */
static int root_sends_nothing(const nsjs_plan *p) {
  return p->propagation == (MS_REC | MS_PRIVATE) || p->propagation == (MS_REC | MS_SLAVE);
}

static int step_mount_proc(struct child_state *s) {
  if (!s->plan->mount_proc) return 0;
  /* Whatever `propagation` says about the program's own mounts, this one must
   * never reach the host: with "/" shared, this namespace's copy of /proc is a
   * peer of the host's. Make it private first, as util-linux does. EINVAL:
   * /proc is no mount point here, so the mount lands in "/" itself. */
  if (mount(NULL, "/proc", NULL, MS_REC | MS_PRIVATE, NULL) != 0 &&
      (errno != EINVAL || !root_sends_nothing(s->plan)))
    return step_fail(s, NSJS_STEP_MOUNT_PROC, NSJS_SYS_MOUNT);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    return step_fail(s, NSJS_STEP_MOUNT_PROC, NSJS_SYS_MOUNT);
  return 0;
}

static int step_loopback_up(struct child_state *s) {
  if (!s->plan->loopback_up) return 0;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return step_fail(s, NSJS_STEP_LOOPBACK_UP, NSJS_SYS_SOCKET);
  struct ifreq ifr;
  for (size_t i = 0; i < sizeof ifr; i++) ((volatile char *)&ifr)[i] = 0;
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return rc != 0 ? step_fail(s, NSJS_STEP_LOOPBACK_UP, NSJS_SYS_IOCTL) : 0;
}

static int step_time_namespace(struct child_state *s) {
  /* CLONE_NEWTIME does not fit clone()'s flags; unshare it here. The child's
   * children, and this process after execve, live in the new time namespace. */
  if (!s->plan->time_offsets) return 0;
  if (unshare(CLONE_NEWTIME) != 0) return step_fail(s, NSJS_STEP_TIME_NAMESPACE, NSJS_SYS_UNSHARE);
  if (s->plan->time_offsets[0] == '\0') return 0;
  return write_file(s, NSJS_STEP_TIME_OFFSETS, "/proc/self/timens_offsets", s->plan->time_offsets);
}

static int step_setsid(struct child_state *s) {
  /* A new session has no controlling terminal: TIOCSTI cannot reach the caller's tty. */
  if (s->plan->new_session && setsid() < 0) return step_fail(s, NSJS_STEP_SETSID, NSJS_SYS_SETSID);
  return 0;
}

static int step_no_new_privs(struct child_state *s) {
  if (s->plan->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return step_fail(s, NSJS_STEP_NO_NEW_PRIVS, NSJS_SYS_PRCTL);
  return 0;
}

/* The identity the program runs as inside, set through raw syscalls: glibc's
 * wrappers would try to sync credentials with threads this child does not have.
 * Right after the maps: the child keeps every capability in its user namespace
 * (its old ids were not that namespace's root), and what it creates from here
 * on (a tmpfs root, directories, staged files) belongs to the program's ids,
 * which the user namespace maps; host root's own uid is not mapped there. */
static int step_identity(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (!p->set_identity) return 0;
  if (p->clear_groups != NSJS_GROUPS_KEEP && syscall(SYS_setgroups, 0, NULL) != 0 &&
      !(errno == EPERM && p->clear_groups == NSJS_GROUPS_CLEAR_IF_ALLOWED))
    return step_fail(s, NSJS_STEP_IDENTITY, NSJS_SYS_SETGROUPS);
  /* The steps after this one (mounts, hostname, /proc, lo…) need the
   * capabilities the child has in its user namespace, which a setresuid from
   * that namespace's root to another uid would clear: keep the permitted set
   * through it and raise the effective one again. exec recomputes them for the
   * program (the capabilities step, when asked, carries some in the ambient set). */
  int keep = p->uid != 0;
  if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return step_fail(s, NSJS_STEP_IDENTITY, NSJS_SYS_PRCTL);
  if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) != 0)
    return step_fail(s, NSJS_STEP_IDENTITY, NSJS_SYS_SETRESGID);
  if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) != 0)
    return step_fail(s, NSJS_STEP_IDENTITY, NSJS_SYS_SETRESUID);
  int sys = 0;
  if (keep && nsjs_raise_effective(&sys) != 0) return step_fail(s, NSJS_STEP_IDENTITY, sys);
  /* The change of ids made this process undumpable, so its /proc/self files
   * became root's (timens_offsets, and lock-mounts' maps, are written later as
   * these ids). It execs soon, which sets dumpability again. */
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) return step_fail(s, NSJS_STEP_IDENTITY, NSJS_SYS_PRCTL);
  /* A change of credentials clears the parent-death signal: arm it again. */
  return step_die_with_parent(s);
}

/* With a user namespace, the program could remount a read-only bind writable,
 * or unmount what hides a path, in the mount namespace its own user namespace
 * owns. So it gets a nested user namespace (its own ids, mapped one to one) and
 * a copy of the mount namespace owned by it: the kernel then locks every mount
 * made above (MNT_LOCK_READONLY & co., MNT_LOCKED), as it does for any mount
 * namespace copied into a less privileged user namespace. */
static int step_lock_mounts(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (!p->lock_uid_map) return 0;
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return step_fail(s, NSJS_STEP_LOCK_MOUNTS, NSJS_SYS_UNSHARE);
  if (write_file_at(s, NSJS_STEP_LOCK_MOUNTS, s->proc_fd, "uid_map", p->lock_uid_map) < 0 ||
      write_file_at(s, NSJS_STEP_LOCK_MOUNTS, s->proc_fd, "setgroups", "deny") < 0 ||
      write_file_at(s, NSJS_STEP_LOCK_MOUNTS, s->proc_fd, "gid_map", p->lock_gid_map) < 0)
    return -1;
  close(s->proc_fd);
  s->proc_fd = -1;
  return step_die_with_parent(s);
}

static int step_chdir(struct child_state *s) {
  if (s->plan->cwd && chdir(s->plan->cwd) != 0) return step_fail(s, NSJS_STEP_CHDIR, NSJS_SYS_CHDIR);
  return 0;
}

/* Landlock, once every path the setup needed was used (the ruleset fd is
 * closed with the others by close-fds). */
static int step_landlock(struct child_state *s) {
  int sys = 0;
  return nsjs_landlock_restrict(s->plan, &sys) == 0 ? 0 : step_fail(s, NSJS_STEP_LANDLOCK, sys);
}

/* Puts each stdio source on its slot (0..n-1) and the error pipe on fd n.
 * Sources that sit on a slot they do not belong to are first moved above n,
 * so no dup3 can clobber a source that a later slot still needs. */
static int step_stdio(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  int n = p->stdio_count;
  int *work = p->stdio_work;
  if (s->errfd <= n) {
    int fd = fcntl(s->errfd, F_DUPFD_CLOEXEC, n + 1);
    if (fd < 0) return step_fail(s, NSJS_STEP_STDIO, NSJS_SYS_FCNTL);
    s->errfd = fd;
  }
  if (s->init_fd >= 0 && s->init_fd <= n) {
    int fd = fcntl(s->init_fd, F_DUPFD_CLOEXEC, n + 1);
    if (fd < 0) return step_fail(s, NSJS_STEP_STDIO, NSJS_SYS_FCNTL);
    s->init_fd = fd;
  }
  for (int i = 0; i < n; i++) {
    work[i] = p->stdio[i];
    if (work[i] >= 0 && work[i] <= n && work[i] != i) {
      int fd = fcntl(work[i], F_DUPFD_CLOEXEC, n + 1);
      if (fd < 0) return step_fail(s, NSJS_STEP_STDIO, NSJS_SYS_FCNTL);
      work[i] = fd;
    }
  }
  for (int i = 0; i < n; i++) {
    if (work[i] < 0) {
      close(i);
    } else if (work[i] == i) {
      if (fcntl(i, F_SETFD, 0) != 0) return step_fail(s, NSJS_STEP_STDIO, NSJS_SYS_FCNTL);
    } else if (dup3(work[i], i, 0) < 0) {
      return step_fail(s, NSJS_STEP_STDIO, NSJS_SYS_DUP3);
    }
  }
  if (dup3(s->errfd, n, O_CLOEXEC) < 0) return step_fail(s, NSJS_STEP_STDIO, NSJS_SYS_DUP3);
  s->errfd = n;
  return 0;
}

/* Fallback for kernels before 5.9: walk /proc/self/fd with getdents64. */
static int close_from_by_listing(int first) {
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  char buf[4096] __attribute__((aligned(8)));
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      unsigned short reclen = *(unsigned short *)(buf + off + 16);
      const char *name = buf + off + 19;
      int fd = 0, digits = 0;
      for (; name[digits] >= '0' && name[digits] <= '9'; digits++) fd = fd * 10 + (name[digits] - '0');
      if (digits > 0 && name[digits] == '\0' && fd >= first && fd != dir) close(fd);
      off += reclen;
    }
  }
  close(dir);
  return 0;
}

static int close_from(int first) {
  if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return 0;
  return errno == ENOSYS ? close_from_by_listing(first) : -1;
}

static int step_close_fds(struct child_state *s) {
  /* Everything above the error pipe goes, CLOEXEC or not: an fd Node itself
   * inherited without CLOEXEC must not reach the sandbox. nsjs-init's own fd
   * (CLOEXEC) stays until its execveat. */
  int first = s->errfd + 1;
  int keep = s->init_fd;
  if (keep >= first) {
    if (keep > first && dup3(keep, first, O_CLOEXEC) < 0) return step_fail(s, NSJS_STEP_CLOSE_FDS, NSJS_SYS_DUP3);
    s->init_fd = first;
    first++;
  }
  return close_from(first) == 0 ? 0 : step_fail(s, NSJS_STEP_CLOSE_FDS, NSJS_SYS_CLOSE_RANGE);
}

/* The limits, exactly as asked: after the fds are closed, right before exec. */
static int step_set_rlimits(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  for (int i = 0; i < p->rlimit_count; i++) {
    struct { uint64_t cur, max; } lim = {p->rlimits[i].soft, p->rlimits[i].hard};
    if (syscall(SYS_prlimit64, 0, p->rlimits[i].resource, &lim, NULL) != 0) {
      s->op = i + 1;
      return step_fail(s, NSJS_STEP_SET_RLIMITS, NSJS_SYS_PRLIMIT64);
    }
  }
  return 0;
}

/* Last before exec, once nothing else needs a privilege (privileges.c). */
static int step_capabilities(struct child_state *s) {
  int sys = 0;
  return nsjs_cut_capabilities(s->plan, &sys) == 0 ? 0 : step_fail(s, NSJS_STEP_CAPABILITIES, sys);
}

static int load_seccomp(struct child_state *s) {
  int sys = 0;
  return nsjs_load_seccomp(s->plan, &sys) == 0 ? 0 : step_fail(s, NSJS_STEP_SECCOMP, sys);
}

/* With no_new_privs, the filter loads last. Without it, loading one needs
 * CAP_SYS_ADMIN, which the capabilities step may drop: it loads before that
 * step (as runc does), and the filter must then allow capset and prctl. */
static int step_seccomp_without_nnp(struct child_state *s) { return s->plan->no_new_privs ? 0 : load_seccomp(s); }
static int step_seccomp(struct child_state *s) { return s->plan->no_new_privs ? load_seccomp(s) : 0; }

static long libc_execve(const char *path, char *const argv[], char *const envp[]) {
  execve(path, argv, envp);
  return -errno;
}

static void unblock_signals(void) {
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
}

static int step_exec(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (p->init_path) {
    /* nsjs-init inherits the error pipe on fd n (it reports the program's
     * exec and exit on it) and keeps every signal blocked until it runs. */
    if (fcntl(s->errfd, F_SETFD, 0) != 0) return step_fail(s, NSJS_STEP_EXEC_INIT, NSJS_SYS_FCNTL);
    if (s->init_fd >= 0) {
      syscall(SYS_execveat, s->init_fd, "", p->init_argv, p->envp, AT_EMPTY_PATH);
      return step_fail(s, NSJS_STEP_EXEC_INIT, NSJS_SYS_EXECVEAT);
    }
    execve(p->init_path, p->init_argv, p->envp);
    return step_fail(s, NSJS_STEP_EXEC_INIT, NSJS_SYS_EXECVE);
  }
  unblock_signals();
  if (p->program_is_init && s->init_fd >= 0) {
    syscall(SYS_execveat, s->init_fd, "", p->argv, p->envp, AT_EMPTY_PATH);
    return step_fail(s, NSJS_STEP_EXEC, NSJS_SYS_EXECVEAT);
  }
  errno = nsjs_exec_candidates(libc_execve, p->exec_paths, p->exec_path_count, p->argv, p->envp);
  return step_fail(s, NSJS_STEP_EXEC, NSJS_SYS_EXECVE);
}

typedef int (*child_step)(struct child_state *);

/* The setup, in order. Maps first (they give us our capabilities in the new
 * user namespace), then mounts, names, network, session, the identity the
 * program runs as, fds, the capability cut and the seccomp filter, exec. */
static const child_step steps[] = {
  step_reset_signals,
  step_die_with_parent,
  step_rlimits,
  step_setns,
  step_unshare,
  step_id_maps,
  step_wait_parent,
  step_identity,
  step_set_propagation,
  nsjs_step_new_root,
  nsjs_step_mounts,
  nsjs_step_readonly_root,
  nsjs_step_pivot_root,
  step_hostnames,
  step_mount_proc,
  step_loopback_up,
  step_time_namespace,
  step_setsid,
  step_no_new_privs,
  step_lock_mounts,
  step_chdir,
  step_landlock,
  step_stdio,
  step_close_fds,
  step_set_rlimits,
  step_seccomp_without_nnp,
  step_capabilities,
  step_seccomp,
  step_exec,
};

int nsjs_child_main(void *arg) {
  const struct nsjs_child_arg *a = arg;
  struct child_state s = {.plan = a->plan,
                          .errfd = a->errfd,
                          .parent_pidfd = a->parent_pidfd,
                          .sync_fd = {a->sync_fd[0], a->sync_fd[1]},
                          .init_fd = a->plan->init_path || a->plan->program_is_init ? a->plan->init_fd : -1,
                          .step = 0,
                          .sys = 0,
                          .op = 0,
                          .root_fd = -1,
                          .staging_fd = -1,
                          .files_fd = -1,
                          .oldroot_fd = -1,
                          .cwd_fd = -1,
                          .proc_fd = -1,
                          .mount_id_count = 0,
                          .saved_umask = 0};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    if (steps[i](&s) < 0) break;
  }
  struct nsjs_record rec = {
    .kind = NSJS_REC_ERROR, .step = s.step, .sys = s.sys, .err = errno, .value = 0, .op = s.op};
  write_all(s.errfd, (const char *)&rec, sizeof rec);
  _exit(127);
}
