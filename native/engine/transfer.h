// The transfer engine: moves a file to a connected TCP socket in one of the
// sender modes of DESIGN.md, counting every syscall it issues in its loop.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "control.h"
#include "ktls.h"
#include "syscall_counts.h"

namespace zcl {

// The sender modes this engine implements natively (node-stream is plain JS).
#define ZCL_NATIVE_MODES(X)                 \
  X(ReadWrite, "read-write")                \
  X(MmapWrite, "mmap-write")                \
  X(Sendfile, "sendfile")                   \
  X(SendfileNoGather, "sendfile-nogather")  \
  X(Splice, "splice")                       \
  X(MsgZerocopy, "msg-zerocopy")            \
  X(UringSend, "io_uring-send")             \
  X(UringSendZc, "io_uring-send-zc")        \
  X(UringSplice, "io_uring-splice")         \
  X(KtlsWrite, "ktls-write")                \
  X(KtlsSendfile, "ktls-sendfile")

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
  // Timed run: seconds to keep sending, the file again and again from offset 0
  // (each pass `size` bytes); checked before each chunk, so the chunk in flight
  // finishes and the last pass may be cut. 0: one pass.
  double duration = 0;
  // Paced run: bytes per second, a token bucket refilled at this rate, starting
  // empty and holding at most 100 ms of it (at least one chunk): by any time t
  // since the start at most rate x t bytes were sent. 0: unlimited.
  uint64_t rate = 0;
  // ktls-* modes: the record layer's keys (TLS_TX), the sink's TLS_RX gets the same.
  TlsKeys tls;
};


struct TransferResult {
  uint64_t bytes = 0;
  double wall_seconds = 0;
  double cpu_user_seconds = 0;  // the engine thread only (RUSAGE_THREAD)
  double cpu_sys_seconds = 0;
  SyscallCounts syscalls;
  bool cancelled = false;
  int tid = 0;
  uint64_t passes = 0;      // passes of the whole file completed
  uint64_t tail = 0;        // bytes of the last pass when time ran out within it (the file's first `tail` bytes)
  double paced_seconds = 0;  // time spent waiting for the rate
  // msg-zerocopy only: what the kernel reported on the socket's error queue.
  uint64_t zc_sends = 0;
  uint64_t zc_completions = 0;         // sends whose completion arrived
  uint64_t zc_copied_completions = 0;  // ... marked SO_EE_CODE_ZEROCOPY_COPIED
  uint64_t zc_copied_bytes = 0;        // bytes of the sends in those completions
  // (io_uring-send-zc fills the four above from its requests and notification
  // CQEs: IORING_CQE_F_NOTIF, IORING_NOTIF_USAGE_ZC_COPIED.)
  // io_uring modes only: the engine's own io_uring_enter calls, the SQEs they
  // submitted (the enter's return value), and the send requests completed.
  uint64_t uring_enters = 0;
  uint64_t uring_sqes = 0;
  uint64_t uring_sends = 0;
};

TransferResult run_transfer(const TransferSpec& spec, Control& ctl);

}  // namespace zcl
