/* Compiles a seccomp filter to BPF in the parent, with libseccomp (which
 * knows every architecture's syscall numbers and how to check the audit arch
 * first). It is loaded with dlopen, once: the addon must load, and work
 * without a filter, on a host where libseccomp is missing. The ABI of
 * libseccomp.so.2 is stable; the few declarations needed are below. */
#include "nsjs.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Raw, not glibc's memfd_create (GLIBC_2.27, newer than the prebuilds' floor). */
static int nsjs_memfd_create(const char *name, unsigned flags) { return (int)syscall(SYS_memfd_create, name, flags); }

struct scmp_arg_cmp {
  unsigned int arg;
  int op;
  uint64_t datum_a;
  uint64_t datum_b;
};

struct scmp_version {
  unsigned int major, minor, micro;
};

#define SCMP_ERROR (-1)         /* __NR_SCMP_ERROR */
#define SCMP_FLTATR_ACT_BADARCH 2 /* a syscall from an architecture the filter does not list */
#define SCMP_FLTATR_CTL_OPTIMIZE 8 /* 2: a binary tree of syscall numbers (libseccomp 2.5) */
#define SCMP_ACT_KILL_PROCESS 0x80000000U

static struct {
  void *(*init)(uint32_t);
  void (*release)(void *);
  int (*arch_add)(void *, uint32_t);
  int (*arch_remove)(void *, uint32_t);
  uint32_t (*arch_native)(void);
  uint32_t (*arch_resolve_name)(const char *);
  int (*attr_set)(void *, int, uint32_t);
  int (*syscall_resolve_name)(const char *);
  int (*rule_add_array)(void *, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);
  int (*export_bpf)(void *, int);
  const struct scmp_version *(*version)(void);
} lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char version[32];

static void load(void) {
  void *h = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!h) return;
#define SYM(field, name) *(void **)&lib.field = dlsym(h, name)
  SYM(init, "seccomp_init");
  SYM(release, "seccomp_release");
  SYM(arch_add, "seccomp_arch_add");
  SYM(arch_remove, "seccomp_arch_remove");
  SYM(arch_native, "seccomp_arch_native");
  SYM(arch_resolve_name, "seccomp_arch_resolve_name");
  SYM(attr_set, "seccomp_attr_set");
  SYM(syscall_resolve_name, "seccomp_syscall_resolve_name");
  SYM(rule_add_array, "seccomp_rule_add_array");
  SYM(export_bpf, "seccomp_export_bpf");
  SYM(version, "seccomp_version");
#undef SYM
  void **fns = (void **)&lib;
  for (size_t i = 0; i < sizeof lib / sizeof(void *); i++)
    if (!fns[i]) return;
  const struct scmp_version *v = lib.version();
  snprintf(version, sizeof version, "%u.%u.%u", v->major, v->minor, v->micro);
  loaded = 1;
}

const char *nsjs_seccomp_version(void) {
  pthread_once(&once, load);
  return version;
}

static int add_arches(void *ctx, const nsjs_seccomp_spec *spec, const char **bad) {
  if (spec->arch_count == 0) return 0;
  uint32_t native = lib.arch_native();
  int keep_native = 0;
  for (int i = 0; i < spec->arch_count; i++) {
    uint32_t token = lib.arch_resolve_name(spec->arches[i]);
    if (token == 0) return *bad = spec->arches[i], NSJS_SECCOMP_BAD_NAME;
    if (token == native) {
      keep_native = 1;
      continue;
    }
    int rc = lib.arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) return *bad = spec->arches[i], NSJS_SECCOMP_BAD_NAME;
  }
  /* A profile for other architectures only (rare) filters them alone; the
   * native one is then refused as a bad architecture. */
  if (!keep_native && lib.arch_remove(ctx, native) < 0) return NSJS_SECCOMP_FAILED;
  return 0;
}

/* Exports to a memfd (libseccomp writes to an fd), read back into memory. */
static int export_bpf(void *ctx, void **out, size_t *len, int *err) {
  int fd = nsjs_memfd_create("nsjs-seccomp", MFD_CLOEXEC);
  if (fd < 0) return *err = errno, NSJS_SECCOMP_FAILED;
  int rc = lib.export_bpf(ctx, fd);
  off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
  char *buf = size > 0 && size % 8 == 0 && size / 8 <= 0xffff ? malloc((size_t)size) : NULL;
  if (!buf || pread(fd, buf, (size_t)size, 0) != size) {
    *err = rc < 0 ? -rc : buf ? EIO : size > 0 ? E2BIG : EINVAL;
    free(buf);
    close(fd);
    return NSJS_SECCOMP_FAILED;
  }
  close(fd);
  *out = buf;
  *len = (size_t)size / 8;
  return 0;
}

int nsjs_seccomp_compile(const nsjs_seccomp_spec *spec, void **out, size_t *len, const char **bad, int *err) {
  pthread_once(&once, load);
  if (!loaded) return NSJS_SECCOMP_NO_LIBRARY;
  *err = 0;
  void *ctx = lib.init(spec->default_action);
  if (!ctx) return *err = EINVAL, NSJS_SECCOMP_FAILED;
  int rc = add_arches(ctx, spec, bad);
  /* A syscall through an ABI the filter does not list kills the process. */
  if (rc == 0 && lib.attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0) rc = NSJS_SECCOMP_FAILED;
  /* Every syscall of the program runs the filter: search it as a tree, not a
   * chain. Only a speed-up: an older libseccomp without it is fine. */
  if (rc == 0) lib.attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (int i = 0; rc == 0 && i < spec->rule_count; i++) {
    const nsjs_seccomp_rule *r = &spec->rules[i];
    int nr = lib.syscall_resolve_name(r->name);
    if (nr == SCMP_ERROR) {
      *bad = r->name;
      rc = NSJS_SECCOMP_BAD_NAME;
      break;
    }
    struct scmp_arg_cmp conds[6];
    for (int c = 0; c < r->cond_count; c++)
      conds[c] = (struct scmp_arg_cmp){.arg = r->conds[c].index, .op = r->conds[c].op, .datum_a = r->conds[c].a, .datum_b = r->conds[c].b};
    int added = lib.rule_add_array(ctx, r->action, nr, (unsigned)r->cond_count, conds);
    if (added < 0) {
      *bad = r->name;
      *err = -added;
      rc = NSJS_SECCOMP_FAILED;
    }
  }
  if (rc == 0) rc = export_bpf(ctx, out, len, err);
  lib.release(ctx);
  return rc;
}
