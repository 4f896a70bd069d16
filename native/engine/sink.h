// The sink: accepts one TCP connection and receives until the sender closes.
//  read:    recv() into a user buffer (the receive-side copy) and a running checksum;
//  discard: recv(MSG_TRUNC): TCP drops the bytes in the kernel without copying
//           them to user space (tcp_recvmsg skips skb_copy_datagram_msg).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "control.h"
#include "syscall_counts.h"

namespace zcl {

enum class SinkMode { Read, Discard };

struct SinkSpec {
  SinkMode mode;
  int listen_fd;     // from tcp_listen(); the sink closes it after accept
  uint64_t buffer;   // bytes per recv
};

using SinkControl = Control;

struct SinkResult {
  uint64_t bytes = 0;
  uint64_t checksum = 0;  // XXH3-64, read mode only
  double wall_seconds = 0;  // first byte to end of stream
  double cpu_user_seconds = 0;
  double cpu_sys_seconds = 0;
  SyscallCounts syscalls;
  bool cancelled = false;
};

SinkResult run_sink(const SinkSpec& spec, SinkControl& ctl);

}  // namespace zcl
