/* Landlock, prepared in the parent: the ruleset (with an O_PATH fd per path)
 * is made before clone, and the child only calls landlock_restrict_self on
 * it (privileges.c). The kernel's own uapi header may be older than the
 * kernel: the few structures needed are declared here. */
#include "nsjs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_landlock_create_ruleset 444 /* the same on every architecture */
#define NR_landlock_add_rule 445
#define LANDLOCK_CREATE_RULESET_VERSION 1U
#define LANDLOCK_RULE_PATH_BENEATH 1
#define LANDLOCK_RULE_NET_PORT 2

/* What a rule on a file (not a directory) may allow: the kernel refuses the rest. */
#define FILE_ACCESS ((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14) | (1ULL << 15))

struct ruleset_attr {
  uint64_t handled_access_fs, handled_access_net, scoped;
};

struct path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

struct net_port_attr {
  uint64_t allowed_access, port;
};

int nsjs_landlock_abi(void) {
  long abi = syscall(NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? -errno : (int)abi;
}

static int fail(nsjs_error *e, int sys, int index, int fd) {
  e->step = NSJS_STEP_LANDLOCK;
  e->sys = sys;
  e->err = errno;
  e->op = index + 1;
  if (fd >= 0) close(fd);
  return -1;
}

static int add_path(int ruleset, int fd, unsigned long long access) {
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) != 0) return -1;
  struct path_beneath_attr rule = {.allowed_access = S_ISDIR(st.st_mode) ? access : access & FILE_ACCESS, .parent_fd = fd};
  return (int)syscall(NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
}

int nsjs_landlock_ruleset(const nsjs_landlock *l, int *out, nsjs_error *e) {
  struct ruleset_attr attr = {.handled_access_fs = l->handled_fs, .handled_access_net = l->handled_net, .scoped = l->scoped};
  /* The smallest size that holds what is set: an older kernel refuses a larger one. */
  size_t size = l->scoped ? 24 : l->handled_net ? 16 : 8;
  int ruleset = (int)syscall(NR_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) return fail(e, NSJS_SYS_LANDLOCK_CREATE_RULESET, -1, -1);
  if (fcntl(ruleset, F_SETFD, FD_CLOEXEC) != 0) return fail(e, NSJS_SYS_FCNTL, -1, ruleset);
  for (int i = 0; i < l->path_count; i++) {
    int fd = open(l->paths[i].path, O_PATH | O_CLOEXEC);
    if (fd < 0) return fail(e, NSJS_SYS_OPEN, i, ruleset);
    int rc = add_path(ruleset, fd, l->paths[i].access);
    int saved = errno;
    close(fd);
    errno = saved;
    if (rc != 0) return fail(e, NSJS_SYS_LANDLOCK_ADD_RULE, i, ruleset);
  }
  for (int i = 0; i < l->port_count; i++) {
    struct net_port_attr rule = {.allowed_access = l->ports[i].access, .port = l->ports[i].port};
    if (syscall(NR_landlock_add_rule, ruleset, LANDLOCK_RULE_NET_PORT, &rule, 0) != 0)
      return fail(e, NSJS_SYS_LANDLOCK_ADD_RULE, l->path_count + i, ruleset);
  }
  *out = ruleset;
  return 0;
}
