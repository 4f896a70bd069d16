/* The counter schema: one list, shared by the BPF programs (bpf/X.bpf.c), the
 * probe host in the addon (what each counter needs, native/probes/probe_host.cc)
 * and TypeScript: scripts/gen-schema.mjs reads this file's text and writes
 * server/probes/schema.generated.ts (a test checks it against the addon's
 * probes.schema). Every probe engine (libbpf, bpftrace) produces exactly these
 * counters, per role, cumulative since the run began.
 *
 * X(name, unit, kind, label, needs, description)
 *   kind   what the bytes or events are (ZCL_KINDS below): cpu = a CPU copy
 *          (summed into cpu_copy_bytes), dma = a device's DMA, ref = pages passed
 *          by reference (no copy), event = a count of events (or bytes that are
 *          not one step of the transfer's copies)
 *   label  the short text tables and charts show for it
 *   needs  the probe points it needs, all of them: tracepoint names, or "send",
 *          the send decision, whose source the probe host chooses (tracepoints,
 *          fentry or kprobe)
 * Keep one counter per line, each argument a plain literal: the generator
 * parses this text.
 */
#ifndef ZCL_COUNTERS_H
#define ZCL_COUNTERS_H

#define ZCL_COUNTERS(X)                                                                                                                      \
  X(syscalls, "calls", event, "syscalls", ("sys_enter"), "every syscall the role's threads entered (each is two user/kernel mode switches)") \
  X(ctx_switches, "switches", event, "context switches (scheduler)", ("sched_switch"), "times the scheduler switched one of the role's threads off a CPU") \
  X(ctx_switches_voluntary, "switches", event, "voluntary", ("sched_switch"), "... because it blocked (waited for I/O, a lock, socket space)") \
  X(ctx_switches_involuntary, "switches", event, "involuntary", ("sched_switch"), "... because it was preempted while runnable") \
  X(page_faults, "faults", event, "page faults", ("page_fault_user", "page_fault_kernel"), "page faults taken by the role's threads, in user or kernel mode") \
  X(copy_file_to_user_bytes, "bytes", cpu, "file -> user", ("sys_enter", "sys_exit"), "CPU copy: page cache to a user buffer (read() of a regular file)") \
  X(copy_user_to_socket_bytes, "bytes", cpu, "user -> socket", ("send"), "CPU copy: data copied into the socket buffer (the kernel chose to copy, not reference pages)") \
  X(copy_linearize_bytes, "bytes", cpu, "linearize at device", ("net_dev_start_xmit"), "CPU copy: TCP payload copied into linear packets for a device without scatter-gather") \
  X(retransmit_bytes, "bytes", event, "retransmit", ("tcp_retransmit_skb"), "TCP payload retransmitted on the run's connection (copied again on a device without scatter-gather)") \
  X(splice_ref_bytes, "bytes", ref, "by reference (sendfile, splice)", ("send"), "no copy: page-cache pages handed to the socket by reference (sendfile, splice)") \
  X(copy_socket_to_user_bytes, "bytes", cpu, "socket -> user (receive)", ("skb_copy_datagram_iovec"), "CPU copy: socket buffer to a user buffer (the receive copy)") \
  X(zerocopy_bytes, "bytes", ref, "pinned (MSG_ZEROCOPY)", ("send"), "no copy: user pages pinned and sent by reference (MSG_ZEROCOPY, io_uring SEND_ZC)") \
  X(zerocopy_copied_bytes, "bytes", cpu, "MSG_ZEROCOPY copied", ("sys_enter", "sys_exit", "send", "io_uring_complete"), "CPU copy: zerocopy bytes the kernel reported as copied after all (SO_EE_CODE_ZEROCOPY_COPIED; io_uring: IORING_NOTIF_USAGE_ZC_COPIED)") \
  X(block_read_bytes, "bytes", dma, "disk read (DMA)", ("mm_filemap_add_to_page_cache"), "DMA: bytes read from the disk into the page cache for the run's file") \
  X(dev_xmit_bytes, "bytes", dma, "to device", ("net_dev_start_xmit"), "DMA: TCP payload the run's path device transmitted for the run's connection") \
  X(uring_sqes, "sqes", event, "io_uring SQEs submitted", ("sys_enter", "sys_exit"), "io_uring requests the role's io_uring_enter calls submitted (their return values): work issued without a syscall of its own") \
  X(zerocopy_receive_bytes, "bytes", ref, "mapped on receive (TCP_ZEROCOPY_RECEIVE)", ("sys_enter", "sys_exit"), "no copy: socket pages mapped into the receiver by getsockopt(TCP_ZEROCOPY_RECEIVE), read from its result at the syscall's exit (no tracepoint inside tcp_zerocopy_receive)") \
  X(copy_encrypt_bytes, "bytes", cpu, "encrypt (kTLS)", ("tls_encrypt"), "CPU pass: plaintext the kernel's software TLS (kTLS) encrypted into a separate record buffer (the cipher reads every byte and writes its ciphertext)")

/* What each counter is called in Prometheus' text format and OpenMetrics
 * (GET /metrics, server/metrics/): the metric family (prefixed zcl_; a counter's
 * samples end in _total) and the label that tells the counters of one family
 * apart ("" when the family has one counter). The family's help is the
 * ZCL_METRIC_FAMILIES text, followed by each member's label and description.
 * Not here, on purpose: syscalls (exported by name as zcl_syscalls_total{syscall},
 * with syscall="other" for the rest, so the family sums to this counter) and
 * ctx_switches (the sum of its voluntary and involuntary parts).
 * X(counter, family, label, value) */
#define ZCL_METRICS(X)                                                        \
  X(copy_file_to_user_bytes, "copied_bytes", "path", "file_to_user")          \
  X(copy_user_to_socket_bytes, "copied_bytes", "path", "user_to_socket")      \
  X(copy_linearize_bytes, "copied_bytes", "path", "linearize")                \
  X(zerocopy_copied_bytes, "copied_bytes", "path", "zerocopy_copied")         \
  X(copy_encrypt_bytes, "copied_bytes", "path", "encrypt")                    \
  X(copy_socket_to_user_bytes, "copied_bytes", "path", "socket_to_user")      \
  X(splice_ref_bytes, "by_reference_bytes", "path", "splice")                 \
  X(zerocopy_bytes, "by_reference_bytes", "path", "zerocopy")                 \
  X(block_read_bytes, "disk_read_bytes", "", "")                              \
  X(dev_xmit_bytes, "device_transmit_bytes", "", "")                          \
  X(retransmit_bytes, "retransmit_bytes", "", "")                             \
  X(ctx_switches_voluntary, "context_switches", "kind", "voluntary")          \
  X(ctx_switches_involuntary, "context_switches", "kind", "involuntary")      \
  X(page_faults, "page_faults", "", "")                                       \
  X(uring_sqes, "io_uring_sqes", "", "")                                      \
  X(zerocopy_receive_bytes, "by_reference_bytes", "path", "zerocopy_receive")

/* The metric families: X(family, unit, help). unit: the base unit its name ends
 * in (OpenMetrics' UNIT), "" for counts of events. */
#define ZCL_METRIC_FAMILIES(X)                                                                                   \
  X("copied_bytes", "bytes", "Bytes the CPU copied, by path")                                                   \
  X("by_reference_bytes", "bytes", "Bytes handed to sockets by reference, not copied, by path")                 \
  X("disk_read_bytes", "bytes", "Bytes read from disk into the page cache by DMA")                              \
  X("device_transmit_bytes", "bytes", "TCP payload bytes the network device transmitted (DMA)")                 \
  X("retransmit_bytes", "bytes", "TCP payload bytes retransmitted")                                             \
  X("context_switches", "", "Times the scheduler switched a thread off a CPU, by kind")                         \
  X("page_faults", "", "Page faults taken, in user or kernel mode")                                           \
  X("io_uring_sqes", "", "io_uring submission queue entries consumed by io_uring_enter")

/* The kinds of counter (see X above). X(kind) */
#define ZCL_KINDS(X) \
  X(cpu)             \
  X(dma)             \
  X(ref)             \
  X(event)

/* Syscalls counted by name: the ones the modes use, counted when they act on a
 * data fd (a regular file or a TCP socket; io_uring_enter always: its requests
 * may act on any fd), so the runtime's own reads and
 * writes on eventfds, pipes and Unix sockets do not blur the transfer's counts.
 * X(name, x86_64 number) */
#define ZCL_SYSCALLS(X) \
  X(read, 0)            \
  X(write, 1)           \
  X(mmap, 9)            \
  X(pread64, 17)        \
  X(readv, 19)          \
  X(writev, 20)         \
  X(sendfile, 40)       \
  X(sendto, 44)         \
  X(recvfrom, 45)       \
  X(sendmsg, 46)        \
  X(recvmsg, 47)        \
  X(splice, 275)        \
  X(preadv, 295)        \
  X(io_uring_enter, 426) \
  X(getsockopt, 55)

#define ZCL_ROLES(X) \
  X(sender)          \
  X(sink)

enum zcl_counter {
#define ZCL_X(name, unit, kind, label, needs, desc) ZCL_C_##name,
  ZCL_COUNTERS(ZCL_X)
#undef ZCL_X
  ZCL_NR_COUNTERS
};

enum zcl_counter_kind {
#define ZCL_X(kind) ZCL_KIND_##kind,
  ZCL_KINDS(ZCL_X)
#undef ZCL_X
  ZCL_NR_KINDS
};

enum zcl_syscall {
#define ZCL_X(name, nr) ZCL_S_##name,
  ZCL_SYSCALLS(ZCL_X)
#undef ZCL_X
  ZCL_NR_SYSCALLS
};

enum zcl_role {
#define ZCL_X(name) ZCL_ROLE_##name,
  ZCL_ROLES(ZCL_X)
#undef ZCL_X
  ZCL_NR_ROLES
};

/* Counters of one role on one CPU. Each CPU has its own slot, so updates never
 * contend across CPUs; user space sums the slots when it reads (10 Hz). */
struct zcl_role_counters {
  unsigned long long c[ZCL_NR_COUNTERS];
  unsigned long long sys[ZCL_NR_SYSCALLS];
};

struct zcl_cpu_slot {
  struct zcl_role_counters role[ZCL_NR_ROLES];
} __attribute__((aligned(64)));

#define ZCL_MAX_CPUS 256

/* What the current run is: written by user space before "go". */
struct zcl_config {
  unsigned int tgid[ZCL_NR_ROLES]; /* 0 = no process in that role */
  unsigned int dev_ifindex;        /* the path device the sender transmits on ... */
  unsigned int dev_netns_ino;      /* ... in this network namespace */
  unsigned int sink_port;          /* the run's TCP connection: destination port, host order */
  unsigned int file_dev;           /* the run's file: kernel dev_t (MKDEV) ... */
  unsigned long long file_ino;     /* ... and inode */
  /* Watch mode (zcl watch): the processes are the tgids in the `watched` map,
   * not tgid[] above; transmit is attributed by socket, not by device and port. */
  unsigned int watch;              /* 1: consult the watched map */
  unsigned int follow;             /* 1: a watched process's children are watched too */
};

/* Watch mode's bounds: processes watched at once; sockets they sent on (LRU). */
#define ZCL_WATCH_MAX_TGIDS 8192
#define ZCL_WATCH_MAX_SOCKS 16384
/* One bit per tgid up to PID_MAX_LIMIT (4194304): 512 KiB. */
#define ZCL_WATCH_BITS_WORDS (4194304 / 64)

/* Watch mode's detail: per process (the `watched` map's value), per TCP
 * connection (`watch_socks`) and per file (`watch_files`), cumulative since the
 * watch began. The connection and file counters are subsets of ZCL_COUNTERS,
 * named as there. X(name) */
#define ZCL_CONN_COUNTERS(X)   \
  X(copy_user_to_socket_bytes) \
  X(splice_ref_bytes)          \
  X(zerocopy_bytes)            \
  X(dev_xmit_bytes)            \
  X(copy_linearize_bytes)      \
  X(retransmit_bytes)

#define ZCL_FILE_COUNTERS(X) \
  X(copy_file_to_user_bytes) \
  X(splice_ref_bytes)        \
  X(block_read_bytes)

enum zcl_conn_counter {
#define ZCL_X(name) ZCL_CC_##name,
  ZCL_CONN_COUNTERS(ZCL_X)
#undef ZCL_X
  ZCL_NR_CONN_COUNTERS
};

enum zcl_file_counter {
#define ZCL_X(name) ZCL_FC_##name,
  ZCL_FILE_COUNTERS(ZCL_X)
#undef ZCL_X
  ZCL_NR_FILE_COUNTERS
};

/* The arrays are padded to the masks the BPF side indexes them with
 * (ZCL_SLOT_MASK, & 7, & 3), so a masked index stays inside the value for the
 * verifier. 32: room for every counter and every syscall counted by name. */
#define ZCL_PROC_SLOTS 32
#define ZCL_SLOT_MASK (ZCL_PROC_SLOTS - 1)
#define ZCL_CONN_SLOTS 8
#define ZCL_FILE_SLOTS 4

/* One watched process (key: tgid). The programs add to it atomically wherever
 * the process's counters go up; at its exit it is marked exited (its bitmap bit
 * cleared) and kept, so user space reads the final counts, then deletes it. */
struct zcl_watch_proc {
  unsigned int role;
  unsigned int exited;
  unsigned long long start_ns;  /* task->start_time of the process (ns since boot); 0 until its first event */
  unsigned long long c[ZCL_PROC_SLOTS];    /* enum zcl_counter */
  unsigned long long sys[ZCL_PROC_SLOTS];  /* enum zcl_syscall */
  char comm[16];                /* at fork and at exit (user space fills it at the start) */
};

/* A process whose pid was reused (by a followed fork) before user space read
 * its final counts: moved to `watch_gone`, keyed by both. */
struct zcl_watch_gone_key {
  unsigned int tgid;
  unsigned int pad;
  unsigned long long start_ns;
};

/* A TCP socket a watched process sent on (key: its struct sock address). LRU:
 * with more than ZCL_WATCH_MAX_SOCKS sockets the least recently used is evicted,
 * and its counts with it. */
struct zcl_watch_conn {
  unsigned int role;
  unsigned int portpair;        /* guards against the socket's memory reused by another connection */
  unsigned int tgid;            /* the last watched process that sent on it */
  unsigned short family;        /* AF_INET, AF_INET6 */
  unsigned short lport;         /* host order */
  unsigned short rport;         /* host order */
  unsigned short pad[3];
  unsigned long long start_ns;  /* of that process */
  unsigned char laddr[16];      /* IPv4: the first 4 bytes; network order */
  unsigned char raddr[16];
  unsigned long long c[ZCL_CONN_SLOTS];  /* enum zcl_conn_counter */
};

/* A connection whose socket's memory was reused before user space read it:
 * moved to `watch_closed` (an LRU too), keyed by all three. */
struct zcl_watch_closed_key {
  unsigned long long sk;
  unsigned int portpair;
  unsigned int tgid;
};

/* A file a watched process read or sent from. dev is the kernel's dev_t
 * (MKDEV: major << 20 | minor). */
struct zcl_watch_file_key {
  unsigned int tgid;
  unsigned int dev;
  unsigned long long ino;
};

struct zcl_watch_file {
  unsigned long long c[ZCL_FILE_SLOTS];  /* enum zcl_file_counter */
};

#define ZCL_WATCH_MAX_FILES 16384
#define ZCL_WATCH_MAX_GONE 1024

/* MSG_ZEROCOPY bookkeeping: cumulative bytes sent up to each send id (ring), so
 * a completion range [lo, hi] converts to bytes in O(1). */
#define ZCL_ZC_RING 16384

#endif
