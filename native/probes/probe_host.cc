#include "probe_host.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
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
       {{s->progs.kretprobe_do_tcp_sendpages, "do_tcp_sendpages"}}},
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
  std::map<std::string, std::string> why_not;       // probe point -> why it has no source
};

struct Host::Impl {
  zcl_probes* skel = nullptr;
  std::vector<bpf_link*> links;
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
}

// A real attach attempt decides what each probe point gets (source_of), and
// what the programs report.
std::vector<ProgramStatus> Host::Impl::attach(Sources& src) {
  std::vector<ProgramStatus> programs;
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
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&cfg.tgid[r], t.tgid[r], __ATOMIC_SEQ_CST);
}

void Host::end() {
  if (!impl_->skel) return;
  zcl_config& cfg = impl_->skel->bss->zcl_config;
  __atomic_store_n(&cfg.watch, 0u, __ATOMIC_SEQ_CST);
  for (int r = 0; r < ZCL_NR_ROLES; r++) __atomic_store_n(&cfg.tgid[r], 0u, __ATOMIC_SEQ_CST);
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

// Empties a hash map whose keys are at most 8 bytes (user space owns the watch
// maps between sessions; the programs ignore them while watch is off).
void clear_map(int fd) {
  uint64_t key = 0;
  while (bpf_map_get_next_key(fd, nullptr, &key) == 0)
    if (bpf_map_delete_elem(fd, &key) != 0) break;
}

}  // namespace

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
  const int watched_fd = bpf_map__fd(impl_->skel->maps.watched);
  clear_map(watched_fd);
  clear_map(bpf_map__fd(impl_->skel->maps.watch_socks));
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
  const uint32_t role = ZCL_ROLE_sender;
  auto add = [&](uint32_t tgid) {
    if (tgid >= ZCL_WATCH_BITS_WORDS * 64)
      throw std::invalid_argument("tgids: " + std::to_string(tgid) + " is above the kernel's pid limit");
    if (bpf_map_update_elem(watched_fd, &tgid, &role, BPF_ANY) != 0)
      throw std::invalid_argument("tgids: cannot watch " + std::to_string(tgid) + ": " + strerror(errno));
    __atomic_fetch_or(&bss->zcl_watch_bits[tgid / 64], 1ULL << (tgid % 64), __ATOMIC_SEQ_CST);
  };
  for (uint32_t tgid : tgids) add(tgid);
  misses_at_begin_ = total_misses();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
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
  const uint32_t role = ZCL_ROLE_sender;
  std::set<uint32_t> now;
  for (uint32_t t : watched()) now.insert(t);
  std::vector<uint32_t> added;
  auto add = [&](uint32_t tgid) {
    if (tgid == 0 || tgid >= ZCL_WATCH_BITS_WORDS * 64 || !now.insert(tgid).second) return;
    if (now.size() > ZCL_WATCH_MAX_TGIDS)
      throw std::invalid_argument("tgids: at most " + std::to_string(ZCL_WATCH_MAX_TGIDS) + " processes");
    if (bpf_map_update_elem(watched_fd, &tgid, &role, BPF_ANY) != 0)
      throw std::invalid_argument("tgids: cannot watch " + std::to_string(tgid) + ": " + strerror(errno));
    __atomic_fetch_or(&bss->zcl_watch_bits[tgid / 64], 1ULL << (tgid % 64), __ATOMIC_SEQ_CST);
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
  uint32_t key, next;
  uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
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
