// The io_uring sender modes (liburing): IORING_OP_SEND from a buffer read()
// into (the copying baseline) and IORING_OP_SEND_ZC from the mmap()ed file,
// whose pages are pinned and sent by reference, with a notification CQE
// (IORING_CQE_F_NOTIF) when the kernel is done with them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "transfer.h"

namespace zcl {

// SQEs the io_uring modes queue before one io_uring_enter (linked, so the
// socket gets them in order): the catalog's textbook switches per chunk use it.
constexpr unsigned kUringBatch = 8;

// What transfer.cc's loop lends the io_uring modes: its chunking, pacing,
// timed passes and progress.
class ChunkLoop {
 public:
  virtual ~ChunkLoop() = default;
  virtual bool more() = 0;                  // before each chunk: false when the run is over
  virtual uint64_t offset() const = 0;      // of the next chunk, in the current pass
  virtual size_t want() const = 0;          // bytes of the next chunk
  virtual bool take_rewound() = 0;          // a new pass began: rewind the file position
  virtual void advance(uint64_t n) = 0;     // the chunk is queued
  virtual bool cancel_requested() = 0;
};

void uring_send(ChunkLoop& loop, const TransferSpec& spec, TransferResult& out, int file, int sock);
void uring_send_zc(ChunkLoop& loop, const TransferSpec& spec, TransferResult& out, int sock, const char* map);
// IORING_OP_SPLICE file -> pipe linked to pipe -> socket, one pair per io_uring_enter
// (io_uring runs splices in its io-wq worker threads, not in the enter).
void uring_splice(ChunkLoop& loop, const TransferSpec& spec, TransferResult& out, int file, int sock, int pipe_r, int pipe_w);

}  // namespace zcl
