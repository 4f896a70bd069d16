// The probe host: loads the eBPF programs (libbpf skeletons built from bpf/),
// attaches each from the best source the running kernel offers, reports per
// counter which source it got, and reads the in-kernel counters through the
// memory-mapped global data (no syscall per read).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "counters.h"

namespace zcl::probes {

struct ProbeUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ProgramStatus {
  std::string name;     // e.g. "tp_btf/tcp_sendmsg_locked"
  bool attached;
  std::string error;    // why not, if not
};

struct CounterStatus {
  std::string name;
  bool available;
  std::string source;   // the programs that measure it
  std::string missing;  // what is missing, if unavailable
  std::string watch;    // what it counts in watch mode, where that differs from a lab run
};

struct RunTarget {
  uint32_t tgid[ZCL_NR_ROLES];
  uint32_t dev_ifindex;
  uint32_t dev_netns_ino;
  uint32_t sink_port;
  std::string file;  // the run's data file (device and inode are looked up)
};

// Watch mode: processes the lab did not start, counted in the sender role.
struct WatchTarget {
  std::vector<uint32_t> tgids;  // processes (a thread id names its process)
  bool follow;                  // their children, those running now and those forked later, too
};

struct RoleSnapshot {
  uint64_t c[ZCL_NR_COUNTERS];
  uint64_t sys[ZCL_NR_SYSCALLS];
};

struct ProgramStats {
  std::string name;
  uint64_t run_cnt;
  uint64_t run_time_ns;
  uint64_t recursion_misses;  // events the kernel skipped: the program was already running on that CPU
};

class Host {
 public:
  // Loads and attaches once per process; throws ProbeUnavailable with the reason.
  static Host& instance();
  void begin(const RunTarget& t);
  // Zeroes the counters and counts for these processes (role sender); returns the
  // tgids watched at the start (with follow, their running descendants too).
  // Throws std::invalid_argument for a process that is not running.
  std::vector<uint32_t> watch(const WatchTarget& t);
  // Adds processes to the watch in progress without zeroing the counters (with
  // follow, their running descendants too); returns the tgids it added.
  std::vector<uint32_t> watch_add(const std::vector<uint32_t>& pids);
  // The tgids watched now (follow adds children as they fork; exits remove them).
  std::vector<uint32_t> watched() const;
  void end();
  void read(RoleSnapshot out[ZCL_NR_ROLES]) const;
  const std::vector<ProgramStatus>& programs() const { return programs_; }
  const std::vector<CounterStatus>& counters() const { return counters_; }
  std::string tier() const;
  bool enable_stats();  // kernel.bpf_stats_enabled for this process's lifetime
  std::vector<ProgramStats> stats() const;
  // Events skipped since begin() (recursion misses of every attached program).
  uint64_t missed_since_begin() const;
  void close();

 private:
  Host();
  struct Impl;
  Impl* impl_;
  std::vector<ProgramStatus> programs_;
  std::vector<CounterStatus> counters_;
  uint64_t misses_at_begin_ = 0;
  uint64_t total_misses() const;
};

}  // namespace zcl::probes
