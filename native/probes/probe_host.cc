#include "probe_host.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "zcl_probes.skel.h"

namespace zcl::probes {
namespace {

// libbpf's messages, kept so a failed load can say why.
std::string& libbpf_log() {
  static std::string log;
  return log;
}

int on_libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
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

// A tracepoint the programs use. BTF-typed ones have a tp_btf program and a
// raw_tp twin; classic ones (stable format fields) have one program.
struct Tracepoint {
  const char* category;
  const char* name;
  bool btf_pair;  // btf_<name> + raw_<name>; else a classic program
  const char* classic_prog;
};

const Tracepoint kTracepoints[] = {
    {"raw_syscalls", "sys_enter", true, nullptr},
    {"raw_syscalls", "sys_exit", true, nullptr},
    {"sched", "sched_switch", true, nullptr},
    {"tcp", "tcp_sendmsg_locked", true, nullptr},
    {"sock", "sock_send_length", true, nullptr},
    {"net", "net_dev_start_xmit", true, nullptr},
    {"tcp", "tcp_retransmit_skb", true, nullptr},
    {"skb", "skb_copy_datagram_iovec", true, nullptr},
    {"exceptions", "page_fault_user", false, "tp_page_fault_user"},
    {"exceptions", "page_fault_kernel", false, "tp_page_fault_kernel"},
    {"filemap", "mm_filemap_add_to_page_cache", false, "tp_filemap_add"},
};

// What each counter needs (all of it): tracepoint names, or "send", the send
// decision group, whose source is chosen below (tracepoints, fentry or kprobe).
const std::map<std::string, std::vector<std::string>> kNeeds = {
    {"syscalls", {"sys_enter"}},
    {"ctx_switches", {"sched_switch"}},
    {"ctx_switches_voluntary", {"sched_switch"}},
    {"ctx_switches_involuntary", {"sched_switch"}},
    {"page_faults", {"page_fault_user", "page_fault_kernel"}},
    {"copy_file_to_user_bytes", {"sys_enter", "sys_exit"}},
    {"copy_user_to_socket_bytes", {"send"}},
    {"splice_ref_bytes", {"send"}},
    {"zerocopy_bytes", {"send"}},
    {"zerocopy_copied_bytes", {"sys_enter", "sys_exit", "send"}},
    {"copy_linearize_bytes", {"net_dev_start_xmit"}},
    {"dev_xmit_bytes", {"net_dev_start_xmit"}},
    {"retransmit_bytes", {"tcp_retransmit_skb"}},
    {"copy_socket_to_user_bytes", {"skb_copy_datagram_iovec"}},
    {"block_read_bytes", {"mm_filemap_add_to_page_cache"}},
};

const char* kCounterNames[] = {
#define ZCL_X(name, unit, desc) #name,
    ZCL_COUNTERS(ZCL_X)
#undef ZCL_X
};

// A real attach attempt, as bcc's fentry_can_attach: a two-instruction fexit
// program loaded against the function's BTF id and attached.
bool fentry_can_attach(btf* vmlinux, const char* func, std::string* why) {
  int id = vmlinux ? btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) : -1;
  if (id <= 0) {
    *why = std::string("the kernel has no function ") + func;
    return false;
  }
  struct bpf_insn insns[2] = {};
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  insns[1].code = BPF_JMP | BPF_EXIT;
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT, .attach_btf_id = static_cast<__u32>(id));
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

bool kernel_has_func(btf* vmlinux, const char* func) {
  return vmlinux && btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) > 0;
}

// The send decision's candidate sources, best first: the tracepoints (a stable
// interface), fentry/fexit, kprobes. Each is a list of programs; optional ones
// (functions older kernels have) are attached when the kernel has them.
struct SendSource {
  const char* kind;
  std::vector<std::string> programs;           // all needed
  std::vector<std::pair<std::string, const char*>> optional;  // program, function it needs
};

const SendSource kSendSources[] = {
    {"tracepoint", {}, {}},  // btf_/raw_ tcp_sendmsg_locked + sock_send_length, chosen with the tracepoints
    {"fentry", {"fexit_tcp_sendmsg_locked"}, {{"fexit_do_tcp_sendpages", "do_tcp_sendpages"}}},
    {"kprobe", {"kprobe_tcp_sendmsg_locked", "kretprobe_tcp_sendmsg_locked"}, {{"kretprobe_do_tcp_sendpages", "do_tcp_sendpages"}}},
};

}  // namespace

struct Host::Impl {
  zcl_probes* skel = nullptr;
  std::vector<bpf_link*> links;
  std::map<std::string, std::string> source_of;  // tracepoint -> "tp_btf/x" etc, if attached
  int ncpus = 0;
  int stats_fd = -1;
  std::string send_kind;  // which source the send decision got
};

// "tracepoint", or the mix, e.g. "tracepoint+fentry"; "(partial)" when a counter has no source.
std::string Host::tier() const {
  std::string t = "tracepoint";
  if (!impl_->send_kind.empty() && impl_->send_kind != "tracepoint") t += "+" + impl_->send_kind;
  for (const auto& c : counters_)
    if (!c.available) return t + " (partial)";
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
  impl_->ncpus = libbpf_num_possible_cpus();
  if (impl_->ncpus <= 0 || impl_->ncpus > ZCL_MAX_CPUS)
    throw ProbeUnavailable("this machine has " + std::to_string(impl_->ncpus) + " possible CPUs; the probes support up to " +
                           std::to_string(ZCL_MAX_CPUS));

  zcl_probes* skel = zcl_probes__open();
  if (!skel) throw ProbeUnavailable("cannot open the BPF object: " + libbpf_log());
  impl_->skel = skel;

  btf* vmlinux = btf__load_vmlinux_btf();
  // ZCL_PROBES_RAW_TP=1 takes the raw_tp fallbacks even where tp_btf works (to test them).
  const bool force_raw = getenv("ZCL_PROBES_RAW_TP") && strcmp(getenv("ZCL_PROBES_RAW_TP"), "1") == 0;
  const std::string tfs = tracefs();
  // Choose one program per tracepoint, the best the kernel has, before loading.
  std::map<std::string, bpf_program*> chosen;
  std::map<std::string, std::string> why_not;
  for (const auto& tp : kTracepoints) {
    bool in_tracefs = exists(tfs + "/events/" + tp.category + "/" + tp.name);
    if (tp.btf_pair) {
      bpf_program* btf_prog = bpf_object__find_program_by_name(skel->obj, (std::string("btf_") + tp.name).c_str());
      bpf_program* raw_prog = bpf_object__find_program_by_name(skel->obj, (std::string("raw_") + tp.name).c_str());
      bool has_btf = !force_raw && vmlinux && btf__find_by_name_kind(vmlinux, (std::string("btf_trace_") + tp.name).c_str(), BTF_KIND_TYPEDEF) > 0;
      bpf_program__set_autoload(btf_prog, has_btf);
      bpf_program__set_autoload(raw_prog, !has_btf && in_tracefs);
      if (has_btf) chosen[tp.name] = btf_prog;
      else if (in_tracefs) chosen[tp.name] = raw_prog;
      else why_not[tp.name] = std::string("the kernel has no tracepoint ") + tp.category + ":" + tp.name;
    } else {
      bpf_program* prog = bpf_object__find_program_by_name(skel->obj, tp.classic_prog);
      bpf_program__set_autoload(prog, in_tracefs);
      if (in_tracefs) chosen[tp.name] = prog;
      else why_not[tp.name] = std::string("the kernel has no tracepoint ") + tp.category + ":" + tp.name;
    }
  }
  // The send decision: the first candidate source the kernel offers, unless
  // ZCL_PROBES_SEND=fentry|kprobe asks for another one (to test them).
  const char* prefer = getenv("ZCL_PROBES_SEND");
  std::vector<std::string> send_programs;
  std::string send_why;
  for (const auto& src : kSendSources) {
    if (prefer && *prefer && strcmp(prefer, src.kind) != 0) continue;
    std::string why;
    bool ok;
    if (strcmp(src.kind, "tracepoint") == 0) {
      ok = chosen.count("tcp_sendmsg_locked") && chosen.count("sock_send_length") && chosen.count("sys_enter");
      if (!ok) why = "no tcp:tcp_sendmsg_locked / sock:sock_send_length tracepoints (they arrived in 6.14 / 6.3)";
    } else if (strcmp(src.kind, "fentry") == 0) {
      ok = fentry_can_attach(vmlinux, "tcp_sendmsg_locked", &why);
    } else {
      ok = exists("/sys/bus/event_source/devices/kprobe/type") && kernel_has_func(vmlinux, "tcp_sendmsg_locked");
      if (!ok) why = "kprobes are not available (CONFIG_KPROBES) or the kernel has no tcp_sendmsg_locked";
    }
    if (ok) {
      impl_->send_kind = src.kind;
      for (const auto& p : src.programs) send_programs.push_back(p);
      for (const auto& [p, func] : src.optional)
        if (kernel_has_func(vmlinux, func)) send_programs.push_back(p);
      break;
    }
    send_why += (send_why.empty() ? "" : "; ") + std::string(src.kind) + ": " + why;
  }
  // Only the chosen send source loads; the tracepoint pair stays off if another source won.
  if (impl_->send_kind != "tracepoint")
    for (const char* tp : {"tcp_sendmsg_locked", "sock_send_length"}) {
      for (const char* prefix : {"btf_", "raw_"})
        bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, (std::string(prefix) + tp).c_str()), false);
      chosen.erase(tp);
    }
  for (const auto& src : kSendSources)
    for (const auto& p : src.programs) bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, p.c_str()), false);
  for (const auto& src : kSendSources)
    for (const auto& [p, func] : src.optional) bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, p.c_str()), false);
  for (const auto& p : send_programs) bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, p.c_str()), true);
  btf__free(vmlinux);

  if (zcl_probes__load(skel) != 0) {
    std::string log = libbpf_log();
    zcl_probes__destroy(skel);
    impl_->skel = nullptr;
    throw ProbeUnavailable("the kernel refused the BPF programs: " + log.substr(log.size() > 2000 ? log.size() - 2000 : 0));
  }
  // A real attach attempt decides what each counter gets.
  for (auto& [tp, prog] : chosen) {
    const char* sec = bpf_program__section_name(prog);
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      int err = errno;
      programs_.push_back({sec, false, strerror(err)});
      why_not[tp] = std::string(sec) + " did not attach: " + strerror(err);
      continue;
    }
    impl_->links.push_back(link);
    impl_->source_of[tp] = sec;
    programs_.push_back({sec, true, ""});
  }
  std::string send_source;
  bool send_ok = !impl_->send_kind.empty();
  if (impl_->send_kind == "tracepoint") {
    for (const char* tp : {"sys_enter", "tcp_sendmsg_locked", "sock_send_length"}) {
      auto it = impl_->source_of.find(tp);
      if (it == impl_->source_of.end()) send_ok = false;
      else send_source += (send_source.empty() ? "" : " + ") + it->second;
    }
    if (!send_ok) send_why = "the send tracepoints did not attach";
  } else if (send_ok) {
    for (const auto& name : send_programs) {
      bpf_program* prog = bpf_object__find_program_by_name(skel->obj, name.c_str());
      const char* sec = bpf_program__section_name(prog);
      bpf_link* link = bpf_program__attach(prog);
      if (!link) {
        int err = errno;
        programs_.push_back({sec, false, strerror(err)});
        send_ok = false;
        send_why = std::string(sec) + " did not attach: " + strerror(err);
        continue;
      }
      impl_->links.push_back(link);
      programs_.push_back({sec, true, ""});
      send_source += std::string(send_source.empty() ? "" : " + ") + sec;
    }
  }
  if (send_ok) impl_->source_of["send"] = send_source;
  else {
    why_not["send"] = "no source for the send decision: " + send_why;
    impl_->send_kind.clear();
  }

  for (const char* name : kCounterNames) {
    CounterStatus cs{name, true, "", ""};
    for (const auto& tp : kNeeds.at(name)) {
      auto it = impl_->source_of.find(tp);
      if (it == impl_->source_of.end()) {
        cs.available = false;
        cs.missing += (cs.missing.empty() ? "" : "; ") + why_not[tp];
      } else {
        // Each program once, however many needs share it (e.g. sys_enter).
        size_t start = 0;
        const std::string& src = it->second;
        while (start <= src.size()) {
          size_t end = src.find(" + ", start);
          std::string part = src.substr(start, end == std::string::npos ? std::string::npos : end - start);
          if ((" + " + cs.source + " + ").find(" + " + part + " + ") == std::string::npos)
            cs.source += (cs.source.empty() ? "" : " + ") + part;
          if (end == std::string::npos) break;
          start = end + 3;
        }
      }
    }
    if (!cs.available) cs.source.clear();
    counters_.push_back(cs);
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
  struct stat st;
  if (!t.file.empty() && stat(t.file.c_str(), &st) == 0) {
    cfg.file_dev = (major(st.st_dev) << 20) | minor(st.st_dev);  // the kernel's MKDEV
    cfg.file_ino = st.st_ino;
  }
  misses_at_begin_ = total_misses();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&cfg.tgid[r], t.tgid[r], __ATOMIC_SEQ_CST);
}

void Host::end() {
  if (!impl_->skel) return;
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&impl_->skel->bss->zcl_config.tgid[r], 0u, __ATOMIC_SEQ_CST);
}

void Host::read(RoleSnapshot out[ZCL_NR_ROLES]) const {
  memset(out, 0, sizeof(RoleSnapshot) * ZCL_NR_ROLES);
  if (!impl_->skel) throw ProbeUnavailable("the probes were closed");
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
  for (bpf_link* l : impl_->links) bpf_link__destroy(l);
  impl_->links.clear();
  if (impl_->skel) zcl_probes__destroy(impl_->skel);
  impl_->skel = nullptr;
  if (impl_->stats_fd >= 0) ::close(impl_->stats_fd);
  impl_->stats_fd = -1;
}

}  // namespace zcl::probes
