/* In-process namespace operations: one syscall (or a short fixed sequence) each.
 * They act on the calling thread only; the TypeScript layer decides what is allowed. */
#include "nsjs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(nsjs_error *e, int sys) {
  e->step = NSJS_STEP_NONE;
  e->sys = sys;
  e->err = errno;
  return -1;
}

int nsjs_unshare(int flags, nsjs_error *e) {
  return unshare(flags) == 0 ? 0 : fail(e, NSJS_SYS_UNSHARE);
}

int nsjs_set_root_propagation(unsigned long flags, nsjs_error *e) {
  return mount(NULL, "/", NULL, flags, NULL) == 0 ? 0 : fail(e, NSJS_SYS_MOUNT);
}

int nsjs_ns_type(int fd, int *type, nsjs_error *e) {
  int t = ioctl(fd, NS_GET_NSTYPE);
  if (t < 0) return fail(e, NSJS_SYS_IOCTL);
  *type = t;
  return 0;
}

int nsjs_setns(int fd, int nstype, nsjs_error *e) {
  int type = nstype;
  if (type == 0 && nsjs_ns_type(fd, &type, e) < 0) return -1;
  /* A thread that shares its fs_struct (every pthread does) cannot join a
   * mount namespace: mntns_install() wants fs->users == 1. */
  if (type == CLONE_NEWNS && unshare(CLONE_FS) != 0) return fail(e, NSJS_SYS_UNSHARE);
  return setns(fd, nstype) == 0 ? 0 : fail(e, NSJS_SYS_SETNS);
}

int nsjs_sethostname(const char *name, size_t len, nsjs_error *e) {
  return sethostname(name, len) == 0 ? 0 : fail(e, NSJS_SYS_SETHOSTNAME);
}

int nsjs_setdomainname(const char *name, size_t len, nsjs_error *e) {
  return setdomainname(name, len) == 0 ? 0 : fail(e, NSJS_SYS_SETDOMAINNAME);
}

/* The id of the mount an fd lies on (statx STATX_MNT_ID, Linux 5.8), or 0. Raw
 * syscall and layout: glibc's statx wrapper is newer than the binary's floor. */
static uint64_t mount_id_of(int fd) {
  unsigned char stx[256] __attribute__((aligned(8)));
  memset(stx, 0, sizeof stx);
  if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, 0x1000 /* STATX_MNT_ID */, stx) != 0) return 0;
  uint32_t mask;
  uint64_t id;
  memcpy(&mask, stx, sizeof mask);
  memcpy(&id, stx + 144 /* stx_mnt_id */, sizeof id);
  return (mask & 0x1000) ? id : 0;
}

/* Whether the mount with this id, in this thread's mountinfo, is shared
 * (propagates to a peer group); 1 also when that cannot be told. */
static int mount_is_shared_or_unknown(uint64_t id) {
  if (id == 0) return 1;
  FILE *f = fopen("/proc/thread-self/mountinfo", "re");
  if (!f) return 1;
  char *line = NULL;
  size_t cap = 0;
  int verdict = 1;
  while (getline(&line, &cap, f) > 0) {
    char *end;
    if (strtoull(line, &end, 10) != id || *end != ' ') continue;
    char *dash = strstr(line, " - ");
    char *shared = strstr(line, " shared:");
    verdict = shared != NULL && (dash == NULL || shared < dash);
    break;
  }
  free(line);
  fclose(f);
  return verdict;
}

int nsjs_mount_proc(const char *target, nsjs_error *e) {
  /* Pin the target once, and decide and mount through that fd only: a path
   * walked twice could be redirected in between (a symlink swapped in any
   * component). O_NOFOLLOW refuses a symlink as the last one. */
  int fd = open(target, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(e, NSJS_SYS_OPEN);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  /* A mount point that is a peer of another namespace's would pass the new
   * proc on to it: make this namespace's copy private first (util-linux). */
  int rc = mount(NULL, path, NULL, MS_REC | MS_PRIVATE, NULL);
  if (rc != 0 && errno == EINVAL) {
    /* No mount point: the proc would join the mount the target lies in. */
    if (mount_is_shared_or_unknown(mount_id_of(fd))) {
      close(fd);
      return 1;
    }
    rc = 0;
  }
  if (rc == 0) rc = mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc == 0 ? 0 : fail(e, NSJS_SYS_MOUNT);
}

int nsjs_bind_ns(int nsfd, const char *target, nsjs_error *e) {
  /* Through the fd's magic link: the namespace of the fd, not of a path that
   * could name another process's by the time mount runs. */
  char source[64];
  snprintf(source, sizeof source, "/proc/self/fd/%d", nsfd);
  return mount(source, target, NULL, MS_BIND, NULL) == 0 ? 0 : fail(e, NSJS_SYS_MOUNT);
}

int nsjs_unmount(const char *target, nsjs_error *e) {
  return umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 ? 0 : fail(e, NSJS_SYS_UMOUNT2);
}

int nsjs_ns_owner(int fd, unsigned long long *inode, nsjs_error *e) {
  int owner = ioctl(fd, NS_GET_USERNS);
  if (owner < 0) return fail(e, NSJS_SYS_IOCTL);
  struct stat st;
  int rc = syscall(SYS_fstat, owner, &st);
  int saved = errno;
  close(owner);
  errno = saved;
  if (rc != 0) return fail(e, NSJS_SYS_FSTAT);
  *inode = (unsigned long long)st.st_ino;
  return 0;
}

int nsjs_ns_parent(int fd, int *parent, nsjs_error *e) {
  int p = ioctl(fd, NS_GET_PARENT);
  if (p < 0) return fail(e, NSJS_SYS_IOCTL);
  *parent = p;
  return 0;
}
