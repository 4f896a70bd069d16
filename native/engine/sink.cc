#include "sink.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "checksum.h"
#include "net_util.h"
#include "sys_error.h"

namespace zcl {

SinkResult run_sink(const SinkSpec& spec, SinkControl& ctl) {
  SinkResult out;
  // Wait for the connection in slices so a cancel is seen even if no sender comes.
  int fd = -1;
  while (fd < 0) {
    if (ctl.cancel.load()) {
      close(spec.listen_fd);
      out.cancelled = true;
      return out;
    }
    pollfd pfd{spec.listen_fd, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    fd = accept4(spec.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    out.syscalls.add(Sys::accept4);
    if (fd < 0 && errno != EINTR && errno != EAGAIN) {
      int e = errno;
      close(spec.listen_fd);
      throw SysError("accept4", e);
    }
  }
  close(spec.listen_fd);
  std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { close(*f); });

  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, spec.buffer) != 0) throw EngineError("cannot allocate the receive buffer");
  std::unique_ptr<void, decltype(&free)> hold(raw, &free);
  char* buf = static_cast<char*>(raw);
  const int flags = spec.mode == SinkMode::Discard ? MSG_TRUNC : 0;

  double u0, s0;
  thread_cpu_seconds(&u0, &s0);
  double t0 = 0;
  Checksum sum;
  for (;;) {
    if (ctl.cancel.load(std::memory_order_relaxed)) {
      out.cancelled = true;
      break;
    }
    ssize_t n = recv(fd, buf, spec.buffer, flags);
    out.syscalls.add(Sys::recvfrom);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("recvfrom", errno, "after " + std::to_string(out.bytes) + " bytes");
    }
    if (n == 0) break;
    if (out.bytes == 0) t0 = monotonic_seconds();
    if (spec.mode == SinkMode::Read) sum.update(buf, static_cast<size_t>(n));
    out.bytes += static_cast<uint64_t>(n);
    ctl.progress.store(out.bytes, std::memory_order_relaxed);
  }
  out.wall_seconds = out.bytes ? monotonic_seconds() - t0 : 0;
  double u1, s1;
  thread_cpu_seconds(&u1, &s1);
  out.cpu_user_seconds = u1 - u0;
  out.cpu_sys_seconds = s1 - s0;
  if (spec.mode == SinkMode::Read) out.checksum = sum.digest();
  return out;
}

}  // namespace zcl
