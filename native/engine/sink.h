// The sink: accepts one TCP connection and receives until the sender closes; or,
// as the client of a real program (the app modes), connects to it, sends a
// request (an HTTP GET) and receives until the server closes, the response's
// header (up to its blank line) apart from the body.
//  read:    recv() into a user buffer (the receive-side copy) and a running checksum;
//  discard: recv(MSG_TRUNC): TCP drops the bytes in the kernel without copying
//           them to user space (tcp_recvmsg skips skb_copy_datagram_msg).
//  copy:    recv() into a user buffer, nothing else (no checksum): what
//           iperf3's receiver does, for benchmarks against it.
//  splice:  splice(socket -> pipe, SPLICE_F_MOVE), then splice(pipe -> /dev/null):
//           the skb's pages go into the pipe by reference (tcp_splice_read), and
//           /dev/null drops them; the byte count is checked (no checksum: reading
//           the bytes would be the copy the sink avoids).
//  zerocopy-receive: TCP_ZEROCOPY_RECEIVE as the kernel's
//           tools/testing/selftests/net/tcp_mmap.c does it: a PROT_READ mapping
//           of the socket, getsockopt(TCP_ZEROCOPY_RECEIVE) maps whole pages the
//           skbs own into it, recv() copies the recv_skip_hint bytes it could
//           not map, madvise(MADV_DONTNEED) gives the pages back. Every byte,
//           mapped or copied, is checksummed (mapped pages before MADV_DONTNEED).
//           Its listener sets TCP_MAXSEG 4108 (4096 + the 12-byte timestamp
//           option) so the sender's segments carry whole pages.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "control.h"
#include "ktls.h"
#include "syscall_counts.h"

namespace zcl {

enum class SinkMode { Read, Discard, Copy, Splice, ZerocopyReceive };

// zerocopy-receive: the MSS its listener advertises (tcp_mmap's -M 4108): one page of payload per segment.
constexpr int kZerocopyReceiveMss = 4096 + 12;
// zerocopy-receive: sets TCP_MAXSEG on the listening socket before any sender connects; throws SysError.
void prepare_sink_listener(SinkMode mode, int listen_fd);

struct SinkSpec {
  SinkMode mode;
  int listen_fd;     // from tcp_listen(); the sink closes it after accept
  uint64_t buffer;   // bytes per recv
  // Client mode (listen_fd < 0): connect here, send `request` (may be empty).
  std::string connect_host;
  uint16_t connect_port = 0;
  std::string request;
  // The response starts with an HTTP header: received apart (not in bytes, not in the checksum).
  bool http = false;
  // Timed runs send the file again and again: the read sink checks each pass of
  // pass_bytes against `expect` (the file's XXH3-64) on its own, and reports the
  // checksum of a last pass cut short (the file's first tail_bytes). 0: the whole
  // stream is one piece (checksum over everything).
  uint64_t pass_bytes = 0;
  uint64_t expect = 0;
  // The ktls-* modes' sink: TLS_RX with the sender's keys once accepted, so recv() returns plaintext.
  TlsKeys tls;
};

using SinkControl = Control;

struct SinkResult {
  uint64_t bytes = 0;
  uint64_t checksum = 0;  // XXH3-64, read mode only: of the first pass (of everything without pass_bytes)
  uint64_t passes = 0;        // whole passes received (pass_bytes set)
  uint64_t bad_passes = 0;    // ... whose checksum differs from expect (read mode)
  int64_t first_bad_pass = -1;
  uint64_t tail_bytes = 0;    // bytes after the last whole pass
  uint64_t tail_checksum = 0;  // their XXH3-64 (read mode)
  double wall_seconds = 0;  // first byte to end of stream
  double cpu_user_seconds = 0;
  double cpu_sys_seconds = 0;
  SyscallCounts syscalls;
  bool cancelled = false;
  std::string header;  // http: the response header, blank line included
  // splice and zerocopy-receive sinks (issue 15, receive side):
  uint64_t socket_splices = 0;  // splice: splice(socket -> pipe) calls (the probes count these by name; pipe -> /dev/null is on no data fd)
  uint64_t mapped_bytes = 0;    // zerocopy-receive: bytes getsockopt(TCP_ZEROCOPY_RECEIVE) mapped (sum of zc.length)
  uint64_t copied_bytes = 0;    // zerocopy-receive: bytes received with recv() (recv_skip_hint bytes and anything unmappable)
  uint64_t zc_calls = 0;        // zerocopy-receive: getsockopt(TCP_ZEROCOPY_RECEIVE) calls
};

SinkResult run_sink(const SinkSpec& spec, SinkControl& ctl);

}  // namespace zcl
