// The native addon's JS surface: the transfer engine, the sink, the data-file
// tools (and, in probes/, the eBPF probe host). Long work runs on libuv worker
// threads; progress is an atomic JS polls, so the loops make no extra syscalls.
#include <napi.h>

#include <exception>
#include <functional>
#include <memory>

#include "engine/checksum.h"
#include "engine/datafile.h"
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

// Runs fn() on a worker thread and settles a promise with to_js(result).
template <typename T>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<T()> fn, std::function<Napi::Value(Napi::Env, const T&)> to_js)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), fn_(fn), to_js_(to_js) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      value_ = fn_();
    } catch (...) {
      error_ = std::current_exception();
      SetError("failed");
    }
  }
  void OnOK() override { deferred_.Resolve(to_js_(Env(), value_)); }
  void OnError(const Napi::Error&) override { deferred_.Reject(to_js_error(Env(), error_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<T()> fn_;
  std::function<Napi::Value(Napi::Env, const T&)> to_js_;
  T value_{};
  std::exception_ptr error_;
};

template <typename T>
Napi::Value run_async(Napi::Env env, std::function<T()> fn, std::function<Napi::Value(Napi::Env, const T&)> to_js) {
  auto* w = new PromiseWorker<T>(env, fn, to_js);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
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

// ---- data files ----
Napi::Value GenerateFile(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  uint64_t size = static_cast<uint64_t>(info[1].As<Napi::Number>().DoubleValue());
  return run_async<uint64_t>(
      info.Env(), [path, size] { return generate_file(path, size); },
      [](Napi::Env env, const uint64_t& sum) { return Napi::String::New(env, Checksum::hex(sum)); });
}

Napi::Value FileChecksum(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  return run_async<uint64_t>(
      info.Env(), [path] { return file_checksum(path); },
      [](Napi::Env env, const uint64_t& sum) { return Napi::String::New(env, Checksum::hex(sum)); });
}

Napi::Value WarmCache(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  return run_async<bool>(
      info.Env(), [path] { warm_cache(path); return true; },
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

// lockFile(path, exclusive) -> Promise<fd>: flock on a worker thread (it may wait).
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  std::string path = string_arg(info, 0, "path");
  bool exclusive = info[1].ToBoolean().Value();
  return run_async<int>(
      info.Env(), [path, exclusive] { return lock_file(path, exclusive); },
      [](Napi::Env env, const int& fd) { return Napi::Number::New(env, fd); });
}

Napi::Value UnlockFile(const Napi::CallbackInfo& info) {
  unlock_file(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// ---- long-running loops with progress and cancel ----
// The handle JS gets back: progress() reads the loop's atomic byte count,
// cancel() sets the flag the loop checks before every syscall.
template <typename Ctl>
Napi::Object make_handle(Napi::Env env, std::shared_ptr<Ctl> ctl) {
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

class TransferWorker : public Napi::AsyncWorker {
 public:
  TransferWorker(Napi::Function cb, TransferSpec spec, std::shared_ptr<Control> ctl)
      : Napi::AsyncWorker(cb), spec_(std::move(spec)), ctl_(std::move(ctl)) {}
  void Execute() override {
    try {
      res_ = run_transfer(spec_, *ctl_);
    } catch (...) {
      err_ = std::current_exception();
      SetError("failed");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", static_cast<double>(res_.bytes));
    o.Set("wallSeconds", res_.wall_seconds);
    o.Set("cpuUserSeconds", res_.cpu_user_seconds);
    o.Set("cpuSysSeconds", res_.cpu_sys_seconds);
    o.Set("syscalls", syscalls_to_js(env, res_.syscalls));
    o.Set("cancelled", res_.cancelled);
    o.Set("tid", res_.tid);
    if (spec_.mode == Mode::MsgZerocopy) {
      Napi::Object z = Napi::Object::New(env);
      z.Set("sends", static_cast<double>(res_.zc_sends));
      z.Set("completions", static_cast<double>(res_.zc_completions));
      z.Set("copiedCompletions", static_cast<double>(res_.zc_copied_completions));
      z.Set("copiedBytes", static_cast<double>(res_.zc_copied_bytes));
      o.Set("zerocopy", z);
    }
    Callback().Call({env.Null(), o});
  }
  void OnError(const Napi::Error&) override { Callback().Call({to_js_error(Env(), err_).Value()}); }

 private:
  TransferSpec spec_;
  std::shared_ptr<Control> ctl_;
  TransferResult res_;
  std::exception_ptr err_;
};

// startTransfer({mode, file, size, chunk, host, port}, (err, result) => ...)
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
  auto ctl = std::make_shared<Control>();
  (new TransferWorker(info[1].As<Napi::Function>(), spec, ctl))->Queue();
  return make_handle(env, ctl);
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

class SinkWorker : public Napi::AsyncWorker {
 public:
  SinkWorker(Napi::Function cb, SinkSpec spec, std::shared_ptr<SinkControl> ctl)
      : Napi::AsyncWorker(cb), spec_(spec), ctl_(std::move(ctl)) {}
  void Execute() override {
    try {
      res_ = run_sink(spec_, *ctl_);
    } catch (...) {
      err_ = std::current_exception();
      SetError("failed");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", static_cast<double>(res_.bytes));
    if (spec_.mode == SinkMode::Read) o.Set("checksum", Checksum::hex(res_.checksum));
    o.Set("wallSeconds", res_.wall_seconds);
    o.Set("cpuUserSeconds", res_.cpu_user_seconds);
    o.Set("cpuSysSeconds", res_.cpu_sys_seconds);
    o.Set("syscalls", syscalls_to_js(env, res_.syscalls));
    o.Set("cancelled", res_.cancelled);
    Callback().Call({env.Null(), o});
  }
  void OnError(const Napi::Error&) override { Callback().Call({to_js_error(Env(), err_).Value()}); }

 private:
  SinkSpec spec_;
  std::shared_ptr<SinkControl> ctl_;
  SinkResult res_;
  std::exception_ptr err_;
};

// startSink({fd, mode: 'read'|'discard', buffer}, (err, result) => ...)
Napi::Value StartSink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "startSink(spec, callback)");
  Napi::Object o = info[0].As<Napi::Object>();
  std::string mode = str_field(o, "mode");
  SinkSpec spec;
  if (mode == "read") spec.mode = SinkMode::Read;
  else if (mode == "discard") spec.mode = SinkMode::Discard;
  else throw Napi::TypeError::New(env, "sink mode '" + mode + "' is not one of: read, discard");
  spec.listen_fd = static_cast<int>(u64_field(o, "fd"));
  spec.buffer = u64_field(o, "buffer");
  if (spec.buffer == 0) throw Napi::RangeError::New(env, "buffer must be at least 1 byte");
  auto ctl = std::make_shared<SinkControl>();
  (new SinkWorker(info[1].As<Napi::Function>(), spec, ctl))->Queue();
  return make_handle(env, ctl);
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
  exports.Set("lockFile", Napi::Function::New(env, LockFile));
  exports.Set("unlockFile", Napi::Function::New(env, UnlockFile));
  exports.Set("startTransfer", Napi::Function::New(env, StartTransfer));
  exports.Set("listen", Napi::Function::New(env, Listen));
  exports.Set("startSink", Napi::Function::New(env, StartSink));
  zcl::probes::register_exports(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(zcl, Init)
