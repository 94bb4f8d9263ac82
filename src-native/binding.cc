// N-API glue: checks argument types, converts, calls the C core, and turns a C
// error into a JS error. Policy and validation live in TypeScript (lib/).
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "glue.h"

namespace nsjs_addon {

Napi::Error MakeNativeError(Napi::Env env, const nsjs_error &e) {
  const char *step = nsjs_step_name(e.step);
  const char *sys = nsjs_sys_name(e.sys);
  Napi::Error err = Napi::Error::New(env, std::string(step ? step : sys ? sys : "nsjs") + " failed");
  Napi::Object o = err.Value();
  o.Set("nativeErrno", Napi::Number::New(env, e.err));
  if (sys) o.Set("nativeSyscall", Napi::String::New(env, sys));
  if (step) o.Set("nativeStep", Napi::String::New(env, step));
  if (e.op > 0) o.Set("nativeOp", Napi::Number::New(env, e.op - 1));
  return err;
}

namespace {

bool Fail(Napi::Env env, const char *message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool GetInt(const Napi::CallbackInfo &info, size_t i, int *out) {
  if (info.Length() <= i || !info[i].IsNumber()) return Fail(info.Env(), "expected an integer argument");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != static_cast<int>(d))
    return Fail(info.Env(), "expected a 32-bit integer argument");
  *out = static_cast<int>(d);
  return true;
}

bool GetBytes(const Napi::CallbackInfo &info, size_t i, std::string *out) {
  if (info.Length() <= i || !info[i].IsBuffer()) return Fail(info.Env(), "expected a Buffer argument");
  auto buf = info[i].As<Napi::Buffer<char>>();
  out->assign(buf.Data(), buf.Length());
  return true;
}

bool GetPath(const Napi::CallbackInfo &info, size_t i, std::string *out) {
  if (info.Length() <= i || !info[i].IsString()) return Fail(info.Env(), "expected a string argument");
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) return Fail(info.Env(), "string contains a NUL byte");
  return true;
}

Napi::Value Check(Napi::Env env, int rc, const nsjs_error &e) {
  if (rc < 0) MakeNativeError(env, e).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value Unshare(const Napi::CallbackInfo &info) {
  int flags = 0;
  if (!GetInt(info, 0, &flags)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_unshare(flags, &e), e);
}

Napi::Value SetRootPropagation(const Napi::CallbackInfo &info) {
  int flags = 0;
  if (!GetInt(info, 0, &flags)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_set_root_propagation(static_cast<unsigned>(flags), &e), e);
}

Napi::Value Setns(const Napi::CallbackInfo &info) {
  int fd = -1, type = 0;
  if (!GetInt(info, 0, &fd) || !GetInt(info, 1, &type)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_setns(fd, type, &e), e);
}

Napi::Value NsType(const Napi::CallbackInfo &info) {
  int fd = -1, type = 0;
  if (!GetInt(info, 0, &fd)) return info.Env().Undefined();
  nsjs_error e{};
  if (nsjs_ns_type(fd, &type, &e) < 0) return Check(info.Env(), -1, e);
  return Napi::Number::New(info.Env(), type);
}

Napi::Value Sethostname(const Napi::CallbackInfo &info) {
  std::string name;
  if (!GetBytes(info, 0, &name)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_sethostname(name.data(), name.size(), &e), e);
}

Napi::Value Setdomainname(const Napi::CallbackInfo &info) {
  std::string name;
  if (!GetBytes(info, 0, &name)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_setdomainname(name.data(), name.size(), &e), e);
}

Napi::Value MountProc(const Napi::CallbackInfo &info) {
  std::string target;
  if (!GetPath(info, 0, &target)) return info.Env().Undefined();
  nsjs_error e{};
  int rc = nsjs_mount_proc(target.c_str(), &e);
  if (rc < 0) return Check(info.Env(), rc, e);
  return Napi::Boolean::New(info.Env(), rc == 0);
}

Napi::Value BindNamespace(const Napi::CallbackInfo &info) {
  int fd = -1;
  std::string target;
  if (!GetInt(info, 0, &fd) || !GetPath(info, 1, &target)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_bind_ns(fd, target.c_str(), &e), e);
}

Napi::Value Unmount(const Napi::CallbackInfo &info) {
  std::string target;
  if (!GetPath(info, 0, &target)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_unmount(target.c_str(), &e), e);
}

Napi::Value NsOwner(const Napi::CallbackInfo &info) {
  int fd = -1;
  if (!GetInt(info, 0, &fd)) return info.Env().Undefined();
  nsjs_error e{};
  unsigned long long inode = 0;
  if (nsjs_ns_owner(fd, &inode, &e) < 0) return Check(info.Env(), -1, e);
  return Napi::Number::New(info.Env(), static_cast<double>(inode));
}

Napi::Value NsParentFd(const Napi::CallbackInfo &info) {
  int fd = -1, parent = -1;
  if (!GetInt(info, 0, &fd)) return info.Env().Undefined();
  nsjs_error e{};
  if (nsjs_ns_parent(fd, &parent, &e) < 0) return Check(info.Env(), -1, e);
  return Napi::Number::New(info.Env(), parent);
}

// A pooled spawn: poolStart(sock, request, [fd0, fd1, fd2]) -> the program's pid inside.
Napi::Value PoolStart(const Napi::CallbackInfo &info) {
  int sock = -1;
  std::string req;
  if (!GetInt(info, 0, &sock) || !GetBytes(info, 1, &req)) return info.Env().Undefined();
  if (info.Length() < 3 || !info[2].IsArray() || info[2].As<Napi::Array>().Length() != 3) {
    Fail(info.Env(), "expected three fds");
    return info.Env().Undefined();
  }
  int fds[3];
  Napi::Array a = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < 3; i++) {
    Napi::Value v = a.Get(i);
    if (!v.IsNumber()) {
      Fail(info.Env(), "expected three fds");
      return info.Env().Undefined();
    }
    fds[i] = v.As<Napi::Number>().Int32Value();
  }
  nsjs_error e{};
  int ns_pid = 0;
  if (nsjs_pool_start(sock, req.data(), req.size(), fds, &ns_pid, &e) < 0) return Check(info.Env(), -1, e);
  return Napi::Number::New(info.Env(), ns_pid);
}

Napi::Value SeqpacketPair(const Napi::CallbackInfo &info) {
  int fds[2];
  nsjs_error e{};
  if (nsjs_seqpacket_pair(fds, &e) < 0) return Check(info.Env(), -1, e);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, fds[0]);
  a.Set(1u, fds[1]);
  return a;
}

// The stdio channel of a 'pipe' slot: a UNIX socketpair, as libuv makes for child_process.
Napi::Value Socketpair(const Napi::CallbackInfo &info) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    nsjs_error e{NSJS_STEP_NONE, NSJS_SYS_SOCKET, errno, 0};
    return Check(info.Env(), -1, e);
  }
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, fds[0]);
  a.Set(1u, fds[1]);
  return a;
}

// killCgroup(procsPath, member): every process of a cgroup v1 (core/cgroup_kill.c).
Napi::Value KillCgroup(const Napi::CallbackInfo &info) {
  std::string procs, member;
  if (!GetPath(info, 0, &procs) || !GetPath(info, 1, &member)) return info.Env().Undefined();
  nsjs_error e{};
  return Check(info.Env(), nsjs_kill_cgroup(procs.c_str(), member.c_str(), &e), e);
}

Napi::Value CloseFd(const Napi::CallbackInfo &info) {
  int fd = -1;
  if (!GetInt(info, 0, &fd)) return info.Env().Undefined();
  if (fd >= 0) close(fd);
  return info.Env().Undefined();
}

// ---- spawn: convert the plan object, everything allocated before clone ----

struct OpStorage {
  std::string source, target, data;
  bool has_source = false;
  std::vector<std::string> params;
  std::vector<bool> param_set;
  std::vector<const char *> param_ptrs;
};

struct PlanStorage {
  std::string uid_map, gid_map, hostname, domainname, time_offsets, cwd, init_path, rootfs_path, tmpfs_uid,
    tmpfs_gid, lock_uid_map, lock_gid_map;
  std::vector<std::string> exec_paths, argv, envp, init_argv;
  std::vector<const char *> exec_path_ptrs;
  std::vector<char *> argv_ptrs, envp_ptrs, init_argv_ptrs;
  std::vector<int> stdio, stdio_work;
  std::vector<OpStorage> op_strings;
  std::vector<nsjs_op> ops;
  std::vector<unsigned long long> mount_ids;
  std::vector<nsjs_join> joins;
  std::string seccomp_filter;
  std::string uid_map_helper, gid_map_helper;
  std::vector<nsjs_rlimit> rlimits;
  std::vector<int> cgroup_procs;
};

// Every key a plan may have (lib/binding.ts NativePlan): any other is refused,
// so that a renamed key cannot be silently dropped.
const char *const kPlanKeys[] = {
  "cloneFlags", "useVm", "joins", "unshareFlags", "uidMap", "gidMap", "denySetgroups", "mapsByParent",
  "setIdentity", "clearGroups", "uid", "gid", "propagation", "ops", "hostname", "domainname", "mountProc",
  "loopbackUp", "timeOffsets", "newSession", "noNewPrivs", "dieWithParent", "cwd", "stdio", "execPaths",
  "argv", "envp", "initPath", "capabilities", "seccompFilter", "landlockFd", "uidMapHelper", "gidMapHelper",
  "rootfs", "rootfsPath", "staging", "readonlyRoot", "tmpfsUid", "tmpfsGid", "lockUidMap", "lockGidMap", "rlimits", "cgroupProcs", "cgroupFd", "programIsInit"};

bool CheckKeys(Napi::Object o, const char *const *keys, size_t count, const char *what) {
  napi_value raw;
  if (napi_get_all_property_names(o.Env(), o, napi_key_own_only, static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                  napi_key_numbers_to_strings, &raw) != napi_ok)
    return Fail(o.Env(), "cannot list the plan's keys");
  Napi::Array names(o.Env(), raw);
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    bool known = false;
    for (size_t k = 0; k < count && !known; k++) known = name == keys[k];
    if (!known) return Fail(o.Env(), (std::string(what) + " has an unknown key: " + name).c_str());
  }
  return true;
}

// A plan key's value, own properties only: a polluted Object.prototype must
// never supply a field (e.g. initPath) the plan left out.
Napi::Value Own(Napi::Object o, const char *key) {
  return o.HasOwnProperty(key) ? o.Get(key) : o.Env().Undefined();
}

bool ReadString(Napi::Object o, const char *key, std::string *out, bool *present) {
  Napi::Value v = Own(o, key);
  *present = !v.IsUndefined();
  if (!*present) return true;
  if (!v.IsString()) return Fail(o.Env(), "plan field must be a string");
  *out = v.As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) return Fail(o.Env(), "plan string contains a NUL byte");
  return true;
}

bool ReadStrings(Napi::Object o, const char *key, std::vector<std::string> *out) {
  Napi::Value v = Own(o, key);
  if (!v.IsArray()) return Fail(o.Env(), "plan field must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) return Fail(o.Env(), "plan field must be an array of strings");
    out->push_back(s.As<Napi::String>().Utf8Value());
    if (out->back().find('\0') != std::string::npos) return Fail(o.Env(), "plan string contains a NUL byte");
  }
  return true;
}

// Required fields: a renamed or missing key must never read as 0 (it would
// quietly turn off newSession, noNewPrivs or dieWithParent).
bool FailKey(Napi::Env env, const char *key, const char *what) {
  return Fail(env, (std::string("plan.") + key + " must be " + what).c_str());
}

bool ReadInt(Napi::Object o, const char *key, int *out) {
  Napi::Value v = Own(o, key);
  if (!v.IsNumber()) return FailKey(o.Env(), key, "a 32-bit integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != static_cast<int>(d))
    return FailKey(o.Env(), key, "a 32-bit integer");
  *out = static_cast<int>(d);
  return true;
}

bool ReadId(Napi::Object o, const char *key, unsigned *out) {
  Napi::Value v = Own(o, key);
  if (!v.IsNumber()) return FailKey(o.Env(), key, "an id (0 .. 2^32-2)");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967294.0) || d != static_cast<double>(static_cast<unsigned>(d)))
    return FailKey(o.Env(), key, "an id (0 .. 2^32-2)");
  *out = static_cast<unsigned>(d);
  return true;
}

bool ReadBool(Napi::Object o, const char *key, int *out) {
  Napi::Value v = Own(o, key);
  if (!v.IsBoolean()) return FailKey(o.Env(), key, "a boolean");
  *out = v.As<Napi::Boolean>().Value() ? 1 : 0;
  return true;
}

// nsjs-init, copied once into a sealed memfd that the child execs with
// execveat: no path walk as the program's identity (which may not reach the
// file), and /proc/1/exe inside the sandbox is that memfd, which nobody, root
// included, can write (the CVE-2019-5736 class: a host binary rewritten through
// /proc/PID/exe). Where memfds cannot be executed (vm.memfd_noexec = 2), the
// file itself (O_PATH); docs/filesystem.md says what holds then.
int SealedCopy(const std::string &path) {
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src < 0) return -1;
  const unsigned kCloexec = 0x1, kAllowSealing = 0x2, kExec = 0x10;  // MFD_*; MFD_EXEC: Linux 6.3
  int mfd = static_cast<int>(syscall(SYS_memfd_create, "nsjs-init", kCloexec | kAllowSealing | kExec));
  if (mfd < 0 && errno == EINVAL) mfd = static_cast<int>(syscall(SYS_memfd_create, "nsjs-init", kCloexec | kAllowSealing));
  bool ok = mfd >= 0;
  char buf[16384];
  while (ok) {
    ssize_t n = read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    for (ssize_t off = 0; ok && off < n;) {
      ssize_t w = write(mfd, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      ok = w > 0;
      off += w;
    }
  }
  close(src);
  const int kSealSeal = 0x1, kSealShrink = 0x2, kSealGrow = 0x4, kSealWrite = 0x8, kSealExec = 0x20;
  const int kAddSeals = 1024 + 9;  // F_ADD_SEALS
  ok = ok && fchmod(mfd, 0555) == 0;
  // F_SEAL_EXEC (Linux 6.3) keeps its mode too; older kernels refuse it, the others suffice.
  if (ok && fcntl(mfd, kAddSeals, kSealShrink | kSealGrow | kSealWrite | kSealExec | kSealSeal) != 0)
    ok = fcntl(mfd, kAddSeals, kSealShrink | kSealGrow | kSealWrite | kSealSeal) == 0;
  if (!ok) {
    if (mfd >= 0) close(mfd);
    return -1;
  }
  return mfd;
}

int InitFd(const std::string &path) {
  static std::mutex lock;
  static std::string opened_path;
  static int fd = -1;
  std::lock_guard<std::mutex> guard(lock);
  if (fd < 0 || opened_path != path) {
    int next = SealedCopy(path);
    if (next < 0) next = open(path.c_str(), O_PATH | O_CLOEXEC);
    if (next < 0) return -1;
    if (fd >= 0) close(fd);
    fd = next;
    opened_path = path;
  }
  return fd;
}

template <typename T>
void Pointers(std::vector<std::string> &strings, std::vector<T> *ptrs) {
  for (auto &s : strings) ptrs->push_back(const_cast<T>(s.c_str()));
  ptrs->push_back(nullptr);
}

const int kNamespaceBits =
  CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

// joins: [{ fd, nstype }] — nstype one CLONE_NEW* bit (CLONE_NEWTIME too).
bool ReadJoins(Napi::Object o, PlanStorage *st) {
  Napi::Value v = Own(o, "joins");
  if (!v.IsArray()) return FailKey(o.Env(), "joins", "an array of { fd, nstype }");
  Napi::Array a = v.As<Napi::Array>();
  const char *const keys[] = {"fd", "nstype"};
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) return FailKey(o.Env(), "joins", "an array of { fd, nstype }");
    Napi::Object j = e.As<Napi::Object>();
    nsjs_join join{};
    if (!CheckKeys(j, keys, 2, "plan.joins[i]") || !ReadInt(j, "fd", &join.fd) || !ReadInt(j, "nstype", &join.nstype))
      return false;
    int t = join.nstype;
    if (join.fd < 0 || t == 0 || (t & (t - 1)) != 0 || !((t & kNamespaceBits) || t == CLONE_NEWTIME))
      return FailKey(o.Env(), "joins", "entries with an fd and one CLONE_NEW* type");
    st->joins.push_back(join);
  }
  return true;
}

// The names prlimit(1) uses, as RLIMIT_* (whose numbers differ between architectures).
const struct {
  const char *name;
  int resource;
} kRlimits[] = {{"as", RLIMIT_AS},           {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
                {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
                {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
                {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
                {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
                {"stack", RLIMIT_STACK}};

// A limit: an integer 0 .. 2^53, or Infinity (RLIM_INFINITY).
bool ReadLimitValue(Napi::Object o, const char *key, unsigned long long *out) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return FailKey(o.Env(), key, "a limit");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d == INFINITY) {
    *out = RLIM_INFINITY;
    return true;
  }
  if (!(d >= 0 && d <= 9007199254740992.0) || d != static_cast<double>(static_cast<unsigned long long>(d)))
    return FailKey(o.Env(), key, "an integer >= 0, or Infinity");
  *out = static_cast<unsigned long long>(d);
  return true;
}

// rlimits: [{ name, soft, hard }], names as prlimit(1) spells them.
bool ReadRlimits(Napi::Object o, PlanStorage *st) {
  Napi::Value v = Own(o, "rlimits");
  if (!v.IsArray()) return FailKey(o.Env(), "rlimits", "an array of { name, soft, hard }");
  Napi::Array a = v.As<Napi::Array>();
  const char *const keys[] = {"name", "soft", "hard"};
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) return FailKey(o.Env(), "rlimits", "an array of { name, soft, hard }");
    Napi::Object r = e.As<Napi::Object>();
    std::string name;
    bool has_name = false;
    nsjs_rlimit lim{-1, 0, 0};
    if (!CheckKeys(r, keys, 3, "plan.rlimits[i]") || !ReadString(r, "name", &name, &has_name) ||
        !ReadLimitValue(r, "soft", &lim.soft) || !ReadLimitValue(r, "hard", &lim.hard))
      return false;
    for (const auto &known : kRlimits)
      if (name == known.name) lim.resource = known.resource;
    if (lim.resource < 0) return FailKey(o.Env(), "rlimits", "entries with a name prlimit(1) knows");
    if (lim.soft > lim.hard) return FailKey(o.Env(), "rlimits", "entries with soft <= hard");
    st->rlimits.push_back(lim);
  }
  return true;
}

// cgroupProcs: open cgroup.procs fds, one per cgroup (v1 hierarchies, and v2) the child joins.
bool ReadFds(Napi::Object o, const char *key, std::vector<int> *out) {
  Napi::Value v = Own(o, key);
  if (!v.IsArray()) return FailKey(o.Env(), key, "an array of fds");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) return FailKey(o.Env(), key, "an array of fds");
    double d = e.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<int>(d)) return FailKey(o.Env(), key, "an array of fds");
    out->push_back(static_cast<int>(d));
  }
  return true;
}

// A target the child copies into a PATH_MAX buffer, absolute.
bool TargetOk(const std::string &t) { return !t.empty() && t[0] == '/' && t.size() < 4096; }

// params: [[key, value | null], ...] — fsconfig strings (null: a flag).
bool ReadParams(Napi::Object op, OpStorage *strings) {
  Napi::Value v = Own(op, "params");
  if (!v.IsArray()) return FailKey(op.Env(), "ops[i].params", "an array of [key, value | null]");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsArray() || e.As<Napi::Array>().Length() != 2) return FailKey(op.Env(), "ops[i].params", "an array of [key, value | null]");
    Napi::Value k = e.As<Napi::Array>().Get(0u), val = e.As<Napi::Array>().Get(1u);
    if (!k.IsString() || !(val.IsString() || val.IsNull())) return FailKey(op.Env(), "ops[i].params", "an array of [key, value | null]");
    strings->params.push_back(k.As<Napi::String>().Utf8Value());
    strings->param_set.push_back(true);
    strings->params.push_back(val.IsNull() ? std::string() : val.As<Napi::String>().Utf8Value());
    strings->param_set.push_back(!val.IsNull());
  }
  for (const std::string &p : strings->params)
    if (p.find('\0') != std::string::npos) return Fail(op.Env(), "plan string contains a NUL byte");
  return true;
}

// ops: [{ kind, target, source?, params, data?, mode, readonly, optional, tmpUpper }]
bool ReadOps(Napi::Object o, PlanStorage *st) {
  Napi::Value v = Own(o, "ops");
  if (!v.IsArray()) return FailKey(o.Env(), "ops", "an array of ops");
  Napi::Array a = v.As<Napi::Array>();
  const char *const keys[] = {"kind", "target", "source", "params", "data", "mode", "readonly", "optional", "tmpUpper"};
  st->op_strings.resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsObject()) return FailKey(o.Env(), "ops", "an array of ops");
    Napi::Object op = e.As<Napi::Object>();
    OpStorage &strings = st->op_strings[i];
    std::string kind;
    bool has_kind = false, has_target = false;
    int mode = 0, readonly = 0, optional = 0, tmp_upper = 0;
    if (!CheckKeys(op, keys, sizeof keys / sizeof keys[0], "plan.ops[i]") || !ReadString(op, "kind", &kind, &has_kind) ||
        !ReadString(op, "target", &strings.target, &has_target) ||
        !ReadString(op, "source", &strings.source, &strings.has_source) || !ReadParams(op, &strings) ||
        !ReadInt(op, "mode", &mode) || !ReadBool(op, "readonly", &readonly) || !ReadBool(op, "optional", &optional) ||
        !ReadBool(op, "tmpUpper", &tmp_upper))
      return false;
    Napi::Value data = Own(op, "data");
    bool has_data = !data.IsUndefined();
    if (has_data && !data.IsBuffer()) return FailKey(o.Env(), "ops[i].data", "a Buffer");
    if (has_data) strings.data.assign(data.As<Napi::Buffer<char>>().Data(), data.As<Napi::Buffer<char>>().Length());
    nsjs_op native{};
    native.kind = has_kind ? nsjs_op_kind(kind.c_str()) : -1;
    if (native.kind < 0 || !has_target || !TargetOk(strings.target))
      return FailKey(o.Env(), "ops", "ops with a known kind and an absolute target shorter than 4096 bytes");
    bool wants_source = native.kind == NSJS_OP_BIND || native.kind == NSJS_OP_SYMLINK || native.kind == NSJS_OP_FILE;
    if (wants_source != strings.has_source) return FailKey(o.Env(), "ops", "bind, symlink and file ops (only) with a source");
    if ((native.kind == NSJS_OP_FILE) != has_data) return FailKey(o.Env(), "ops", "file ops (only) with data");
    native.flags = (readonly ? NSJS_OPF_READONLY : 0) | (optional ? NSJS_OPF_OPTIONAL : 0) | (tmp_upper ? NSJS_OPF_TMP_UPPER : 0);
    native.mode = static_cast<unsigned>(mode);
    st->ops.push_back(native);
  }
  // Pointers only once every string has its final address.
  for (size_t i = 0; i < st->ops.size(); i++) {
    OpStorage &strings = st->op_strings[i];
    for (size_t k = 0; k < strings.params.size(); k++)
      strings.param_ptrs.push_back(strings.param_set[k] ? strings.params[k].c_str() : nullptr);
    st->ops[i].target = strings.target.c_str();
    st->ops[i].source = strings.has_source ? strings.source.c_str() : nullptr;
    st->ops[i].params = strings.param_ptrs.data();
    st->ops[i].param_count = static_cast<int>(strings.params.size() / 2);
    st->ops[i].data = strings.data.data();
    st->ops[i].data_len = strings.data.size();
  }
  st->mount_ids.resize(2 * st->ops.size() + 2);
  return true;
}

// capabilities: absent (leave them), or the capability numbers (0..63) to keep.
bool ReadCapabilities(Napi::Object o, nsjs_plan *p) {
  Napi::Value v = o.Get("capabilities");
  if (v.IsUndefined()) return true;
  if (!v.IsArray()) return FailKey(o.Env(), "capabilities", "an array of capability numbers");
  Napi::Array a = v.As<Napi::Array>();
  p->cut_caps = 1;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value c = a.Get(i);
    double d = c.IsNumber() ? c.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 63) || d != static_cast<int>(d)) return FailKey(o.Env(), "capabilities", "an array of capability numbers");
    p->cap_keep |= 1ULL << static_cast<int>(d);
  }
  return true;
}

// seccompFilter: absent, or the BPF program compileSeccomp made (struct sock_filter[]).
bool ReadSeccompFilter(Napi::Object o, PlanStorage *st, nsjs_plan *p) {
  Napi::Value v = o.Get("seccompFilter");
  if (v.IsUndefined()) return true;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return FailKey(o.Env(), "seccompFilter", "a Uint8Array");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  if (a.ByteLength() == 0 || a.ByteLength() % 8 != 0 || a.ByteLength() / 8 > 0xffff)
    return FailKey(o.Env(), "seccompFilter", "a BPF program (1 to 65535 instructions of 8 bytes)");
  st->seccomp_filter.assign(reinterpret_cast<const char *>(a.Data()), a.ByteLength());
  p->seccomp_filter = st->seccomp_filter.data();
  p->seccomp_len = static_cast<unsigned short>(a.ByteLength() / 8);
  return true;
}

bool ReadPlan(Napi::Object o, PlanStorage *st, nsjs_plan *p) {
  bool has_uid = false, has_gid = false, has_host = false, has_domain = false, has_time = false,
       has_cwd = false, has_init = false, has_rootfs_path = false, has_tmpfs_uid = false, has_tmpfs_gid = false,
       has_lock_uid = false, has_lock_gid = false;
  int propagation = 0;
  *p = nsjs_plan{};
  if (!CheckKeys(o, kPlanKeys, sizeof kPlanKeys / sizeof kPlanKeys[0], "plan")) return false;
  if (!ReadInt(o, "cloneFlags", &p->clone_flags) || !ReadBool(o, "useVm", &p->use_vm) ||
      !ReadJoins(o, st) || !ReadInt(o, "unshareFlags", &p->unshare_flags) || !ReadOps(o, st) ||
      !ReadInt(o, "clearGroups", &p->clear_groups) ||
      !ReadString(o, "uidMap", &st->uid_map, &has_uid) || !ReadString(o, "gidMap", &st->gid_map, &has_gid) ||
      !ReadBool(o, "denySetgroups", &p->deny_setgroups) || !ReadBool(o, "mapsByParent", &p->maps_by_parent) ||
      !ReadBool(o, "setIdentity", &p->set_identity) || !ReadId(o, "uid", &p->uid) || !ReadId(o, "gid", &p->gid) ||
      !ReadInt(o, "propagation", &propagation) ||
      !ReadString(o, "hostname", &st->hostname, &has_host) ||
      !ReadString(o, "domainname", &st->domainname, &has_domain) ||
      !ReadBool(o, "mountProc", &p->mount_proc) || !ReadBool(o, "loopbackUp", &p->loopback_up) ||
      !ReadString(o, "timeOffsets", &st->time_offsets, &has_time) ||
      !ReadBool(o, "newSession", &p->new_session) || !ReadBool(o, "noNewPrivs", &p->no_new_privs) ||
      !ReadBool(o, "dieWithParent", &p->die_with_parent) || !ReadString(o, "cwd", &st->cwd, &has_cwd) ||
      !ReadStrings(o, "execPaths", &st->exec_paths) || !ReadStrings(o, "argv", &st->argv) ||
      !ReadStrings(o, "envp", &st->envp) || !ReadString(o, "initPath", &st->init_path, &has_init) ||
      !ReadCapabilities(o, p) || !ReadSeccompFilter(o, st, p) ||
      !ReadInt(o, "rootfs", &p->rootfs) || !ReadString(o, "rootfsPath", &st->rootfs_path, &has_rootfs_path) ||
      !ReadBool(o, "staging", &p->staging) || !ReadBool(o, "readonlyRoot", &p->readonly_root) ||
      !ReadString(o, "tmpfsUid", &st->tmpfs_uid, &has_tmpfs_uid) ||
      !ReadString(o, "tmpfsGid", &st->tmpfs_gid, &has_tmpfs_gid) ||
      !ReadString(o, "lockUidMap", &st->lock_uid_map, &has_lock_uid) ||
      !ReadString(o, "lockGidMap", &st->lock_gid_map, &has_lock_gid) ||
      !ReadRlimits(o, st) || !ReadFds(o, "cgroupProcs", &st->cgroup_procs))
    return false;
  if (p->rootfs < NSJS_ROOT_HOST || p->rootfs > NSJS_ROOT_PATH || (p->rootfs == NSJS_ROOT_PATH) != has_rootfs_path)
    return Fail(o.Env(), "plan.rootfs must be 0, 1, or 2 with rootfsPath");
  if (has_tmpfs_uid != has_tmpfs_gid) return Fail(o.Env(), "tmpfsUid and tmpfsGid go together");
  if (has_lock_uid != has_lock_gid) return Fail(o.Env(), "lockUidMap and lockGidMap go together");
  bool file_ops = false;
  for (const nsjs_op &op : st->ops) file_ops = file_ops || op.kind == NSJS_OP_FILE || (op.flags & NSJS_OPF_TMP_UPPER);
  if (file_ops && !p->staging) return Fail(o.Env(), "file ops and tmpfs uppers need plan.staging");
  bool new_mount_ns = (p->clone_flags | p->unshare_flags) & CLONE_NEWNS;
  if ((p->rootfs != NSJS_ROOT_HOST || p->staging || p->readonly_root || !st->ops.empty() || has_lock_uid) && !new_mount_ns)
    return Fail(o.Env(), "a new root, ops and lock maps need a new mount namespace");
  bool has_uid_helper = false, has_gid_helper = false;
  if (!ReadString(o, "uidMapHelper", &st->uid_map_helper, &has_uid_helper) ||
      !ReadString(o, "gidMapHelper", &st->gid_map_helper, &has_gid_helper))
    return false;
  if (has_uid_helper != has_gid_helper || (has_uid_helper && !p->maps_by_parent))
    return Fail(o.Env(), "uidMapHelper and gidMapHelper go together, with mapsByParent");
  p->uid_map_helper = has_uid_helper ? st->uid_map_helper.c_str() : nullptr;
  p->gid_map_helper = has_gid_helper ? st->gid_map_helper.c_str() : nullptr;
  p->cgroup_fd = -1;
  if (!o.Get("cgroupFd").IsUndefined()) {
    if (!ReadInt(o, "cgroupFd", &p->cgroup_fd)) return false;
    if (p->cgroup_fd < 0) return FailKey(o.Env(), "cgroupFd", "an fd");
    if (st->cgroup_procs.empty()) return FailKey(o.Env(), "cgroupFd", "given with its cgroup.procs in cgroupProcs");
  }
  p->landlock_fd = -1;
  if (!o.Get("landlockFd").IsUndefined()) {
    if (!ReadInt(o, "landlockFd", &p->landlock_fd)) return false;
    if (p->landlock_fd < 0) return FailKey(o.Env(), "landlockFd", "an fd");
  }
  // Only namespace bits: CLONE_VM, CLONE_THREAD & co. are the core's to choose.
  if (p->clone_flags & ~kNamespaceBits) return Fail(o.Env(), "plan.cloneFlags may hold only CLONE_NEW* bits");
  if (p->unshare_flags & ~kNamespaceBits) return Fail(o.Env(), "plan.unshareFlags may hold only CLONE_NEW* bits");
  if (has_uid != has_gid) return Fail(o.Env(), "uidMap and gidMap go together");
  if (p->maps_by_parent && !has_uid) return Fail(o.Env(), "mapsByParent needs uidMap and gidMap");
  if (p->clear_groups < NSJS_GROUPS_KEEP || p->clear_groups > NSJS_GROUPS_CLEAR_IF_ALLOWED)
    return FailKey(o.Env(), "clearGroups", "0 (keep), 1 (clear) or 2 (clear if allowed)");
  bool joins_user = false;
  for (const nsjs_join &j : st->joins) joins_user = joins_user || j.nstype == CLONE_NEWUSER;
  if (p->set_identity && !(p->clone_flags & CLONE_NEWUSER) && !joins_user)
    return Fail(o.Env(), "setIdentity is only for a new or joined user namespace");
  if (st->exec_paths.empty() || st->argv.empty()) return Fail(o.Env(), "execPaths and argv must not be empty");

  Napi::Value stdio = Own(o, "stdio");
  if (!stdio.IsArray()) return Fail(o.Env(), "plan.stdio must be an array of fds");
  Napi::Array sa = stdio.As<Napi::Array>();
  for (uint32_t i = 0; i < sa.Length(); i++) {
    Napi::Value v = sa.Get(i);
    if (!v.IsNumber()) return Fail(o.Env(), "plan.stdio must be an array of fds");
    st->stdio.push_back(v.As<Napi::Number>().Int32Value());
  }
  st->stdio_work.resize(st->stdio.size());

  Pointers(st->exec_paths, &st->exec_path_ptrs);
  Pointers(st->argv, &st->argv_ptrs);
  Pointers(st->envp, &st->envp_ptrs);
  if (has_init) {
    // nsjs-init <status-fd> <candidate-count> <candidate>... <argv>...; the
    // status fd lands right after the stdio slots (see step_stdio).
    st->init_argv.push_back("nsjs-init");
    st->init_argv.push_back(std::to_string(st->stdio.size()));
    st->init_argv.push_back(std::to_string(st->exec_paths.size()));
    for (auto &s : st->exec_paths) st->init_argv.push_back(s);
    for (auto &s : st->argv) st->init_argv.push_back(s);
    Pointers(st->init_argv, &st->init_argv_ptrs);
  }

  p->propagation = static_cast<unsigned long>(static_cast<unsigned>(propagation));
  p->joins = st->joins.data();
  p->join_count = static_cast<int>(st->joins.size());
  p->rlimits = st->rlimits.data();
  p->rlimit_count = static_cast<int>(st->rlimits.size());
  p->cgroup_procs = st->cgroup_procs.data();
  p->cgroup_count = static_cast<int>(st->cgroup_procs.size());
  p->ops = st->ops.data();
  p->op_count = static_cast<int>(st->ops.size());
  p->mount_ids = st->mount_ids.data();
  p->rootfs_path = has_rootfs_path ? st->rootfs_path.c_str() : nullptr;
  p->tmpfs_uid = has_tmpfs_uid ? st->tmpfs_uid.c_str() : nullptr;
  p->tmpfs_gid = has_tmpfs_gid ? st->tmpfs_gid.c_str() : nullptr;
  p->lock_uid_map = has_lock_uid ? st->lock_uid_map.c_str() : nullptr;
  p->lock_gid_map = has_lock_gid ? st->lock_gid_map.c_str() : nullptr;
  p->uid_map = has_uid ? st->uid_map.c_str() : nullptr;
  p->gid_map = has_gid ? st->gid_map.c_str() : nullptr;
  p->hostname = has_host ? st->hostname.c_str() : nullptr;
  p->hostname_len = st->hostname.size();
  p->domainname = has_domain ? st->domainname.c_str() : nullptr;
  p->domainname_len = st->domainname.size();
  p->time_offsets = has_time ? st->time_offsets.c_str() : nullptr;
  p->cwd = has_cwd ? st->cwd.c_str() : nullptr;
  p->stdio_count = static_cast<int>(st->stdio.size());
  p->stdio = st->stdio.data();
  p->stdio_work = st->stdio_work.data();
  p->exec_paths = st->exec_path_ptrs.data();
  p->exec_path_count = static_cast<int>(st->exec_paths.size());
  p->argv = st->argv_ptrs.data();
  p->envp = st->envp_ptrs.data();
  // A set's holder is nsjs-init itself, run as the program: by the same fd,
  // so that the sandbox's identity never has to walk to the addon's directory.
  bool program_is_init = false;
  if (!Own(o, "programIsInit").IsUndefined() && !ReadBool(o, "programIsInit", &p->program_is_init)) return false;
  program_is_init = p->program_is_init != 0;
  if (program_is_init && (!has_init || st->exec_paths.size() != 1 || st->exec_paths[0] != st->init_path))
    return Fail(o.Env(), "programIsInit needs initPath, and execPaths that are exactly [initPath]");
  p->init_path = has_init && !program_is_init ? st->init_path.c_str() : nullptr;
  p->init_fd = has_init ? InitFd(st->init_path) : -1;
  p->init_argv = has_init && !program_is_init ? st->init_argv_ptrs.data() : nullptr;
  return true;
}

Napi::Value Spawn(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Fail(env, "expected a plan object");
    return env.Undefined();
  }
  PlanStorage st;
  nsjs_plan plan;
  if (!ReadPlan(info[0].As<Napi::Object>(), &st, &plan)) return env.Undefined();
  nsjs_spawn_result r{};
  nsjs_error e{};
  if (nsjs_spawn(&plan, &r, &e) < 0) return Check(env, -1, e);
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", r.pid);
  out.Set("pidfd", r.pidfd);
  out.Set("statusFd", r.status_fd);
  out.Set("nsPid", r.ns_pid);
  return out;
}

// spawnAsync(plan, cb(err, result)): the same clone, off the event loop (a
// threadpool thread hands it to the spawner thread when dieWithParent, so
// the parent-death signal is tied to a thread that lives as long as the
// process). For a pool's refills, which need no answer at once.
class SpawnWorker : public Napi::AsyncWorker {
 public:
  explicit SpawnWorker(Napi::Function cb) : Napi::AsyncWorker(cb, "nsjs.spawnAsync") {}
  PlanStorage st;
  nsjs_plan plan{};

  void Execute() override { rc_ = nsjs_spawn(&plan, &r_, &e_); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (rc_ < 0) {
      Callback().Call({MakeNativeError(env, e_).Value(), env.Undefined()});
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("pid", r_.pid);
    out.Set("pidfd", r_.pidfd);
    out.Set("statusFd", r_.status_fd);
    out.Set("nsPid", r_.ns_pid);
    Callback().Call({env.Null(), out});
  }

 private:
  int rc_ = -1;
  nsjs_spawn_result r_{};
  nsjs_error e_{};
};

Napi::Value SpawnAsync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Fail(env, "expected a plan object and a callback");
    return env.Undefined();
  }
  auto *w = new SpawnWorker(info[1].As<Napi::Function>());
  if (!ReadPlan(info[0].As<Napi::Object>(), &w->st, &w->plan)) {
    delete w;
    return env.Undefined();
  }
  w->Queue();
  return env.Undefined();
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("CLONE_NEWNS", static_cast<int>(CLONE_NEWNS));
  c.Set("CLONE_NEWUTS", static_cast<int>(CLONE_NEWUTS));
  c.Set("CLONE_NEWIPC", static_cast<int>(CLONE_NEWIPC));
  c.Set("CLONE_NEWUSER", static_cast<int>(CLONE_NEWUSER));
  c.Set("CLONE_NEWPID", static_cast<int>(CLONE_NEWPID));
  c.Set("CLONE_NEWNET", static_cast<int>(CLONE_NEWNET));
  c.Set("CLONE_NEWCGROUP", static_cast<int>(CLONE_NEWCGROUP));
  c.Set("CLONE_NEWTIME", static_cast<int>(CLONE_NEWTIME));
  c.Set("CLONE_FS", static_cast<int>(CLONE_FS));
  c.Set("MS_REC", static_cast<int>(MS_REC));
  c.Set("MS_PRIVATE", static_cast<int>(MS_PRIVATE));
  c.Set("MS_SLAVE", static_cast<int>(MS_SLAVE));
  c.Set("MS_SHARED", static_cast<int>(MS_SHARED));
  return c;
}

// Node dlcloses an addon when the last environment that loaded it ends (a
// Worker). The spawner thread (core/spawn.c) lives in this library for the
// rest of the process, so the library must never be unmapped.
void PinLibrary() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD);
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  PinLibrary();
  exports.Set("unshare", Napi::Function::New(env, Unshare, "unshare"));
  exports.Set("setRootPropagation", Napi::Function::New(env, SetRootPropagation, "setRootPropagation"));
  exports.Set("setns", Napi::Function::New(env, Setns, "setns"));
  exports.Set("nsType", Napi::Function::New(env, NsType, "nsType"));
  exports.Set("sethostname", Napi::Function::New(env, Sethostname, "sethostname"));
  exports.Set("setdomainname", Napi::Function::New(env, Setdomainname, "setdomainname"));
  exports.Set("mountProc", Napi::Function::New(env, MountProc, "mountProc"));
  exports.Set("bindNamespace", Napi::Function::New(env, BindNamespace, "bindNamespace"));
  exports.Set("unmount", Napi::Function::New(env, Unmount, "unmount"));
  exports.Set("nsOwner", Napi::Function::New(env, NsOwner, "nsOwner"));
  exports.Set("nsParentFd", Napi::Function::New(env, NsParentFd, "nsParentFd"));
  exports.Set("poolStart", Napi::Function::New(env, PoolStart, "poolStart"));
  exports.Set("seqpacketPair", Napi::Function::New(env, SeqpacketPair, "seqpacketPair"));
  exports.Set("socketpair", Napi::Function::New(env, Socketpair, "socketpair"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("killCgroup", Napi::Function::New(env, KillCgroup, "killCgroup"));
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("spawnAsync", Napi::Function::New(env, SpawnAsync, "spawnAsync"));
  exports.Set("constants", Constants(env));
  InitExitWatcher(env, exports);
  InitRecordWatcher(env, exports);
  InitSeccomp(env, exports);
  InitLandlock(env, exports);
  return exports;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) { return InitModule(env, exports); }

}  // namespace nsjs_addon

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return nsjs_addon::Init(env, exports); }

NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitAll)
