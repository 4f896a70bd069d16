#include "sink.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <memory>

#include "checksum.h"
#include "net_util.h"
#include "sys_error.h"

namespace zcl {

namespace {

// Reads an HTTP response header (through its blank line) and nothing more: it
// peeks until the blank line is in the socket's queue, then reads exactly the
// header, so the body is received by the loop (and a discard sink copies none of it).
std::string read_http_header(int fd, SinkResult& out, SinkControl& ctl) {
  // Peeks a little at first (a peek copies to user space too: the receive copy
  // the sink reports), more only while the header does not fit.
  constexpr size_t kMax = 64 * 1024;
  std::string buf(kMax, '\0');
  size_t want = 1024;
  for (;;) {
    if (ctl.cancel.load()) return {};
    pollfd pfd{fd, POLLIN, 0};
    int pr = poll(&pfd, 1, 100);
    out.syscalls.add(Sys::poll);
    if (pr <= 0) continue;
    ssize_t n = recv(fd, buf.data(), want, MSG_PEEK);
    out.syscalls.add(Sys::recvfrom);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("recvfrom", errno, "reading the HTTP header");
    }
    if (n == 0) throw EngineError("the server closed the connection before a complete HTTP header");
    std::string_view got(buf.data(), static_cast<size_t>(n));
    size_t end = got.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (static_cast<size_t>(n) == kMax) throw EngineError("the HTTP header is longer than 64 KiB");
      if (static_cast<size_t>(n) == want) want *= 2;  // the header is longer than the peek
      else usleep(1000);  // the rest of the header is on its way
      continue;
    }
    size_t len = end + 4;
    std::string header(len, '\0');
    size_t have = 0;
    while (have < len) {
      ssize_t r = recv(fd, header.data() + have, len - have, 0);
      out.syscalls.add(Sys::recvfrom);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) throw SysError("recvfrom", r < 0 ? errno : EPIPE, "reading the HTTP header");
      have += static_cast<size_t>(r);
    }
    return header;
  }
}

}  // namespace

SinkResult run_sink(const SinkSpec& spec, SinkControl& ctl) {
  SinkResult out;
  // Wait for the connection in slices so a cancel is seen even if no sender comes.
  int fd = -1;
  if (spec.listen_fd < 0) {
    fd = tcp_connect(spec.connect_host, spec.connect_port);
    out.syscalls.add(Sys::connect);
    size_t sent = 0;
    while (sent < spec.request.size()) {
      ssize_t n = send(fd, spec.request.data() + sent, spec.request.size() - sent, MSG_NOSIGNAL);
      out.syscalls.add(Sys::sendto);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        close(fd);
        throw SysError("sendto", e, "sending the request");
      }
      sent += static_cast<size_t>(n);
    }
  }
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
  if (spec.listen_fd >= 0) close(spec.listen_fd);
  std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { close(*f); });
  if (spec.tls.set) enable_ktls(fd, spec.tls, false);

  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, spec.buffer) != 0) throw EngineError("cannot allocate the receive buffer");
  std::unique_ptr<void, decltype(&free)> hold(raw, &free);
  char* buf = static_cast<char*>(raw);
  const int flags = spec.mode == SinkMode::Discard ? MSG_TRUNC : 0;

  double u0, s0;
  thread_cpu_seconds(&u0, &s0);
  double t0 = 0;
  Checksum sum;
  uint64_t in_pass = 0;
  if (spec.http) {
    out.header = read_http_header(fd, out, ctl);
    if (ctl.cancel.load()) out.cancelled = true;
  }
  for (; !out.cancelled;) {
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
    if (spec.pass_bytes == 0) {
      if (spec.mode == SinkMode::Read) sum.update(buf, static_cast<size_t>(n));
    } else {
      // Split at pass boundaries: each whole pass is checked on its own.
      const char* p = buf;
      uint64_t left = static_cast<uint64_t>(n);
      while (left > 0) {
        uint64_t take = std::min(left, spec.pass_bytes - in_pass);
        if (spec.mode == SinkMode::Read) sum.update(p, static_cast<size_t>(take));
        p += take;
        left -= take;
        in_pass += take;
        if (in_pass == spec.pass_bytes) {
          if (spec.mode == SinkMode::Read) {
            uint64_t d = sum.digest();
            if (out.passes == 0) out.checksum = d;
            if (d != spec.expect && out.bad_passes++ == 0) out.first_bad_pass = static_cast<int64_t>(out.passes);
            sum.reset();
          }
          out.passes++;
          in_pass = 0;
        }
      }
    }
    out.bytes += static_cast<uint64_t>(n);
    ctl.progress.store(out.bytes, std::memory_order_relaxed);
  }
  out.wall_seconds = out.bytes ? monotonic_seconds() - t0 : 0;
  double u1, s1;
  thread_cpu_seconds(&u1, &s1);
  out.cpu_user_seconds = u1 - u0;
  out.cpu_sys_seconds = s1 - s0;
  if (spec.pass_bytes == 0) {
    if (spec.mode == SinkMode::Read) out.checksum = sum.digest();
  } else {
    out.tail_bytes = in_pass;
    if (spec.mode == SinkMode::Read) {
      out.tail_checksum = sum.digest();
      if (out.passes == 0) out.checksum = out.tail_checksum;
    }
  }
  return out;
}

}  // namespace zcl
