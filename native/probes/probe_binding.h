// The probe host's JS surface: addon.probes.
#pragma once
#include <napi.h>

namespace zcl::probes {
void register_exports(Napi::Env env, Napi::Object exports);
}
