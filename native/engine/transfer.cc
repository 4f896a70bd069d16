#include "transfer.h"

#include <fcntl.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "net_util.h"
#include "sys_error.h"
#include "uring.h"

#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#endif

namespace zcl {

bool parse_mode(const std::string& name, Mode* out) {
#define X(id, str)     \
  if (name == str) {   \
    *out = Mode::id;   \
    return true;       \
  }
  ZCL_NATIVE_MODES(X)
#undef X
  return false;
}

std::string native_mode_names() {
  std::string s;
#define X(id, str) s += (s.empty() ? "" : ", ") + std::string(str);
  ZCL_NATIVE_MODES(X)
#undef X
  return s;
}

namespace {

// Owns the fds and mappings of one transfer so every exit path releases them.
struct Resources {
  int file = -1, sock = -1, pipe_r = -1, pipe_w = -1;
  void* map = MAP_FAILED;
  size_t map_len = 0;
  ~Resources() {
    if (map != MAP_FAILED) munmap(map, map_len);
    for (int fd : {file, sock, pipe_r, pipe_w})
      if (fd >= 0) close(fd);
  }
};

class Loop : public ChunkLoop {
 public:
  Loop(const TransferSpec& s, Control& c, TransferResult& r, Resources& res)
      : spec(s), ctl(c), out(r), rs(res) {}

  void run() {
    switch (spec.mode) {
      case Mode::ReadWrite: read_write(); break;
      case Mode::MmapWrite: mmap_write(); break;
      case Mode::Sendfile:
      case Mode::SendfileNoGather: send_file(); break;
      case Mode::Splice: splice_loop(); break;
      case Mode::MsgZerocopy: msg_zerocopy(); break;
      case Mode::UringSend: uring_send(*this, spec, out, rs.file, rs.sock); break;
      case Mode::UringSendZc:
        map_file();
        uring_send_zc(*this, spec, out, rs.sock, static_cast<const char*>(rs.map));
        unmap_file();
        break;
      case Mode::UringSplice:
        open_pipe();
        uring_splice(*this, spec, out, rs.file, rs.sock, rs.pipe_r, rs.pipe_w);
        break;
      // kTLS: the socket encrypts (TLS_TX set up before the loop); the loops are read-write's and sendfile's.
      case Mode::KtlsWrite: read_write(); break;
      case Mode::KtlsSendfile: send_file(); break;
    }
  }

 private:
  const TransferSpec& spec;
  Control& ctl;
  TransferResult& out;
  Resources& rs;
  uint64_t off = 0;    // offset in the current pass
  uint64_t moved = 0;  // bytes over all passes
  bool rewound = false;  // a new pass began: the mode rewinds its file position
  double t0 = monotonic_seconds();
  // Token bucket (paced runs): tokens accrue at spec.rate from `filled`, capped at one chunk.
  double tokens = 0, filled = t0;

  bool cancelled() {
    if (ctl.cancel.load(std::memory_order_relaxed)) {
      out.cancelled = true;
      return true;
    }
    return false;
  }
  bool time_up(double now) const { return spec.duration > 0 && now - t0 >= spec.duration; }

  // Before each chunk: false when the run is over (cancelled, file sent, or time up);
  // on a timed run a finished pass starts the next from offset 0; on a paced run it
  // waits for the chunk's tokens, in slices of at most 10 ms so a cancel (or the
  // end of the time) is seen within one slice.
  bool more() override {
    if (cancelled()) return false;
    if (spec.duration > 0 && time_up(monotonic_seconds())) return false;
    if (off >= spec.size) {
      if (spec.duration <= 0) return false;
      out.passes++;
      off = 0;
      rewound = true;
    }
    // Once per chunk: a retry of the same chunk (EINTR, MSG_ZEROCOPY waiting for completions) takes no new tokens.
    if (spec.rate > 0 && paced_at != moved) {
      if (!pace(static_cast<double>(want()))) return false;
      paced_at = moved;
    }
    return true;
  }
  uint64_t paced_at = UINT64_MAX;

  bool pace(double n) {
    const double rate = static_cast<double>(spec.rate);
    // The bucket holds 100 ms of the rate (at least one chunk): a send that blocked
    // (socket buffer full) is caught up, within that. It starts empty, so by any time
    // t at most rate x t bytes were sent, whatever it holds.
    const double cap = std::max({static_cast<double>(spec.chunk), n, rate * 0.1});
    for (;;) {
      double now = monotonic_seconds();
      tokens = std::min(cap, tokens + (now - filled) * rate);
      filled = now;
      // A wait that overslept the end of a timed run sends nothing more.
      if (time_up(now)) return false;
      if (tokens >= n) {
        tokens -= n;
        return true;
      }
      double wait = std::min((n - tokens) / rate, 0.010);
      if (spec.duration > 0) wait = std::min(wait, std::max(0.0, spec.duration - (now - t0)));
      timespec ts{static_cast<time_t>(wait), static_cast<long>((wait - std::floor(wait)) * 1e9)};
      clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
      out.syscalls.add(Sys::clock_nanosleep);
      out.paced_seconds += monotonic_seconds() - now;
      if (cancelled()) return false;
    }
  }

  size_t want() const override { return static_cast<size_t>(std::min<uint64_t>(spec.chunk, spec.size - off)); }
  void advance(uint64_t n) override {
    off += n;
    moved += n;
    ctl.progress.store(moved, std::memory_order_relaxed);
  }

 public:
  uint64_t offset() const override { return off; }
  bool take_rewound() override {
    bool r = rewound;
    rewound = false;
    return r;
  }
  bool cancel_requested() override { return ctl.cancel.load(std::memory_order_relaxed); }

  // The passes completed and the bytes of a pass cut by the time.
  void finish() {
    if (off >= spec.size) out.passes++;
    else out.tail = off;
  }

 private:

  // write() until all n bytes are in the socket; a blocking TCP socket takes
  // them in one call unless a signal interrupts it.
  void write_all(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = write(rs.sock, p, n);
      out.syscalls.add(Sys::write);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw SysError("write", errno, "socket");
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  void map_file() {
    rs.map_len = spec.size;
    rs.map = mmap(nullptr, rs.map_len, PROT_READ, MAP_SHARED, rs.file, 0);
    out.syscalls.add(Sys::mmap);
    if (rs.map == MAP_FAILED) throw SysError("mmap", errno, spec.file);
  }
  void unmap_file() {
    int rc = munmap(rs.map, rs.map_len);
    out.syscalls.add(Sys::munmap);
    rs.map = MAP_FAILED;
    if (rc != 0) throw SysError("munmap", errno);
  }

  void read_write() {
    void* buf = nullptr;
    if (posix_memalign(&buf, 4096, spec.chunk) != 0) throw EngineError("cannot allocate the user buffer");
    std::unique_ptr<void, decltype(&free)> hold(buf, &free);
    char* b = static_cast<char*>(buf);
    while (more()) {
      if (rewound) {
        if (lseek(rs.file, 0, SEEK_SET) != 0) throw SysError("lseek", errno, spec.file);
        out.syscalls.add(Sys::lseek);
        rewound = false;
      }
      ssize_t n = read(rs.file, b, want());
      out.syscalls.add(Sys::read);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SysError("read", errno, spec.file);
      }
      if (n == 0) throw EngineError("file ended at byte " + std::to_string(off) + " before the requested size");
      write_all(b, static_cast<size_t>(n));
      advance(static_cast<uint64_t>(n));
    }
  }

  void mmap_write() {
    map_file();
    const char* base = static_cast<const char*>(rs.map);
    while (more()) {
      size_t n = want();
      write_all(base + off, n);
      advance(n);
    }
    unmap_file();
  }

  void send_file() {
    while (more()) {
      off_t pos = static_cast<off_t>(off);
      ssize_t n = sendfile(rs.sock, rs.file, &pos, want());
      out.syscalls.add(Sys::sendfile);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SysError("sendfile", errno);
      }
      if (n == 0) throw EngineError("file ended at byte " + std::to_string(off) + " before the requested size");
      advance(static_cast<uint64_t>(n));
    }
  }

  // A pipe as large as a chunk, so one splice moves one chunk each way.
  void open_pipe() {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) throw SysError("pipe2", errno);
    rs.pipe_r = p[0];
    rs.pipe_w = p[1];
    if (fcntl(rs.pipe_w, F_SETPIPE_SZ, static_cast<int>(std::max<uint64_t>(spec.chunk, 4096))) < 0)
      throw SysError("fcntl", errno, "F_SETPIPE_SZ " + std::to_string(spec.chunk));
  }

  void splice_loop() {
    open_pipe();
    while (more()) {
      loff_t pos = static_cast<loff_t>(off);
      ssize_t n = splice(rs.file, &pos, rs.pipe_w, nullptr, want(), SPLICE_F_MOVE | SPLICE_F_MORE);
      out.syscalls.add(Sys::splice);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SysError("splice", errno, "file to pipe");
      }
      if (n == 0) throw EngineError("file ended at byte " + std::to_string(off) + " before the requested size");
      size_t in_pipe = static_cast<size_t>(n);
      while (in_pipe > 0) {
        unsigned flags = SPLICE_F_MOVE | (spec.duration > 0 || off + static_cast<uint64_t>(n) < spec.size ? SPLICE_F_MORE : 0);
        ssize_t m = splice(rs.pipe_r, nullptr, rs.sock, nullptr, in_pipe, flags);
        out.syscalls.add(Sys::splice);
        if (m < 0) {
          if (errno == EINTR) continue;
          throw SysError("splice", errno, "pipe to socket");
        }
        in_pipe -= static_cast<size_t>(m);
      }
      advance(static_cast<uint64_t>(n));
    }
  }

  // --- MSG_ZEROCOPY: pages of the mapped file are pinned and queued by
  // reference; the kernel reports on the error queue when it is done with each
  // send, and flags the ones it had to copy after all (e.g. delivered locally).
  // Bytes of each zerocopy send, by its id, in a ring: a completion names only
  // sends still outstanding (at most max_outstanding), so a timed run of any
  // length needs no more than this.
  static constexpr uint32_t kZcRing = 4096;
  std::vector<uint32_t> zc_len = std::vector<uint32_t>(kZcRing);

  // Reads every notification queued now; returns how many sends they completed.
  uint64_t zc_drain() {
    uint64_t done = 0;
    for (;;) {
      char control[128];
      msghdr msg{};
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t r = recvmsg(rs.sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
      out.syscalls.add(Sys::recvmsg);
      if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return done;
        if (errno == EINTR) continue;
        throw SysError("recvmsg", errno, "MSG_ERRQUEUE");
      }
      for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        auto* serr = reinterpret_cast<sock_extended_err*>(CMSG_DATA(cm));
        if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY) continue;
        if (serr->ee_errno != 0) throw SysError("sendto", static_cast<int>(serr->ee_errno), "zerocopy completion");
        uint32_t lo = serr->ee_info, hi = serr->ee_data;
        uint64_t n = static_cast<uint64_t>(hi - lo) + 1;
        out.zc_completions += n;
        done += n;
        if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) {
          out.zc_copied_completions += n;
          for (uint32_t id = lo; id != hi + 1; id++)
            out.zc_copied_bytes += zc_len[id % kZcRing];
        }
      }
    }
  }

  // Blocks until a notification is queued (POLLERR), or the timeout passes.
  void zc_wait(int timeout_ms) {
    pollfd pfd{rs.sock, 0, 0};
    int r = poll(&pfd, 1, timeout_ms);
    out.syscalls.add(Sys::poll);
    if (r < 0 && errno != EINTR) throw SysError("poll", errno);
  }

  void msg_zerocopy() {
    int one = 1;
    if (setsockopt(rs.sock, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one) != 0)
      throw SysError("setsockopt", errno, "SO_ZEROCOPY");
    map_file();
    const char* base = static_cast<const char*>(rs.map);
    const uint64_t max_outstanding = 256;
    while (more()) {
      if (out.zc_sends - out.zc_completions >= max_outstanding) {
        zc_drain();
        if (out.zc_sends - out.zc_completions >= max_outstanding) zc_wait(100);
        continue;
      }
      size_t n = want();
      ssize_t w = send(rs.sock, base + off, n, MSG_ZEROCOPY | MSG_NOSIGNAL);
      out.syscalls.add(Sys::sendto);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) {  // notification memory (optmem) full: collect some first
          if (zc_drain() == 0) zc_wait(100);
          continue;
        }
        throw SysError("sendto", errno, "MSG_ZEROCOPY");
      }
      zc_len[static_cast<uint32_t>(out.zc_sends) % kZcRing] = static_cast<uint32_t>(w);
      out.zc_sends++;
      advance(static_cast<uint64_t>(w));
    }
    // Every send must be accounted for before the result is final.
    double deadline = monotonic_seconds() + 30;
    while (out.zc_completions < out.zc_sends && !ctl.cancel.load()) {
      if (zc_drain() == 0) zc_wait(200);
      if (monotonic_seconds() > deadline)
        throw EngineError("MSG_ZEROCOPY: " + std::to_string(out.zc_sends - out.zc_completions) +
                          " sends still without a completion after 30 s");
    }
    unmap_file();
  }
};

}  // namespace

TransferResult run_transfer(const TransferSpec& spec, Control& ctl) {
  TransferResult out;
  out.tid = static_cast<int>(syscall(SYS_gettid));
  if (spec.chunk == 0) throw EngineError("chunk must be at least 1 byte");
  Resources rs;
  rs.file = open(spec.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (rs.file < 0) throw SysError("open", errno, spec.file);
  struct stat st;
  if (fstat(rs.file, &st) != 0) throw SysError("fstat", errno, spec.file);
  if (static_cast<uint64_t>(st.st_size) < spec.size)
    throw EngineError("file " + spec.file + " holds " + std::to_string(st.st_size) + " bytes, fewer than " +
                      std::to_string(spec.size));
  rs.sock = tcp_connect(spec.host, spec.port);
  if (spec.mode == Mode::KtlsWrite || spec.mode == Mode::KtlsSendfile) {
    if (!spec.tls.set) throw EngineError("mode " + std::string(spec.mode == Mode::KtlsWrite ? "ktls-write" : "ktls-sendfile") + " needs tls keys");
    enable_ktls(rs.sock, spec.tls, true);
  }

  double u0, s0;
  thread_cpu_seconds(&u0, &s0);
  double t0 = monotonic_seconds();
  Loop loop(spec, ctl, out, rs);
  loop.run();
  loop.finish();
  out.wall_seconds = monotonic_seconds() - t0;
  double u1, s1;
  thread_cpu_seconds(&u1, &s1);
  out.cpu_user_seconds = u1 - u0;
  out.cpu_sys_seconds = s1 - s0;
  out.bytes = ctl.progress.load();
  return out;
}

}  // namespace zcl
