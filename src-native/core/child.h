/* What the clone child's steps share (child.c, rootfs.c). Internal to the core. */
#ifndef NSJS_CHILD_H
#define NSJS_CHILD_H

#include <stddef.h>

#include "nsjs.h"

struct child_state {
  const nsjs_plan *plan;
  int errfd;
  int parent_pidfd;
  int sync_fd[2];
  int init_fd; /* moved above the stdio slots by step_stdio */
  int step; /* the step that failed, and the syscall in it */
  int sys;
  int op;   /* 1 + the index of the op that failed, 0: none */
  /* The filesystem steps (rootfs.c); -1 when not open. Every one is closed
   * before the program runs (and close-fds would close any left). */
  int root_fd;    /* the sandbox's root while it is built: targets resolve below it */
  int staging_fd; /* the staging tmpfs, stacked on the host's / and unbindable */
  int files_fd;   /* a tmpfs in it for file contents and tmpfs uppers */
  int oldroot_fd; /* the host's /, for pivot_root */
  int cwd_fd;     /* the caller's cwd, restored when there is no new root */
  int proc_fd;    /* this process's /proc/PID, for the nested maps of lock-mounts */
  int mount_id_count; /* entries of plan->mount_ids written */
  unsigned saved_umask;
};

int nsjs_step_fail(struct child_state *s, int step, int sys);
int nsjs_write_all(int fd, const char *buf, size_t len);
/* strlen, without libc. */
size_t nsjs_cstrlen(const char *p);

int nsjs_step_new_root(struct child_state *s);
int nsjs_step_mounts(struct child_state *s);
int nsjs_step_readonly_root(struct child_state *s);
int nsjs_step_pivot_root(struct child_state *s);
int nsjs_step_lock_mounts(struct child_state *s);
/* Closes every fd the filesystem steps hold (after a failure too). */
void nsjs_close_rootfs_fds(struct child_state *s);

#endif
