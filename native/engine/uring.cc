#include "uring.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "net_util.h"
#include "sys_error.h"

// liburing 2.3 (Debian 12) predates these (Linux 6.2): the values are the kernel's uapi.
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

namespace zcl {

namespace {

// One ring, every io_uring_enter counted. DEFER_TASKRUN: the kernel runs the
// ring's deferred work (a send retried when the socket has room, a notification
// posted) only inside io_uring_enter, so every send happens within a counted
// syscall of the engine's thread. Completions are read from the shared ring with
// no syscall (io_uring_for_each_cqe; liburing's peek may enter the kernel).
class Ring {
 public:
  explicit Ring(TransferResult& out) : out_(out) {
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 4096;
    int rc = io_uring_queue_init_params(64, &ring_, &p);
    if (rc < 0) throw SysError("io_uring_setup", -rc, "64 entries, SINGLE_ISSUER | DEFER_TASKRUN (Linux >= 6.1)");
  }
  ~Ring() { io_uring_queue_exit(&ring_); }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    if (!s) throw EngineError("io_uring: the submission queue is full");
    return s;
  }

  // One io_uring_enter: submits what is queued, waits for at least `wait` CQEs.
  void enter(unsigned wait) {
    for (;;) {
      int rc = io_uring_submit_and_wait(&ring_, std::max(1u, wait));
      out_.syscalls.add(Sys::io_uring_enter);
      out_.uring_enters++;
      if (rc >= 0) {
        out_.uring_sqes += static_cast<uint64_t>(rc);
        return;
      }
      if (rc == -EINTR || rc == -EAGAIN || rc == -EBUSY) {
        if (io_uring_sq_ready(&ring_) == 0) return;  // submitted; the wait was cut short
        continue;
      }
      throw SysError("io_uring_enter", -rc);
    }
  }

  // Every CQE in the ring now, to f(cqe), then released.
  template <typename F>
  unsigned reap(F f) {
    unsigned head, n = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      f(*cqe);
      n++;
    }
    io_uring_cq_advance(&ring_, n);
    return n;
  }

 private:
  io_uring ring_{};
  TransferResult& out_;
};

// A send's CQE: every byte of it, or the run fails (MSG_WAITALL makes io_uring
// retry a short send itself; a linked request after a failed one is cancelled).
void check_send(const io_uring_cqe& c, uint32_t len, const char* what) {
  if (c.res < 0) throw SysError(what, -c.res, "socket");
  if (static_cast<uint32_t>(c.res) != len)
    throw EngineError(std::string(what) + ": " + std::to_string(c.res) + " of " + std::to_string(len) + " bytes sent");
}

}  // namespace

// IORING_OP_SEND: read() a chunk into one of kUringBatch buffers, queue its send;
// a batch of linked sends goes in one io_uring_enter, which returns when all are done.
void uring_send(ChunkLoop& loop, const TransferSpec& spec, TransferResult& out, int file, int sock) {
  Ring ring(out);
  const size_t chunk = static_cast<size_t>(spec.chunk);
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, chunk * kUringBatch) != 0) throw EngineError("cannot allocate the user buffers");
  std::unique_ptr<void, decltype(&free)> hold(mem, &free);
  char* bufs = static_cast<char*>(mem);
  std::vector<uint32_t> lens(kUringBatch);
  for (;;) {
    unsigned queued = 0;
    io_uring_sqe* prev = nullptr;
    while (queued < kUringBatch && loop.more()) {
      if (loop.take_rewound()) {
        if (lseek(file, 0, SEEK_SET) != 0) throw SysError("lseek", errno, spec.file);
        out.syscalls.add(Sys::lseek);
      }
      char* b = bufs + queued * chunk;
      ssize_t n = read(file, b, loop.want());
      out.syscalls.add(Sys::read);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SysError("read", errno, spec.file);
      }
      if (n == 0) throw EngineError("file ended at byte " + std::to_string(loop.offset()) + " before the requested size");
      if (prev) prev->flags |= IOSQE_IO_LINK;
      prev = ring.sqe();
      io_uring_prep_send(prev, sock, b, static_cast<size_t>(n), MSG_WAITALL | MSG_NOSIGNAL);
      prev->user_data = queued;
      lens[queued++] = static_cast<uint32_t>(n);
      loop.advance(static_cast<uint64_t>(n));
    }
    if (queued == 0) return;
    unsigned done = 0;
    while (done < queued) {
      ring.enter(queued - done);
      done += ring.reap([&](const io_uring_cqe& c) { check_send(c, lens[c.user_data % kUringBatch], "IORING_OP_SEND"); });
    }
    out.uring_sends += queued;
  }
}

// IORING_OP_SEND_ZC from the mapping, IORING_SEND_ZC_REPORT_USAGE asked: each
// request posts its send CQE (IORING_CQE_F_MORE: a notification follows) and,
// when the kernel has released the pages, a notification CQE (IORING_CQE_F_NOTIF)
// whose res carries IORING_NOTIF_USAGE_ZC_COPIED if the bytes were copied after
// all. The mapping stays until every notification has arrived.
void uring_send_zc(ChunkLoop& loop, const TransferSpec& spec, TransferResult& out, int sock, const char* map) {
  Ring ring(out);
  // Bytes of each request by its id (user_data), in a ring: at most
  // max_outstanding notifications are pending, so ids this far apart never collide.
  constexpr uint32_t kIds = 4096;
  const uint64_t max_outstanding = 256;
  std::vector<uint32_t> len(kIds);
  uint64_t next_id = 0, sends_done = 0;
  auto on_cqe = [&](const io_uring_cqe& c) {
    uint32_t n = len[c.user_data % kIds];
    if (c.flags & IORING_CQE_F_NOTIF) {
      out.zc_completions++;
      if (static_cast<uint32_t>(c.res) & IORING_NOTIF_USAGE_ZC_COPIED) {
        out.zc_copied_completions++;
        out.zc_copied_bytes += n;
      }
      return;
    }
    sends_done++;
    if (c.res == -EINVAL)
      throw EngineError("IORING_OP_SEND_ZC with IORING_SEND_ZC_REPORT_USAGE was refused (EINVAL): the kernel needs Linux >= 6.2");
    check_send(c, n, "IORING_OP_SEND_ZC");
    if (!(c.flags & IORING_CQE_F_MORE)) out.zc_completions++;  // no notification will follow (none was needed)
  };
  for (;;) {
    unsigned queued = 0;
    io_uring_sqe* prev = nullptr;
    while (queued < kUringBatch && out.zc_sends - out.zc_completions + queued < max_outstanding && loop.more()) {
      loop.take_rewound();  // the mapping needs no rewinding
      size_t n = loop.want();
      if (prev) prev->flags |= IOSQE_IO_LINK;
      prev = ring.sqe();
      io_uring_prep_send_zc(prev, sock, map + loop.offset(), n, MSG_WAITALL | MSG_NOSIGNAL, IORING_SEND_ZC_REPORT_USAGE);
      prev->user_data = next_id;
      len[next_id % kIds] = static_cast<uint32_t>(n);
      next_id++;
      queued++;
      out.zc_sends++;
      loop.advance(n);
    }
    if (queued == 0) {
      if (out.zc_sends - out.zc_completions < max_outstanding || loop.cancel_requested()) break;
      ring.enter(1);  // too many notifications pending: wait for some
      ring.reap(on_cqe);
      continue;
    }
    const uint64_t target = sends_done + queued;
    ring.enter(queued);
    ring.reap(on_cqe);
    while (sends_done < target) {
      ring.enter(1);
      ring.reap(on_cqe);
    }
    out.uring_sends += queued;
  }
  // Every notification before the mapping goes.
  double deadline = monotonic_seconds() + 30;
  while (out.zc_completions < out.zc_sends) {
    ring.enter(1);
    ring.reap(on_cqe);
    if (monotonic_seconds() > deadline)
      throw EngineError("IORING_OP_SEND_ZC: " + std::to_string(out.zc_sends - out.zc_completions) +
                        " notifications still missing after 30 s");
  }
}

void uring_splice(ChunkLoop& loop, const TransferSpec& spec, TransferResult& out, int file, int sock, int pipe_r, int pipe_w) {
  Ring ring(out);
  while (loop.more()) {
    loop.take_rewound();  // splice takes the file offset with each request
    const size_t n = loop.want();
    const int64_t off = static_cast<int64_t>(loop.offset());
    // file -> pipe, then (linked: only after it) pipe -> socket, until the chunk is in the socket
    io_uring_sqe* in = ring.sqe();
    io_uring_prep_splice(in, file, off, pipe_w, -1, static_cast<unsigned>(n), SPLICE_F_MOVE);
    in->flags |= IOSQE_IO_LINK;
    in->user_data = 0;
    io_uring_sqe* outq = ring.sqe();
    io_uring_prep_splice(outq, pipe_r, -1, sock, -1, static_cast<unsigned>(n), SPLICE_F_MOVE | SPLICE_F_MORE);
    outq->user_data = 1;
    int64_t filled = -1, sent = -1;
    unsigned done = 0;
    while (done < 2) {
      ring.enter(2 - done);
      done += ring.reap([&](const io_uring_cqe& c) { (c.user_data == 0 ? filled : sent) = c.res; });
    }
    if (filled < 0) throw SysError("splice", static_cast<int>(-filled), "IORING_OP_SPLICE file to pipe");
    if (filled == 0) throw EngineError("file ended at byte " + std::to_string(off) + " before the requested size");
    if (sent < 0 && sent != -ECANCELED) throw SysError("splice", static_cast<int>(-sent), "IORING_OP_SPLICE pipe to socket");
    // the second asked for n bytes: a short file read leaves it short (or cancelled); send what is left in the pipe
    uint64_t left = static_cast<uint64_t>(filled) - static_cast<uint64_t>(std::max<int64_t>(sent, 0));
    while (left > 0) {
      io_uring_sqe* more = ring.sqe();
      io_uring_prep_splice(more, pipe_r, -1, sock, -1, static_cast<unsigned>(left), SPLICE_F_MOVE | SPLICE_F_MORE);
      more->user_data = 1;
      int64_t r = -1;
      unsigned got = 0;
      while (got < 1) {
        ring.enter(1);
        got += ring.reap([&](const io_uring_cqe& c) { r = c.res; });
      }
      if (r <= 0) throw SysError("splice", r < 0 ? static_cast<int>(-r) : EPIPE, "IORING_OP_SPLICE pipe to socket");
      left -= static_cast<uint64_t>(r);
    }
    out.uring_sends++;
    loop.advance(static_cast<uint64_t>(filled));
  }
}

}  // namespace zcl
