// The transfer engine: moves a file to a connected TCP socket in one of the
// sender modes of DESIGN.md, counting every syscall it issues in its loop.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "control.h"
#include "syscall_counts.h"

namespace zcl {

// The sender modes this engine implements natively (node-stream is plain JS).
#define ZCL_NATIVE_MODES(X)                 \
  X(ReadWrite, "read-write")                \
  X(MmapWrite, "mmap-write")                \
  X(Sendfile, "sendfile")                   \
  X(SendfileNoGather, "sendfile-nogather")  \
  X(Splice, "splice")                       \
  X(MsgZerocopy, "msg-zerocopy")

enum class Mode {
#define X(id, name) id,
  ZCL_NATIVE_MODES(X)
#undef X
};

bool parse_mode(const std::string& name, Mode* out);
std::string native_mode_names();  // "a, b, c" for error messages

struct TransferSpec {
  Mode mode;
  std::string file;
  uint64_t size;   // bytes to send (the file must hold at least this many)
  uint64_t chunk;  // bytes per transfer syscall
  std::string host;
  uint16_t port;
};


struct TransferResult {
  uint64_t bytes = 0;
  double wall_seconds = 0;
  double cpu_user_seconds = 0;  // the engine thread only (RUSAGE_THREAD)
  double cpu_sys_seconds = 0;
  SyscallCounts syscalls;
  bool cancelled = false;
  int tid = 0;
  // msg-zerocopy only: what the kernel reported on the socket's error queue.
  uint64_t zc_sends = 0;
  uint64_t zc_completions = 0;         // sends whose completion arrived
  uint64_t zc_copied_completions = 0;  // ... marked SO_EE_CODE_ZEROCOPY_COPIED
  uint64_t zc_copied_bytes = 0;        // bytes of the sends in those completions
};

TransferResult run_transfer(const TransferSpec& spec, Control& ctl);

}  // namespace zcl
