// RecordWatcher: reads the records a pooled set's holder (nsjs-init --serve)
// writes on its socket, on the event loop, and calls back with the program's
// exit status as soon as the holder reports it: before the holder itself
// exits, since that exit tears the set's namespaces down (a network
// namespace costs milliseconds) and the program's caller need not wait for it.
// It owns the fd, and closes it once the status came or the socket closed.
#include <errno.h>
#include <unistd.h>
#include <uv.h>

#include "core/record.h"
#include "glue.h"

namespace nsjs_addon {
namespace {

class RecordWatcher;

struct RWatch {
  uv_poll_t poll;  // first member: the uv callback casts back to RWatch
  int fd;
  RecordWatcher *owner;  // null once the JS object is gone
  napi_env env;
};

void FreeRWatch(uv_handle_t *h) { delete reinterpret_cast<RWatch *>(h); }

// At env teardown the addon may be unloaded before libuv runs close
// callbacks: the handle is closed without one, and the RWatch leaked.
void Cleanup(void *arg);

void Retire(RWatch *w, bool tearing_down = false) {
  if (!tearing_down) napi_remove_env_cleanup_hook(w->env, Cleanup, w);
  uv_poll_stop(&w->poll);
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
  uv_close(reinterpret_cast<uv_handle_t *>(&w->poll), tearing_down ? nullptr : FreeRWatch);
}

class RecordWatcher : public Napi::ObjectWrap<RecordWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RecordWatcher",
                       {InstanceMethod("ref", &RecordWatcher::JsRef), InstanceMethod("unref", &RecordWatcher::JsUnref)});
  }

  // new RecordWatcher(fd, onExit(status | -1)): the wait status of an EXIT record, or -1 when the socket closed without one.
  explicit RecordWatcher(const Napi::CallbackInfo &info) : Napi::ObjectWrap<RecordWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "RecordWatcher(fd, onExit)").ThrowAsJavaScriptException();
      return;
    }
    uv_loop_t *loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      Napi::Error::New(env, "no event loop").ThrowAsJavaScriptException();
      return;
    }
    RWatch *w = new RWatch();
    w->fd = info[0].As<Napi::Number>().Int32Value();
    w->owner = this;
    w->env = env;
    if (uv_poll_init(loop, &w->poll, w->fd) != 0 || uv_poll_start(&w->poll, UV_READABLE, OnReadable) != 0) {
      delete w;
      Napi::Error::New(env, "cannot watch the fd").ThrowAsJavaScriptException();
      return;
    }
    napi_add_env_cleanup_hook(env, Cleanup, w);
    watch_ = w;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    Ref();  // stay alive while watching, even if JS drops us
  }

  ~RecordWatcher() override {
    if (watch_) watch_->owner = nullptr;
  }

  void Detach() { watch_ = nullptr; }

 private:
  static void OnReadable(uv_poll_t *handle, int, int) {
    RWatch *w = reinterpret_cast<RWatch *>(handle);
    nsjs_record rec;
    ssize_t n;
    while ((n = read(w->fd, &rec, sizeof rec)) < 0 && errno == EINTR) {
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n == static_cast<ssize_t>(sizeof rec) && rec.kind != NSJS_REC_EXIT) return;  // not the status yet
    int status = n == static_cast<ssize_t>(sizeof rec) ? rec.value : -1;
    RecordWatcher *owner = w->owner;
    Retire(w);
    if (owner) owner->Finish(status);
  }

  void Finish(int status) {
    watch_ = nullptr;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::FunctionReference cb = std::move(callback_);
    Napi::Object self = Value();
    Unref();
    try {
      cb.MakeCallback(self, {Napi::Number::New(env, status)});
    } catch (const Napi::Error &err) {
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

  RWatch *watch_ = nullptr;
  Napi::FunctionReference callback_;
};

void Cleanup(void *arg) {
  RWatch *w = static_cast<RWatch *>(arg);
  if (w->owner) w->owner->Detach();
  Retire(w, true);
}

}  // namespace

void InitRecordWatcher(Napi::Env env, Napi::Object exports) { exports.Set("RecordWatcher", RecordWatcher::Define(env)); }

}  // namespace nsjs_addon
