// landlockAbi() and landlockRuleset(spec): the glue of core/landlock.c.
// lib/spawn/options/landlock.ts picks the rights for the kernel's ABI; the
// ruleset fd is made here before clone and closed by the caller after it.
#include <string>
#include <vector>

#include "glue.h"

namespace nsjs_addon {
namespace {

Napi::Value Bad(Napi::Env env, const char *what) {
  Napi::TypeError::New(env, std::string("landlockRuleset: ") + what).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool Mask(Napi::Value v, unsigned long long *out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<unsigned long long>(d))) return false;
  *out = static_cast<unsigned long long>(d);
  return true;
}

Napi::Value LandlockAbi(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), nsjs_landlock_abi()); }

Napi::Value LandlockRuleset(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return Bad(env, "expected a spec object");
  Napi::Object o = info[0].As<Napi::Object>();
  nsjs_landlock l{};
  if (!Mask(o.Get("handledFs"), &l.handled_fs) || !Mask(o.Get("handledNet"), &l.handled_net) ||
      !Mask(o.Get("scoped"), &l.scoped) || !o.Get("paths").IsArray() ||
      !o.Get("ports").IsArray())
    return Bad(env, "expected { handledFs, handledNet, scoped, paths, ports }");
  Napi::Array paths = o.Get("paths").As<Napi::Array>();
  Napi::Array ports = o.Get("ports").As<Napi::Array>();
  std::vector<std::string> strings;
  std::vector<nsjs_landlock_path> native_paths(paths.Length());
  std::vector<nsjs_landlock_port> native_ports(ports.Length());
  for (uint32_t i = 0; i < paths.Length(); i++) {
    Napi::Value e = paths.Get(i);
    if (!e.IsObject() || !e.As<Napi::Object>().Get("path").IsString() || !Mask(e.As<Napi::Object>().Get("access"), &native_paths[i].access))
      return Bad(env, "paths are { path, access }");
    strings.push_back(e.As<Napi::Object>().Get("path").As<Napi::String>().Utf8Value());
    if (strings.back().find('\0') != std::string::npos) return Bad(env, "a path contains a NUL byte");
  }
  for (uint32_t i = 0; i < paths.Length(); i++) native_paths[i].path = strings[i].c_str();
  for (uint32_t i = 0; i < ports.Length(); i++) {
    Napi::Value e = ports.Get(i);
    if (!e.IsObject() || !Mask(e.As<Napi::Object>().Get("port"), &native_ports[i].port) ||
        !Mask(e.As<Napi::Object>().Get("access"), &native_ports[i].access))
      return Bad(env, "ports are { port, access }");
  }
  l.paths = native_paths.data();
  l.path_count = static_cast<int>(native_paths.size());
  l.ports = native_ports.data();
  l.port_count = static_cast<int>(native_ports.size());
  int fd = -1;
  nsjs_error e{};
  if (nsjs_landlock_ruleset(&l, &fd, &e) < 0) {
    MakeNativeError(env, e).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

}  // namespace

void InitLandlock(Napi::Env env, Napi::Object exports) {
  exports.Set("landlockAbi", Napi::Function::New(env, LandlockAbi, "landlockAbi"));
  exports.Set("landlockRuleset", Napi::Function::New(env, LandlockRuleset, "landlockRuleset"));
}

}  // namespace nsjs_addon
