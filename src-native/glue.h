// Shared helpers of the N-API glue.
#pragma once
#include <napi.h>

#include "core/nsjs.h"

namespace nsjs_addon {

// Throws a JS Error carrying the C error; lib/errors.ts turns it into a NamespaceError.
Napi::Error MakeNativeError(Napi::Env env, const nsjs_error &e);
void InitExitWatcher(Napi::Env env, Napi::Object exports);
void InitRecordWatcher(Napi::Env env, Napi::Object exports);
void InitSeccomp(Napi::Env env, Napi::Object exports);
void InitLandlock(Napi::Env env, Napi::Object exports);

}  // namespace nsjs_addon
