// SPDX-License-Identifier: GPL-2.0
/* The tracepoint tier: counts, per run and per role (sender, sink), what a
 * file-to-socket transfer costs the kernel, at the points where the kernel
 * decides to copy bytes or to pass pages by reference. Everything is aggregated
 * here, in per-CPU slots of a global array that user space reads through its
 * memory mapping (no syscall per read, no per-event traffic).
 *
 * Where a tracepoint has BTF (tp_btf) that variant is loaded; the raw_tp twin
 * of each is the fallback for kernels without BTF-typed tracepoints. Every
 * handler reads kernel memory with CO-RE, so one object runs on many kernels.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "counters.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFIFO 0010000
#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define MSG_ERRQUEUE 0x2000
#define MSG_ZEROCOPY 0x4000000
#define MSG_SPLICE_PAGES 0x8000000
#define TCP_ZEROCOPY_RECEIVE 35
#define MAP_ANONYMOUS 0x20
#define SO_EE_ORIGIN_ZEROCOPY 5
#define SO_EE_CODE_ZEROCOPY_COPIED 1
/* NETIF_F_SG_BIT is 0 in every kernel (an anonymous enum, so not CO-RE relocatable) */
#define NETIF_F_SG (1ULL << 0)

/* ---- state shared with user space (mmapped .bss) ---- */
struct zcl_cpu_slot zcl_slots[ZCL_MAX_CPUS];
struct zcl_config zcl_config;
unsigned long long zcl_zc_cum[ZCL_ZC_RING];
unsigned long long zcl_zc_total;
/* Watch mode: one bit per possible tgid, set for the watched processes (the
 * `watched` map below holds their role). An unwatched process costs one load
 * and a bit test, no hashing, on every event of the machine. */
unsigned long long zcl_watch_bits[ZCL_WATCH_BITS_WORDS];

/* Reads a field: in a tp_btf program (D true) with a direct load, which the
 * verifier allows on BTF pointers and costs a nanosecond; in its raw_tp twin with
 * bpf_probe_read_kernel (CO-RE relocated either way). D is a constant, so each
 * program keeps one branch. */
#define RD(D, direct, ...) ((D) ? (direct) : BPF_CORE_READ(__VA_ARGS__))

#define CFG(field) (*(volatile typeof(zcl_config.field) *)&zcl_config.field)

/* ---- per-thread state of a syscall in flight (registered tgids only) ---- */
enum fd_class { FD_OTHER = 0, FD_FILE, FD_TCP, FD_PIPE };
enum send_decision { SEND_NONE = 0, SEND_COPY, SEND_SPLICE, SEND_ZEROCOPY, SEND_ZEROCOPY_UBUF };
#define PF_IO_WORKER 0x00000010
#define IORING_CQE_F_MORE (1U << 1)
#define IORING_CQE_F_NOTIF (1U << 3)
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)

/* What an fd was found to be, cached per thread (in the storage below) in a
 * slot chosen by the fd's number, so a syscall on the same open file skips the
 * reads that classify it. A hit needs the same struct file in the fd's slot of
 * the fdtable, the same inode in it, and that inode's number, mode and super
 * block as recorded: a struct file and its inode freed and reused at the same
 * addresses (a socket closed and another opened: the slab hands both back) get
 * a fresh inode number (sockets, pipes: get_next_ino()) or are another file
 * (regular files: another i_ino, or another super block). */
#define FDC_SLOTS 16
struct fd_cached {
  __u64 file;   /* struct file *, 0: empty */
  __u64 inode;  /* its f_inode */
  __u64 ino;    /* the inode's i_ino */
  __u64 sb;     /* the inode's i_sb */
  __u64 sk;     /* FD_TCP: its struct sock */
  __u32 dev;    /* FD_FILE: the super block's s_dev */
  __u16 mode;   /* the inode's i_mode */
  __u8 cls;     /* enum fd_class */
};

struct sys_state {
  int idx;         /* enum zcl_syscall */
  __u8 cls;        /* class of the first fd argument */
  __u8 decision;   /* set by tcp_sendmsg_locked, spent by sock_send_length */
  __u8 active;     /* a counted syscall is in flight */
  __u32 zc_id;     /* MSG_ZEROCOPY: the send's notification id */
  __u64 flags;     /* recvmsg flags */
  __u64 umsg;      /* recvmsg: the user's msghdr */
  /* watch mode: the regular file the syscall reads or sends from (read, pread64,
   * readv, preadv; sendfile's in-fd; splice's in end), dev 0 = none */
  __u32 file_dev;  /* kernel dev_t (MKDEV) */
  __u64 file_ino;
  struct fd_cached fdc[FDC_SLOTS];
};

/* Task-local storage: found from the task itself, no hashing (much cheaper than a
 * hash keyed by tid on the syscall path). */
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct sys_state);
} inflight SEC(".maps");

static __always_inline struct sys_state *state_get(bool create) {
  return bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* A counted syscall begins (or an io-wq worker's send, counted as io_uring_enter's). */
static __always_inline void state_begin(struct sys_state *st, int idx, int cls) {
  st->idx = idx;
  st->cls = cls;
  st->decision = SEND_NONE;
  st->active = 1;
  st->file_dev = 0;
  st->file_ino = 0;
}

/* ---- watch mode: processes the lab did not start ----
 * The watched processes (tgid -> role and their own counters), filled by user
 * space; with follow, sched_process_fork adds the children of watched processes.
 * When the last thread of one exits, sched_process_exit marks it exited and
 * clears its bit; user space reads its final counts, then deletes it. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZCL_WATCH_MAX_TGIDS);
  __type(key, __u32);
  __type(value, struct zcl_watch_proc);
} watched SEC(".maps");

/* An exited process whose pid a followed fork reused before user space read it. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZCL_WATCH_MAX_GONE);
  __type(key, struct zcl_watch_gone_key);
  __type(value, struct zcl_watch_proc);
} watch_gone SEC(".maps");

/* The TCP sockets the watched processes sent on, recorded in their task context,
 * so transmit (in softirq or another task's context) can be attributed by
 * skb->sk, with no device or port filter; each with its connection's addresses
 * and counters. LRU: a socket nobody sends on ages out (and its counts with it,
 * past ZCL_WATCH_MAX_SOCKS sockets). The key is the socket's address; the port
 * pair guards against a socket freed and its memory reused by another
 * connection (the old connection's row then moves to watch_closed). */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZCL_WATCH_MAX_SOCKS);
  __type(key, __u64);
  __type(value, struct zcl_watch_conn);
} watch_socks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZCL_WATCH_MAX_GONE);
  __type(key, struct zcl_watch_closed_key);
  __type(value, struct zcl_watch_conn);
} watch_closed SEC(".maps");

/* The files the watched processes read or sent from, per process. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZCL_WATCH_MAX_FILES);
  __type(key, struct zcl_watch_file_key);
  __type(value, struct zcl_watch_file);
} watch_files SEC(".maps");

/* Watched processes that exited (user space collects them when many wait). */
unsigned long long zcl_watch_exits;
/* A zeroed process entry: a fork's child starts from it. */
const volatile struct zcl_watch_proc zcl_proc_zero;

/* Who an event belongs to: the role slot, and in watch mode the process's own
 * entry (null in a lab run). */
struct who {
  int role;
  struct zcl_watch_proc *p;
};

/* ---- helpers ---- */
/* The lab run's two compares come first and cost what they did; in watch mode
 * (user space leaves tgid[] zero then) the bitmap decides, and only a watched
 * tgid costs the map's lookup, which gives its role and its entry. */
static __always_inline struct who who_of_tgid(__u32 tgid) {
  struct who w = {-1, 0};
  if (tgid == 0) return w;
  if (tgid == CFG(tgid[ZCL_ROLE_sender])) {
    w.role = ZCL_ROLE_sender;
    return w;
  }
  if (tgid == CFG(tgid[ZCL_ROLE_sink])) {
    w.role = ZCL_ROLE_sink;
    return w;
  }
  if (CFG(watch) && (zcl_watch_bits[(tgid >> 6) & (ZCL_WATCH_BITS_WORDS - 1)] & (1ULL << (tgid & 63)))) {
    struct zcl_watch_proc *p = bpf_map_lookup_elem(&watched, &tgid);
    if (p) {
      w.role = p->role & 1;
      w.p = p;
    }
  }
  return w;
}

static __always_inline void watch_bit(__u32 tgid, bool on) {
  unsigned long long *w = &zcl_watch_bits[(tgid >> 6) & (ZCL_WATCH_BITS_WORDS - 1)];
  if (on) __sync_fetch_and_or(w, 1ULL << (tgid & 63));
  else __sync_fetch_and_and(w, ~(1ULL << (tgid & 63)));
}

static __always_inline struct who current_who(void) { return who_of_tgid(bpf_get_current_pid_tgid() >> 32); }

/* Watch mode: the process that last sent on a connection, if it is still the
 * same process (a reused pid is another one). */
static __always_inline struct zcl_watch_proc *conn_proc(struct zcl_watch_conn *c) {
  __u32 tgid = c->tgid;
  __u64 start = c->start_ns;
  struct zcl_watch_proc *p = bpf_map_lookup_elem(&watched, &tgid);
  if (p && start && p->start_ns && p->start_ns != start) return 0;
  return p;
}

/* Watch mode: a file's counter, its row made on the first event. */
static __always_inline void file_add(__u32 tgid, __u32 dev, __u64 ino, int counter, __u64 v) {
  if (!dev && !ino) return;
  struct zcl_watch_file_key k = {.tgid = tgid, .dev = dev, .ino = ino};
  struct zcl_watch_file *f = bpf_map_lookup_elem(&watch_files, &k);
  if (!f) {
    struct zcl_watch_file z = {};
    bpf_map_update_elem(&watch_files, &k, &z, BPF_NOEXIST);
    f = bpf_map_lookup_elem(&watch_files, &k);
    if (!f) return;
  }
  __sync_fetch_and_add(&f->c[counter & (ZCL_FILE_SLOTS - 1)], v);
}

static __always_inline void conn_add(struct zcl_watch_conn *c, int counter, __u64 v) {
  if (c) __sync_fetch_and_add(&c->c[counter & (ZCL_CONN_SLOTS - 1)], v);
}

/* Watch mode: remember that a watched process sends on this socket (task
 * context), with its addresses; returns its row. */
static __always_inline struct zcl_watch_conn *remember_sock(struct sock *sk, struct who w) {
  if (!w.p || !sk || !CFG(watch)) return 0;
  __u64 key = (__u64)sk;
  __u32 pp = BPF_CORE_READ(sk, __sk_common.skc_portpair);
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  __u64 start = w.p->start_ns;
  struct zcl_watch_conn *c = bpf_map_lookup_elem(&watch_socks, &key);
  if (c && c->portpair == pp) {
    if (c->tgid != tgid || c->start_ns != start) {
      c->tgid = tgid;
      c->start_ns = start;
      c->role = w.role;
    }
    return c;
  }
  if (c) {
    /* the socket's memory now holds another connection: keep the old one's counts */
    struct zcl_watch_closed_key ck = {.sk = key, .portpair = c->portpair, .tgid = c->tgid};
    bpf_map_update_elem(&watch_closed, &ck, c, BPF_ANY);
  }
  struct zcl_watch_conn v = {.role = w.role, .portpair = pp, .tgid = tgid, .start_ns = start};
  v.family = BPF_CORE_READ(sk, __sk_common.skc_family);
  v.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
  v.rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  if (v.family == AF_INET6) {
    BPF_CORE_READ_INTO(&v.laddr, sk, __sk_common.skc_v6_rcv_saddr);
    BPF_CORE_READ_INTO(&v.raddr, sk, __sk_common.skc_v6_daddr);
  } else {
    __u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(v.laddr, &l, 4);
    __builtin_memcpy(v.raddr, &r, 4);
  }
  bpf_map_update_elem(&watch_socks, &key, &v, BPF_ANY);
  return bpf_map_lookup_elem(&watch_socks, &key);
}

/* Watch mode: the row of a socket a watched process sent on, or null. */
static __always_inline struct zcl_watch_conn *sock_conn(struct sock *sk) {
  if (!sk) return 0;
  __u64 key = (__u64)sk;
  struct zcl_watch_conn *c = bpf_map_lookup_elem(&watch_socks, &key);
  if (!c || c->portpair != BPF_CORE_READ(sk, __sk_common.skc_portpair)) return 0;
  return c;
}

_Static_assert((ZCL_MAX_CPUS & (ZCL_MAX_CPUS - 1)) == 0, "ZCL_MAX_CPUS must be a power of two");
_Static_assert(ZCL_NR_ROLES == 2, "roles are masked with & 1");

/* The masks after the checks keep older verifiers (6.1) sure of the bounds,
 * whatever registers clang did the comparisons in. */
static __always_inline struct zcl_role_counters *slot(int role) {
  __u64 cpu = bpf_get_smp_processor_id();
  if (cpu >= ZCL_MAX_CPUS || role < 0 || role >= ZCL_NR_ROLES) return 0;
  return &zcl_slots[cpu & (ZCL_MAX_CPUS - 1)].role[role & 1];
}

/* Atomic even on a per-CPU slot: a softirq handler may interrupt a process-
 * context one on the same CPU. */
static __always_inline void add(int role, int counter, __u64 v) {
  struct zcl_role_counters *s = slot(role);
  if (s && counter >= 0 && counter < ZCL_NR_COUNTERS) __sync_fetch_and_add(&s->c[counter & ZCL_SLOT_MASK], v);
}
_Static_assert(ZCL_NR_COUNTERS <= ZCL_PROC_SLOTS && ZCL_NR_SYSCALLS <= ZCL_PROC_SLOTS, "counters and syscalls are masked with ZCL_SLOT_MASK");
_Static_assert(ZCL_SLOT_MASK == ZCL_PROC_SLOTS - 1 && ZCL_NR_CONN_COUNTERS <= ZCL_CONN_SLOTS && ZCL_NR_FILE_COUNTERS <= ZCL_FILE_SLOTS,
               "the watch rows' arrays are padded to their masks");

/* The role's slot, and in watch mode the process's own entry too. */
static __always_inline void count(struct who w, int counter, __u64 v) {
  add(w.role, counter, v);
  if (w.p) __sync_fetch_and_add(&w.p->c[counter & ZCL_SLOT_MASK], v);
}

static __always_inline int syscall_index(long id) {
  switch (id) {
#define ZCL_X(name, nr) case nr: return ZCL_S_##name;
    ZCL_SYSCALLS(ZCL_X)
#undef ZCL_X
  }
  return -1;
}

/* D: sk is a BTF pointer (tp_btf, fentry), read with direct loads. */
static __always_inline bool sock_is_tcp(const bool D, struct sock *sk) {
  if (!sk) return false;
  __u16 family = RD(D, sk->__sk_common.skc_family, sk, __sk_common.skc_family);
  __u16 proto = D ? BPF_CORE_READ_BITFIELD(sk, sk_protocol) : BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
  return (family == AF_INET || family == AF_INET6) && proto == IPPROTO_TCP;
}

/* procfs, sysfs, cgroup v1 and v2, debugfs, tracefs, securityfs, bpffs, configfs: regular files
 * whose contents the kernel makes up on read. */
static __always_inline bool pseudo_fs(unsigned long magic) {
  return magic == 0x9fa0 || magic == 0x62656572 || magic == 0x27e0eb || magic == 0x63677270 || magic == 0x64626720 ||
         magic == 0x74726163 || magic == 0x73636673 || magic == 0xcafe4a11 || magic == 0x62656570;
}

/* The head of struct inode up to i_ino (i_mode, ..., i_sb, ..., i_ino) in one
 * read: its mode, super block and number. The offsets are CO-RE relocated, so
 * the verifier sees constants; a layout that does not fit the buffer falls back
 * to a read per field. */
struct inode_head {
  __u16 mode;
  __u64 sb;
  __u64 ino;
};

static __always_inline int inode_head(struct inode *inode, struct inode_head *h) {
  __u64 buf[12] = {};
  __u32 mode_off = bpf_core_field_offset(struct inode, i_mode);
  __u32 sb_off = bpf_core_field_offset(struct inode, i_sb);
  __u32 ino_off = bpf_core_field_offset(struct inode, i_ino);
  if (mode_off <= sizeof(buf) - 2 && sb_off <= sizeof(buf) - 8 && ino_off <= sizeof(buf) - 8 && (mode_off & 1) == 0 &&
      (sb_off & 7) == 0 && (ino_off & 7) == 0) {
    __u32 len = (ino_off > sb_off ? ino_off : sb_off) + 8;
    if (len > sizeof(buf)) return -1;
    if (bpf_probe_read_kernel(buf, len, inode)) return -1;
    h->mode = *(__u16 *)((char *)buf + mode_off);
    h->sb = *(__u64 *)((char *)buf + sb_off);
    h->ino = *(__u64 *)((char *)buf + ino_off);
    return 0;
  }
  h->mode = BPF_CORE_READ(inode, i_mode);
  h->sb = (__u64)BPF_CORE_READ(inode, i_sb);
  h->ino = BPF_CORE_READ(inode, i_ino);
  return 0;
}

/* What an fd of the current task is: looked up in task->files, as the kernel does.
 * A TCP socket's struct sock goes to *skp when skp is not null, a regular
 * file's device and inode number to *devp and *inop when devp is not null.
 * The class is cached in st (null: no cache) by the fd's struct file. */
static __always_inline int fd_class_of(struct sys_state *st, long fd, struct sock **skp, __u32 *devp, __u64 *inop) {
  if (fd < 0) return FD_OTHER;
  struct task_struct *task = bpf_get_current_task_btf(); /* trusted: direct loads */
  struct fdtable *fdt = task->files->fdt;
  if (!fdt || (unsigned long)fd >= fdt->max_fds) return FD_OTHER;
  struct file *f = 0;
  bpf_probe_read_kernel(&f, sizeof(f), (void *)((unsigned long)fdt->fd + fd * sizeof(f)));
  if (!f) return FD_OTHER;
  struct inode *inode = 0;
  struct inode_head h;
  if (bpf_core_read(&inode, sizeof(inode), &f->f_inode) || !inode || inode_head(inode, &h)) return FD_OTHER;
  struct fd_cached *c = 0;
  if (st) {
    barrier_var(st); /* the slot's address only after the null check (the verifier wants it so) */
    c = &st->fdc[fd & (FDC_SLOTS - 1)];
  }
  if (!c || c->file != (__u64)f || c->inode != (__u64)inode || c->ino != h.ino || c->sb != h.sb || c->mode != h.mode) {
    struct fd_cached n;
    __builtin_memset(&n, 0, sizeof(n)); /* the padding too: it is copied into the cache (older verifiers) */
    n.file = (__u64)f;
    n.inode = (__u64)inode;
    n.ino = h.ino;
    n.sb = h.sb;
    n.mode = h.mode;
    n.cls = FD_OTHER;
    struct super_block *sb = (struct super_block *)h.sb;
    switch (h.mode & S_IFMT) {
      case S_IFREG:
        /* a file of a pseudo filesystem (the runtime reading /proc/sys/vm/overcommit_memory, a cgroup limit):
         * generated text, no page cache, not the data the run moves */
        if (!pseudo_fs(BPF_CORE_READ(sb, s_magic))) {
          n.cls = FD_FILE;
          n.dev = BPF_CORE_READ(sb, s_dev);
        }
        break;
      case S_IFIFO: n.cls = FD_PIPE; break;
      case S_IFSOCK: {
        struct socket *sock = (struct socket *)BPF_CORE_READ(f, private_data);
        struct sock *sk = BPF_CORE_READ(sock, sk);
        if (sock_is_tcp(false, sk)) {
          n.cls = FD_TCP;
          n.sk = (__u64)sk;
        }
        break;
      }
    }
    if (!c) c = &n;
    else *c = n;
  }
  if (c->cls == FD_TCP && skp) *skp = (struct sock *)c->sk;
  if (c->cls == FD_FILE && devp) {
    *devp = c->dev;
    *inop = c->ino;
  }
  return c->cls;
}

static __always_inline bool is_data(int cls) { return cls == FD_FILE || cls == FD_TCP; }

/* x86_64 syscall arguments, from the user registers. */
#define arg_0(r) RD(D, (r)->di, r, di)
#define arg_1(r) RD(D, (r)->si, r, si)
#define arg_2(r) RD(D, (r)->dx, r, dx)
#define arg_3(r) RD(D, (r)->r10, r, r10)
#define arg_4(r) RD(D, (r)->r8, r, r8)

/* ---- syscalls: total, by name on data fds, and state for the exit ---- */
static __always_inline int on_sys_enter(const bool D, struct pt_regs *regs, long id) {
  struct who w = current_who();
  if (w.role < 0) return 0;
  struct zcl_role_counters *s = slot(w.role);
  if (s) __sync_fetch_and_add(&s->c[ZCL_C_syscalls], 1);
  if (w.p) __sync_fetch_and_add(&w.p->c[ZCL_C_syscalls], 1);
  if (w.p && !w.p->start_ns) /* a process user space added: its start time, once */
    w.p->start_ns = BPF_CORE_READ(bpf_get_current_task_btf(), group_leader, start_time);
  int idx = syscall_index(id);
  if (idx < 0) return 0;

  /* the thread's state: the fd classes it cached, and the syscall in flight (null: no
   * memory; the fds are classified uncached and nothing waits for the exit) */
  struct sys_state *st = state_get(true);
  int cls;
  struct sock *sk = 0;  /* a TCP socket among the fds (watch mode records it) */
  __u32 dev = 0;        /* the regular file read or sent from (watch mode) */
  __u64 ino = 0;
  __u32 *devp = w.p ? &dev : 0;
  if (idx == ZCL_S_mmap) cls = (arg_3(regs) & MAP_ANONYMOUS) ? FD_OTHER : fd_class_of(st, arg_4(regs), 0, 0, 0);
  else cls = fd_class_of(st, arg_0(regs), &sk, idx == ZCL_S_sendfile ? 0 : devp, &ino);
  /* sendfile(out, in, ...) and splice(in, off, out, ...) count if either end is data;
   * the second lookup only when the first end was not, or in watch mode for
   * sendfile's file (the bytes it sends are attributed to it). */
  if (idx == ZCL_S_sendfile && (!is_data(cls) || devp)) {
    if (!is_data(fd_class_of(st, arg_1(regs), 0, devp, &ino)) && !is_data(cls)) return 0;
  }
  if (!is_data(cls) && idx == ZCL_S_splice && !is_data(fd_class_of(st, arg_2(regs), &sk, 0, 0))) return 0;
  /* io_uring_enter: counted whatever its ring; the requests it submits act on their own fds */
  if (!is_data(cls) && idx != ZCL_S_sendfile && idx != ZCL_S_splice && idx != ZCL_S_io_uring_enter) return 0;
  remember_sock(sk, w);

  /* The slot taken again here, not kept from the top: spilled across the fd lookup, Debian 6.1's
   * verifier loses its NULL check ("R2 invalid mem access 'scalar'"). */
  struct zcl_role_counters *sc = slot(w.role);
  if (sc && idx >= 0 && idx < ZCL_NR_SYSCALLS) __sync_fetch_and_add(&sc->sys[idx & ZCL_SLOT_MASK], 1);
  if (w.p) __sync_fetch_and_add(&w.p->sys[idx & ZCL_SLOT_MASK], 1);

  if (!st) return 0;
  state_begin(st, idx, cls);
  st->file_dev = dev;
  st->file_ino = ino;
  if (idx == ZCL_S_recvmsg) {
    st->umsg = arg_1(regs);
    st->flags = arg_2(regs);
  }
  /* getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, optval, ...): its result is read at the exit */
  if (idx == ZCL_S_getsockopt) {
    st->umsg = (arg_1(regs) == IPPROTO_TCP && arg_2(regs) == TCP_ZEROCOPY_RECEIVE) ? arg_3(regs) : 0;
  }
  return 0;
}

/* TCP_ZEROCOPY_RECEIVE returned: the bytes it mapped into the receiver (zc.length,
 * at offset 8 of struct tcp_zerocopy_receive), as the kernel wrote them. No
 * tracepoint fires inside tcp_zerocopy_receive, so this is the kernel's answer
 * read at the syscall boundary, not a count at the point where it maps. */
static __always_inline void on_zerocopy_receive(struct sys_state *st, struct who w) {
  __u32 len = 0;
  if (!st->umsg || bpf_probe_read_user(&len, sizeof(len), (void *)(st->umsg + 8))) return;
  if (len) count(w, ZCL_C_zerocopy_receive_bytes, len);
}

/* A MSG_ZEROCOPY completion the sender just read from its error queue: the
 * kernel's own report of which sends it had to copy after all. */
static __always_inline void on_zerocopy_notification(struct sys_state *st, struct who w) {
  struct user_msghdr um;
  if (bpf_probe_read_user(&um, sizeof(um), (void *)st->umsg)) return;
  if (um.msg_controllen < sizeof(struct cmsghdr) + sizeof(struct sock_extended_err)) return;
  struct {
    struct cmsghdr h;
    struct sock_extended_err e;
  } c;
  if (bpf_probe_read_user(&c, sizeof(c), um.msg_control)) return;
  if (c.e.ee_origin != SO_EE_ORIGIN_ZEROCOPY || !(c.e.ee_code & SO_EE_CODE_ZEROCOPY_COPIED)) return;
  __u32 lo = c.e.ee_info, hi = c.e.ee_data;
  __u64 upto = zcl_zc_cum[hi & (ZCL_ZC_RING - 1)];
  __u64 before = lo ? zcl_zc_cum[(lo - 1) & (ZCL_ZC_RING - 1)] : 0;
  if (upto < before) return;
  add(ZCL_ROLE_sender, ZCL_C_zerocopy_copied_bytes, upto - before);
  if (w.p) __sync_fetch_and_add(&w.p->c[ZCL_C_zerocopy_copied_bytes], upto - before);
}

static __always_inline int on_sys_exit(const bool D, struct pt_regs *regs, long ret) {
  /* only a syscall counted by name has state to close: the others (futex,
   * epoll_wait, ...) leave before the task-storage lookup; with a direct load of
   * orig_ax (tp_btf) before the process is even looked at, in raw_tp (a
   * bpf_probe_read per event) after */
  if (D && syscall_index(regs->orig_ax) < 0) return 0;
  struct who w = current_who();
  if (w.role < 0) return 0;
  if (!D && syscall_index(BPF_CORE_READ(regs, orig_ax)) < 0) return 0;
  struct sys_state *st = state_get(false);
  if (!st || !st->active) return 0;
  if (ret > 0 && st->cls == FD_FILE &&
      (st->idx == ZCL_S_read || st->idx == ZCL_S_pread64 || st->idx == ZCL_S_readv || st->idx == ZCL_S_preadv)) {
    count(w, ZCL_C_copy_file_to_user_bytes, ret); /* filemap_read copied ret bytes to user */
    if (w.p) file_add(bpf_get_current_pid_tgid() >> 32, st->file_dev, st->file_ino, ZCL_FC_copy_file_to_user_bytes, ret);
  }
  /* splice(file -> pipe): the file's pages went into the pipe by reference */
  if (w.p && ret > 0 && st->idx == ZCL_S_splice && st->cls == FD_FILE)
    file_add(bpf_get_current_pid_tgid() >> 32, st->file_dev, st->file_ino, ZCL_FC_splice_ref_bytes, ret);
  if (ret > 0 && st->idx == ZCL_S_io_uring_enter) count(w, ZCL_C_uring_sqes, ret); /* SQEs it consumed */
  if (w.role == ZCL_ROLE_sender && ret >= 0 && st->idx == ZCL_S_recvmsg && (st->flags & MSG_ERRQUEUE))
    on_zerocopy_notification(st, w);
  if (ret == 0 && st->idx == ZCL_S_getsockopt) on_zerocopy_receive(st, w);
  st->active = 0;
  return 0;
}

/* ---- the send decision, where TCP makes it ---- */
/* A zerocopy send whose caller brought its own notification (msg->msg_ubuf,
 * Linux 6.0+: io_uring's SEND_ZC); tcp_sendmsg_locked() checks it before
 * SO_ZEROCOPY, and then pins the pages whatever the socket's flag. */
static __always_inline bool msg_ubuf(struct msghdr *msg) {
  if (!bpf_core_field_exists(msg->msg_ubuf)) return false;
  return BPF_CORE_READ(msg, msg_ubuf) != 0;
}

/* tcp_sendmsg_locked() decides per message: MSG_SPLICE_PAGES (sendfile, splice)
 * appends page references; MSG_ZEROCOPY on a SO_ZEROCOPY socket pins the user
 * pages; anything else is copied into the socket's page fragments. */
static __always_inline int on_tcp_sendmsg(const bool D, struct sock *sk, struct msghdr *msg) {
  struct who w = current_who();
  if (w.role < 0) return 0;
  remember_sock(sk, w); /* sends outside the counted syscalls too (sendmmsg, io_uring) */
  struct sys_state *st = state_get(false);
  /* An io_uring io-wq worker (a thread of the process, PF_IO_WORKER: IORING_OP_SPLICE
   * always runs there) sends for the requests of io_uring_enter with no syscall of
   * its own: its sends count as io_uring_enter's, its state stays active. */
  if ((!st || !st->active) && (BPF_CORE_READ(bpf_get_current_task_btf(), flags) & PF_IO_WORKER)) {
    st = state_get(true);
    if (!st) return 0;
    state_begin(st, ZCL_S_io_uring_enter, FD_OTHER);
  }
  /* decided already: the loop fires this once per skb of the same message */
  if (!st || !st->active || st->decision != SEND_NONE) return 0;
  unsigned int flags = RD(D, msg->msg_flags, msg, msg_flags);
  unsigned long sk_flags = RD(D, sk->__sk_common.skc_flags, sk, __sk_common.skc_flags);
  __u64 caps = RD(D, sk->sk_route_caps, sk, sk_route_caps);
  int zc_bit = bpf_core_enum_value(enum sock_flags, SOCK_ZEROCOPY);
  if (flags & MSG_SPLICE_PAGES) {
    st->decision = SEND_SPLICE;
  } else if ((flags & MSG_ZEROCOPY) && msg_ubuf(msg) && (caps & NETIF_F_SG)) {
    st->decision = SEND_ZEROCOPY_UBUF; /* io_uring SEND_ZC: its notification is the caller's ubuf_info */
  } else if ((flags & MSG_ZEROCOPY) && (sk_flags & (1UL << zc_bit)) && (caps & NETIF_F_SG)) {
    st->decision = SEND_ZEROCOPY;
    st->zc_id = RD(D, sk->sk_zckey.counter, sk, sk_zckey.counter) - 1; /* msg_zerocopy_realloc took this id */
  } else {
    st->decision = SEND_COPY;
  }
  return 0;
}

/* sock_sendmsg() returned: how many bytes the decision above applied to. */
static __always_inline int on_sock_send_length(const bool D, struct sock *sk, int ret) {
  struct who w = current_who();
  if (w.role < 0) return 0;
  struct sys_state *st = state_get(false);
  if (!st || !st->active || st->decision == SEND_NONE || !sock_is_tcp(D, sk)) return 0;
  /* a send that failed (EAGAIN: io_uring retries it later in the same io_uring_enter) decides afresh */
  if (ret <= 0) {
    st->decision = SEND_NONE;
    return 0;
  }
  struct zcl_watch_conn *c = w.p ? sock_conn(sk) : 0;
  switch (st->decision) {
    case SEND_COPY:
      count(w, ZCL_C_copy_user_to_socket_bytes, ret);
      conn_add(c, ZCL_CC_copy_user_to_socket_bytes, ret);
      break;
    case SEND_SPLICE:
      count(w, ZCL_C_splice_ref_bytes, ret);
      conn_add(c, ZCL_CC_splice_ref_bytes, ret);
      /* sendfile: the pages came from the file recorded at sys_enter */
      if (w.p && st->idx == ZCL_S_sendfile)
        file_add(bpf_get_current_pid_tgid() >> 32, st->file_dev, st->file_ino, ZCL_FC_splice_ref_bytes, ret);
      break;
    case SEND_ZEROCOPY_UBUF: /* its copied mark comes with the io_uring notification (tp_io_uring_complete) */
      count(w, ZCL_C_zerocopy_bytes, ret);
      conn_add(c, ZCL_CC_zerocopy_bytes, ret);
      break;
    case SEND_ZEROCOPY: {
      count(w, ZCL_C_zerocopy_bytes, ret);
      conn_add(c, ZCL_CC_zerocopy_bytes, ret);
      __u64 total = __sync_fetch_and_add(&zcl_zc_total, ret) + ret;
      zcl_zc_cum[st->zc_id & (ZCL_ZC_RING - 1)] = total;
      break;
    }
  }
  st->decision = SEND_NONE;
  return 0;
}

/* ---- transmit on the run's path device ---- */
/* Packets reach the driver here after GSO segmentation and linearization. A
 * device without NETIF_F_SG receives only linear packets, so the kernel copied
 * their payload out of the page fragments TCP built: the "no DMA gather" copy. */
static __always_inline int on_dev_start_xmit(const bool D, struct sk_buff *skb, struct net_device *dev) {
  int role = ZCL_ROLE_sender;
  const bool watch = CFG(watch);
  struct zcl_watch_conn *c = 0;
  if (watch) {
    /* Watch mode: the packet's socket is one a watched process sent on (a TCP
     * socket, so the transport header is TCP, IPv4 or IPv6); any device. */
    c = sock_conn(RD(D, skb->sk, skb, sk));
    if (!c) return 0;
    role = c->role & 1;
  } else {
    if (RD(D, dev->ifindex, dev, ifindex) != CFG(dev_ifindex)) return 0;
    if (RD(D, dev->nd_net.net->ns.inum, dev, nd_net.net, ns.inum) != CFG(dev_netns_ino)) return 0;
    if (RD(D, skb->protocol, skb, protocol) != bpf_htons(ETH_P_IP)) return 0;
  }
  unsigned char *head = RD(D, skb->head, skb, head);
  __u16 nh = RD(D, skb->network_header, skb, network_header), th = RD(D, skb->transport_header, skb, transport_header);
  /* lab mode: the IP header and the TCP header right behind it (no IP options) in one read */
  struct {
    struct iphdr ip;
    struct tcphdr tcp;
  } __attribute__((packed)) h;
  if (!watch && th == nh + sizeof(h.ip)) {
    if (bpf_probe_read_kernel(&h, sizeof(h), head + nh) || h.ip.protocol != IPPROTO_TCP) return 0;
  } else {
    if (!watch && (bpf_probe_read_kernel(&h.ip, sizeof(h.ip), head + nh) || h.ip.protocol != IPPROTO_TCP)) return 0;
    if (bpf_probe_read_kernel(&h.tcp, sizeof(h.tcp), head + th)) return 0;
  }
  struct tcphdr tcp = h.tcp;
  if (!watch && bpf_ntohs(tcp.dest) != CFG(sink_port)) return 0;
  unsigned char *data = RD(D, skb->data, skb, data);
  long hdr = (long)(head + th - data) + tcp.doff * 4;
  long payload = (long)RD(D, skb->len, skb, len) - hdr;
  if (payload <= 0) return 0;
  __u64 features = RD(D, dev->features, dev, features);
  const bool linear = !(features & NETIF_F_SG) && RD(D, skb->data_len, skb, data_len) == 0;
  add(role, ZCL_C_dev_xmit_bytes, payload);
  if (linear) add(role, ZCL_C_copy_linearize_bytes, payload);
  if (c) {
    /* the connection's, and the process's that last sent on it (softirq: not current) */
    conn_add(c, ZCL_CC_dev_xmit_bytes, payload);
    if (linear) conn_add(c, ZCL_CC_copy_linearize_bytes, payload);
    struct zcl_watch_proc *p = conn_proc(c);
    if (p) {
      __sync_fetch_and_add(&p->c[ZCL_C_dev_xmit_bytes], payload);
      if (linear) __sync_fetch_and_add(&p->c[ZCL_C_copy_linearize_bytes], payload);
    }
  }
  return 0;
}

/* A retransmission of the run's connection (its destination is the sink's port);
 * in watch mode, of a socket a watched process sent on. */
static __always_inline int on_tcp_retransmit(const bool D, struct sock *sk, struct sk_buff *skb) {
  if (CFG(watch)) {
    struct zcl_watch_conn *c = sock_conn(sk);
    if (!c) return 0;
    __u64 len = RD(D, skb->len, skb, len);
    add(c->role & 1, ZCL_C_retransmit_bytes, len);
    conn_add(c, ZCL_CC_retransmit_bytes, len);
    struct zcl_watch_proc *p = conn_proc(c);
    if (p) __sync_fetch_and_add(&p->c[ZCL_C_retransmit_bytes], len);
    return 0;
  }
  if (bpf_ntohs(RD(D, sk->__sk_common.skc_dport, sk, __sk_common.skc_dport)) != CFG(sink_port)) return 0;
  if (RD(D, sk->__sk_common.skc_net.net->ns.inum, sk, __sk_common.skc_net.net, ns.inum) != CFG(dev_netns_ino)) return 0;
  add(ZCL_ROLE_sender, ZCL_C_retransmit_bytes, RD(D, skb->len, skb, len));
  return 0;
}

/* The receive copy: skb_copy_datagram_iter() copying TCP payload to user memory.
 * kTLS RX copies the plaintext out of a record it decrypted into an skb of its
 * own, which no socket owns (skb->sk NULL): counted too (a role's threads copy
 * datagrams from TCP sockets, or from such records; other sockets set skb->sk). */
static __always_inline int on_skb_copy_datagram(const bool D, struct sk_buff *skb, int len) {
  struct who w = current_who();
  if (w.role < 0 || len <= 0) return 0;
  struct sock *sk = RD(D, skb->sk, skb, sk);
  if (sk && !sock_is_tcp(D, sk)) return 0;
  count(w, ZCL_C_copy_socket_to_user_bytes, len);
  return 0;
}

/* ---- scheduler ---- */
struct task_struct___pre514 { long state; };

static __always_inline int on_sched_switch(const bool D, bool preempt, struct task_struct *prev) {
  struct who w = who_of_tgid(RD(D, prev->tgid, prev, tgid));
  if (w.role < 0) return 0;
  long state;
  if (bpf_core_field_exists(prev->__state)) state = RD(D, prev->__state, prev, __state);
  else state = BPF_CORE_READ((struct task_struct___pre514 *)prev, state);
  count(w, ZCL_C_ctx_switches, 1);
  /* as __schedule() counts nvcsw/nivcsw: blocked (not runnable, not preempted) = voluntary */
  if (!preempt && state != 0) count(w, ZCL_C_ctx_switches_voluntary, 1);
  else count(w, ZCL_C_ctx_switches_involuntary, 1);
  return 0;
}

/* ---- the function tier: the send decision where the tracepoints are missing ----
 * Kernels before ~6.14 have no tcp:tcp_sendmsg_locked tracepoint (and before 6.3
 * no sock:sock_send_length). There the decision is read from the function
 * itself: fexit on tcp_sendmsg_locked sees the message (flags, iterator) and the
 * bytes it queued (its return value); before 6.5, sendfile and splice reach TCP
 * through do_tcp_sendpages instead, which queues page references (its caller
 * falls back to copying through tcp_sendmsg_locked when the route lacks SG).
 * kprobes are the fallback where fentry cannot attach. */
/* Watch mode: pages sendfile() handed to the socket by reference came from the
 * file recorded at its sys_enter. */
static __always_inline void sendfile_ref(struct who w, long ret) {
  if (!w.p) return;
  struct sys_state *st = state_get(false);
  if (st && st->active && st->idx == ZCL_S_sendfile)
    file_add(bpf_get_current_pid_tgid() >> 32, st->file_dev, st->file_ino, ZCL_FC_splice_ref_bytes, ret);
}

static __always_inline void count_send(struct sock *sk, struct msghdr *msg, long ret, const bool D) {
  struct who w = current_who();
  if (w.role < 0 || ret <= 0) return;
  struct zcl_watch_conn *c = remember_sock(sk, w);
  unsigned int flags = RD(D, msg->msg_flags, msg, msg_flags);
  unsigned long sk_flags = RD(D, sk->__sk_common.skc_flags, sk, __sk_common.skc_flags);
  __u64 caps = RD(D, sk->sk_route_caps, sk, sk_route_caps);
  int zc_bit = bpf_core_enum_value(enum sock_flags, SOCK_ZEROCOPY);
  if (flags & MSG_SPLICE_PAGES) {
    count(w, ZCL_C_splice_ref_bytes, ret);
    conn_add(c, ZCL_CC_splice_ref_bytes, ret);
    sendfile_ref(w, ret);
  } else if ((flags & MSG_ZEROCOPY) && msg_ubuf(msg) && (caps & NETIF_F_SG)) {
    count(w, ZCL_C_zerocopy_bytes, ret); /* io_uring SEND_ZC */
    conn_add(c, ZCL_CC_zerocopy_bytes, ret);
  } else if ((flags & MSG_ZEROCOPY) && (sk_flags & (1UL << zc_bit)) && (caps & NETIF_F_SG)) {
    count(w, ZCL_C_zerocopy_bytes, ret);
    conn_add(c, ZCL_CC_zerocopy_bytes, ret);
    __u32 id = RD(D, sk->sk_zckey.counter, sk, sk_zckey.counter) - 1;
    __u64 total = __sync_fetch_and_add(&zcl_zc_total, ret) + ret;
    zcl_zc_cum[id & (ZCL_ZC_RING - 1)] = total;
  } else {
    count(w, ZCL_C_copy_user_to_socket_bytes, ret);
    conn_add(c, ZCL_CC_copy_user_to_socket_bytes, ret);
  }
}

/* Before 6.5: sendfile and splice queue page references here. */
static __always_inline void count_sendpages(struct sock *sk, long ret) {
  struct who w = current_who();
  if (w.role < 0 || ret <= 0) return;
  count(w, ZCL_C_splice_ref_bytes, ret);
  conn_add(remember_sock(sk, w), ZCL_CC_splice_ref_bytes, ret);
  sendfile_ref(w, ret);
}

SEC("fexit/tcp_sendmsg_locked")
int BPF_PROG(fexit_tcp_sendmsg_locked, struct sock *sk, struct msghdr *msg, size_t size, int ret) {
  count_send(sk, msg, ret, true);
  return 0;
}

SEC("fexit/do_tcp_sendpages")
int BPF_PROG(fexit_do_tcp_sendpages, struct sock *sk, struct page *page, int offset, size_t size, int flags, long ret) {
  count_sendpages(sk, ret);
  return 0;
}

/* kprobe fallback: the entry stashes the arguments, the return counts. */
struct send_args { struct sock *sk; struct msghdr *msg; struct sock *pages_sk; };
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct send_args);
} send_args SEC(".maps");

SEC("kprobe/tcp_sendmsg_locked")
int BPF_KPROBE(kprobe_tcp_sendmsg_locked, struct sock *sk, struct msghdr *msg) {
  if (current_who().role < 0) return 0;
  struct send_args *a = bpf_task_storage_get(&send_args, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (a) {
    a->sk = sk;
    a->msg = msg;
  }
  return 0;
}

SEC("kretprobe/tcp_sendmsg_locked")
int BPF_KRETPROBE(kretprobe_tcp_sendmsg_locked, int ret) {
  if (current_who().role < 0) return 0;
  struct send_args *a = bpf_task_storage_get(&send_args, bpf_get_current_task_btf(), 0, 0);
  if (!a || !a->sk) return 0;
  count_send(a->sk, a->msg, ret, false);
  a->sk = 0;
  return 0;
}

/* Watch mode: the socket, for the connection's row (a lab run needs no entry probe). */
SEC("kprobe/do_tcp_sendpages")
int BPF_KPROBE(kprobe_do_tcp_sendpages, struct sock *sk) {
  if (!current_who().p) return 0;
  struct send_args *a = bpf_task_storage_get(&send_args, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (a) a->pages_sk = sk;
  return 0;
}

SEC("kretprobe/do_tcp_sendpages")
int BPF_KRETPROBE(kretprobe_do_tcp_sendpages, long ret) {
  struct who w = current_who();
  if (w.role < 0 || ret <= 0) return 0;
  struct sock *sk = 0;
  if (w.p) {
    struct send_args *a = bpf_task_storage_get(&send_args, bpf_get_current_task_btf(), 0, 0);
    if (a) {
      sk = a->pages_sk;
      a->pages_sk = 0;
    }
  }
  count(w, ZCL_C_splice_ref_bytes, ret);
  conn_add(remember_sock(sk, w), ZCL_CC_splice_ref_bytes, ret);
  sendfile_ref(w, ret);
  return 0;
}

/* ---- kTLS: the software record layer's encryption (the tls module) ----
 * No tracepoint marks it. tls_sw_sendmsg() (write, and from 6.5 sendfile and
 * splice too, as MSG_SPLICE_PAGES) and before 6.5 tls_sw_sendpage() (sendfile,
 * splice) take plaintext into the open record; each record is encrypted into
 * a separate buffer (tls_push_record -> tls_do_encryption) and that buffer is
 * queued to TCP by reference. Their return value is the plaintext taken: every
 * byte of it passes through the cipher once (the record's ciphertext is that
 * many bytes, plus its header, content type and tag on the wire). */
static __always_inline void count_encrypt(long ret) {
  struct who w = current_who();
  if (w.role < 0 || ret <= 0) return;
  count(w, ZCL_C_copy_encrypt_bytes, ret);
}

SEC("fexit/tls_sw_sendmsg")
int BPF_PROG(fexit_tls_sw_sendmsg, struct sock *sk, struct msghdr *msg, size_t size, int ret) {
  count_encrypt(ret);
  return 0;
}

SEC("fexit/tls_sw_sendpage")
int BPF_PROG(fexit_tls_sw_sendpage, struct sock *sk, struct page *page, int offset, size_t size, int flags, int ret) {
  count_encrypt(ret);
  return 0;
}

/* ---- watch mode: follow forks, keep exited processes for user space ---- */
/* A watched process forked: the child gets a fresh entry (zero counts, its start
 * time and name). An exited entry under the same pid that user space has not
 * read yet moves to watch_gone first. */
static __always_inline int on_process_fork(const bool D, struct task_struct *parent, struct task_struct *child) {
  if (!CFG(watch) || !CFG(follow)) return 0;
  __u32 ptgid = RD(D, parent->tgid, parent, tgid), ctgid = RD(D, child->tgid, child, tgid);
  if (ptgid == ctgid) return 0; /* a new thread: its tgid is watched already */
  struct zcl_watch_proc *pp = bpf_map_lookup_elem(&watched, &ptgid);
  if (!pp) return 0;
  __u32 role = pp->role;
  struct zcl_watch_proc *old = bpf_map_lookup_elem(&watched, &ctgid);
  if (old && old->exited) {
    struct zcl_watch_gone_key gk = {.tgid = ctgid, .start_ns = old->start_ns};
    bpf_map_update_elem(&watch_gone, &gk, old, BPF_ANY);
  }
  if (bpf_map_update_elem(&watched, &ctgid, (void *)&zcl_proc_zero, BPF_ANY) != 0) return 0;
  struct zcl_watch_proc *cp = bpf_map_lookup_elem(&watched, &ctgid);
  if (!cp) return 0;
  cp->role = role;
  cp->start_ns = RD(D, child->start_time, child, start_time);
  bpf_probe_read_kernel_str(cp->comm, sizeof(cp->comm), &child->comm);
  watch_bit(ctgid, true);
  return 0;
}

/* The last thread of a process exits (do_exit() decremented signal->live to 0
 * before this tracepoint): its entry is marked exited, with its final name, and
 * its bit cleared, so a reused pid is not watched; user space reads the final
 * counts and deletes the entry. */
static __always_inline int on_process_exit(const bool D, struct task_struct *p) {
  if (!CFG(watch)) return 0;
  if (RD(D, p->signal->live.counter, p, signal, live.counter) != 0) return 0;
  __u32 tgid = RD(D, p->tgid, p, tgid);
  struct zcl_watch_proc *e = bpf_map_lookup_elem(&watched, &tgid);
  if (!e || e->exited) return 0;
  struct task_struct *leader = RD(D, p->group_leader, p, group_leader);
  if (!e->start_ns) e->start_ns = BPF_CORE_READ(leader, start_time);
  bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), &leader->comm);
  e->exited = 1;
  watch_bit(tgid, false);
  __sync_fetch_and_add(&zcl_watch_exits, 1);
  return 0;
}

/* ---- program pairs: tp_btf, and raw_tp as the fallback ---- */
/* D is true in the tp_btf program (direct loads), false in its raw_tp twin. */
#define ZCL_TRACE(tp, call, ...)                                                  \
  SEC("tp_btf/" #tp) int BPF_PROG(btf_##tp, __VA_ARGS__) { const bool D = true; return call; } \
  SEC("raw_tp/" #tp) int BPF_PROG(raw_##tp, __VA_ARGS__) { const bool D = false; return call; }

ZCL_TRACE(sys_enter, on_sys_enter(D, regs, id), struct pt_regs *regs, long id)
ZCL_TRACE(sys_exit, on_sys_exit(D, regs, ret), struct pt_regs *regs, long ret)
ZCL_TRACE(sched_switch, on_sched_switch(D, preempt, prev), bool preempt, struct task_struct *prev, struct task_struct *next)
ZCL_TRACE(tcp_sendmsg_locked, on_tcp_sendmsg(D, sk, msg), struct sock *sk, struct msghdr *msg)
ZCL_TRACE(sock_send_length, on_sock_send_length(D, sk, ret), struct sock *sk, int ret)
ZCL_TRACE(net_dev_start_xmit, on_dev_start_xmit(D, skb, dev), struct sk_buff *skb, struct net_device *dev)
ZCL_TRACE(tcp_retransmit_skb, on_tcp_retransmit(D, sk, skb), struct sock *sk, struct sk_buff *skb)
ZCL_TRACE(skb_copy_datagram_iovec, on_skb_copy_datagram(D, skb, len), struct sk_buff *skb, int len)
ZCL_TRACE(sched_process_fork, on_process_fork(D, parent, child), struct task_struct *parent, struct task_struct *child)
ZCL_TRACE(sched_process_exit, on_process_exit(D, p), struct task_struct *p)

/* ---- classic tracepoints (stable fields on every kernel) ---- */
SEC("tracepoint/exceptions/page_fault_user")
int tp_page_fault_user(void *ctx) {
  struct who w = current_who();
  if (w.role >= 0) count(w, ZCL_C_page_faults, 1);
  return 0;
}

/* A fault in kernel mode on a user address: write() from an mmap()ed file faults here. */
SEC("tracepoint/exceptions/page_fault_kernel")
int tp_page_fault_kernel(void *ctx) {
  struct who w = current_who();
  if (w.role >= 0) count(w, ZCL_C_page_faults, 1);
  return 0;
}

/* A page (folio) of the run's file entered the page cache: the disk was read (DMA).
 * Watch mode has no file to filter on: it counts the pages a watched process
 * brings into the page cache (the add runs in the reader's context: read,
 * sendfile/splice readahead, a fault on an mapped file), except during a
 * write()/writev() to a regular file, where new pages are written, not read.
 * Pages added by other writes (pwrite64, pwritev, copy_file_range, stores to a
 * shared mapping) are counted too: the tracepoint cannot tell them apart. */
SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int tp_filemap_add(struct trace_event_raw_mm_filemap_op_page_cache *ctx) {
  struct who w = {ZCL_ROLE_sender, 0};
  if (CFG(watch)) {
    w = current_who();
    if (w.role < 0) return 0;
    struct sys_state *st = state_get(false);
    if (st && st->active && st->cls == FD_FILE && (st->idx == ZCL_S_write || st->idx == ZCL_S_writev)) return 0;
  } else if (CFG(file_ino) == 0 || ctx->i_ino != CFG(file_ino) || ctx->s_dev != CFG(file_dev)) {
    return 0;
  }
  unsigned int order = 0;
  if (bpf_core_field_exists(ctx->order)) order = BPF_CORE_READ(ctx, order);
  __u64 bytes = 4096ULL << (order & 31);
  count(w, ZCL_C_block_read_bytes, bytes);
  if (w.p) file_add(bpf_get_current_pid_tgid() >> 32, ctx->s_dev, ctx->i_ino, ZCL_FC_block_read_bytes, bytes);
  return 0;
}

/* ---- io_uring SEND_ZC notifications ----
 * Each SEND_ZC request posts two CQEs with its user_data: the send's
 * (IORING_CQE_F_MORE, res = bytes sent) and, once the kernel has dropped its
 * last reference to the pages (io_tx_ubuf_complete on current kernels,
 * io_uring_tx_zerocopy_callback on 6.1), the notification (IORING_CQE_F_NOTIF),
 * whose res carries IORING_NOTIF_USAGE_ZC_COPIED when the pages were copied
 * after all (skb_copy_ubufs: a receiver on this host) or never used. Both are
 * posted through io_uring_complete, in the submitter's task (task work), as the
 * program will read them: the request's bytes are kept by (ring, user_data)
 * until its notification says whether they were copied. Value > 0: the send's
 * bytes, waiting for the notification; -1: a copied notification came first. */
struct uring_key {
  __u64 ring;
  __u64 user_data;
};
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct uring_key);
  __type(value, __s64);
} uring_zc_len SEC(".maps");

SEC("tracepoint/io_uring/io_uring_complete")
int tp_io_uring_complete(struct trace_event_raw_io_uring_complete *ctx) {
  struct who w = current_who();
  if (w.role < 0) return 0;
  unsigned int cflags = ctx->cflags;
  int res = ctx->res;
  struct uring_key k = {.ring = (__u64)ctx->ctx, .user_data = ctx->user_data};
  __s64 *v = bpf_map_lookup_elem(&uring_zc_len, &k);
  if (cflags & IORING_CQE_F_NOTIF) {
    if ((__u32)res & IORING_NOTIF_USAGE_ZC_COPIED) {
      if (v && *v > 0) {
        count(w, ZCL_C_zerocopy_copied_bytes, *v);
      } else {
        __s64 mark = -1;
        bpf_map_update_elem(&uring_zc_len, &k, &mark, BPF_ANY);
        return 0;
      }
    }
    bpf_map_delete_elem(&uring_zc_len, &k);
  } else if ((cflags & IORING_CQE_F_MORE) && res > 0) {
    if (v && *v < 0) {
      count(w, ZCL_C_zerocopy_copied_bytes, res);
      bpf_map_delete_elem(&uring_zc_len, &k);
    } else {
      __s64 n = res;
      bpf_map_update_elem(&uring_zc_len, &k, &n, BPF_ANY);
    }
  }
  return 0;
}
