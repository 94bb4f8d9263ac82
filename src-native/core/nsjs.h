/* nsjs C core: namespace operations with no knowledge of N-API.
 * Every function returns 0 or -1 and fills an nsjs_error on failure. */
#ifndef NSJS_H
#define NSJS_H

#include <stddef.h>
#include <sys/types.h>

#include "record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nsjs_error {
  int step; /* enum nsjs_step, NSJS_STEP_NONE for in-process calls */
  int sys;  /* enum nsjs_sys */
  int err;  /* positive errno, or 0 for a library error */
  int op;   /* 1 + the index of the failed op in plan.ops; 0: none (so {0} means no op) */
} nsjs_error;

enum nsjs_op_kind {
#define NSJS_OP(id, name) NSJS_OP_##id,
#include "ops.def"
#undef NSJS_OP
  NSJS_OP_COUNT
};

#define NSJS_GROUPS_KEEP 0          /* leave the supplementary groups */
#define NSJS_GROUPS_CLEAR 1         /* drop them all, or fail */
#define NSJS_GROUPS_CLEAR_IF_ALLOWED 2 /* a joined user namespace may deny setgroups: then keep them */

#define NSJS_OPF_READONLY 1 /* bind, file, overlay: recursively read-only (mount_setattr) before it is attached */
#define NSJS_OPF_OPTIONAL 2 /* bind: a missing source skips the op */
#define NSJS_OPF_TMP_UPPER 4 /* overlay: its upperdir and workdir are made first in the staging tmpfs */

/* One setup op, prepared in the parent; the mounts step runs them in order. */
typedef struct nsjs_op {
  int kind;           /* enum nsjs_op_kind */
  unsigned flags;     /* NSJS_OPF_* */
  const char *source; /* bind: the host path; symlink: what the link says; file: its name in
                         the staging tmpfs; NULL otherwise */
  const char *target; /* where, in the sandbox's view (resolved inside its root) */
  const char *const *params; /* tmpfs, overlay: fsconfig key, value pairs (a NULL value: a flag) */
  int param_count;    /* pairs in params */
  const char *data;   /* file: its content (may hold NULs) */
  size_t data_len;
  unsigned mode;      /* dir, file, symlink parents: the mode of what is made */
} nsjs_op;

/* A resource limit (RLIMIT_*), set before the program runs; RLIM_INFINITY: unlimited. */
typedef struct nsjs_rlimit {
  int resource;
  unsigned long long soft, hard;
} nsjs_rlimit;
#define NSJS_ROOT_HOST 0  /* the host's tree, in the new mount namespace */
#define NSJS_ROOT_TMPFS 1 /* an empty tmpfs becomes / */
#define NSJS_ROOT_PATH 2  /* a recursive bind of a host directory becomes / */

/* An existing namespace to join: an fd opened by the parent, and its CLONE_NEW* type. */
typedef struct nsjs_join {
  int fd;
  int nstype;
} nsjs_join;

const char *nsjs_op_name(int kind);
int nsjs_op_kind(const char *name); /* -1 if unknown */

const char *nsjs_step_name(int step);
const char *nsjs_sys_name(int sys);

/* ---- In-process operations (act on the calling thread) ---- */
int nsjs_unshare(int flags, nsjs_error *e);
/* mount(NULL, "/", NULL, flags, NULL): e.g. MS_REC|MS_PRIVATE */
int nsjs_set_root_propagation(unsigned long flags, nsjs_error *e);
/* setns(fd, nstype); unshare(CLONE_FS) first when joining a mount namespace. */
int nsjs_setns(int fd, int nstype, nsjs_error *e);
/* The CLONE_NEW* type of a namespace fd (ioctl NS_GET_NSTYPE). */
int nsjs_ns_type(int fd, int *type, nsjs_error *e);
int nsjs_sethostname(const char *name, size_t len, nsjs_error *e);
int nsjs_setdomainname(const char *name, size_t len, nsjs_error *e);
/* Mounts a fresh procfs (nosuid,nodev,noexec) on target, which never
 * propagates out: a mount point is made private (recursively) first; on a
 * directory in a shared mount (or where that cannot be told) nothing is
 * mounted and 1 is returned. Refuses (ELOOP) a symlink. */
int nsjs_mount_proc(const char *target, nsjs_error *e);
/* Bind-mounts the namespace file nsfd at target (`ip netns add`'s persist). */
int nsjs_bind_ns(int nsfd, const char *target, nsjs_error *e);
/* umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW). */
int nsjs_unmount(const char *target, nsjs_error *e);
/* ---- Pool (pool.c): a request to a ready set's holder, nsjs-init --serve ---- */
/* Sends req with fds 0-2 (SCM_RIGHTS) on sock and reads the answer: 0 with the
 * program's pid inside, or -1 with the step and errno the holder reported. */
int nsjs_pool_start(int sock, const char *req, size_t len, const int fds[3], int *ns_pid, nsjs_error *e);
/* socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC): one request, one message. */
int nsjs_seqpacket_pair(int fds[2], nsjs_error *e);
/* The inode of the user namespace that owns the namespace fd (ioctl NS_GET_USERNS). */
int nsjs_ns_owner(int fd, unsigned long long *inode, nsjs_error *e);
/* An fd (O_CLOEXEC) of the parent of a user namespace (ioctl NS_GET_PARENT). */
int nsjs_ns_parent(int fd, int *parent, nsjs_error *e);

/* ---- Spawn: clone a child, set it up, exec ---- */
typedef struct nsjs_plan {
  int clone_flags;            /* CLONE_NEW* other than CLONE_NEWTIME, made by clone */
  const nsjs_join *joins;     /* joined first, in this order (the user namespace first) */
  int join_count;
  int unshare_flags;          /* CLONE_NEW* made after the joins, so a joined user
                                 namespace owns them (then clone_flags is 0) */
  int use_vm;                 /* CLONE_VM|CLONE_VFORK instead of a fork-style clone */
  const char *uid_map;        /* NULL: no user namespace maps to write */
  const char *gid_map;
  int deny_setgroups;
  int maps_by_parent;         /* the parent writes the maps (ranges the child may not write
                                 itself) while the child waits: a fork-style clone */
  const char *uid_map_helper; /* with maps_by_parent: newuidmap/newgidmap write them (a caller who is */
  const char *gid_map_helper; /* not root), run as "helper <pid> <map words>…"; NULL: written directly */
  const nsjs_rlimit *rlimits; /* with a parent phase the parent sets them (prlimit on the
                                 child), else the child, before it joins or makes anything:
                                 either way with the caller's own privileges */
  int rlimit_count;
  const int *cgroup_procs;    /* open cgroup.procs files (cgroup v1): the parent writes the
                                 child's pid to each while it waits (a parent phase) */
  int cgroup_count;
  int cgroup_fd;              /* a cgroup v2 directory: the child is cloned into it (clone3
                                 CLONE_INTO_CGROUP); its cgroup.procs is also in cgroup_procs,
                                 for kernels or seccomp profiles without clone3. -1: none */
  int set_identity;           /* setresgid(gid), setresuid(uid) inside */
  int clear_groups;           /* with set_identity: setgroups([]) first; NSJS_GROUPS_* */
  unsigned uid, gid;
  unsigned long propagation;  /* 0: leave / alone */
  int rootfs;                 /* NSJS_ROOT_*: with a new root, nsjs pivots into it */
  const char *rootfs_path;    /* NSJS_ROOT_PATH: the host directory */
  int staging;                /* a staging tmpfs for file contents and tmpfs uppers */
  int readonly_root;          /* the root mount read-only once the ops ran */
  const char *tmpfs_uid;      /* uid=/gid= of every tmpfs nsjs makes (the program's ids); NULL: the mounter's */
  const char *tmpfs_gid;
  const nsjs_op *ops;         /* run by the mounts step, in order */
  int op_count;
  unsigned long long *mount_ids; /* scratch, 2 * op_count + 2 entries, written by the child: the
                                    tmpfs mounts it made, the only places it creates anything */
  const char *lock_uid_map;   /* non-NULL: the lock-mounts step nests a user and mount namespace */
  const char *lock_gid_map;   /* (these maps) so that the kernel locks every mount made above */
  const char *hostname;       size_t hostname_len;   /* NULL: keep */
  const char *domainname;     size_t domainname_len;
  int mount_proc;
  int loopback_up;
  const char *time_offsets;   /* NULL: no time namespace */
  int new_session;
  int no_new_privs;
  int die_with_parent;
  int cut_caps;               /* the capabilities step cuts every set to cap_keep; 0: leave them */
  unsigned long long cap_keep; /* bit n: capability n (capabilities(7)) */
  const void *seccomp_filter; /* struct sock_filter[seccomp_len], compiled by the parent; NULL: none */
  unsigned short seccomp_len;
  int landlock_fd;            /* a Landlock ruleset made by the parent (nsjs_landlock_ruleset); -1: none */
  const char *cwd;            /* NULL: inherit */
  int stdio_count;
  const int *stdio;           /* source fd per slot, -1: closed */
  int *stdio_work;            /* scratch, stdio_count ints, written by the child */
  const char *const *exec_paths; int exec_path_count;
  char *const *argv;
  char *const *envp;
  const char *init_path;      /* NULL: exec the program directly */
  int init_fd;                /* O_PATH fd of init_path, exec'd with execveat: no path walk
                                 as the program's identity, which may not reach it */
  char *const *init_argv;
  int program_is_init;        /* the program is nsjs-init itself (a set's holder): exec'd by
                                 init_fd with argv, no init wrapper */
} nsjs_plan;

typedef struct nsjs_spawn_result {
  pid_t pid;      /* host pid of the cloned child (init when there is one) */
  int pidfd;
  int status_fd;  /* read end kept for nsjs-init's EXIT record, or -1 */
  int ns_pid;     /* the program's pid inside its PID namespace, 0 if unknown */
} nsjs_spawn_result;

/* Returns after the program was exec'd (or a step failed, and then the child is
 * reaped and every fd closed). Safe to call from any thread: non-main threads
 * hand the clone to one long-lived spawner thread so that PR_SET_PDEATHSIG is
 * tied to a thread that lives as long as the process. */
int nsjs_spawn(const nsjs_plan *plan, nsjs_spawn_result *out, nsjs_error *e);

/* Sends sig to every process under root (a child of ours, not yet reaped),
 * and to root itself with include_root; a job-control stop a process leaves
 * at its default action is sent as SIGSTOP. See signal_tree.c. */
int nsjs_signal_tree(pid_t root, int root_pidfd, int sig, int include_root, nsjs_error *e);

/* ---- Privileges (privileges.c): run by the child, raw syscalls only ---- */
/* Cuts the bounding, permitted, effective and inheritable sets to plan->cap_keep,
 * and raises the ambient set to it when the uid is not 0. *sys names the failed call. */
int nsjs_cut_capabilities(const nsjs_plan *plan, int *sys);
/* Effective = permitted: after a setresuid (with PR_SET_KEEPCAPS) the effective set is empty. */
int nsjs_raise_effective(int *sys);
/* Loads plan->seccomp_filter on the calling thread. */
int nsjs_load_seccomp(const nsjs_plan *plan, int *sys);

/* ---- Landlock (landlock.c): the ruleset is made in the parent ---- */
typedef struct nsjs_landlock_path {
  const char *path;          /* opened O_PATH; a file gets only the rights a file can have */
  unsigned long long access; /* LANDLOCK_ACCESS_FS_* */
} nsjs_landlock_path;

typedef struct nsjs_landlock_port {
  unsigned long long port, access; /* LANDLOCK_ACCESS_NET_* */
} nsjs_landlock_port;

typedef struct nsjs_landlock {
  unsigned long long handled_fs, handled_net, scoped;
  const nsjs_landlock_path *paths;
  int path_count;
  const nsjs_landlock_port *ports;
  int port_count;
} nsjs_landlock;

/* The highest Landlock ABI this kernel has, or -errno (EOPNOTSUPP: disabled, ENOSYS: absent). */
int nsjs_landlock_abi(void);
/* Makes the ruleset (CLOEXEC) in *fd. On failure e->op is 1 + the index of the
 * path (ports follow the paths), 0 for the ruleset itself. */
int nsjs_landlock_ruleset(const nsjs_landlock *l, int *fd, nsjs_error *e);
/* Restricts the calling thread to plan->landlock_fd (the child's landlock step). */
int nsjs_landlock_restrict(const nsjs_plan *plan, int *sys);

/* ---- Seccomp compiler (seccomp.c): runs in the parent, with libseccomp loaded by dlopen ---- */
typedef struct nsjs_seccomp_cond {
  unsigned index;            /* the syscall argument, 0..5 */
  int op;                    /* libseccomp's enum scmp_compare (1 NE .. 7 MASKED_EQ) */
  unsigned long long a, b;   /* datum_a, datum_b (MASKED_EQ: the mask, then the value) */
} nsjs_seccomp_cond;

typedef struct nsjs_seccomp_rule {
  const char *name;          /* the syscall, resolved by libseccomp for every architecture */
  unsigned action;           /* a libseccomp action (SCMP_ACT_*) */
  int cond_count;
  nsjs_seccomp_cond conds[6];
} nsjs_seccomp_rule;

typedef struct nsjs_seccomp_spec {
  unsigned default_action;
  const char *const *arches; /* libseccomp names ("x86_64", "x86", "x32"); empty: the native one */
  int arch_count;
  const nsjs_seccomp_rule *rules;
  int rule_count;
} nsjs_seccomp_spec;

#define NSJS_SECCOMP_NO_LIBRARY (-1) /* libseccomp.so.2 cannot be loaded */
#define NSJS_SECCOMP_BAD_NAME (-2)   /* *bad names an unknown syscall or architecture */
#define NSJS_SECCOMP_FAILED (-3)     /* libseccomp refused: *err is its errno */

/* Compiles spec to BPF: *out is malloc'd (free it), *len its number of struct
 * sock_filter. Returns 0 or one of NSJS_SECCOMP_*. */
int nsjs_seccomp_compile(const nsjs_seccomp_spec *spec, void **out, size_t *len, const char **bad, int *err);
/* The version of the libseccomp loaded, "" when none can be. */
const char *nsjs_seccomp_version(void);
/* Sends sig to a whole sandbox that has no PID namespace of its own: its
 * process group (when group: root leads one, made by setsid) and every
 * process under root. The tree is stopped first, so that none can fork or be
 * reparented out of reach in between, and resumed after (unless SIGKILL).
 * See signal_tree.c. */
int nsjs_kill_sandbox(pid_t root, int root_pidfd, int sig, int group, nsjs_error *e);

/* Kills every process of a cgroup v1 whose cgroup.procs is `procs`: stopped
 * first, then SIGKILLed, each through a pidfd checked to be still in it
 * (member: the ":controller:/path\n" line of /proc/PID/cgroup). See cgroup_kill.c. */
int nsjs_kill_cgroup(const char *procs, const char *member, nsjs_error *e);

/* Raises pid's (0: this process's) hard limit to lim->hard if that is higher,
 * its soft limit unchanged. Raw syscalls only (the clone child calls it). */
int nsjs_raise_rlimit(pid_t pid, const nsjs_rlimit *lim);

/* The clone child. Runs only async-signal-safe calls; never returns. */
int nsjs_child_main(void *arg);

struct nsjs_child_arg {
  const nsjs_plan *plan;
  int errfd;
  int parent_pidfd;
  int sync_fd[2]; /* the parent phase: the child reads [0] until the parent writes a byte */
};

#ifdef __cplusplus
}
#endif

#endif
