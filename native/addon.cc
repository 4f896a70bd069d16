// The native addon's JS surface: the transfer engine, the sink, the data-file
// tools (and, in probes/, the eBPF probe host). Long work runs on libuv worker
// threads; progress is an atomic JS polls, so the loops make no extra syscalls.
#include <napi.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <map>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/checksum.h"
#include "engine/datafile.h"
#include "engine/ktls.h"
#include "engine/net_util.h"
#include "engine/sink.h"
#include "engine/sys_error.h"
#include "engine/transfer.h"
#include "probes/probe_binding.h"

namespace {

using namespace zcl;

// Turns an engine exception into a JS Error carrying .syscall, .code and .errno.
Napi::Error to_js_error(Napi::Env env, std::exception_ptr ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const SysError& e) {
    Napi::Error err = Napi::Error::New(env, e.what());
    Napi::Object o = err.Value();
    o.Set("syscall", e.syscall);
    o.Set("code", errno_name(e.err));
    o.Set("errno", e.err);
    return err;
  } catch (const std::exception& e) {
    return Napi::Error::New(env, e.what());
  }
}

Napi::Object syscalls_to_js(Napi::Env env, const SyscallCounts& c) {
  Napi::Object o = Napi::Object::New(env);
  for (size_t i = 0; i < static_cast<size_t>(Sys::count); i++)
    if (c.n[i]) o.Set(sys_name(static_cast<Sys>(i)), static_cast<double>(c.n[i]));
  return o;
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

uint64_t u64_field(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > 9007199254740991.0) throw Napi::RangeError::New(o.Env(), std::string(key) + " is out of range");
  return static_cast<uint64_t>(d);
}

std::string str_field(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// ---- long-running loops with progress and cancel ----
// One worker for every long native loop (a transfer, a sink, a data-file job):
// it runs `fn(ctl)` on a libuv worker thread and calls back (err, to_js(result)).
// The handle JS gets back: progress() reads the loop's atomic byte count,
// cancel() sets the flag the loop checks before every syscall or block.
template <typename T>
class LoopWorker : public Napi::AsyncWorker {
 public:
  using Fn = std::function<T(Control&)>;
  using ToJs = std::function<Napi::Value(Napi::Env, const T&)>;
  LoopWorker(Napi::Function cb, Fn fn, ToJs to_js, std::shared_ptr<Control> ctl)
      : Napi::AsyncWorker(cb), fn_(std::move(fn)), to_js_(std::move(to_js)), ctl_(std::move(ctl)) {}
  void Execute() override {
    try {
      res_ = fn_(*ctl_);
    } catch (...) {
      err_ = std::current_exception();
      SetError("failed");
    }
  }
  void OnOK() override { Callback().Call({Env().Null(), to_js_(Env(), res_)}); }
  void OnError(const Napi::Error&) override { Callback().Call({to_js_error(Env(), err_).Value()}); }

 private:
  Fn fn_;
  ToJs to_js_;
  std::shared_ptr<Control> ctl_;
  T res_{};
  std::exception_ptr err_;
};

template <typename T>
Napi::Object start_loop(const Napi::CallbackInfo& info, size_t cb_index, typename LoopWorker<T>::Fn fn,
                        typename LoopWorker<T>::ToJs to_js) {
  Napi::Env env = info.Env();
  if (info.Length() <= cb_index || !info[cb_index].IsFunction())
    throw Napi::TypeError::New(env, "the last argument must be a callback (err, result)");
  auto ctl = std::make_shared<Control>();
  (new LoopWorker<T>(info[cb_index].As<Napi::Function>(), std::move(fn), std::move(to_js), ctl))->Queue();
  Napi::Object h = Napi::Object::New(env);
  h.Set("progress", Napi::Function::New(env, [ctl](const Napi::CallbackInfo& i) {
          return Napi::Number::New(i.Env(), static_cast<double>(ctl->progress.load()));
        }));
  h.Set("cancel", Napi::Function::New(env, [ctl](const Napi::CallbackInfo& i) {
          ctl->cancel.store(true);
          return i.Env().Undefined();
        }));
  return h;
}

Napi::Value checksum_to_js(Napi::Env env, const uint64_t& sum) { return Napi::String::New(env, Checksum::hex(sum)); }

// ---- data files ----
// generateFile(path, size, cb) -> handle: the pattern file; cb(err, checksum hex).
Napi::Value GenerateFile(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "size must be a number");
  double d = info[1].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740991.0)) throw Napi::RangeError::New(info.Env(), "size is out of range");
  uint64_t size = static_cast<uint64_t>(d);
  return start_loop<uint64_t>(info, 2, [path, size](Control& c) { return generate_file(path, size, c); }, checksum_to_js);
}

// fileChecksum(path, cb) -> handle; fileChecksum(path, length, cb): of the first length bytes.
Napi::Value FileChecksum(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  uint64_t limit = UINT64_MAX;
  size_t cb = 1;
  if (info.Length() > 2 && info[1].IsNumber()) {
    double d = info[1].As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 9007199254740991.0)) throw Napi::RangeError::New(info.Env(), "length is out of range");
    limit = static_cast<uint64_t>(d);
    cb = 2;
  }
  return start_loop<uint64_t>(info, cb, [path, limit](Control& c) { return file_checksum(path, c, limit); }, checksum_to_js);
}

// warmCache(path, cb) -> handle
Napi::Value WarmCache(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  return start_loop<bool>(
      info, 1, [path](Control& c) { warm_cache(path, c); return true; },
      [](Napi::Env env, const bool&) { return env.Undefined(); });
}

Napi::Value DropCache(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  try {
    drop_cache(path);
  } catch (...) {
    throw to_js_error(info.Env(), std::current_exception());
  }
  return info.Env().Undefined();
}

Napi::Value Residency(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  zcl::Residency r;
  try {
    r = residency(path);
  } catch (...) {
    throw to_js_error(info.Env(), std::current_exception());
  }
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("pages", static_cast<double>(r.pages));
  o.Set("resident", static_cast<double>(r.resident));
  return o;
}

// holdCache(path) -> id, or -1: maps the file and mlock()s it, so its page-cache pages stay
// resident until releaseCache(id), whatever reclaims memory meanwhile (proactive reclaim such as
// DAMON's pageout can evict an idle file between a warm run's check and its reads). Best effort:
// where locking is not allowed (RLIMIT_MEMLOCK without CAP_IPC_LOCK) or the file is empty, -1.
// Held by the process that prepares the run, not the sender: the run's own counters are untouched.
std::map<int, std::pair<void*, size_t>>& held_caches() {
  static std::map<int, std::pair<void*, size_t>> m;
  return m;
}

Napi::Value HoldCache(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Napi::Number::New(info.Env(), -1);
  struct stat st {};
  void* map = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0) map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return Napi::Number::New(info.Env(), -1);
  size_t len = static_cast<size_t>(st.st_size);
  if (mlock(map, len) != 0) {
    munmap(map, len);
    return Napi::Number::New(info.Env(), -1);
  }
  static int next = 1;
  int id = next++;
  held_caches()[id] = {map, len};
  return Napi::Number::New(info.Env(), id);
}

Napi::Value ReleaseCache(const Napi::CallbackInfo& info) {
  int id = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
  auto it = held_caches().find(id);
  if (it != held_caches().end()) {
    munmap(it->second.first, it->second.second);
    held_caches().erase(it);
  }
  return info.Env().Undefined();
}

// tryLockFile(path, exclusive) -> fd, or -1 when another holder has it. Never
// waits: a waiting caller polls (cancellably), so no thread is ever parked in flock.
Napi::Value TryLockFile(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  bool exclusive = info.Length() > 1 && info[1].ToBoolean().Value();
  try {
    return Napi::Number::New(info.Env(), try_lock_file(path, exclusive));
  } catch (...) {
    throw to_js_error(info.Env(), std::current_exception());
  }
}

Napi::Value UnlockFile(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  unlock_file(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// dieWithParent(parentPid): SIGKILL when the parent dies (or now, if it already has).
Napi::Value DieWithParent(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "parentPid must be a number");
  try {
    die_with_parent(info[0].As<Napi::Number>().Int32Value());
  } catch (...) {
    throw to_js_error(info.Env(), std::current_exception());
  }
  return info.Env().Undefined();
}

// ignoreInterrupts(): SIGINT and SIGTERM ignored from now on. For the process's
// exit: once its cleanup has begun, a late Ctrl-C must not end it by the signal
// (Node's teardown puts the default action back before the process is gone).
Napi::Value IgnoreInterrupts(const Napi::CallbackInfo& info) {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  return info.Env().Undefined();
}

// ---- transfer and sink ----
Napi::Value transfer_to_js(Napi::Env env, const TransferResult& res, bool zerocopy, bool uring) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("bytes", static_cast<double>(res.bytes));
  o.Set("wallSeconds", res.wall_seconds);
  o.Set("cpuUserSeconds", res.cpu_user_seconds);
  o.Set("cpuSysSeconds", res.cpu_sys_seconds);
  o.Set("syscalls", syscalls_to_js(env, res.syscalls));
  o.Set("cancelled", res.cancelled);
  o.Set("tid", res.tid);
  o.Set("passes", static_cast<double>(res.passes));
  o.Set("tailBytes", static_cast<double>(res.tail));
  o.Set("pacedSeconds", res.paced_seconds);
  if (zerocopy) {
    Napi::Object z = Napi::Object::New(env);
    z.Set("sends", static_cast<double>(res.zc_sends));
    z.Set("completions", static_cast<double>(res.zc_completions));
    z.Set("copiedCompletions", static_cast<double>(res.zc_copied_completions));
    z.Set("copiedBytes", static_cast<double>(res.zc_copied_bytes));
    o.Set("zerocopy", z);
  }
  if (uring) {
    Napi::Object u = Napi::Object::New(env);
    u.Set("enters", static_cast<double>(res.uring_enters));
    u.Set("sqes", static_cast<double>(res.uring_sqes));
    u.Set("sends", static_cast<double>(res.uring_sends));
    o.Set("uring", u);
  }
  return o;
}

// startTransfer({mode, file, size, chunk, host, port}, (err, result) => ...) -> handle
Napi::Value StartTransfer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "startTransfer(spec, callback)");
  Napi::Object o = info[0].As<Napi::Object>();
  TransferSpec spec;
  std::string mode = str_field(o, "mode");
  if (!parse_mode(mode, &spec.mode))
    throw Napi::TypeError::New(env, "mode '" + mode + "' is not a native mode; allowed: " + native_mode_names());
  spec.file = str_field(o, "file");
  spec.size = u64_field(o, "size");
  spec.chunk = u64_field(o, "chunk");
  spec.host = str_field(o, "host");
  spec.port = static_cast<uint16_t>(u64_field(o, "port"));
  // Optional: duration (seconds; 0 or absent: one pass), rate (bytes per second; 0 or absent: unlimited).
  Napi::Value dv = o.Get("duration");
  if (dv.IsNumber()) {
    spec.duration = dv.As<Napi::Number>().DoubleValue();
    if (!(spec.duration >= 0 && spec.duration <= 86400)) throw Napi::RangeError::New(env, "duration is out of range");
  }
  if (o.Get("rate").IsNumber()) spec.rate = u64_field(o, "rate");
  // ktls-* modes: tls, the keys as tlsKeys() made them (72 hex digits).
  if (o.Get("tls").IsString()) {
    try {
      spec.tls = parse_tls_keys(str_field(o, "tls"));
    } catch (const std::exception& e) {
      throw Napi::TypeError::New(env, e.what());
    }
  }
  bool zerocopy = spec.mode == Mode::MsgZerocopy || spec.mode == Mode::UringSendZc;
  bool uring = spec.mode == Mode::UringSend || spec.mode == Mode::UringSendZc || spec.mode == Mode::UringSplice;
  return start_loop<TransferResult>(
      info, 1, [spec](Control& c) { return run_transfer(spec, c); },
      [zerocopy, uring](Napi::Env e, const TransferResult& r) { return transfer_to_js(e, r, zerocopy, uring); });
}

// listen(host, port) -> {fd, port}: bound before the sink starts, so the
// orchestrator knows the port before any sender exists.
Napi::Value Listen(const Napi::CallbackInfo& info) {
  std::string host = string_arg(info, 0, "host");
  uint16_t port = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  uint16_t bound = 0;
  int fd;
  try {
    fd = tcp_listen(host, port, &bound);
  } catch (...) {
    throw to_js_error(info.Env(), std::current_exception());
  }
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("fd", fd);
  o.Set("port", bound);
  return o;
}

// startSink({fd, mode: 'read'|'discard'|'copy'|'splice'|'zerocopy-receive', buffer}, (err, result) => ...) -> handle
Napi::Value StartSink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "startSink(spec, callback)");
  Napi::Object o = info[0].As<Napi::Object>();
  std::string mode = str_field(o, "mode");
  SinkSpec spec;
  if (mode == "read") spec.mode = SinkMode::Read;
  else if (mode == "discard") spec.mode = SinkMode::Discard;
  else if (mode == "copy") spec.mode = SinkMode::Copy;
  else if (mode == "splice") spec.mode = SinkMode::Splice;
  else if (mode == "zerocopy-receive") spec.mode = SinkMode::ZerocopyReceive;
  else throw Napi::TypeError::New(env, "sink mode '" + mode + "' is not one of: read, discard, copy, splice, zerocopy-receive");
  // Client mode: {connect: {host, port}, request?, http?} instead of fd.
  Napi::Value cv = o.Get("connect");
  if (cv.IsObject()) {
    Napi::Object c = cv.As<Napi::Object>();
    spec.listen_fd = -1;
    spec.connect_host = str_field(c, "host");
    uint64_t port = u64_field(c, "port");
    if (port == 0 || port > 65535) throw Napi::RangeError::New(env, "connect.port must be 1-65535");
    spec.connect_port = static_cast<uint16_t>(port);
    Napi::Value rv = o.Get("request");
    if (rv.IsString()) spec.request = rv.As<Napi::String>().Utf8Value();
    Napi::Value hv = o.Get("http");
    spec.http = hv.IsBoolean() && hv.As<Napi::Boolean>().Value();
  } else {
    spec.listen_fd = static_cast<int>(u64_field(o, "fd"));
  }
  // Optional: passBytes and expect (hex XXH3-64): each pass checked on its own.
  if (o.Get("passBytes").IsNumber()) spec.pass_bytes = u64_field(o, "passBytes");
  Napi::Value ev = o.Get("expect");
  if (ev.IsString()) spec.expect = std::strtoull(ev.As<Napi::String>().Utf8Value().c_str(), nullptr, 16);
  // The ktls-* modes' sink: tls, the sender's keys (72 hex digits): TLS_RX once accepted.
  if (o.Get("tls").IsString()) {
    try {
      spec.tls = parse_tls_keys(str_field(o, "tls"));
    } catch (const std::exception& e) {
      throw Napi::TypeError::New(env, e.what());
    }
  }
  spec.buffer = u64_field(o, "buffer");
  if (spec.buffer == 0) throw Napi::RangeError::New(env, "buffer must be at least 1 byte");
  // zerocopy-receive: the listener's MSS, set before the caller says it listens (no sender has connected yet).
  try {
    prepare_sink_listener(spec.mode, spec.listen_fd);
  } catch (...) {
    throw to_js_error(env, std::current_exception());
  }
  bool read = spec.mode == SinkMode::Read || spec.mode == SinkMode::ZerocopyReceive;
  SinkMode smode = spec.mode;
  return start_loop<SinkResult>(
      info, 1, [spec](Control& c) { return run_sink(spec, c); },
      [read, smode](Napi::Env env, const SinkResult& res) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("bytes", static_cast<double>(res.bytes));
        if (smode == SinkMode::Splice) o.Set("socketSplices", static_cast<double>(res.socket_splices));
        if (smode == SinkMode::ZerocopyReceive) {
          o.Set("mappedBytes", static_cast<double>(res.mapped_bytes));
          o.Set("copiedBytes", static_cast<double>(res.copied_bytes));
          o.Set("zerocopyCalls", static_cast<double>(res.zc_calls));
        }
        if (read) o.Set("checksum", Checksum::hex(res.checksum));
        o.Set("passes", static_cast<double>(res.passes));
        o.Set("tailBytes", static_cast<double>(res.tail_bytes));
        if (read) {
          o.Set("badPasses", static_cast<double>(res.bad_passes));
          o.Set("firstBadPass", static_cast<double>(res.first_bad_pass));
          o.Set("tailChecksum", Checksum::hex(res.tail_checksum));
        }
        o.Set("wallSeconds", res.wall_seconds);
        o.Set("cpuUserSeconds", res.cpu_user_seconds);
        o.Set("cpuSysSeconds", res.cpu_sys_seconds);
        o.Set("syscalls", syscalls_to_js(env, res.syscalls));
        o.Set("cancelled", res.cancelled);
        if (!res.header.empty()) o.Set("header", res.header);
        return o;
      });
}

// tlsKeys() -> 72 hex digits: a kTLS run's key, iv, salt and rec_seq, from getrandom(2).
Napi::Value TlsKeysHex(const Napi::CallbackInfo& info) {
  try {
    return Napi::String::New(info.Env(), generate_tls_keys_hex());
  } catch (...) {
    throw to_js_error(info.Env(), std::current_exception());
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Array modes = Napi::Array::New(env);
  uint32_t i = 0;
#define X(id, name) modes.Set(i++, name);
  ZCL_NATIVE_MODES(X)
#undef X
  exports.Set("nativeModes", modes);
  exports.Set("generateFile", Napi::Function::New(env, GenerateFile));
  exports.Set("fileChecksum", Napi::Function::New(env, FileChecksum));
  exports.Set("warmCache", Napi::Function::New(env, WarmCache));
  exports.Set("dropCache", Napi::Function::New(env, DropCache));
  exports.Set("residency", Napi::Function::New(env, Residency));
  exports.Set("holdCache", Napi::Function::New(env, HoldCache));
  exports.Set("releaseCache", Napi::Function::New(env, ReleaseCache));
  exports.Set("tryLockFile", Napi::Function::New(env, TryLockFile));
  exports.Set("dieWithParent", Napi::Function::New(env, DieWithParent));
  exports.Set("ignoreInterrupts", Napi::Function::New(env, IgnoreInterrupts));
  exports.Set("unlockFile", Napi::Function::New(env, UnlockFile));
  exports.Set("startTransfer", Napi::Function::New(env, StartTransfer));
  exports.Set("listen", Napi::Function::New(env, Listen));
  exports.Set("startSink", Napi::Function::New(env, StartSink));
  exports.Set("tlsKeys", Napi::Function::New(env, TlsKeysHex));
  zcl::probes::register_exports(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(zcl, Init)
