// The lab's test files: deterministic content (a function of the byte offset
// only, so any size is a prefix of any larger one) and page-cache control for
// the warm/cold cache settings.
#pragma once
#include <cstdint>
#include <string>

#include "control.h"

namespace zcl {

struct Residency {
  uint64_t pages;     // pages the file spans
  uint64_t resident;  // of those, in the page cache now (mincore)
};

// Writes `size` bytes of the pattern to `path` (created or truncated), fsyncs,
// and returns the XXH3-64 checksum of the content. ctl.progress counts bytes
// written; ctl.cancel stops it within one 1 MiB block (throws SysError ECANCELED).
uint64_t generate_file(const std::string& path, uint64_t size, Control& ctl);
// The checksum of a file's content as it is now (of its first `limit` bytes).
uint64_t file_checksum(const std::string& path, Control& ctl, uint64_t limit = UINT64_MAX);
Residency residency(const std::string& path);
// Drops the file's pages (fdatasync, then POSIX_FADV_DONTNEED).
void drop_cache(const std::string& path);
// Reads the whole file so every page is cached.
void warm_cache(const std::string& path, Control& ctl);
// flock()s the file, shared or exclusive, without waiting: the fd holding the
// lock, or -1 when another holder has it (the caller retries, cancellably).
int try_lock_file(const std::string& path, bool exclusive);
void unlock_file(int fd);
// This process gets SIGKILL when its parent dies (PR_SET_PDEATHSIG); if the
// parent `expected_parent` is already gone (the child is re-parented), it dies now.
void die_with_parent(int expected_parent);

}  // namespace zcl
