/* The filesystem steps of the clone child: the sandbox's root, the setup ops
 * (`mounts`), the read-only root and the pivot into it. Like the rest of the
 * child (child.c) they make only raw, async-signal-safe syscalls: no malloc,
 * every string prepared by the parent.
 *
 * The model (docs/filesystem.md). Every mount is made on an fd with the mount
 * API (fsopen/fsconfig/fsmount, open_tree, move_mount, mount_setattr), never
 * on a path, and every target is resolved with openat2(RESOLVE_IN_ROOT)
 * below the root being built: a symlink, or `..`, in a target cannot lead out
 * of it, and what was resolved is what is mounted on (no second walk that a
 * swapped symlink could redirect).
 *
 *   new-root   a staging tmpfs is stacked on the host's / (unbindable, so a
 *              recursive bind of / never copies it); the new root (a tmpfs, or
 *              a recursive bind of a directory) is attached at staging/root.
 *              The process's own root stays the host's, so a host path (a bind
 *              source, an overlay layer) resolves in the host's tree, and a
 *              target resolves below root_fd.
 *   mounts     the ops, in order.
 *   readonly-root, pivot-root
 *              pivot_root into the new root; the host's root, with the staging
 *              tmpfs on it, is detached: nothing of the host is reachable
 *              afterwards but what the ops put there.
 *
 * Missing targets are made only on a tmpfs this child mounted (their mount ids
 * are in plan->mount_ids): never on the host's files, whatever a symlink says. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The mount API and openat2 have the same numbers on every architecture. */
#define NR_open_tree 428
#define NR_move_mount 429
#define NR_fsopen 430
#define NR_fsconfig 431
#define NR_fsmount 432
#define NR_openat2 437
#define NR_mount_setattr 442

#define OPEN_TREE_CLONE_ 1
#define AT_RECURSIVE_ 0x8000
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x04
#define MOVE_MOUNT_T_EMPTY_PATH_ 0x40
#define FSOPEN_CLOEXEC_ 1
#define FSCONFIG_SET_FLAG_ 0
#define FSCONFIG_SET_STRING_ 1
#define FSCONFIG_CMD_CREATE_ 6
#define FSMOUNT_CLOEXEC_ 1
#define MOUNT_ATTR_RDONLY_ 0x01
#define MOUNT_ATTR_NOSUID_ 0x02
#define MOUNT_ATTR_NODEV_ 0x04
#define MOUNT_ATTR_NOEXEC_ 0x08
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_ 0x10
#define STATX_TYPE_ 0x1U
#define STATX_INO_ 0x100U
#define STATX_MNT_ID_ 0x1000U
#define PATH_MAX_ 4096

struct open_how_ {
  uint64_t flags, mode, resolve;
};

struct mount_attr_ {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* struct statx, as the kernel lays it out (256 bytes; stx_mnt_id at 0x90). */
struct statx_ {
  uint32_t mask, blksize;
  uint64_t attributes;
  uint32_t nlink, uid, gid;
  uint16_t mode, spare0;
  uint64_t ino, size, blocks, attributes_mask;
  struct { int64_t sec; uint32_t nsec; int32_t reserved; } atime, btime, ctime, mtime;
  uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
  uint64_t mnt_id;
  uint64_t spare[14];
};

/* Records the syscall that failed; the step sets s->step. errno is left as the call set it. */
static int sysfail(struct child_state *s, int sys) {
  s->sys = sys;
  return -1;
}

static int fail_step(struct child_state *s, int step) {
  s->step = step;
  return -1;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

void nsjs_close_rootfs_fds(struct child_state *s) {
  close_fd(&s->root_fd);
  close_fd(&s->staging_fd);
  close_fd(&s->files_fd);
  close_fd(&s->oldroot_fd);
  close_fd(&s->cwd_fd);
}

/* ---- syscalls ---- */

static int x_statx(int fd, unsigned mask, struct statx_ *st) {
  return (int)syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, mask, st);
}

/* Below root_fd, never out of it: `..` stops at it, an absolute symlink starts at it. */
static int resolve(struct child_state *s, const char *path, int flags) {
  struct open_how_ how = {.flags = (uint64_t)(O_PATH | O_CLOEXEC | flags), .mode = 0,
                          .resolve = RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_};
  return (int)syscall(NR_openat2, s->root_fd, path, &how, sizeof how);
}

static int set_attr(int fd, unsigned flags, uint64_t set, uint64_t propagation) {
  struct mount_attr_ attr = {.attr_set = set, .attr_clr = 0, .propagation = propagation, .userns_fd = 0};
  return (int)syscall(NR_mount_setattr, fd, "", AT_EMPTY_PATH | flags, &attr, sizeof attr);
}

/* Read-only all the way down, before the mount is attached anywhere. */
static int make_readonly(struct child_state *s, int mfd) {
  return set_attr(mfd, AT_RECURSIVE_, MOUNT_ATTR_RDONLY_, 0) == 0 ? 0 : sysfail(s, NSJS_SYS_MOUNT_SETATTR);
}

static int attach(struct child_state *s, int mfd, int target_fd) {
  if (syscall(NR_move_mount, mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH_ | MOVE_MOUNT_T_EMPTY_PATH_) != 0)
    return sysfail(s, NSJS_SYS_MOVE_MOUNT);
  return 0;
}

static int config(struct child_state *s, int fs, const char *key, const char *value) {
  long rc = value ? syscall(NR_fsconfig, fs, FSCONFIG_SET_STRING_, key, value, 0)
                  : syscall(NR_fsconfig, fs, FSCONFIG_SET_FLAG_, key, NULL, 0);
  return rc == 0 ? 0 : sysfail(s, NSJS_SYS_FSCONFIG);
}

/* A new superblock of `type`, as a detached mount: returns its fd. A tmpfs
 * belongs to the program's ids (plan->tmpfs_uid/gid). */
static int new_mount(struct child_state *s, const char *type, const char *const *params, int count,
                     const char *mode, unsigned attrs) {
  int fs = (int)syscall(NR_fsopen, type, FSOPEN_CLOEXEC_);
  if (fs < 0) return sysfail(s, NSJS_SYS_FSOPEN);
  /* What mountinfo shows as the source: "tmpfs", not "none". */
  if (config(s, fs, "source", type) < 0) return -1;
  if (mode && config(s, fs, "mode", mode) < 0) return -1;
  for (int i = 0; i < count; i++)
    if (config(s, fs, params[2 * i], params[2 * i + 1]) < 0) return -1;
  int tmpfs = type[0] == 't' && type[1] == 'm';
  if (tmpfs && s->plan->tmpfs_uid &&
      (config(s, fs, "uid", s->plan->tmpfs_uid) < 0 || config(s, fs, "gid", s->plan->tmpfs_gid) < 0))
    return -1;
  if (syscall(NR_fsconfig, fs, FSCONFIG_CMD_CREATE_, NULL, NULL, 0) != 0) return sysfail(s, NSJS_SYS_FSCONFIG);
  int mfd = (int)syscall(NR_fsmount, fs, FSMOUNT_CLOEXEC_, attrs);
  if (mfd < 0) return sysfail(s, NSJS_SYS_FSMOUNT);
  close(fs);
  return mfd;
}

/* A tmpfs this child made: anything missing may be created on it. */
static int remember(struct child_state *s, int mfd) {
  struct statx_ st;
  if (x_statx(mfd, STATX_MNT_ID_, &st) != 0) return sysfail(s, NSJS_SYS_STATX);
  if (!(st.mask & STATX_MNT_ID_)) { /* before Linux 5.8 */
    errno = ENOSYS;
    return sysfail(s, NSJS_SYS_STATX);
  }
  if (s->mount_id_count < 2 * s->plan->op_count + 2) s->plan->mount_ids[s->mount_id_count++] = st.mnt_id;
  return 0;
}

static int is_ours(struct child_state *s, int dirfd, int *ours) {
  struct statx_ st;
  if (x_statx(dirfd, STATX_MNT_ID_, &st) != 0) return sysfail(s, NSJS_SYS_STATX);
  *ours = 0;
  if (st.mask & STATX_MNT_ID_)
    for (int i = 0; i < s->mount_id_count; i++) *ours |= s->plan->mount_ids[i] == st.mnt_id;
  return 0;
}

/* ---- targets ---- */

enum make { MAKE_NONE, MAKE_DIR, MAKE_FILE, MAKE_SYMLINK };

static int same_link(struct child_state *s, int fd, const char *link) {
  char buf[PATH_MAX_];
  ssize_t n = readlinkat(fd, "", buf, sizeof buf);
  /* readlinkat(fd, "") of something else than a link: ENOENT (EINVAL before Linux 5.x). */
  if (n < 0 && (errno == ENOENT || errno == EINVAL)) errno = EEXIST;
  if (n < 0) return sysfail(s, errno == EEXIST ? NSJS_SYS_SYMLINKAT : NSJS_SYS_READLINKAT);
  size_t len = nsjs_cstrlen(link);
  int same = (size_t)n == len;
  for (size_t i = 0; same && i < len; i++) same = buf[i] == link[i];
  if (!same) {
    errno = EEXIST;
    return sysfail(s, NSJS_SYS_SYMLINKAT);
  }
  return 0;
}

/* Opens `target` (O_PATH) below the root. When it is missing and `make` says
 * what it should be, it is made, with any missing directory above it (0755),
 * but only on a tmpfs this child mounted; elsewhere it stays ENOENT. A symlink
 * target (MAKE_SYMLINK) is never followed: an existing one must say `link`. */
static int open_target(struct child_state *s, const char *target, enum make make, unsigned mode, const char *link) {
  int last_flags = make == MAKE_SYMLINK ? O_NOFOLLOW : make == MAKE_DIR ? O_DIRECTORY : 0;
  int fd = resolve(s, target, last_flags);
  if (fd >= 0 && make == MAKE_SYMLINK && same_link(s, fd, link) < 0) return -1;
  if (fd >= 0) return fd;
  if (errno != ENOENT || make == MAKE_NONE) return sysfail(s, NSJS_SYS_OPENAT2);

  char buf[PATH_MAX_];
  size_t len = nsjs_cstrlen(target);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return sysfail(s, NSJS_SYS_OPENAT2);
  }
  for (size_t i = 0; i <= len; i++) buf[i] = target[i];
  int parent = resolve(s, "/", O_DIRECTORY);
  if (parent < 0) return sysfail(s, NSJS_SYS_OPENAT2);
  size_t i = 0;
  for (;;) {
    while (buf[i] == '/') i++;
    if (buf[i] == '\0') return parent; /* a trailing slash: the last directory was it */
    size_t start = i;
    while (buf[i] != '\0' && buf[i] != '/') i++;
    char saved = buf[i];
    size_t rest = i;
    while (buf[rest] == '/') rest++;
    int last = buf[rest] == '\0';
    buf[i] = '\0';
    int flags = last ? last_flags : O_DIRECTORY;
    fd = resolve(s, buf, flags);
    if (fd < 0 && errno == ENOENT) {
      int ours = 0;
      if (is_ours(s, parent, &ours) < 0) return -1;
      if (!ours) {
        errno = ENOENT;
        return sysfail(s, NSJS_SYS_OPENAT2);
      }
      const char *name = buf + start;
      int rc;
      if (!last || make == MAKE_DIR) {
        rc = mkdirat(parent, name, last ? mode : 0755);
        if (rc != 0 && errno != EEXIST) return sysfail(s, NSJS_SYS_MKDIRAT);
      } else if (make == MAKE_FILE) {
        rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
        if (rc < 0 && errno != EEXIST) return sysfail(s, NSJS_SYS_OPENAT);
        if (rc >= 0) close(rc);
      } else {
        rc = symlinkat(link, parent, name);
        if (rc != 0 && errno != EEXIST) return sysfail(s, NSJS_SYS_SYMLINKAT);
      }
      fd = resolve(s, buf, flags);
      if (fd >= 0 && last && make == MAKE_SYMLINK && same_link(s, fd, link) < 0) return -1;
    }
    if (fd < 0) return sysfail(s, NSJS_SYS_OPENAT2);
    close(parent);
    parent = fd;
    buf[i] = saved;
    if (last) return parent;
  }
}

/* ---- the ops ---- */

static int op_dir(struct child_state *s, const nsjs_op *op) {
  int fd = open_target(s, op->target, MAKE_DIR, op->mode, NULL);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

static int op_symlink(struct child_state *s, const nsjs_op *op) {
  int fd = open_target(s, op->target, MAKE_SYMLINK, 0, op->source);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

static int same_place(struct child_state *s, int a, int b, int *same) {
  struct statx_ x, y;
  if (x_statx(a, STATX_MNT_ID_ | STATX_INO_, &x) != 0 || x_statx(b, STATX_MNT_ID_ | STATX_INO_, &y) != 0)
    return sysfail(s, NSJS_SYS_STATX);
  *same = x.mnt_id == y.mnt_id && x.ino == y.ino && x.dev_major == y.dev_major && x.dev_minor == y.dev_minor;
  return 0;
}

/* Attaches mfd on the target (made as a directory or a file when missing), and
 * closes both. A mount on the new root itself (`/`, or what resolves to it) is
 * stacked on it: from then on it is the root (a walk from root_fd would not see
 * it, and pivot-root enters it). */
static int mount_on(struct child_state *s, int mfd, const char *target, enum make make) {
  int tfd = open_target(s, target, make, make == MAKE_DIR ? 0755 : 0444, NULL);
  if (tfd < 0) return -1;
  int on_root = 0;
  if (s->plan->rootfs != NSJS_ROOT_HOST && same_place(s, tfd, s->root_fd, &on_root) < 0) return -1;
  if (attach(s, mfd, tfd) < 0) return -1;
  close(tfd);
  if (on_root) {
    close(s->root_fd);
    s->root_fd = mfd;
  } else {
    close(mfd);
  }
  return 0;
}

static int op_tmpfs(struct child_state *s, const nsjs_op *op) {
  int mfd = new_mount(s, "tmpfs", op->params, op->param_count, NULL, MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_);
  if (mfd < 0 || remember(s, mfd) < 0) return -1;
  return mount_on(s, mfd, op->target, MAKE_DIR);
}

static int op_kernel_fs(struct child_state *s, const nsjs_op *op, const char *type) {
  int mfd = new_mount(s, type, NULL, 0, NULL, MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_ | MOUNT_ATTR_NOEXEC_);
  if (mfd < 0) return -1;
  return mount_on(s, mfd, op->target, MAKE_DIR);
}

static int op_proc(struct child_state *s, const nsjs_op *op) { return op_kernel_fs(s, op, "proc"); }
static int op_mqueue(struct child_state *s, const nsjs_op *op) { return op_kernel_fs(s, op, "mqueue"); }

static int op_bind(struct child_state *s, const nsjs_op *op) {
  /* The source resolves in the host's tree (this process's root until pivot-root). */
  int tree = (int)syscall(NR_open_tree, AT_FDCWD, op->source, OPEN_TREE_CLONE_ | O_CLOEXEC | AT_RECURSIVE_);
  if (tree < 0 && errno == ENOENT && (op->flags & NSJS_OPF_OPTIONAL)) return 0;
  if (tree < 0) return sysfail(s, NSJS_SYS_OPEN_TREE);
  struct statx_ st;
  if (x_statx(tree, STATX_TYPE_, &st) != 0) return sysfail(s, NSJS_SYS_STATX);
  if ((op->flags & NSJS_OPF_READONLY) && make_readonly(s, tree) < 0) return -1;
  return mount_on(s, tree, op->target, S_ISDIR(st.mode) ? MAKE_DIR : MAKE_FILE);
}

/* The content, written into the staging tmpfs (never to the target's own
 * filesystem), then bound on the target. */
static int op_file(struct child_state *s, const nsjs_op *op) {
  int fd = openat(s->files_fd, op->source, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, op->mode);
  if (fd < 0) return sysfail(s, NSJS_SYS_OPENAT);
  if (op->data_len > 0 && nsjs_write_all(fd, op->data, op->data_len) < 0) return sysfail(s, NSJS_SYS_WRITE);
  close(fd);
  int tree = (int)syscall(NR_open_tree, s->files_fd, op->source, OPEN_TREE_CLONE_ | O_CLOEXEC);
  if (tree < 0) return sysfail(s, NSJS_SYS_OPEN_TREE);
  if ((op->flags & NSJS_OPF_READONLY) && make_readonly(s, tree) < 0) return -1;
  return mount_on(s, tree, op->target, MAKE_FILE);
}

static int op_overlay(struct child_state *s, const nsjs_op *op) {
  if (op->flags & NSJS_OPF_TMP_UPPER) {
    /* upperdir and workdir are names in the staging tmpfs, this process's cwd. */
    for (int i = 0; i < op->param_count; i++) {
      const char *key = op->params[2 * i], *value = op->params[2 * i + 1];
      if (value && (key[0] == 'u' || key[0] == 'w') && mkdirat(s->files_fd, value, 0755) != 0)
        return sysfail(s, NSJS_SYS_MKDIRAT);
    }
  }
  unsigned attrs = (op->flags & NSJS_OPF_READONLY) ? MOUNT_ATTR_RDONLY_ : 0;
  int mfd = new_mount(s, "overlay", op->params, op->param_count, NULL, attrs);
  if (mfd < 0) return -1;
  if ((op->flags & NSJS_OPF_TMP_UPPER) && remember(s, mfd) < 0) return -1;
  return mount_on(s, mfd, op->target, MAKE_DIR);
}

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define DEV_NODES (int)(sizeof dev_nodes / sizeof dev_nodes[0])
static const char *const dev_links[][2] = {
  {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
  {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};
static const char *const devpts_params[] = {"newinstance", NULL, "ptmxmode", "0666", "mode", "620"};

static int dev_entry(struct child_state *s, int devfd, const char *name, int mfd) {
  if (syscall(NR_move_mount, mfd, "", devfd, name, MOVE_MOUNT_F_EMPTY_PATH_) != 0) return sysfail(s, NSJS_SYS_MOVE_MOUNT);
  close(mfd);
  return 0;
}

/* A minimal /dev: a tmpfs holding the host's null, zero, full, random, urandom
 * and tty (bound, so it works rootless), a private devpts with ptmx, a tmpfs
 * shm and the fd links. No disk. */
static int op_dev(struct child_state *s, const nsjs_op *op) {
  /* The host's nodes first: a /dev mounted on below must not hide them. */
  static const char *const host[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
  int nodes[DEV_NODES];
  for (int i = 0; i < DEV_NODES; i++) {
    nodes[i] = (int)syscall(NR_open_tree, AT_FDCWD, host[i], OPEN_TREE_CLONE_ | O_CLOEXEC);
    /* A node the host lacks (a container without /dev/tty) is not made either. */
    if (nodes[i] < 0 && errno != ENOENT) return sysfail(s, NSJS_SYS_OPEN_TREE);
  }
  int devfd = new_mount(s, "tmpfs", NULL, 0, "755", MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_ | MOUNT_ATTR_NOEXEC_);
  if (devfd < 0 || remember(s, devfd) < 0) return -1;
  for (int i = 0; i < DEV_NODES; i++) {
    if (nodes[i] < 0) continue;
    int fd = openat(devfd, dev_nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd < 0) return sysfail(s, NSJS_SYS_OPENAT);
    close(fd);
    if (dev_entry(s, devfd, dev_nodes[i], nodes[i]) < 0) return -1;
  }
  for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
    if (symlinkat(dev_links[i][1], devfd, dev_links[i][0]) != 0) return sysfail(s, NSJS_SYS_SYMLINKAT);
  if (mkdirat(devfd, "pts", 0755) != 0 || mkdirat(devfd, "shm", 01777) != 0) return sysfail(s, NSJS_SYS_MKDIRAT);
  int pts = new_mount(s, "devpts", devpts_params, 3, NULL, MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NOEXEC_);
  if (pts < 0 || dev_entry(s, devfd, "pts", pts) < 0) return -1;
  int shm = new_mount(s, "tmpfs", NULL, 0, "1777", MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_);
  if (shm < 0 || remember(s, shm) < 0 || dev_entry(s, devfd, "shm", shm) < 0) return -1;
  return mount_on(s, devfd, op->target, MAKE_DIR);
}

typedef int (*op_fn)(struct child_state *, const nsjs_op *);

static const op_fn op_table[NSJS_OP_COUNT] = {
  [NSJS_OP_DIR] = op_dir,
  [NSJS_OP_TMPFS] = op_tmpfs,
  [NSJS_OP_BIND] = op_bind,
  [NSJS_OP_PROC] = op_proc,
  [NSJS_OP_MQUEUE] = op_mqueue,
  [NSJS_OP_DEV] = op_dev,
  [NSJS_OP_SYMLINK] = op_symlink,
  [NSJS_OP_FILE] = op_file,
  [NSJS_OP_OVERLAY] = op_overlay,
};

/* ---- steps ---- */

static int new_root_wanted(const nsjs_plan *p) {
  return p->op_count > 0 || p->rootfs != NSJS_ROOT_HOST || p->readonly_root || p->staging;
}

int nsjs_step_new_root(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (p->lock_uid_map) {
    /* lock-mounts writes the nested maps here, after the host's /proc is gone. */
    s->proc_fd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->proc_fd < 0) return sysfail(s, NSJS_SYS_OPEN), fail_step(s, NSJS_STEP_NEW_ROOT);
  }
  if (!new_root_wanted(p)) return 0;
  /* Modes are exact: the program's umask comes back in pivot-root. */
  s->saved_umask = (unsigned)umask(0);
  if (p->staging || p->rootfs != NSJS_ROOT_HOST) {
    s->oldroot_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->oldroot_fd < 0) return sysfail(s, NSJS_SYS_OPEN), fail_step(s, NSJS_STEP_NEW_ROOT);
    if (p->rootfs == NSJS_ROOT_HOST) {
      s->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (s->cwd_fd < 0) return sysfail(s, NSJS_SYS_OPEN), fail_step(s, NSJS_STEP_NEW_ROOT);
    }
    /* Stacked on the host's /: unreachable by any path (this process's root
     * is pinned below it), reachable through its fd only. */
    s->staging_fd = new_mount(s, "tmpfs", NULL, 0, "700", MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_);
    if (s->staging_fd < 0) return fail_step(s, NSJS_STEP_NEW_ROOT);
    if (syscall(NR_move_mount, s->staging_fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH_) != 0)
      return sysfail(s, NSJS_SYS_MOVE_MOUNT), fail_step(s, NSJS_STEP_NEW_ROOT);
    if (set_attr(s->staging_fd, 0, 0, MS_UNBINDABLE) != 0)
      return sysfail(s, NSJS_SYS_MOUNT_SETATTR), fail_step(s, NSJS_STEP_NEW_ROOT);
    if (p->staging) {
      /* File contents and tmpfs uppers: a tmpfs inside the unbindable one, as
       * open_tree clones nothing from an unbindable mount. Overlay's
       * upperdir/workdir names resolve here (the cwd). */
      int files = new_mount(s, "tmpfs", NULL, 0, "700", MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_);
      if (files < 0) return fail_step(s, NSJS_STEP_NEW_ROOT);
      if (mkdirat(s->staging_fd, "files", 0700) != 0) return sysfail(s, NSJS_SYS_MKDIRAT), fail_step(s, NSJS_STEP_NEW_ROOT);
      if (syscall(NR_move_mount, files, "", s->staging_fd, "files", MOVE_MOUNT_F_EMPTY_PATH_) != 0)
        return sysfail(s, NSJS_SYS_MOVE_MOUNT), fail_step(s, NSJS_STEP_NEW_ROOT);
      s->files_fd = files;
      if (fchdir(files) != 0) return sysfail(s, NSJS_SYS_FCHDIR), fail_step(s, NSJS_STEP_NEW_ROOT);
    }
  }
  int root;
  if (p->rootfs == NSJS_ROOT_TMPFS) {
    root = new_mount(s, "tmpfs", NULL, 0, "755", MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_);
    if (root < 0 || remember(s, root) < 0) return fail_step(s, NSJS_STEP_NEW_ROOT);
  } else if (p->rootfs == NSJS_ROOT_PATH) {
    root = (int)syscall(NR_open_tree, AT_FDCWD, p->rootfs_path, OPEN_TREE_CLONE_ | O_CLOEXEC | AT_RECURSIVE_);
    if (root < 0) return sysfail(s, NSJS_SYS_OPEN_TREE), fail_step(s, NSJS_STEP_NEW_ROOT);
    struct statx_ st;
    if (x_statx(root, STATX_TYPE_, &st) != 0) return sysfail(s, NSJS_SYS_STATX), fail_step(s, NSJS_STEP_NEW_ROOT);
    if (!S_ISDIR(st.mode)) {
      errno = ENOTDIR;
      return sysfail(s, NSJS_SYS_OPEN_TREE), fail_step(s, NSJS_STEP_NEW_ROOT);
    }
  } else {
    s->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0) return sysfail(s, NSJS_SYS_OPEN), fail_step(s, NSJS_STEP_NEW_ROOT);
    return 0;
  }
  if (mkdirat(s->staging_fd, "root", 0755) != 0) return sysfail(s, NSJS_SYS_MKDIRAT), fail_step(s, NSJS_STEP_NEW_ROOT);
  if (syscall(NR_move_mount, root, "", s->staging_fd, "root", MOVE_MOUNT_F_EMPTY_PATH_) != 0)
    return sysfail(s, NSJS_SYS_MOVE_MOUNT), fail_step(s, NSJS_STEP_NEW_ROOT);
  s->root_fd = root;
  return 0;
}

int nsjs_step_mounts(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  for (int i = 0; i < p->op_count; i++) {
    if (op_table[p->ops[i].kind](s, &p->ops[i]) < 0) {
      s->op = i + 1;
      return fail_step(s, NSJS_STEP_MOUNTS);
    }
  }
  return 0;
}

int nsjs_step_readonly_root(struct child_state *s) {
  /* Only the root mount itself: what the ops mounted keeps its own flags. */
  if (s->plan->readonly_root && set_attr(s->root_fd, 0, MOUNT_ATTR_RDONLY_, 0) != 0)
    return sysfail(s, NSJS_SYS_MOUNT_SETATTR), fail_step(s, NSJS_STEP_READONLY_ROOT);
  return 0;
}

int nsjs_step_pivot_root(struct child_state *s) {
  const nsjs_plan *p = s->plan;
  if (!new_root_wanted(p)) return 0;
  int new_root = p->rootfs != NSJS_ROOT_HOST;
  /* pivot_root(".", "."): the host's root ends up stacked on the new one (as
   * runc and bubblewrap do it), with the staging tmpfs still stacked on it. */
  if (new_root && fchdir(s->root_fd) != 0) return sysfail(s, NSJS_SYS_FCHDIR), fail_step(s, NSJS_STEP_PIVOT_ROOT);
  if (new_root && syscall(SYS_pivot_root, ".", ".") != 0)
    return sysfail(s, NSJS_SYS_PIVOT_ROOT), fail_step(s, NSJS_STEP_PIVOT_ROOT);
  /* The staging tmpfs first, through its own fd: umount2 of the host's root
   * by path may reach the top of what is stacked there instead. What was bound
   * from it stays. */
  if (s->staging_fd >= 0) {
    if (fchdir(s->staging_fd) != 0) return sysfail(s, NSJS_SYS_FCHDIR), fail_step(s, NSJS_STEP_PIVOT_ROOT);
    if (umount2(".", MNT_DETACH) != 0) return sysfail(s, NSJS_SYS_UMOUNT2), fail_step(s, NSJS_STEP_PIVOT_ROOT);
  }
  if (new_root) {
    if (fchdir(s->oldroot_fd) != 0) return sysfail(s, NSJS_SYS_FCHDIR), fail_step(s, NSJS_STEP_PIVOT_ROOT);
    if (umount2(".", MNT_DETACH) != 0) return sysfail(s, NSJS_SYS_UMOUNT2), fail_step(s, NSJS_STEP_PIVOT_ROOT);
    if (chdir("/") != 0) return sysfail(s, NSJS_SYS_CHDIR), fail_step(s, NSJS_STEP_PIVOT_ROOT);
  } else if (s->cwd_fd >= 0 && fchdir(s->cwd_fd) != 0) {
    return sysfail(s, NSJS_SYS_FCHDIR), fail_step(s, NSJS_STEP_PIVOT_ROOT);
  }
  nsjs_close_rootfs_fds(s);
  umask((mode_t)s->saved_umask);
  return 0;
}
