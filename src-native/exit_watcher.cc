// ExitWatcher: learns that a cloned child ended by polling its pidfd on the
// event loop, then collects the status with waitid(P_PIDFD). It never calls
// waitpid(-1), so libuv keeps reaping its own children (child_process).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "glue.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace nsjs_addon {
namespace {

class ExitWatcher;

struct Watch {
  uv_poll_t poll;  // first member: the uv callback casts back to Watch
  pid_t pid;
  int pidfd;
  int status_fd;
  bool kill_on_teardown;
  int kill_mode;       // KillMode: how a kill reaches the whole sandbox
  ExitWatcher *owner;  // null once the JS object is gone
  std::set<Watch *> *live;
  // The sandbox's cgroups (directory, its /proc/PID/cgroup line) and the default
  // parent: a Worker's teardown runs no JavaScript, so they are ended here.
  std::vector<std::pair<std::string, std::string>> cgroups;
  std::vector<std::string> cgroup_parents;
};

// Every process of each cgroup killed (cgroup.kill, else the walk), a short
// wait until they are gone, then the directories removed. Best effort: what
// stays busy is left (docs/lifecycle.md).
void EndCgroups(Watch *w) {
  for (auto &c : w->cgroups) {
    int fd = open((c.first + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC);
    bool killed = fd >= 0 && write(fd, "1", 1) == 1;
    if (fd >= 0) close(fd);
    nsjs_error e{};
    if (!killed) nsjs_kill_cgroup((c.first + "/cgroup.procs").c_str(), c.second.c_str(), &e);
  }
  for (int i = 0; i < 200; i++) {  // up to 2 s
    bool empty = true;
    for (auto &c : w->cgroups) {
      char buf[16];
      int fd = open((c.first + "/cgroup.procs").c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      if (read(fd, buf, sizeof buf) > 0) empty = false;
      close(fd);
    }
    if (empty) break;
    usleep(10000);
  }
  for (auto &c : w->cgroups) rmdir(c.first.c_str());
  for (auto &p : w->cgroup_parents) rmdir(p.c_str());
}

// How a kill reaches every process of a sandbox: through its PID namespace's
// init (the kernel kills the rest), or, without one, by the walk of the tree
// under the child (core/signal_tree.c), plus its process group when it leads one.
enum KillMode { kKillChild = 0, kKillTree = 1, kKillTreeAndGroup = 2 };

// The signal to the whole sandbox. 0 or a positive errno.
int KillSandbox(Watch *w, int sig) {
  if (w->kill_mode == kKillChild) return syscall(SYS_pidfd_send_signal, w->pidfd, sig, nullptr, 0) == 0 ? 0 : errno;
  nsjs_error e{};
  return nsjs_kill_sandbox(w->pid, w->pidfd, sig, w->kill_mode == kKillTreeAndGroup, &e) == 0 ? 0 : e.err;
}

struct EnvState {
  std::set<Watch *> live;
};

void FreeWatch(uv_handle_t *h) { delete reinterpret_cast<Watch *>(h); }

// Stops watching and closes the fds; the uv handle frees the Watch when closed.
// At env teardown a Worker's addon is unloaded before libuv runs close
// callbacks, so there the handle closes without one and the Watch is leaked.
void Retire(Watch *w, bool tearing_down = false) {
  uv_poll_stop(&w->poll);
  if (w->pidfd >= 0) close(w->pidfd);
  if (w->status_fd >= 0) close(w->status_fd);
  w->pidfd = w->status_fd = -1;
  w->live->erase(w);
  uv_close(reinterpret_cast<uv_handle_t *>(&w->poll), tearing_down ? nullptr : FreeWatch);
}

// The program's own status, when nsjs-init reported it before exiting.
bool ReadExitRecord(int fd, int *status) {
  if (fd < 0) return false;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  bool found = false;
  nsjs_record rec;
  for (;;) {
    ssize_t n = read(fd, &rec, sizeof rec);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof rec)) break;
    if (rec.kind == NSJS_REC_EXIT) {
      *status = rec.value;
      found = true;
    }
  }
  return found;
}

class ExitWatcher : public Napi::ObjectWrap<ExitWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ExitWatcher",
                       {InstanceMethod("ref", &ExitWatcher::JsRef), InstanceMethod("unref", &ExitWatcher::JsUnref),
                        InstanceMethod("kill", &ExitWatcher::JsKill),
                        InstanceMethod("killSandbox", &ExitWatcher::JsKillSandbox),
                        InstanceMethod("signalTree", &ExitWatcher::JsSignalTree),
                        InstanceMethod("setCgroups", &ExitWatcher::JsSetCgroups)});
  }

  // new ExitWatcher(pid, pidfd, statusFd, killOnTeardown, killMode, onExit(code|null, signal, usage))
  explicit ExitWatcher(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ExitWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 6 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsBoolean() || !info[4].IsNumber() || !info[5].IsFunction()) {
      Napi::TypeError::New(env, "ExitWatcher(pid, pidfd, statusFd, killOnTeardown, killMode, onExit)").ThrowAsJavaScriptException();
      return;
    }
    uv_loop_t *loop = nullptr;
    EnvState *state = env.GetInstanceData<EnvState>();
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || state == nullptr) {
      Napi::Error::New(env, "no event loop").ThrowAsJavaScriptException();
      return;
    }
    Watch *w = new Watch();
    w->pid = info[0].As<Napi::Number>().Int32Value();
    w->pidfd = info[1].As<Napi::Number>().Int32Value();
    w->status_fd = info[2].As<Napi::Number>().Int32Value();
    w->kill_on_teardown = info[3].As<Napi::Boolean>().Value();
    w->kill_mode = info[4].As<Napi::Number>().Int32Value();
    w->owner = this;
    w->live = &state->live;
    if (uv_poll_init(loop, &w->poll, w->pidfd) != 0 || uv_poll_start(&w->poll, UV_READABLE, OnReadable) != 0) {
      delete w;
      Napi::Error::New(env, "cannot watch the pidfd").ThrowAsJavaScriptException();
      return;
    }
    state->live.insert(w);
    watch_ = w;
    callback_ = Napi::Persistent(info[5].As<Napi::Function>());
    Ref();  // stay alive while the child runs, even if JS drops us
  }

  ~ExitWatcher() override {
    if (watch_) watch_->owner = nullptr;
  }

  // Env teardown (a Worker ends, or Node exits): kill what was meant to die
  // with us, reap it, so no zombie and no handle outlives the environment.
  static void Teardown(void *arg) {
    auto *state = static_cast<EnvState *>(arg);
    std::set<Watch *> live = state->live;
    for (Watch *w : live) {
      if (w->kill_on_teardown) {
        EndCgroups(w);
        KillSandbox(w, SIGKILL);
        // libuv made the pidfd non-blocking (waitid would say EAGAIN): wait for it first.
        struct pollfd p = {w->pidfd, POLLIN, 0};
        while (poll(&p, 1, -1) < 0 && errno == EINTR) {
        }
        siginfo_t si;
        while (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(w->pidfd), &si, WEXITED) < 0 &&
               errno == EINTR) {
        }
      }
      if (w->owner) w->owner->watch_ = nullptr;
      Retire(w, true);
    }
  }

 private:
  static void OnReadable(uv_poll_t *handle, int, int) {
    Watch *w = reinterpret_cast<Watch *>(handle);
    siginfo_t si{};
    struct rusage ru{};
    // The kernel's 5-argument waitid: the child's rusage, with that of every
    // descendant it waited for (nsjs-init reaps the whole PID namespace).
    int rc = static_cast<int>(syscall(SYS_waitid, P_PIDFD, w->pidfd, &si, WEXITED | WNOHANG, &ru));
    if (rc == 0 && si.si_pid == 0) return;  // not ended yet
    int code = -1, sig = 0;
    if (rc == 0 && si.si_code == CLD_EXITED) {
      code = si.si_status;
    } else if (rc == 0) {
      sig = si.si_status;
    }
    int status;
    if (ReadExitRecord(w->status_fd, &status)) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    ExitWatcher *owner = w->owner;
    Retire(w);
    if (owner) owner->Finish(code, sig, ru);
  }

  void Finish(int code, int sig, const struct rusage &ru) {
    watch_ = nullptr;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Value c = code >= 0 ? Napi::Number::New(env, code) : env.Null();
    Napi::FunctionReference cb = std::move(callback_);
    Napi::Object self = Value();
    Unref();
    try {
      Napi::Object usage = Napi::Object::New(env);
      auto ms = [](const struct timeval &t) { return static_cast<double>(t.tv_sec) * 1e3 + t.tv_usec / 1e3; };
      usage.Set("cpuUserMs", ms(ru.ru_utime));
      usage.Set("cpuSystemMs", ms(ru.ru_stime));
      usage.Set("maxRssBytes", static_cast<double>(ru.ru_maxrss) * 1024);  // ru_maxrss is in KiB
      cb.MakeCallback(self, {c, Napi::Number::New(env, sig), usage});
    } catch (const Napi::Error &err) {
      // A throwing 'exit' listener is the program's uncaught exception, not ours.
      napi_fatal_exception(env, err.Value());
    }
  }

  Napi::Value JsRef(const Napi::CallbackInfo &info) {
    if (watch_) uv_ref(reinterpret_cast<uv_handle_t *>(&watch_->poll));
    return info.Env().Undefined();
  }

  Napi::Value JsUnref(const Napi::CallbackInfo &info) {
    if (watch_) uv_unref(reinterpret_cast<uv_handle_t *>(&watch_->poll));
    return info.Env().Undefined();
  }

  // kill(signal) -> 0 or a positive errno. Through the pidfd, so a pid that
  // was reused by another process can never be signalled.
  Napi::Value JsKill(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "kill(signal)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!watch_) return Napi::Number::New(env, ESRCH);
    int sig = info[0].As<Napi::Number>().Int32Value();
    long rc = syscall(SYS_pidfd_send_signal, watch_->pidfd, sig, nullptr, 0);
    return Napi::Number::New(env, rc == 0 ? 0 : errno);
  }

  // killSandbox(signal) -> 0 or a positive errno: the signal to every process
  // of the sandbox (see KillMode). Only while the child is unreaped.
  Napi::Value JsKillSandbox(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "killSandbox(signal)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!watch_) return Napi::Number::New(env, ESRCH);
    return Napi::Number::New(env, KillSandbox(watch_, info[0].As<Napi::Number>().Int32Value()));
  }

  // signalTree(signal, includeRoot) -> 0 or a positive errno: the signal to
  // every process under the child (core/signal_tree.c). Only while the child
  // is unreaped, so its pid cannot have been reused.
  Napi::Value JsSignalTree(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBoolean()) {
      Napi::TypeError::New(env, "signalTree(signal, includeRoot)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!watch_) return Napi::Number::New(env, ESRCH);
    nsjs_error e{};
    int rc = nsjs_signal_tree(watch_->pid, watch_->pidfd, info[0].As<Napi::Number>().Int32Value(),
                              info[1].As<Napi::Boolean>().Value() ? 1 : 0, &e);
    return Napi::Number::New(env, rc == 0 ? 0 : e.err);
  }

  // setCgroups([[dir, member], ...], [parentDir, ...]): what the environment's
  // teardown ends and removes with the sandbox (only with killOnTeardown).
  Napi::Value JsSetCgroups(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray()) {
      Napi::TypeError::New(env, "setCgroups(entries, parents)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::vector<std::pair<std::string, std::string>> cgroups;
    std::vector<std::string> parents;
    Napi::Array entries = info[0].As<Napi::Array>(), dirs = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < entries.Length(); i++) {
      Napi::Value e = entries.Get(i);
      Napi::Array pair = e.IsArray() ? e.As<Napi::Array>() : Napi::Array::New(env);
      if (pair.Length() != 2 || !pair.Get(0u).IsString() || !pair.Get(1u).IsString()) {
        Napi::TypeError::New(env, "setCgroups: each entry is [dir, member]").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      cgroups.emplace_back(pair.Get(0u).As<Napi::String>().Utf8Value(), pair.Get(1u).As<Napi::String>().Utf8Value());
    }
    for (uint32_t i = 0; i < dirs.Length(); i++) {
      if (!dirs.Get(i).IsString()) {
        Napi::TypeError::New(env, "setCgroups: parents are paths").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      parents.push_back(dirs.Get(i).As<Napi::String>().Utf8Value());
    }
    if (watch_) {
      watch_->cgroups = std::move(cgroups);
      watch_->cgroup_parents = std::move(parents);
    }
    return env.Undefined();
  }

  Watch *watch_ = nullptr;
  Napi::FunctionReference callback_;
};

}  // namespace

void InitExitWatcher(Napi::Env env, Napi::Object exports) {
  auto *state = new EnvState();
  env.SetInstanceData<EnvState>(state);
  napi_add_env_cleanup_hook(env, ExitWatcher::Teardown, state);
  exports.Set("ExitWatcher", ExitWatcher::Define(env));
}

}  // namespace nsjs_addon
