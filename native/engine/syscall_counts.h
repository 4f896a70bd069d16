// The engine's own count of every syscall it issues in a transfer loop: the ground
// truth the eBPF probes are checked against. Names are the kernel's syscall names.
#pragma once
#include <array>
#include <cstdint>

namespace zcl {

#define ZCL_ENGINE_SYSCALLS(X) \
  X(read) X(write) X(mmap) X(munmap) X(sendfile) X(splice) X(sendto) X(recvfrom) X(recvmsg) X(poll) X(accept4) X(connect) \
  X(lseek) X(clock_nanosleep) X(io_uring_enter) X(getsockopt) X(setsockopt) X(madvise)

enum class Sys {
#define X(name) name,
  ZCL_ENGINE_SYSCALLS(X)
#undef X
  count
};

inline const char* sys_name(Sys s) {
  static const char* names[] = {
#define X(name) #name,
      ZCL_ENGINE_SYSCALLS(X)
#undef X
  };
  return names[static_cast<int>(s)];
}

struct SyscallCounts {
  std::array<uint64_t, static_cast<size_t>(Sys::count)> n{};
  void add(Sys s) { ++n[static_cast<size_t>(s)]; }
  uint64_t get(Sys s) const { return n[static_cast<size_t>(s)]; }
};

}  // namespace zcl
