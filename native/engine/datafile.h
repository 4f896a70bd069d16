// The lab's test files: deterministic content (a function of the byte offset
// only, so any size is a prefix of any larger one) and page-cache control for
// the warm/cold cache settings.
#pragma once
#include <cstdint>
#include <string>

namespace zcl {

struct Residency {
  uint64_t pages;     // pages the file spans
  uint64_t resident;  // of those, in the page cache now (mincore)
};

// Writes `size` bytes of the pattern to `path` (created or truncated), fsyncs,
// and returns the XXH3-64 checksum of the content.
uint64_t generate_file(const std::string& path, uint64_t size);
// The checksum of a file's content as it is now.
uint64_t file_checksum(const std::string& path);
Residency residency(const std::string& path);
// Drops the file's pages (fdatasync, then POSIX_FADV_DONTNEED).
void drop_cache(const std::string& path);
// Reads the whole file so every page is cached.
void warm_cache(const std::string& path);
// flock()s the file, shared or exclusive, waiting for it; returns the fd holding the lock.
int lock_file(const std::string& path, bool exclusive);
void unlock_file(int fd);

}  // namespace zcl
