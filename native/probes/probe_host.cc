#include "probe_host.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <chrono>
#include <mutex>
#include <set>
#include <tuple>

#include "zcl_probes.skel.h"

namespace zcl::probes {
namespace {

// libbpf's messages, kept so a failed load can say why.
std::string& libbpf_log() {
  static std::string log;
  return log;
}

// Kept whole, then its tail: libbpf prints a refused program's verifier log in one call, and
// the verifier's reason is at its end (a fixed 1 KiB buffer kept only the log's start).
int on_libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(nullptr, 0, fmt, again);
  va_end(again);
  if (n <= 0) return 0;
  std::string buf(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(buf.data(), buf.size(), fmt, ap);
  buf.resize(static_cast<size_t>(n));
  std::string& log = libbpf_log();
  log += buf;
  if (log.size() > 16384) log.erase(0, log.size() - 16384);
  return 0;
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

const char* tracefs() {
  if (exists("/sys/kernel/tracing/events")) return "/sys/kernel/tracing";
  if (exists("/sys/kernel/debug/tracing/events")) return "/sys/kernel/debug/tracing";
  return nullptr;
}

// ---- predicates: what the running kernel offers (each a real look-up) ----

// A classic tracepoint, listed in tracefs.
bool tracepoint_exists(const std::string& tracefs_root, const char* category, const char* name) {
  return exists(tracefs_root + "/events/" + category + "/" + name);
}

// A BTF-typed tracepoint (tp_btf): the kernel's BTF has its btf_trace_<name> typedef.
bool tp_btf_exists(btf* vmlinux, const char* name) {
  return vmlinux && btf__find_by_name_kind(vmlinux, (std::string("btf_trace_") + name).c_str(), BTF_KIND_TYPEDEF) > 0;
}

bool kernel_has_func(btf* vmlinux, const char* func) {
  return vmlinux && btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) > 0;
}

// Running under qemu's TCG (instruction emulation, no hardware virtualization):
// the hypervisor CPUID leaf says "TCGTCGTCGTCG" (KVM says "KVMKVMKVM").
bool under_tcg() {
#if defined(__x86_64__)
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31))) return false;  // no hypervisor
  __cpuid(0x40000000, a, b, c, d);
  char sig[13] = {};
  memcpy(sig, &b, 4);
  memcpy(sig + 4, &c, 4);
  memcpy(sig + 8, &d, 4);
  return strcmp(sig, "TCGTCGTCGTCG") == 0;
#else
  return false;
#endif
}

// A real attach attempt, as bcc's fentry_can_attach: a two-instruction fexit
// program loaded against the function's BTF id (in vmlinux, or in a module's
// BTF object when btf_obj_fd >= 0) and attached.
bool fexit_loads_and_attaches(const char* func, int id, int btf_obj_fd, std::string* why) {
  struct bpf_insn insns[2] = {};
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  insns[1].code = BPF_JMP | BPF_EXIT;
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT, .attach_btf_id = static_cast<__u32>(id));
  if (btf_obj_fd >= 0) opts.attach_btf_obj_fd = static_cast<__u32>(btf_obj_fd);
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "zcl_can_fexit", "GPL", insns, 2, &opts);
  if (fd < 0) {
    *why = std::string("fexit on ") + func + " does not load: " + strerror(errno);
    return false;
  }
  int link = bpf_raw_tracepoint_open(nullptr, fd);
  int err = errno;
  ::close(fd);
  if (link < 0) {
    *why = std::string("fexit on ") + func + " does not attach: " + strerror(err);
    return false;
  }
  ::close(link);
  return true;
}

bool fentry_can_attach(btf* vmlinux, const char* func, std::string* why) {
  int id = vmlinux ? btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) : -1;
  if (id <= 0) {
    *why = std::string("the kernel has no function ") + func;
    return false;
  }
  return fexit_loads_and_attaches(func, id, -1, why);
}

// ---- kTLS: fexit on the tls module's functions ----
// The kernel's BTF object of a loaded module, as an fd (fexit on a module
// function names it with attach_btf_obj_fd), or -1.
int module_btf_fd(const char* module) {
  __u32 id = 0;
  while (bpf_btf_get_next_id(id, &id) == 0) {
    int fd = bpf_btf_get_fd_by_id(id);
    if (fd < 0) continue;
    char name[64] = {};
    bpf_btf_info info{};
    info.name = reinterpret_cast<__u64>(name);
    info.name_len = sizeof name;
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strcmp(name, module) == 0) return fd;
    ::close(fd);
  }
  return -1;
}

// fentry_can_attach for a module's function: its id in the module's (split) BTF, loaded against the module's BTF object.
bool module_fentry_can_attach(int mod_fd, btf* mod_btf, const char* func, std::string* why) {
  int id = mod_btf ? btf__find_by_name_kind(mod_btf, func, BTF_KIND_FUNC) : -1;
  if (id <= 0) {
    *why = std::string("the tls module has no function ") + func;
    return false;
  }
  return fexit_loads_and_attaches(func, id, mod_fd, why);
}

std::string first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// The kTLS encryption point's programs: fexit on tls_sw_sendmsg (needed) and
// tls_sw_sendpage (before 6.5), where the tls module is loaded and fentry
// attaches to it. No tracepoint marks kTLS encryption, so without them the
// counter has no source (null, with this reason), never 0.
bool tls_programs(zcl_probes* s, btf* vmlinux, std::vector<bpf_program*>* out, std::string* why) {
  const std::string none = "no tracepoint marks kTLS encryption, and fexit on the tls module's tls_sw_sendmsg ";
  if (!exists("/sys/kernel/btf/tls")) {
    *why = none + "needs the module loaded: /sys/kernel/btf/tls is missing (/proc/sys/net/ipv4/tcp_available_ulp: " +
           first_line("/proc/sys/net/ipv4/tcp_available_ulp") + "; modprobe tls before the lab starts, on a kernel with CONFIG_TLS)";
    return false;
  }
  int mod_fd = module_btf_fd("tls");
  if (mod_fd < 0) {
    *why = none + "does not work here: the tls module's BTF object is not found";
    return false;
  }
  btf* mod_btf = btf__load_module_btf("tls", vmlinux);
  std::string fail;
  bool ok = module_fentry_can_attach(mod_fd, mod_btf, "tls_sw_sendmsg", &fail);
  if (ok) {
    out->push_back(s->progs.fexit_tls_sw_sendmsg);
    std::string ignored;
    if (module_fentry_can_attach(mod_fd, mod_btf, "tls_sw_sendpage", &ignored)) out->push_back(s->progs.fexit_tls_sw_sendpage);
  } else {
    *why = none + "does not work here: " + fail;
  }
  btf__free(mod_btf);
  ::close(mod_fd);
  return ok;
}

// kprobes are configured (the kprobe PMU exists) and the kernel has the function.
bool kprobe_exists(btf* vmlinux, const char* func) {
  return exists("/sys/bus/event_source/devices/kprobe/type") && kernel_has_func(vmlinux, func);
}

// ---- the programs, through the skeleton's typed members ----

// A tracepoint the programs use. BTF-typed ones have a tp_btf program and a
// raw_tp twin (ZCL_TRACE in the BPF source); classic ones (stable format
// fields) have one tracepoint program.
struct Tracepoint {
  const char* category;
  const char* name;
  bpf_program* btf;      // tp_btf/<name>, or null for a classic one
  bpf_program* raw;      // raw_tp/<name>, its fallback
  bpf_program* classic;  // tracepoint/<category>/<name>
};

#define ZCL_TP_PAIR(s, category, name) Tracepoint{#category, #name, (s)->progs.btf_##name, (s)->progs.raw_##name, nullptr}
#define ZCL_TP_CLASSIC(s, category, name, prog) Tracepoint{#category, #name, nullptr, nullptr, (s)->progs.prog}

std::vector<Tracepoint> tracepoints(zcl_probes* s) {
  return {
      ZCL_TP_PAIR(s, raw_syscalls, sys_enter),
      ZCL_TP_PAIR(s, raw_syscalls, sys_exit),
      ZCL_TP_PAIR(s, sched, sched_switch),
      ZCL_TP_PAIR(s, tcp, tcp_sendmsg_locked),
      ZCL_TP_PAIR(s, sock, sock_send_length),
      ZCL_TP_PAIR(s, net, net_dev_start_xmit),
      ZCL_TP_PAIR(s, tcp, tcp_retransmit_skb),
      ZCL_TP_PAIR(s, skb, skb_copy_datagram_iovec),
      ZCL_TP_PAIR(s, sched, sched_process_fork),  // watch mode: follow children
      ZCL_TP_PAIR(s, sched, sched_process_exit),  // watch mode: forget exited processes
      ZCL_TP_CLASSIC(s, exceptions, page_fault_user, tp_page_fault_user),
      ZCL_TP_CLASSIC(s, exceptions, page_fault_kernel, tp_page_fault_kernel),
      ZCL_TP_CLASSIC(s, filemap, mm_filemap_add_to_page_cache, tp_filemap_add),
      ZCL_TP_CLASSIC(s, io_uring, io_uring_complete, tp_io_uring_complete),  // io_uring SEND_ZC notifications
  };
}

#undef ZCL_TP_PAIR
#undef ZCL_TP_CLASSIC

// The tracepoints the send decision's tracepoint source is made of.
const char* const kSendTracepoints[] = {"sys_enter", "tcp_sendmsg_locked", "sock_send_length"};

// What the send source predicates look at.
struct KernelView {
  btf* vmlinux;
  const std::map<std::string, bpf_program*>& chosen_tracepoints;
};

bool send_tracepoints_chosen(const KernelView& k, std::string* why) {
  for (const char* tp : kSendTracepoints)
    if (!k.chosen_tracepoints.count(tp)) {
      *why = "no tcp:tcp_sendmsg_locked / sock:sock_send_length tracepoints (they arrived in 6.14 / 6.3)";
      return false;
    }
  return true;
}

bool send_fentry_can_attach(const KernelView& k, std::string* why) {
  return fentry_can_attach(k.vmlinux, "tcp_sendmsg_locked", why);
}

bool send_kprobe_exists(const KernelView& k, std::string* why) {
  if (kprobe_exists(k.vmlinux, "tcp_sendmsg_locked")) return true;
  *why = "kprobes are not available (CONFIG_KPROBES) or the kernel has no tcp_sendmsg_locked";
  return false;
}

// The send decision's candidate sources, best first: the tracepoints (a stable
// interface), fentry/fexit, kprobes. Each is a list of programs; optional ones
// (functions older kernels have) are attached when the kernel has them.
struct SendSource {
  const char* kind;
  bool (*available)(const KernelView&, std::string* why);
  std::vector<bpf_program*> programs;                          // all needed
  std::vector<std::pair<bpf_program*, const char*>> optional;  // program, function it needs
};

std::vector<SendSource> send_sources(zcl_probes* s) {
  return {
      // The tracepoint pair tcp_sendmsg_locked + sock_send_length (with sys_enter), chosen with the tracepoints.
      {"tracepoint", send_tracepoints_chosen, {}, {}},
      {"fentry", send_fentry_can_attach, {s->progs.fexit_tcp_sendmsg_locked}, {{s->progs.fexit_do_tcp_sendpages, "do_tcp_sendpages"}}},
      {"kprobe", send_kprobe_exists, {s->progs.kprobe_tcp_sendmsg_locked, s->progs.kretprobe_tcp_sendmsg_locked},
       {{s->progs.kprobe_do_tcp_sendpages, "do_tcp_sendpages"}, {s->progs.kretprobe_do_tcp_sendpages, "do_tcp_sendpages"}}},
  };
}

// What each counter needs (all of it), from bpf/counters.h: tracepoint names,
// or "send", the send decision group, whose source is chosen below.
struct CounterNeeds {
  const char* name;
  std::vector<std::string> needs;
};

#define ZCL_NEEDS_LIST(...) std::vector<std::string>{__VA_ARGS__}
const CounterNeeds kCounters[] = {
#define ZCL_X(name, unit, kind, label, needs, desc) {#name, ZCL_NEEDS_LIST needs},
    ZCL_COUNTERS(ZCL_X)
#undef ZCL_X
};
#undef ZCL_NEEDS_LIST

// What a counter counts in watch mode where that differs from a lab run (which
// filters transmit by the run's device and port, disk reads by the run's file).
// The others count the watched processes' own events, as they count a role's.
const std::map<std::string, std::string> kWatchScope = {
    {"dev_xmit_bytes",
     "watch mode: TCP payload (IPv4 and IPv6) of the sockets the watched processes sent on, on whatever device transmits "
     "it (no device filter: loopback included; a packet passing stacked devices counts at each)"},
    {"copy_linearize_bytes",
     "watch mode: TCP payload of the sockets the watched processes sent on, sent linear by any device without "
     "scatter-gather (no device filter)"},
    {"retransmit_bytes", "watch mode: TCP payload retransmitted on the sockets the watched processes sent on (any connection)"},
    {"block_read_bytes",
     "watch mode: pages the watched processes brought into the page cache (read, readahead, faults), of any file; "
     "write()/writev() to a file are left out, other writes that add pages (pwrite64, copy_file_range, stores to a shared "
     "mapping) are counted too"},
};

// Appends the parts of "a + b" that `joined` ("x + y") lacks: each program once.
void add_sources(std::string* joined, const std::string& src) {
  size_t start = 0;
  while (start <= src.size()) {
    size_t end = src.find(" + ", start);
    std::string part = src.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if ((" + " + *joined + " + ").find(" + " + part + " + ") == std::string::npos)
      *joined += (joined->empty() ? "" : " + ") + part;
    if (end == std::string::npos) break;
    start = end + 3;
  }
}

// The machine can load the probes at all: root, BTF, tracefs (mounted if need
// be), a supported number of CPUs. Throws ProbeUnavailable with the fix.
int check_machine() {
  if (geteuid() != 0)
    throw ProbeUnavailable("loading eBPF programs needs root (or CAP_BPF and CAP_PERFMON); run as root");
  if (!exists("/sys/kernel/btf/vmlinux"))
    throw ProbeUnavailable("the kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
  if (!tracefs()) {
    // Tracepoint ids come from tracefs; mount it if we may.
    mkdir("/sys/kernel/tracing", 0755);
    if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0 || !tracefs())
      throw ProbeUnavailable(std::string("tracefs is not mounted and mounting it failed (") + strerror(errno) +
                             "): mount -t tracefs nodev /sys/kernel/tracing");
  }
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0 || ncpus > ZCL_MAX_CPUS)
    throw ProbeUnavailable("this machine has " + std::to_string(ncpus) + " possible CPUs; the probes support up to " +
                           std::to_string(ZCL_MAX_CPUS));
  return ncpus;
}

}  // namespace

// Which program loads for each probe point, decided before loading.
struct Sources {
  std::map<std::string, bpf_program*> tracepoints;  // tracepoint -> its program (attached in name order)
  std::string send_kind;                            // "tracepoint", "fentry", "kprobe"; empty: none
  std::vector<bpf_program*> send_programs;          // the function source's programs (not the tracepoint one's)
  std::vector<bpf_program*> tls_programs;           // the kTLS encryption point's (fexit in the tls module), if any
  std::map<std::string, std::string> why_not;       // probe point -> why it has no source
};

// Watch mode's detail kept in user space: exited processes after their kernel
// entries were deleted (with their files), closed connections, and what was
// looked up in /proc (names, start times, file paths), per watch.
using Clock = std::chrono::steady_clock;
struct WatchStore {
  std::map<std::pair<uint32_t, uint64_t>, WatchProcRow> gone;  // (tgid, start_ns)
  std::map<std::tuple<uint32_t, uint32_t, uint64_t>, WatchFileRow> gone_files;  // (tgid, kernel dev, ino)
  std::map<std::tuple<uint64_t, uint32_t, uint32_t>, WatchConnRow> closed;  // (sock, portpair, tgid)
  std::map<uint32_t, Clock::time_point> exited_seen;  // tgid -> when first seen exited
  uint64_t exits_collected = 0;
  struct ProcInfo {
    std::string comm;
    Clock::time_point comm_at;
    uint64_t start_ns = 0;  // from /proc/<tgid>/stat (clock ticks), when the kernel has none yet
  };
  std::map<uint32_t, ProcInfo> procs;
  std::map<std::pair<uint32_t, uint64_t>, std::string> paths;  // (kernel dev, ino) -> path
  std::map<uint32_t, Clock::time_point> scanned;               // tgid -> last /proc scan for paths
  void clear() { *this = WatchStore(); }
};

struct Host::Impl {
  zcl_probes* skel = nullptr;
  WatchStore store;
  std::vector<bpf_link*> links;
  // The syscall tracepoints (raw_syscalls sys_enter, sys_exit): attached only
  // while a run or a watch is on (arm/disarm). An attached syscall tracepoint
  // sends every syscall of every process on the machine through the kernel's
  // slow syscall path and the BPF dispatch, so between runs nobody pays for it.
  std::map<bpf_program*, bpf_link*> syscall_links;
  void arm();
  void disarm();
  std::map<std::string, std::string> source_of;  // probe point -> "tp_btf/x" etc (or "a + b"), if attached
  int ncpus = 0;
  int stats_fd = -1;
  std::string send_kind;  // which source the send decision got

  Sources choose_sources(btf* vmlinux) const;
  void set_autoload(const Sources& src) const;
  std::vector<ProgramStatus> attach(Sources& src);
  std::vector<CounterStatus> counter_status(const Sources& src) const;
};

// One program per tracepoint, the best the kernel has; then the send decision's
// source: the first candidate the kernel offers, unless ZCL_PROBES_SEND=fentry|kprobe
// asks for another one, and ZCL_PROBES_RAW_TP=1 takes the raw_tp fallbacks even
// where tp_btf works (both to test them).
Sources Host::Impl::choose_sources(btf* vmlinux) const {
  Sources src;
  const bool force_raw = getenv("ZCL_PROBES_RAW_TP") && strcmp(getenv("ZCL_PROBES_RAW_TP"), "1") == 0;
  const std::string tfs = tracefs();
  for (const auto& tp : tracepoints(skel)) {
    bool in_tracefs = tracepoint_exists(tfs, tp.category, tp.name);
    bpf_program* prog = nullptr;
    if (!tp.btf) prog = in_tracefs ? tp.classic : nullptr;
    else if (!force_raw && tp_btf_exists(vmlinux, tp.name)) prog = tp.btf;
    else if (in_tracefs) prog = tp.raw;
    if (prog) src.tracepoints[tp.name] = prog;
    else src.why_not[tp.name] = std::string("the kernel has no tracepoint ") + tp.category + ":" + tp.name;
  }

  const char* prefer = getenv("ZCL_PROBES_SEND");
  const KernelView view{vmlinux, src.tracepoints};
  std::string send_why;
  for (const auto& candidate : send_sources(skel)) {
    if (prefer && *prefer && strcmp(prefer, candidate.kind) != 0) continue;
    std::string why;
    if (!candidate.available(view, &why)) {
      send_why += (send_why.empty() ? "" : "; ") + std::string(candidate.kind) + ": " + why;
      continue;
    }
    src.send_kind = candidate.kind;
    src.send_programs = candidate.programs;
    for (const auto& [prog, func] : candidate.optional)
      if (kernel_has_func(vmlinux, func)) src.send_programs.push_back(prog);
    break;
  }
  if (src.send_kind.empty()) src.why_not["send"] = send_why;  // completed in attach()
  std::string tls_why;
  if (!tls_programs(skel, vmlinux, &src.tls_programs, &tls_why)) src.why_not["tls_encrypt"] = tls_why;
  // Only the chosen send source loads; the tracepoint pair stays off if another source won.
  if (src.send_kind != "tracepoint")
    for (const char* tp : {"tcp_sendmsg_locked", "sock_send_length"}) src.tracepoints.erase(tp);
  return src;
}

// Exactly the chosen programs load.
void Host::Impl::set_autoload(const Sources& src) const {
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, false);
  for (const auto& [tp, p] : src.tracepoints) bpf_program__set_autoload(p, true);
  for (bpf_program* p : src.send_programs) bpf_program__set_autoload(p, true);
  for (bpf_program* p : src.tls_programs) bpf_program__set_autoload(p, true);
}

// A real attach attempt decides what each probe point gets (source_of), and
// what the programs report.
std::vector<ProgramStatus> Host::Impl::attach(Sources& src) {
  std::vector<ProgramStatus> programs;
  std::map<bpf_program*, bpf_link*> link_of;
  // Attaches one program; returns its section name, or null (and records why) if it did not attach.
  auto attach_one = [&](bpf_program* prog, std::string* why) -> const char* {
    const char* sec = bpf_program__section_name(prog);
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      int err = errno;
      programs.push_back({sec, false, strerror(err)});
      *why = std::string(sec) + " did not attach: " + strerror(err);
      return nullptr;
    }
    links.push_back(link);
    link_of[prog] = link;
    programs.push_back({sec, true, ""});
    return sec;
  };
  for (auto& [tp, prog] : src.tracepoints)
    if (const char* sec = attach_one(prog, &src.why_not[tp])) {
      source_of[tp] = sec;
      src.why_not.erase(tp);
    }

  std::string send_source;
  std::string send_why = src.why_not["send"];
  bool send_ok = !src.send_kind.empty();
  if (src.send_kind == "tracepoint") {
    for (const char* tp : kSendTracepoints) {
      auto it = source_of.find(tp);
      if (it == source_of.end()) send_ok = false;
      else send_source += (send_source.empty() ? "" : " + ") + it->second;
    }
    if (!send_ok) send_why = "the send tracepoints did not attach";
  } else if (send_ok) {
    for (bpf_program* prog : src.send_programs) {
      if (const char* sec = attach_one(prog, &send_why)) send_source += std::string(send_source.empty() ? "" : " + ") + sec;
      else send_ok = false;
    }
  }
  // kTLS encryption: every program attached, or no source (with why).
  if (!src.tls_programs.empty()) {
    std::string tls_source, tls_why;
    bool tls_ok = true;
    for (bpf_program* prog : src.tls_programs) {
      if (const char* sec = attach_one(prog, &tls_why)) tls_source += std::string(tls_source.empty() ? "" : " + ") + sec;
      else tls_ok = false;
    }
    if (tls_ok) source_of["tls_encrypt"] = tls_source;
    else src.why_not["tls_encrypt"] = "the kTLS encryption probes did not attach: " + tls_why;
  }
  // The syscall programs attached above (so their status is real) wait detached
  // until a run or a watch arms them. Under qemu's TCG (found by its CPUID
  // signature), or with ZCL_PROBES_SYSCALLS_ALWAYS=1, they stay attached from
  // load to close instead: each attach or detach patches the kernel's text (the
  // tracepoint's static key), and under TCG a vCPU can run the stale int3 of a
  // finished patch (the QEMU harness's guests: "Oops: int3" in
  // syscall_trace_enter on 6.12, a lockup of both vCPUs on 6.1).
  const char* always = getenv("ZCL_PROBES_SYSCALLS_ALWAYS");
  const bool keep_attached = (always && strcmp(always, "1") == 0) || under_tcg();
  for (const char* tp : {"sys_enter", "sys_exit"}) {
    if (keep_attached) break;
    auto it = src.tracepoints.find(tp);
    if (it == src.tracepoints.end() || !link_of.count(it->second)) continue;
    bpf_link* l = link_of[it->second];
    links.erase(std::find(links.begin(), links.end(), l));
    bpf_link__destroy(l);
    syscall_links[it->second] = nullptr;
  }
  if (send_ok) {
    source_of["send"] = send_source;
    src.why_not.erase("send");
    send_kind = src.send_kind;
  } else {
    src.why_not["send"] = "no source for the send decision: " + send_why;
    send_kind.clear();
  }
  return programs;
}

// Per counter (bpf/counters.h order): available when every probe point it needs
// attached; its source the programs that measure it, each once.
std::vector<CounterStatus> Host::Impl::counter_status(const Sources& src) const {
  std::vector<CounterStatus> out;
  for (const auto& c : kCounters) {
    auto scope = kWatchScope.find(c.name);
    CounterStatus cs{c.name, true, "", "", scope == kWatchScope.end() ? "" : scope->second};
    for (const auto& need : c.needs) {
      auto it = source_of.find(need);
      if (it != source_of.end()) {
        add_sources(&cs.source, it->second);
        continue;
      }
      cs.available = false;
      auto why = src.why_not.find(need);
      cs.missing += (cs.missing.empty() ? "" : "; ") + (why == src.why_not.end() ? std::string() : why->second);
    }
    if (!cs.available) cs.source.clear();
    out.push_back(cs);
  }
  return out;
}

// "tracepoint", or the mix, e.g. "tracepoint+fentry"; "(partial)" when a counter has no source.
std::string Host::tier() const {
  std::string t = "tracepoint";
  if (!impl_->send_kind.empty() && impl_->send_kind != "tracepoint") t += "+" + impl_->send_kind;
  for (const auto& c : counters_) {
    // kTLS encryption where the kernel has no tls module loaded: nothing there to measure, the probes are whole.
    if (!c.available && c.name == "copy_encrypt_bytes" && !exists("/sys/kernel/btf/tls")) continue;
    if (!c.available) return t + " (partial)";
  }
  return t;
}

Host& Host::instance() {
  static std::once_flag once;
  static Host* host = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    try {
      host = new Host();
    } catch (const ProbeUnavailable& e) {
      failure = e.what();
    }
  });
  if (!host) throw ProbeUnavailable(failure);
  return *host;
}

Host::Host() : impl_(new Impl) {
  libbpf_set_print(on_libbpf_print);
  impl_->ncpus = check_machine();

  zcl_probes* skel = zcl_probes__open();
  if (!skel) throw ProbeUnavailable("cannot open the BPF object: " + libbpf_log());
  impl_->skel = skel;

  btf* vmlinux = btf__load_vmlinux_btf();
  Sources src = impl_->choose_sources(vmlinux);
  btf__free(vmlinux);
  impl_->set_autoload(src);

  if (zcl_probes__load(skel) != 0) {
    std::string log = libbpf_log();
    zcl_probes__destroy(skel);
    impl_->skel = nullptr;
    throw ProbeUnavailable("the kernel refused the BPF programs: " + log.substr(log.size() > 2000 ? log.size() - 2000 : 0));
  }
  programs_ = impl_->attach(src);
  counters_ = impl_->counter_status(src);
}

void Host::Impl::arm() {
  for (auto& [prog, link] : syscall_links) {
    if (link) continue;
    link = bpf_program__attach(prog);
    if (!link) {
      int err = errno;
      throw ProbeUnavailable(std::string(bpf_program__section_name(prog)) + " did not attach: " + strerror(err));
    }
  }
}

void Host::Impl::disarm() {
  for (auto& [prog, link] : syscall_links) {
    if (link) bpf_link__destroy(link);
    link = nullptr;
  }
}

void Host::begin(const RunTarget& t) {
  if (!impl_->skel) throw ProbeUnavailable("the probes were closed");
  auto* bss = impl_->skel->bss;
  zcl_config& cfg = bss->zcl_config;
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&cfg.tgid[r], 0u, __ATOMIC_SEQ_CST);
  memset(bss->zcl_slots, 0, sizeof(bss->zcl_slots));
  memset(bss->zcl_zc_cum, 0, sizeof(bss->zcl_zc_cum));
  bss->zcl_zc_total = 0;
  cfg.dev_ifindex = t.dev_ifindex;
  cfg.dev_netns_ino = t.dev_netns_ino;
  cfg.sink_port = t.sink_port;
  cfg.file_dev = 0;
  cfg.file_ino = 0;
  __atomic_store_n(&cfg.watch, 0u, __ATOMIC_SEQ_CST);  // a lab run: the tgids above, not the watched map
  cfg.follow = 0;
  struct stat st;
  if (!t.file.empty() && stat(t.file.c_str(), &st) == 0) {
    cfg.file_dev = (major(st.st_dev) << 20) | minor(st.st_dev);  // the kernel's MKDEV
    cfg.file_ino = st.st_ino;
  }
  misses_at_begin_ = total_misses();
  impl_->arm();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&cfg.tgid[r], t.tgid[r], __ATOMIC_SEQ_CST);
}

void Host::end() {
  if (!impl_->skel) return;
  zcl_config& cfg = impl_->skel->bss->zcl_config;
  __atomic_store_n(&cfg.watch, 0u, __ATOMIC_SEQ_CST);
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&cfg.tgid[r], 0u, __ATOMIC_SEQ_CST);
  impl_->disarm();
}

namespace {

// The process a pid names (a thread id names its process), or 0 if none runs.
uint32_t tgid_of(uint32_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Tgid:", 0) == 0) return static_cast<uint32_t>(std::stoul(line.substr(5)));
  return 0;
}

// Every process's parent (tgid -> parent tgid), from /proc/<pid>/stat.
std::map<uint32_t, uint32_t> parents() {
  std::map<uint32_t, uint32_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end;
    unsigned long pid = strtoul(e->d_name, &end, 10);
    if (*end || pid == 0) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');  // the command may contain spaces and parentheses
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    std::string state;
    unsigned long ppid = 0;
    if (rest >> state >> ppid) out[static_cast<uint32_t>(pid)] = static_cast<uint32_t>(ppid);
  }
  closedir(d);
  return out;
}

// Empties a hash map (user space owns the watch maps between sessions; the
// programs ignore them while watch is off).
void clear_map(const bpf_map* m) {
  const int fd = bpf_map__fd(m);
  std::vector<char> key(bpf_map__key_size(m));
  while (bpf_map_get_next_key(fd, nullptr, key.data()) == 0)
    if (bpf_map_delete_elem(fd, key.data()) != 0) break;
}

// Every key of a hash map (get_next_key; a key deleted meanwhile restarts nothing,
// the kernel continues from the next bucket).
template <typename K>
std::vector<K> map_keys(const bpf_map* m) {
  const int fd = bpf_map__fd(m);
  std::vector<K> out;
  K key, next;
  K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
}

std::string read_small(const std::string& path) {
  std::ifstream f(path);
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return s;
}

// /proc/<tgid>/comm, without its newline ("" if the process is gone).
std::string proc_comm(uint32_t tgid) {
  std::string s = read_small("/proc/" + std::to_string(tgid) + "/comm");
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The process's start time from /proc/<tgid>/stat (field 22, clock ticks since boot), in ns.
uint64_t proc_start_ns(uint32_t tgid) {
  std::string stat = read_small("/proc/" + std::to_string(tgid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22; i++)
    if (!(rest >> field)) return 0;
  long hz = sysconf(_SC_CLK_TCK);
  return hz > 0 ? std::stoull(field) * (1000000000ULL / static_cast<uint64_t>(hz)) : 0;
}

uint32_t kernel_dev(dev_t d) { return (major(d) << 20) | minor(d); }

// "1.2.3.4:80" or "[::1]:80"; an IPv4-mapped IPv6 address as IPv4.
std::string endpoint(uint16_t family, const unsigned char addr[16], uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = "";
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family == AF_INET) {
    inet_ntop(AF_INET, addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
  }
  if (memcmp(addr, kMapped, 12) == 0) {
    inet_ntop(AF_INET, addr + 12, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
  }
  inet_ntop(AF_INET6, addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(port);
}

template <size_t N>
std::string comm_of(const char (&c)[N]) {
  return std::string(c, strnlen(c, N));
}

WatchProcRow proc_row(uint32_t tgid, const zcl_watch_proc& v) {
  WatchProcRow r{};
  r.tgid = tgid;
  r.start_ns = v.start_ns;
  r.exited = v.exited != 0;
  r.comm = comm_of(v.comm);
  for (int i = 0; i < ZCL_NR_COUNTERS; i++) r.c[i] = v.c[i];
  for (int i = 0; i < ZCL_NR_SYSCALLS; i++) r.sys[i] = v.sys[i];
  return r;
}

WatchConnRow conn_row(const zcl_watch_conn& v) {
  WatchConnRow r{};
  r.tgid = v.tgid;
  r.local = endpoint(v.family, v.laddr, v.lport);
  r.remote = endpoint(v.family, v.raddr, v.rport);
  for (int i = 0; i < ZCL_NR_CONN_COUNTERS; i++) r.c[i] = v.c[i];
  return r;
}

WatchFileRow file_row(const zcl_watch_file_key& k, const zcl_watch_file& v) {
  WatchFileRow r{};
  r.tgid = k.tgid;
  r.major = k.dev >> 20;
  r.minor = k.dev & 0xfffff;
  r.ino = k.ino;
  for (int i = 0; i < ZCL_NR_FILE_COUNTERS; i++) r.c[i] = v.c[i];
  return r;
}

// Finds the paths of the wanted (kernel dev, ino) among a process's open fds
// (stat of /proc/<tgid>/fd/N, then its link) and its mappings (/proc/<tgid>/maps).
void resolve_paths(uint32_t tgid, std::set<std::pair<uint32_t, uint64_t>>& wanted,
                   std::map<std::pair<uint32_t, uint64_t>, std::string>& paths) {
  const std::string base = "/proc/" + std::to_string(tgid);
  if (DIR* d = opendir((base + "/fd").c_str())) {
    while (dirent* e = readdir(d)) {
      if (wanted.empty()) break;
      if (e->d_name[0] == '.') continue;
      const std::string link = base + "/fd/" + e->d_name;
      struct stat st;
      if (stat(link.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      auto key = std::make_pair(kernel_dev(st.st_dev), static_cast<uint64_t>(st.st_ino));
      if (!wanted.count(key)) continue;
      char buf[4096];
      ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
      if (n <= 0) continue;
      paths[key] = std::string(buf, n);
      wanted.erase(key);
    }
    closedir(d);
  }
  if (wanted.empty()) return;
  std::ifstream maps(base + "/maps");
  std::string line;
  while (!wanted.empty() && std::getline(maps, line)) {
    // address perms offset dev(hex major:minor) inode path
    std::istringstream in(line);
    std::string addr, perms, offset, dev, path;
    uint64_t ino = 0;
    if (!(in >> addr >> perms >> offset >> dev >> ino) || ino == 0) continue;
    std::getline(in >> std::ws, path);
    size_t colon = dev.find(':');
    if (colon == std::string::npos || path.empty() || path[0] != '/') continue;
    uint32_t kdev = (static_cast<uint32_t>(std::stoul(dev.substr(0, colon), nullptr, 16)) << 20) |
                    static_cast<uint32_t>(std::stoul(dev.substr(colon + 1), nullptr, 16));
    auto key = std::make_pair(kdev, ino);
    if (!wanted.count(key)) continue;
    paths[key] = path;
    wanted.erase(key);
  }
}

}  // namespace

// A watched process's entry, from zero counts, in the sender role: the start
// time comes from the kernel at the process's first syscall (or its exit), the
// name from /proc now (the kernel's at exit); then its bit, so events see it.
static void watch_entry(int watched_fd, zcl_probes::zcl_probes__bss* bss, uint32_t tgid) {
  zcl_watch_proc v{};
  v.role = ZCL_ROLE_sender;
  std::string comm = proc_comm(tgid);
  strncpy(v.comm, comm.c_str(), sizeof v.comm - 1);
  if (bpf_map_update_elem(watched_fd, &tgid, &v, BPF_ANY) != 0)
    throw std::invalid_argument("tgids: cannot watch " + std::to_string(tgid) + ": " + strerror(errno));
  __atomic_fetch_or(&bss->zcl_watch_bits[tgid / 64], 1ULL << (tgid % 64), __ATOMIC_SEQ_CST);
}

std::vector<uint32_t> Host::watch(const WatchTarget& t) {
  if (!impl_->skel) throw ProbeUnavailable("the probes were closed");
  if (t.tgids.empty()) throw std::invalid_argument("tgids: at least one process to watch");
  if (t.tgids.size() > ZCL_WATCH_MAX_TGIDS)
    throw std::invalid_argument("tgids: at most " + std::to_string(ZCL_WATCH_MAX_TGIDS) + " processes");
  if (t.follow && !impl_->source_of.count("sched_process_fork"))
    throw ProbeUnavailable("follow needs the sched:sched_process_fork tracepoint, which did not attach");
  std::set<uint32_t> tgids;
  for (uint32_t pid : t.tgids) {
    uint32_t tgid = pid ? tgid_of(pid) : 0;
    if (!tgid) throw std::invalid_argument("tgids: no running process " + std::to_string(pid));
    tgids.insert(tgid);
  }

  auto* bss = impl_->skel->bss;
  zcl_config& cfg = bss->zcl_config;
  __atomic_store_n(&cfg.watch, 0u, __ATOMIC_SEQ_CST);
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&cfg.tgid[r], 0u, __ATOMIC_SEQ_CST);
  auto& maps = impl_->skel->maps;
  const int watched_fd = bpf_map__fd(maps.watched);
  for (const bpf_map* m : {maps.watched, maps.watch_gone, maps.watch_socks, maps.watch_closed, maps.watch_files}) clear_map(m);
  impl_->store.clear();
  impl_->store.exits_collected = bss->zcl_watch_exits;
  memset(bss->zcl_watch_bits, 0, sizeof(bss->zcl_watch_bits));
  memset(bss->zcl_slots, 0, sizeof(bss->zcl_slots));
  memset(bss->zcl_zc_cum, 0, sizeof(bss->zcl_zc_cum));
  bss->zcl_zc_total = 0;
  cfg.dev_ifindex = 0;
  cfg.dev_netns_ino = 0;
  cfg.sink_port = 0;
  cfg.file_dev = 0;
  cfg.file_ino = 0;
  cfg.follow = t.follow ? 1 : 0;
  auto add = [&](uint32_t tgid) {
    if (tgid >= ZCL_WATCH_BITS_WORDS * 64)
      throw std::invalid_argument("tgids: " + std::to_string(tgid) + " is above the kernel's pid limit");
    watch_entry(watched_fd, bss, tgid);
  };
  for (uint32_t tgid : tgids) add(tgid);
  misses_at_begin_ = total_misses();
  impl_->arm();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  // The sink of an app-mode lab run: its own role, by its tgid, as in a lab run.
  if (t.sink_tgid) __atomic_store_n(&cfg.tgid[ZCL_ROLE_sink], t.sink_tgid, __ATOMIC_SEQ_CST);
  __atomic_store_n(&cfg.watch, 1u, __ATOMIC_SEQ_CST);
  if (t.follow) {
    // Children forked from now on are added by the fork program; the ones running
    // already come from /proc (after watch is on, so none falls between the two).
    auto parent = parents();
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [pid, ppid] : parent)
        if (tgids.count(ppid) && tgids.insert(pid).second) {
          add(pid);
          grew = true;
        }
    }
  }
  return {tgids.begin(), tgids.end()};
}

// Adds processes to a watch in progress (zcl watch's re-scan of --comm and
// --cgroup targets), without zeroing anything: each running pid's process, and
// with follow its running descendants. A pid that is not running is skipped.
// Returns the tgids it added (those watched already are left out).
std::vector<uint32_t> Host::watch_add(const std::vector<uint32_t>& pids) {
  if (!impl_->skel) throw ProbeUnavailable("the probes were closed");
  auto* bss = impl_->skel->bss;
  zcl_config& cfg = bss->zcl_config;
  if (!__atomic_load_n(&cfg.watch, __ATOMIC_SEQ_CST)) throw std::invalid_argument("tgids: no watch in progress (call watch first)");
  const int watched_fd = bpf_map__fd(impl_->skel->maps.watched);
  std::set<uint32_t> now;
  for (uint32_t t : watched()) now.insert(t);
  std::vector<uint32_t> added;
  auto add = [&](uint32_t tgid) {
    if (tgid == 0 || tgid >= ZCL_WATCH_BITS_WORDS * 64 || !now.insert(tgid).second) return;
    if (now.size() > ZCL_WATCH_MAX_TGIDS)
      throw std::invalid_argument("tgids: at most " + std::to_string(ZCL_WATCH_MAX_TGIDS) + " processes");
    watch_entry(watched_fd, bss, tgid);
    added.push_back(tgid);
  };
  for (uint32_t pid : pids) add(pid ? tgid_of(pid) : 0);
  if (cfg.follow && !added.empty()) {
    std::set<uint32_t> tree(added.begin(), added.end());
    auto parent = parents();
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [pid, ppid] : parent)
        if (tree.count(ppid) && tree.insert(pid).second) {
          add(pid);
          grew = true;
        }
    }
  }
  return added;
}

std::vector<uint32_t> Host::watched() const {
  std::vector<uint32_t> out;
  if (!impl_->skel) return out;
  const int fd = bpf_map__fd(impl_->skel->maps.watched);
  for (uint32_t tgid : map_keys<uint32_t>(impl_->skel->maps.watched)) {
    zcl_watch_proc v;
    if (bpf_map_lookup_elem(fd, &tgid, &v) == 0 && !v.exited) out.push_back(tgid);  // exited: kept for watch_detail only
  }
  return out;
}

namespace {
// An exited process stays in the kernel's map this long after user space first
// saw it exited (its socket may still transmit what it queued before exiting),
// then moves to user space and its entry is deleted.
constexpr auto kExitedGrace = std::chrono::seconds(1);
}  // namespace

WatchDetail Host::watch_detail() {
  WatchDetail out;
  if (!impl_->skel) throw ProbeUnavailable("the probes were closed");
  auto& maps = impl_->skel->maps;
  WatchStore& st = impl_->store;
  const auto now = Clock::now();
  // Many exits waiting (a fork-heavy process): collect them all now, so the map
  // keeps room for new children.
  const uint64_t exits = __atomic_load_n(&impl_->skel->bss->zcl_watch_exits, __ATOMIC_RELAXED);
  const bool crowded = exits - st.exits_collected > ZCL_WATCH_MAX_TGIDS / 4;

  // Processes: live and recently exited from the kernel, older exits from the store.
  const int pfd = bpf_map__fd(maps.watched);
  std::set<uint32_t> collected;
  for (uint32_t tgid : map_keys<uint32_t>(maps.watched)) {
    zcl_watch_proc v;
    if (bpf_map_lookup_elem(pfd, &tgid, &v) != 0) continue;
    WatchProcRow r = proc_row(tgid, v);
    auto& info = st.procs[tgid];
    if (!r.exited) {
      st.exited_seen.erase(tgid);
      if (info.comm.empty() || now - info.comm_at > std::chrono::seconds(1)) {  // exec renames
        std::string c = proc_comm(tgid);
        if (!c.empty()) info.comm = c;
        info.comm_at = now;
      }
      if (!info.comm.empty()) r.comm = info.comm;
      if (!r.start_ns) {
        if (!info.start_ns) info.start_ns = proc_start_ns(tgid);
        r.start_ns = info.start_ns;
      }
    } else {
      auto seen = st.exited_seen.emplace(tgid, now).first->second;
      if (crowded || now - seen >= kExitedGrace) {
        // Final: into the store, and the kernel entry deleted (its bit is clear: nothing counts into it now,
        // but for a packet its socket still transmits within the grace's end and this delete).
        if (bpf_map_delete_elem(pfd, &tgid) == 0) {
          st.gone[{tgid, r.start_ns}] = r;
          collected.insert(tgid);
          st.exits_collected++;
        }
        st.exited_seen.erase(tgid);
        st.procs.erase(tgid);
        continue;
      }
    }
    out.processes.push_back(r);
  }
  // Exited processes whose pid a followed fork reused before they were collected.
  const int gfd = bpf_map__fd(maps.watch_gone);
  for (const auto& k : map_keys<zcl_watch_gone_key>(maps.watch_gone)) {
    zcl_watch_proc v;
    if (bpf_map_lookup_elem(gfd, &k, &v) == 0) {
      st.gone[{k.tgid, k.start_ns}] = proc_row(k.tgid, v);
      st.exits_collected++;
    }
    bpf_map_delete_elem(gfd, &k);
  }
  for (const auto& [k, r] : st.gone) out.processes.push_back(r);
  std::map<uint32_t, std::string> comm;  // tgid -> name, for the connection rows
  for (const auto& r : out.processes)
    if (!comm.count(r.tgid) || !r.exited) comm[r.tgid] = r.comm;

  // Files: a collected process's rows move to the store with it.
  const int ffd = bpf_map__fd(maps.watch_files);
  std::set<std::pair<uint32_t, uint64_t>> unresolved;
  std::map<uint32_t, std::set<std::pair<uint32_t, uint64_t>>> wanted;  // tgid -> files without a path
  for (const auto& k : map_keys<zcl_watch_file_key>(maps.watch_files)) {
    zcl_watch_file v;
    if (bpf_map_lookup_elem(ffd, &k, &v) != 0) continue;
    WatchFileRow r = file_row(k, v);
    if (collected.count(k.tgid)) {
      auto& g = st.gone_files[{k.tgid, k.dev, k.ino}];
      if (g.tgid) {
        for (int i = 0; i < ZCL_NR_FILE_COUNTERS; i++) g.c[i] += r.c[i];
      } else {
        g = r;
      }
      bpf_map_delete_elem(ffd, &k);
      continue;
    }
    if (!st.paths.count({k.dev, k.ino})) wanted[k.tgid].insert({k.dev, k.ino});
    out.files.push_back(r);
  }
  for (const auto& [k, r] : st.gone_files) out.files.push_back(r);
  // Paths: looked up once per (dev, ino); a process's fds and maps scanned at most once a second.
  for (auto& [tgid, files] : wanted) {
    auto last = st.scanned.find(tgid);
    if (last != st.scanned.end() && now - last->second < std::chrono::seconds(1)) continue;
    st.scanned[tgid] = now;
    resolve_paths(tgid, files, st.paths);
  }
  for (auto& f : out.files) {
    auto p = st.paths.find({(f.major << 20) | f.minor, f.ino});
    f.has_path = p != st.paths.end();
    if (f.has_path) f.path = p->second;
  }

  // Connections: the live LRU's rows; those whose socket's memory was reused, from the store.
  const int cfd = bpf_map__fd(maps.watch_socks);
  for (uint64_t sk : map_keys<uint64_t>(maps.watch_socks)) {
    zcl_watch_conn v;
    if (bpf_map_lookup_elem(cfd, &sk, &v) == 0) out.connections.push_back(conn_row(v));
  }
  const int clfd = bpf_map__fd(maps.watch_closed);
  for (const auto& k : map_keys<zcl_watch_closed_key>(maps.watch_closed)) {
    zcl_watch_conn v;
    if (bpf_map_lookup_elem(clfd, &k, &v) == 0) st.closed[{k.sk, k.portpair, k.tgid}] = conn_row(v);
    bpf_map_delete_elem(clfd, &k);
  }
  for (const auto& [k, r] : st.closed) out.connections.push_back(r);
  for (auto& c : out.connections) {
    auto it = comm.find(c.tgid);
    c.comm = it != comm.end() ? it->second : proc_comm(c.tgid);
  }

  if (crowded) st.exits_collected = exits;  // entries lost meanwhile (an LRU eviction) do not keep it crowded
  auto by_tgid = [](const auto& a, const auto& b) { return a.tgid < b.tgid; };
  std::stable_sort(out.processes.begin(), out.processes.end(), by_tgid);
  std::stable_sort(out.connections.begin(), out.connections.end(), by_tgid);
  std::stable_sort(out.files.begin(), out.files.end(), by_tgid);
  return out;
}

void Host::read(RoleSnapshot out[ZCL_NR_ROLES]) const {
  memset(out, 0, sizeof(RoleSnapshot) * ZCL_NR_ROLES);
  if (!impl_->skel) throw ProbeUnavailable("the probes were closed");
  // Watch mode with many exited processes nobody collected (watch_detail() not
  // called): collect them, so followed children still find room in the map.
  const auto* bss = impl_->skel->bss;
  if (__atomic_load_n(&bss->zcl_config.watch, __ATOMIC_RELAXED) &&
      __atomic_load_n(&bss->zcl_watch_exits, __ATOMIC_RELAXED) - impl_->store.exits_collected > ZCL_WATCH_MAX_TGIDS / 4)
    const_cast<Host*>(this)->watch_detail();
  const auto* slots = impl_->skel->bss->zcl_slots;
  for (int cpu = 0; cpu < impl_->ncpus; cpu++)
    for (int r = 0; r < ZCL_NR_ROLES; r++) {
      const auto& rc = slots[cpu].role[r];
      for (int i = 0; i < ZCL_NR_COUNTERS; i++) out[r].c[i] += __atomic_load_n(&rc.c[i], __ATOMIC_RELAXED);
      for (int i = 0; i < ZCL_NR_SYSCALLS; i++) out[r].sys[i] += __atomic_load_n(&rc.sys[i], __ATOMIC_RELAXED);
    }
}

bool Host::enable_stats() {
  if (impl_->stats_fd < 0) impl_->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  return impl_->stats_fd >= 0;
}

std::vector<ProgramStats> Host::stats() const {
  std::vector<ProgramStats> out;
  if (!impl_->skel) return out;
  bpf_program* prog;
  bpf_object__for_each_program(prog, impl_->skel->obj) {
    int fd = bpf_program__fd(prog);
    if (fd < 0) continue;
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
      out.push_back({bpf_program__section_name(prog), info.run_cnt, info.run_time_ns, info.recursion_misses});
  }
  return out;
}

uint64_t Host::total_misses() const {
  uint64_t n = 0;
  for (const auto& s : stats()) n += s.recursion_misses;
  return n;
}

uint64_t Host::missed_since_begin() const { return total_misses() - misses_at_begin_; }

void Host::close() {
  impl_->disarm();
  impl_->syscall_links.clear();
  for (bpf_link* l : impl_->links) bpf_link__destroy(l);
  impl_->links.clear();
  if (impl_->skel) zcl_probes__destroy(impl_->skel);
  impl_->skel = nullptr;
  if (impl_->stats_fd >= 0) ::close(impl_->stats_fd);
  impl_->stats_fd = -1;
}

}  // namespace zcl::probes
