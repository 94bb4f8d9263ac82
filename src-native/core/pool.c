/* A pooled spawn: the request to a ready set's holder (nsjs-init --serve)
 * and its answer. Plain C, no N-API. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nsjs.h"
#include "record.h"

static int fail(nsjs_error *e, int step, int sys, int err) {
  e->step = step;
  e->sys = sys;
  e->err = err;
  e->op = 0;
  return -1;
}

int nsjs_pool_start(int sock, const char *req, size_t len, const int fds[3], int *ns_pid, nsjs_error *e) {
  struct iovec iov = {(void *)req, len};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(3 * sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof control.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(3 * sizeof(int));
  memcpy(CMSG_DATA(c), fds, 3 * sizeof(int));
  ssize_t n;
  while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  /* EPIPE/ECONNRESET: the holder is gone (killed while it waited). */
  if (n < 0) return fail(e, NSJS_STEP_INIT, NSJS_SYS_SENDMSG, errno);

  /* Its answer: SPAWNED with the program's pid inside, or ERROR; EOF if it died. */
  struct nsjs_record rec;
  while ((n = read(sock, &rec, sizeof rec)) < 0 && errno == EINTR) {
  }
  if (n < 0) return fail(e, NSJS_STEP_INIT, NSJS_SYS_READ, errno);
  if (n != (ssize_t)sizeof rec) return fail(e, NSJS_STEP_INIT, NSJS_SYS_NONE, 0);
  if (rec.kind == NSJS_REC_ERROR) return fail(e, rec.step, rec.sys, rec.err);
  if (rec.kind != NSJS_REC_SPAWNED) return fail(e, NSJS_STEP_INIT, NSJS_SYS_NONE, 0);
  *ns_pid = rec.value;
  return 0;
}

int nsjs_seqpacket_pair(int fds[2], nsjs_error *e) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return fail(e, NSJS_STEP_NONE, NSJS_SYS_SOCKET, errno);
  return 0;
}
