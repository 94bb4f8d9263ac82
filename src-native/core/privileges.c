/* Setup steps of the clone child that take privileges away: Landlock (after
 * chdir), then, last, cut the capabilities and load the seccomp filter the
 * parent compiled. Raw syscalls only (capset and
 * prctl through syscall(): glibc's wrappers are not all async-signal-safe). */
#include "nsjs.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define SETPCAP_BIT (1ULL << CAP_SETPCAP)

struct caps {
  struct __user_cap_header_struct head;
  struct __user_cap_data_struct data[2];
};

static int get_caps(struct caps *c) {
  c->head.version = _LINUX_CAPABILITY_VERSION_3;
  c->head.pid = 0;
  return (int)syscall(SYS_capget, &c->head, c->data);
}

#define BITS(c, set) ((c).data[0].set | ((unsigned long long)(c).data[1].set << 32))

static int set_caps(struct caps *c, unsigned long long eff, unsigned long long perm, unsigned long long inh) {
  c->head.version = _LINUX_CAPABILITY_VERSION_3;
  c->head.pid = 0;
  c->data[0].effective = (unsigned)eff;
  c->data[1].effective = (unsigned)(eff >> 32);
  c->data[0].permitted = (unsigned)perm;
  c->data[1].permitted = (unsigned)(perm >> 32);
  c->data[0].inheritable = (unsigned)inh;
  c->data[1].inheritable = (unsigned)(inh >> 32);
  return (int)syscall(SYS_capset, &c->head, c->data);
}

int nsjs_raise_effective(int *sys) {
  struct caps c;
  if (get_caps(&c) != 0) return *sys = NSJS_SYS_CAPGET, -1;
  unsigned long long perm = BITS(c, permitted);
  if (set_caps(&c, perm, perm, BITS(c, inheritable)) != 0) return *sys = NSJS_SYS_CAPSET, -1;
  return 0;
}

int nsjs_cut_capabilities(const nsjs_plan *p, int *sys) {
  if (!p->cut_caps) return 0;
  struct caps c;
  if (get_caps(&c) != 0) return *sys = NSJS_SYS_CAPGET, -1;
  unsigned long long perm = BITS(c, permitted);
  /* The bounding set needs CAP_SETPCAP in the effective set; a setresuid to
   * another uid (with KEEPCAPS) emptied it, so raise it from permitted first.
   * A process without CAP_SETPCAP (an unprivileged caller, no user namespace)
   * holds no capability and, whatever its bounding set, can gain none above
   * the caller's own: it has nothing to cut there. */
  if (perm & SETPCAP_BIT) {
    if (set_caps(&c, perm, perm, BITS(c, inheritable)) != 0)
      return *sys = NSJS_SYS_CAPSET, -1;
    for (int cap = 0; cap < 64; cap++) {
      if (p->cap_keep & (1ULL << cap)) continue;
      if (syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
        if (errno == EINVAL) break; /* past the kernel's last capability */
        return *sys = NSJS_SYS_PRCTL, -1;
      }
    }
  }
  unsigned long long keep = perm & p->cap_keep;
  if (set_caps(&c, keep, keep, keep) != 0) return *sys = NSJS_SYS_CAPSET, -1;
  if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return *sys = NSJS_SYS_PRCTL, -1;
  /* Another uid loses its capabilities at exec: the ambient set carries them. */
  if (syscall(SYS_getuid) != 0) {
    for (int cap = 0; cap < 64; cap++) {
      if (!(keep & (1ULL << cap))) continue;
      if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return *sys = NSJS_SYS_PRCTL, -1;
    }
  }
  return 0;
}

int nsjs_load_seccomp(const nsjs_plan *p, int *sys) {
  if (!p->seccomp_filter) return 0;
  struct sock_fprog prog = {.len = p->seccomp_len, .filter = (struct sock_filter *)p->seccomp_filter};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return *sys = NSJS_SYS_SECCOMP, -1;
  return 0;
}

#define NR_landlock_restrict_self 446

int nsjs_landlock_restrict(const nsjs_plan *p, int *sys) {
  if (p->landlock_fd < 0) return 0;
  if (syscall(NR_landlock_restrict_self, p->landlock_fd, 0) != 0) return *sys = NSJS_SYS_LANDLOCK_RESTRICT_SELF, -1;
  return 0;
}
