#include "checksum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdio>

namespace zcl {

struct Checksum::State {
  XXH3_state_t st;
};

Checksum::Checksum() : s_(new State) { XXH3_64bits_reset(&s_->st); }
Checksum::~Checksum() = default;
void Checksum::update(const void* data, size_t len) { XXH3_64bits_update(&s_->st, data, len); }
void Checksum::reset() { XXH3_64bits_reset(&s_->st); }
uint64_t Checksum::digest() const { return XXH3_64bits_digest(&s_->st); }

std::string Checksum::hex(uint64_t v) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace zcl
