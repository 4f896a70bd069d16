// A failed system call, carried from the engine loops to JS as an Error with
// .syscall, .code (errno name) and .errno, so a user sees which call failed and why.
#pragma once
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace zcl {

struct SysError : std::runtime_error {
  std::string syscall;
  int err;
  SysError(std::string call, int e, const std::string& detail = "")
      : std::runtime_error(call + ": " + std::string(strerror(e)) + (detail.empty() ? "" : " (" + detail + ")")),
        syscall(std::move(call)), err(e) {}
};

// Errors that are not a syscall failing (short file, integrity mismatch).
struct EngineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline const char* errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "EUNKNOWN";
}

}  // namespace zcl
