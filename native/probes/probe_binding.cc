#include "probe_binding.h"

#include <initializer_list>
#include <stdexcept>

#include "probe_host.h"

namespace zcl::probes {
namespace {

Napi::Value throw_unavailable(Napi::Env env, const ProbeUnavailable& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  err.Value().Set("code", "EPROBES");
  throw err;
}

// probes.schema: the counter schema of bpf/counters.h, for TypeScript (a test
// checks server/probes/schema.generated.ts, generated from the header's text,
// against it).
const char* const kKindNames[] = {
#define ZCL_X(kind) #kind,
    ZCL_KINDS(ZCL_X)
#undef ZCL_X
};

Napi::Array strings(Napi::Env env, std::initializer_list<const char*> list) {
  Napi::Array a = Napi::Array::New(env);
  uint32_t i = 0;
  for (const char* s : list) a.Set(i++, s);
  return a;
}

Napi::Object schema(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array counters = Napi::Array::New(env);
  uint32_t i = 0;
#define ZCL_STRINGS(...) strings(env, {__VA_ARGS__})
#define ZCL_X(name, unit, kind, label, needs, desc)    \
  {                                                   \
    Napi::Object c = Napi::Object::New(env);          \
    c.Set("name", #name);                             \
    c.Set("unit", unit);                              \
    c.Set("kind", kKindNames[ZCL_KIND_##kind]);       \
    c.Set("label", label);                            \
    c.Set("description", desc);                       \
    c.Set("needs", ZCL_STRINGS needs);                \
    counters.Set(i++, c);                             \
  }
  ZCL_COUNTERS(ZCL_X)
#undef ZCL_X
#undef ZCL_STRINGS
  Napi::Array kinds = Napi::Array::New(env);
  i = 0;
  for (const char* k : kKindNames) kinds.Set(i++, k);
  Napi::Array syscalls = Napi::Array::New(env);
  i = 0;
#define ZCL_X(name, nr) syscalls.Set(i++, #name);
  ZCL_SYSCALLS(ZCL_X)
#undef ZCL_X
  Napi::Array roles = Napi::Array::New(env);
  i = 0;
#define ZCL_X(name) roles.Set(i++, #name);
  ZCL_ROLES(ZCL_X)
#undef ZCL_X
  o.Set("counters", counters);
  o.Set("kinds", kinds);
  o.Set("syscalls", syscalls);
  o.Set("roles", roles);
  return o;
}

// open() -> { tier, programs: [{name, attached, error}], counters: [{name, available, source, missing}] }
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    Host& h = Host::instance();
    Napi::Object o = Napi::Object::New(env);
    o.Set("tier", h.tier());
    Napi::Array progs = Napi::Array::New(env);
    uint32_t i = 0;
    for (const auto& p : h.programs()) {
      Napi::Object x = Napi::Object::New(env);
      x.Set("name", p.name);
      x.Set("attached", p.attached);
      if (!p.error.empty()) x.Set("error", p.error);
      progs.Set(i++, x);
    }
    Napi::Array counters = Napi::Array::New(env);
    i = 0;
    for (const auto& c : h.counters()) {
      Napi::Object x = Napi::Object::New(env);
      x.Set("name", c.name);
      x.Set("available", c.available);
      x.Set("source", c.source);
      if (!c.missing.empty()) x.Set("missing", c.missing);
      if (!c.watch.empty()) x.Set("watch", c.watch);
      counters.Set(i++, x);
    }
    o.Set("programs", progs);
    o.Set("counters", counters);
    return o;
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(env, e);
  }
}

uint32_t u32(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : 0;
}

// begin({senderPid, sinkPid, ifindex, netnsInode, sinkPort, file}): zero the
// counters and count for these processes, this device, this connection, this file.
Napi::Value Begin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  RunTarget t{};
  t.tgid[ZCL_ROLE_sender] = u32(o, "senderPid");
  t.tgid[ZCL_ROLE_sink] = u32(o, "sinkPid");
  t.dev_ifindex = u32(o, "ifindex");
  t.dev_netns_ino = u32(o, "netnsInode");
  t.sink_port = u32(o, "sinkPort");
  Napi::Value f = o.Get("file");
  if (f.IsString()) t.file = f.As<Napi::String>().Utf8Value();
  try {
    Host::instance().begin(t);
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(env, e);
  }
  return env.Undefined();
}

Napi::Array tgid_array(Napi::Env env, const std::vector<uint32_t>& tgids) {
  Napi::Array a = Napi::Array::New(env, tgids.size());
  for (uint32_t i = 0; i < tgids.size(); i++) a.Set(i, tgids[i]);
  return a;
}

// watch({tgids: number[], follow: boolean}) -> number[]: zero the counters and count
// these processes (role sender), with follow their children too; returns the tgids
// watched at the start. Ended by end(), like a run.
Napi::Value Watch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "watch: expected {tgids: number[], follow: boolean}");
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value tv = o.Get("tgids");
  if (!tv.IsArray()) throw Napi::TypeError::New(env, "tgids: expected an array of process ids");
  Napi::Array ta = tv.As<Napi::Array>();
  WatchTarget t{};
  for (uint32_t i = 0; i < ta.Length(); i++) {
    Napi::Value v = ta.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 4194304 && d == static_cast<double>(static_cast<uint32_t>(d))))
      throw Napi::TypeError::New(env, "tgids[" + std::to_string(i) + "]: expected a process id (an integer from 1 to 4194304)");
    t.tgids.push_back(static_cast<uint32_t>(d));
  }
  Napi::Value fv = o.Get("follow");
  if (!fv.IsUndefined() && !fv.IsBoolean()) throw Napi::TypeError::New(env, "follow: expected true or false");
  t.follow = fv.IsBoolean() && fv.As<Napi::Boolean>().Value();
  try {
    return tgid_array(env, Host::instance().watch(t));
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(env, e);
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  }
}

// watchAdd(pids: number[]) -> number[]: adds processes to the watch in progress
// (counters kept; with follow their running descendants too); returns those added.
Napi::Value WatchAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "watchAdd: expected an array of process ids");
  Napi::Array ta = info[0].As<Napi::Array>();
  std::vector<uint32_t> pids;
  for (uint32_t i = 0; i < ta.Length(); i++) {
    Napi::Value v = ta.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 4194304 && d == static_cast<double>(static_cast<uint32_t>(d))))
      throw Napi::TypeError::New(env, "tgids[" + std::to_string(i) + "]: expected a process id (an integer from 1 to 4194304)");
    pids.push_back(static_cast<uint32_t>(d));
  }
  try {
    return tgid_array(env, Host::instance().watch_add(pids));
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(env, e);
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  }
}

// watched() -> number[]: the processes watched now.
Napi::Value Watched(const Napi::CallbackInfo& info) {
  try {
    return tgid_array(info.Env(), Host::instance().watched());
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(info.Env(), e);
  }
}

Napi::Value End(const Napi::CallbackInfo& info) {
  try {
    Host::instance().end();
  } catch (const ProbeUnavailable&) {
  }
  return info.Env().Undefined();
}

// read() -> { counters: Float64Array[roles * counters], syscalls: Float64Array[roles * syscalls] }
Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RoleSnapshot snap[ZCL_NR_ROLES];
  try {
    Host::instance().read(snap);
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(env, e);
  }
  Napi::Float64Array c = Napi::Float64Array::New(env, ZCL_NR_ROLES * ZCL_NR_COUNTERS);
  Napi::Float64Array s = Napi::Float64Array::New(env, ZCL_NR_ROLES * ZCL_NR_SYSCALLS);
  for (int r = 0; r < ZCL_NR_ROLES; r++) {
    for (int i = 0; i < ZCL_NR_COUNTERS; i++) c[r * ZCL_NR_COUNTERS + i] = static_cast<double>(snap[r].c[i]);
    for (int i = 0; i < ZCL_NR_SYSCALLS; i++) s[r * ZCL_NR_SYSCALLS + i] = static_cast<double>(snap[r].sys[i]);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("counters", c);
  o.Set("syscalls", s);
  return o;
}

Napi::Value EnableStats(const Napi::CallbackInfo& info) {
  try {
    return Napi::Boolean::New(info.Env(), Host::instance().enable_stats());
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(info.Env(), e);
  }
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env);
  try {
    uint32_t i = 0;
    for (const auto& s : Host::instance().stats()) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", s.name);
      o.Set("runCount", static_cast<double>(s.run_cnt));
      o.Set("runTimeNs", static_cast<double>(s.run_time_ns));
      o.Set("recursionMisses", static_cast<double>(s.recursion_misses));
      a.Set(i++, o);
    }
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(env, e);
  }
  return a;
}

// missed() -> events the kernel skipped for these programs since begin().
Napi::Value Missed(const Napi::CallbackInfo& info) {
  try {
    return Napi::Number::New(info.Env(), static_cast<double>(Host::instance().missed_since_begin()));
  } catch (const ProbeUnavailable& e) {
    return throw_unavailable(info.Env(), e);
  }
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  try {
    Host::instance().close();
  } catch (const ProbeUnavailable&) {
  }
  return info.Env().Undefined();
}

}  // namespace

void register_exports(Napi::Env env, Napi::Object exports) {
  Napi::Object p = Napi::Object::New(env);
  p.Set("schema", schema(env));
  p.Set("open", Napi::Function::New(env, Open));
  p.Set("begin", Napi::Function::New(env, Begin));
  p.Set("watch", Napi::Function::New(env, Watch));
  p.Set("watched", Napi::Function::New(env, Watched));
  p.Set("watchAdd", Napi::Function::New(env, WatchAdd));
  p.Set("end", Napi::Function::New(env, End));
  p.Set("read", Napi::Function::New(env, Read));
  p.Set("enableStats", Napi::Function::New(env, EnableStats));
  p.Set("stats", Napi::Function::New(env, Stats));
  p.Set("close", Napi::Function::New(env, Close));
  p.Set("missed", Napi::Function::New(env, Missed));
  exports.Set("probes", p);
  // Detach and free when the environment goes away (process exit); a crash
  // frees them too, as the kernel closes the program and link fds.
  env.AddCleanupHook([] {
    try {
      Host::instance().close();
    } catch (...) {
    }
  });
}

}  // namespace zcl::probes
