// compileSeccomp(spec): the glue of core/seccomp.c. lib/spawn/options/seccomp.ts
// validates the profile and passes { defaultAction, arches, rules }; this
// returns the BPF program as a Buffer, or { error, name?, errno? } for the
// caller to turn into a RangeError or an ERR_NSJS_UNSUPPORTED.
#include <cstdlib>
#include <string>
#include <vector>

#include "glue.h"

namespace nsjs_addon {
namespace {

Napi::Value Bad(Napi::Env env, const char *what) {
  Napi::TypeError::New(env, std::string("compileSeccomp: ") + what).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool ToU64(Napi::Value v, unsigned long long *out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740991.0) || d != static_cast<double>(static_cast<unsigned long long>(d))) return false;
  *out = static_cast<unsigned long long>(d);
  return true;
}

Napi::Value CompileSeccomp(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return Bad(env, "expected a spec object");
  Napi::Object o = info[0].As<Napi::Object>();
  unsigned long long def = 0;
  if (!ToU64(o.Get("defaultAction"), &def) || def > 0xffffffffULL) return Bad(env, "defaultAction must be a u32");
  if (!o.Get("arches").IsArray() || !o.Get("rules").IsArray()) return Bad(env, "arches and rules must be arrays");
  Napi::Array arches = o.Get("arches").As<Napi::Array>();
  Napi::Array rules = o.Get("rules").As<Napi::Array>();
  std::vector<std::string> arch_names, names;
  std::vector<const char *> arch_ptrs;
  std::vector<nsjs_seccomp_rule> native(rules.Length());
  for (uint32_t i = 0; i < arches.Length(); i++) {
    if (!arches.Get(i).IsString()) return Bad(env, "arches must be strings");
    arch_names.push_back(arches.Get(i).As<Napi::String>().Utf8Value());
  }
  for (auto &a : arch_names) arch_ptrs.push_back(a.c_str());
  for (uint32_t i = 0; i < rules.Length(); i++) {
    if (!rules.Get(i).IsObject()) return Bad(env, "rules must be objects");
    Napi::Object r = rules.Get(i).As<Napi::Object>();
    unsigned long long action = 0;
    if (!r.Get("name").IsString() || !ToU64(r.Get("action"), &action) || action > 0xffffffffULL || !r.Get("args").IsArray())
      return Bad(env, "a rule is { name, action, args }");
    names.push_back(r.Get("name").As<Napi::String>().Utf8Value());
    Napi::Array args = r.Get("args").As<Napi::Array>();
    if (args.Length() > 6) return Bad(env, "a rule has at most 6 conditions");
    native[i].action = static_cast<unsigned>(action);
    native[i].cond_count = static_cast<int>(args.Length());
    for (uint32_t c = 0; c < args.Length(); c++) {
      if (!args.Get(c).IsObject()) return Bad(env, "a condition is { index, op, a, b }");
      Napi::Object a = args.Get(c).As<Napi::Object>();
      unsigned long long index = 0, op = 0;
      nsjs_seccomp_cond &cond = native[i].conds[c];
      if (!ToU64(a.Get("index"), &index) || index > 5 || !ToU64(a.Get("op"), &op) || op < 1 || op > 7 ||
          !ToU64(a.Get("a"), &cond.a) || !ToU64(a.Get("b"), &cond.b))
        return Bad(env, "a condition is { index 0..5, op 1..7, a, b }");
      cond.index = static_cast<unsigned>(index);
      cond.op = static_cast<int>(op);
    }
  }
  for (size_t i = 0; i < native.size(); i++) native[i].name = names[i].c_str();
  nsjs_seccomp_spec spec{static_cast<unsigned>(def), arch_ptrs.data(), static_cast<int>(arch_ptrs.size()),
                         native.data(), static_cast<int>(native.size())};
  void *bpf = nullptr;
  size_t len = 0;
  const char *bad = nullptr;
  int err = 0;
  int rc = nsjs_seccomp_compile(&spec, &bpf, &len, &bad, &err);
  if (rc == 0) {
    Napi::Buffer<char> out = Napi::Buffer<char>::Copy(env, static_cast<char *>(bpf), len * 8);
    free(bpf);
    return out;
  }
  Napi::Object failure = Napi::Object::New(env);
  failure.Set("error", rc == NSJS_SECCOMP_NO_LIBRARY ? "no-library" : rc == NSJS_SECCOMP_BAD_NAME ? "bad-name" : "failed");
  if (bad) failure.Set("name", bad);
  failure.Set("errno", err);
  failure.Set("version", nsjs_seccomp_version());
  return failure;
}

}  // namespace

void InitSeccomp(Napi::Env env, Napi::Object exports) {
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp, "compileSeccomp"));
}

}  // namespace nsjs_addon
