// The integrity check shared by the data-file generator and the sink: XXH3-64
// (libxxhash, header-only), fast enough that the read sink's check costs the
// receiver little next to its copy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace zcl {

class Checksum {
 public:
  Checksum();
  ~Checksum();
  void update(const void* data, size_t len);
  uint64_t digest() const;
  void reset();
  static std::string hex(uint64_t v);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace zcl
