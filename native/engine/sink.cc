#include "sink.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <functional>
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


// The splice sink: socket -> pipe (the skb's pages by reference), pipe -> /dev/null.
template <typename Account>
void splice_loop(int fd, const SinkSpec& spec, SinkResult& out, SinkControl& ctl, Account& account) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw SysError("pipe2", errno);
  std::unique_ptr<int, void (*)(int*)> gp(p, [](int* q) { close(q[0]); close(q[1]); });
  // A pipe as large as the buffer, so one splice moves up to a buffer's worth.
  fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(std::max<uint64_t>(spec.buffer, 4096)));
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0) throw SysError("open", errno, "/dev/null");
  std::unique_ptr<int, void (*)(int*)> gn(&null, [](int* f) { close(*f); });
  for (;;) {
    if (ctl.cancel.load(std::memory_order_relaxed)) {
      out.cancelled = true;
      return;
    }
    ssize_t n = splice(fd, nullptr, p[1], nullptr, spec.buffer, SPLICE_F_MOVE);
    out.syscalls.add(Sys::splice);
    out.socket_splices++;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("splice", errno, "socket to pipe, after " + std::to_string(out.bytes) + " bytes");
    }
    if (n == 0) return;
    size_t in_pipe = static_cast<size_t>(n);
    while (in_pipe > 0) {
      ssize_t m = splice(p[0], nullptr, null, nullptr, in_pipe, SPLICE_F_MOVE);
      out.syscalls.add(Sys::splice);
      if (m < 0 && errno == EINTR) continue;
      if (m <= 0) throw SysError("splice", m < 0 ? errno : EPIPE, "pipe to /dev/null");
      in_pipe -= static_cast<size_t>(m);
    }
    account(nullptr, static_cast<uint64_t>(n));
  }
}

// struct tcp_zerocopy_receive up to err (uapi linux/tcp.h; the kernel takes any
// length from recv_skip_hint on and fills what fits).
struct ZeroCopyReceive {
  uint64_t address;
  uint32_t length;
  uint32_t recv_skip_hint;
  uint32_t inq;
  int32_t err;
};
constexpr int kTcpZerocopyReceive = 35;  // TCP_ZEROCOPY_RECEIVE
constexpr size_t kZerocopyReceiveChunk = 512 * 1024;

// The zerocopy-receive sink, as tcp_mmap.c's receiver: map, hash, MADV_DONTNEED;
// copy what the kernel says it cannot map (recv_skip_hint).
template <typename Account>
void zerocopy_receive_loop(int fd, const SinkSpec& spec, SinkResult& out, SinkControl& ctl, char* buf, Account& account) {
  // tcp_mmap.c's default chunk (512 KiB), or the buffer if larger, and SO_RCVLOWAT at
  // it: poll waits for a chunk, so each getsockopt maps many pages and each
  // madvise pays its TLB shootdown once for them (on this 2-CPU VM a shootdown's
  // IPI costs hundreds of microseconds: measured, see the catalog's summary).
  const size_t chunk = std::max<size_t>(kZerocopyReceiveChunk, (spec.buffer + 4095) / 4096 * 4096);
  int lowat = static_cast<int>(chunk);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) != 0) throw SysError("setsockopt", errno, "SO_RCVLOWAT");
  out.syscalls.add(Sys::setsockopt);
  void* map = mmap(nullptr, chunk, PROT_READ, MAP_SHARED, fd, 0);
  out.syscalls.add(Sys::mmap);
  if (map == MAP_FAILED) throw SysError("mmap", errno, "a mapping of the TCP socket (TCP_ZEROCOPY_RECEIVE)");
  std::unique_ptr<void, std::function<void(void*)>> gm(map, [chunk, &out](void* m) {
    munmap(m, chunk);
    out.syscalls.add(Sys::munmap);
  });
  char* addr = static_cast<char*>(map);
  for (;;) {
    if (ctl.cancel.load(std::memory_order_relaxed)) {
      out.cancelled = true;
      return;
    }
    pollfd pfd{fd, POLLIN, 0};
    int pr = poll(&pfd, 1, 100);
    out.syscalls.add(Sys::poll);
    if (pr < 0 && errno != EINTR) throw SysError("poll", errno);
    if (pr <= 0) continue;
    ZeroCopyReceive zc{};
    zc.address = reinterpret_cast<uint64_t>(addr);
    zc.length = static_cast<uint32_t>(chunk);
    socklen_t zl = sizeof(zc);
    int rc = getsockopt(fd, IPPROTO_TCP, kTcpZerocopyReceive, &zc, &zl);
    out.syscalls.add(Sys::getsockopt);
    out.zc_calls++;
    if (rc != 0) {
      int e = errno;
      if (e == EINTR || e == EAGAIN) continue;
      // After the sender's FIN the kernel refuses the call (EIO, as tcp_mmap.c's
      // loop ends on -1): a recv() says whether the stream ended.
      if (e == EIO) {
        ssize_t n = recv(fd, buf, spec.buffer, MSG_DONTWAIT);
        out.syscalls.add(Sys::recvfrom);
        if (n == 0) return;
        if (n > 0) {
          account(buf, static_cast<uint64_t>(n));
          out.copied_bytes += static_cast<uint64_t>(n);
          continue;
        }
      }
      throw SysError("getsockopt", e, "TCP_ZEROCOPY_RECEIVE after " + std::to_string(out.bytes) + " bytes");
    }
    if (zc.err) throw SysError("getsockopt", zc.err < 0 ? -zc.err : zc.err, "TCP_ZEROCOPY_RECEIVE reported a socket error");
    if (zc.length) {
      // Hash the mapped pages before giving them back.
      account(addr, zc.length);
      out.mapped_bytes += zc.length;
      madvise(addr, zc.length, MADV_DONTNEED);
      out.syscalls.add(Sys::madvise);
    }
    // What could not be mapped (not whole, page-aligned, order-0 pages the skb owns): copied.
    size_t want = zc.recv_skip_hint;
    bool eof_probe = false;
    if (!zc.length && !want) {
      // Readable, yet nothing to map or skip: the end of the stream (or data that arrived since).
      want = spec.buffer;
      eof_probe = true;
    }
    while (want > 0) {
      ssize_t n = recv(fd, buf, std::min<size_t>(want, spec.buffer), eof_probe ? MSG_DONTWAIT : 0);
      out.syscalls.add(Sys::recvfrom);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (eof_probe && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        throw SysError("recvfrom", errno, "after " + std::to_string(out.bytes) + " bytes");
      }
      if (n == 0) return;
      account(buf, static_cast<uint64_t>(n));
      out.copied_bytes += static_cast<uint64_t>(n);
      if (eof_probe) break;
      want -= static_cast<size_t>(n);
    }
  }
}

}  // namespace

void prepare_sink_listener(SinkMode mode, int listen_fd) {
  if (mode != SinkMode::ZerocopyReceive || listen_fd < 0) return;
  int mss = kZerocopyReceiveMss;
  if (setsockopt(listen_fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) != 0) throw SysError("setsockopt", errno, "TCP_MAXSEG on the zerocopy-receive sink's listener");
}

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
  // read and zerocopy-receive check every byte; the others only count them.
  const bool hashing = spec.mode == SinkMode::Read || spec.mode == SinkMode::ZerocopyReceive;

  double u0, s0;
  thread_cpu_seconds(&u0, &s0);
  double t0 = 0;
  Checksum sum;
  uint64_t in_pass = 0;
  if (spec.http) {
    out.header = read_http_header(fd, out, ctl);
    if (ctl.cancel.load()) out.cancelled = true;
  }
  // n bytes arrived (at p when hashing): counted, checksummed, split at pass boundaries.
  auto account = [&](const char* p, uint64_t n) {
    if (out.bytes == 0) t0 = monotonic_seconds();
    if (spec.pass_bytes == 0) {
      if (hashing) sum.update(p, static_cast<size_t>(n));
    } else {
      // Split at pass boundaries: each whole pass is checked on its own.
      uint64_t left = n;
      while (left > 0) {
        uint64_t take = std::min(left, spec.pass_bytes - in_pass);
        if (hashing) sum.update(p, static_cast<size_t>(take));
        if (p) p += take;
        left -= take;
        in_pass += take;
        if (in_pass == spec.pass_bytes) {
          if (hashing) {
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
    out.bytes += n;
    ctl.progress.store(out.bytes, std::memory_order_relaxed);
  };
  if (!out.cancelled && spec.mode == SinkMode::Splice) splice_loop(fd, spec, out, ctl, account);
  else if (!out.cancelled && spec.mode == SinkMode::ZerocopyReceive) zerocopy_receive_loop(fd, spec, out, ctl, buf, account);
  for (; !out.cancelled && spec.mode != SinkMode::Splice && spec.mode != SinkMode::ZerocopyReceive;) {
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
    account(buf, static_cast<uint64_t>(n));
  }
  out.wall_seconds = out.bytes ? monotonic_seconds() - t0 : 0;
  double u1, s1;
  thread_cpu_seconds(&u1, &s1);
  out.cpu_user_seconds = u1 - u0;
  out.cpu_sys_seconds = s1 - s0;
  if (spec.pass_bytes == 0) {
    if (hashing) out.checksum = sum.digest();
  } else {
    out.tail_bytes = in_pass;
    if (hashing) {
      out.tail_checksum = sum.digest();
      if (out.passes == 0) out.checksum = out.tail_checksum;
    }
  }
  return out;
}

}  // namespace zcl
