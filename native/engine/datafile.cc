#include "datafile.h"

#include <algorithm>

#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "checksum.h"
#include "sys_error.h"

namespace zcl {
namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) close(fd); }
};

int open_or_throw(const std::string& path, int flags, mode_t mode = 0) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw SysError("open", errno, path);
  return fd;
}

uint64_t file_size(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) throw SysError("fstat", errno, path);
  return static_cast<uint64_t>(st.st_size);
}

// splitmix64: a well-mixed 64-bit word per 8-byte slot of the file.
inline uint64_t pattern_word(uint64_t index) {
  uint64_t z = index * 0x9E3779B97F4A7C15ull + 0x5A45524F434F5059ull;  // "ZEROCOPY"
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void write_all(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw SysError("write", errno, path);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void check_cancel(Control& ctl, const std::string& path) {
  if (ctl.cancel.load(std::memory_order_relaxed)) throw SysError("cancelled", ECANCELED, path);
}

}  // namespace

uint64_t generate_file(const std::string& path, uint64_t size, Control& ctl) {
  Fd f(open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  const size_t block = 1 << 20;
  std::vector<uint64_t> words(block / 8);
  Checksum sum;
  for (uint64_t off = 0; off < size; off += block) {
    check_cancel(ctl, path);
    for (size_t i = 0; i < words.size(); i++) words[i] = pattern_word(off / 8 + i);
    size_t n = static_cast<size_t>(std::min<uint64_t>(block, size - off));
    sum.update(words.data(), n);
    write_all(f.fd, reinterpret_cast<const char*>(words.data()), n, path);
    ctl.progress.store(off + n, std::memory_order_relaxed);
    // Write back as we go (64 MiB windows, waiting for the one before), so dirty
    // pages stay bounded and the final fsync is short: a cancel is never stuck in it.
    const uint64_t window = 64ull << 20, end = off + n;
    if (end % window == 0) {
      sync_file_range(f.fd, end - window, window, SYNC_FILE_RANGE_WRITE);
      if (end >= 2 * window)
        sync_file_range(f.fd, end - 2 * window, window,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    }
  }
  check_cancel(ctl, path);
  if (fsync(f.fd) != 0) throw SysError("fsync", errno, path);
  return sum.digest();
}

// Reads the whole file (or its first `limit` bytes) in 1 MiB blocks, handing each to fn.
// With a limit, readahead is off (POSIX_FADV_RANDOM on this fd): no page past the
// prefix is brought into the cache.
template <typename Fn>
void read_blocks(const std::string& path, Control& ctl, Fn fn, uint64_t limit = UINT64_MAX) {
  Fd f(open_or_throw(path, O_RDONLY));
  if (limit != UINT64_MAX) posix_fadvise(f.fd, 0, 0, POSIX_FADV_RANDOM);
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  for (;;) {
    check_cancel(ctl, path);
    if (done >= limit) return;
    ssize_t n = read(f.fd, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), limit - done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("read", errno, path);
    }
    if (n == 0) return;
    fn(buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
    ctl.progress.store(done, std::memory_order_relaxed);
  }
}

uint64_t file_checksum(const std::string& path, Control& ctl, uint64_t limit) {
  Checksum sum;
  read_blocks(path, ctl, [&](const char* p, size_t n) { sum.update(p, n); }, limit);
  return sum.digest();
}

Residency residency(const std::string& path) {
  Fd f(open_or_throw(path, O_RDONLY));
  uint64_t size = file_size(f.fd, path);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  Residency r{(size + page - 1) / page, 0};
  if (size == 0) return r;
  void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd, 0);
  if (map == MAP_FAILED) throw SysError("mmap", errno, path);
  std::vector<unsigned char> vec(r.pages);
  int rc = mincore(map, size, vec.data());
  int err = errno;
  munmap(map, size);
  if (rc != 0) throw SysError("mincore", err, path);
  for (unsigned char v : vec) r.resident += v & 1;
  return r;
}

void drop_cache(const std::string& path) {
  Fd f(open_or_throw(path, O_RDONLY));
  if (fdatasync(f.fd) != 0) throw SysError("fdatasync", errno, path);
  int rc = posix_fadvise(f.fd, 0, 0, POSIX_FADV_DONTNEED);
  if (rc != 0) throw SysError("posix_fadvise", rc, path);
}

void warm_cache(const std::string& path, Control& ctl) {
  read_blocks(path, ctl, [](const char*, size_t) {});
}

int try_lock_file(const std::string& path, bool exclusive) {
  int fd = open_or_throw(path, O_RDONLY);
  while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK) return -1;
    throw SysError("flock", e, path);
  }
  return fd;
}

void unlock_file(int fd) { close(fd); }

void die_with_parent(int expected_parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) throw SysError("prctl", errno, "PR_SET_PDEATHSIG");
  // The parent may have died before the call: then we were re-parented already.
  if (getppid() != expected_parent) raise(SIGKILL);
}

}  // namespace zcl
