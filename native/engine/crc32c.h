// CRC32C (Castagnoli) of a byte stream: the integrity check shared by the data
// file generator and the sink. Uses the SSE4.2 instruction when the CPU has it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace zcl {
uint32_t crc32c_update(uint32_t crc, const void* data, size_t len);
}
