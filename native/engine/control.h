// What a long native loop (a transfer, a sink, a data-file job) shares with JS:
// JS polls progress (an atomic: no syscall to read it) and sets cancel, which the
// loop checks before every syscall (or every block, for file jobs).
#pragma once
#include <atomic>
#include <cstdint>

namespace zcl {

struct Control {
  std::atomic<bool> cancel{false};
  std::atomic<uint64_t> progress{0};
};

}  // namespace zcl
