/* The counter schema: one list, shared by the BPF programs (bpf/X.bpf.c), the
 * probe host in the addon, and from there TypeScript (names, units and
 * descriptions are exported by the addon; server/probes/schema.generated.ts is
 * written from them at build time). Every probe engine (libbpf, bpftrace)
 * produces exactly these counters, per role, cumulative since the run began.
 *
 * X(name, unit, description)
 */
#ifndef ZCL_COUNTERS_H
#define ZCL_COUNTERS_H

#define ZCL_COUNTERS(X)                                                                                 \
  X(syscalls, "calls", "every syscall the role's threads entered (each is two user/kernel mode switches)") \
  X(ctx_switches, "switches", "times the scheduler switched one of the role's threads off a CPU")      \
  X(ctx_switches_voluntary, "switches", "... because it blocked (waited for I/O, a lock, socket space)") \
  X(ctx_switches_involuntary, "switches", "... because it was preempted while runnable")                \
  X(page_faults, "faults", "page faults taken by the role's threads, in user or kernel mode")           \
  X(copy_file_to_user_bytes, "bytes", "CPU copy: page cache to a user buffer (read() of a regular file)") \
  X(copy_user_to_socket_bytes, "bytes", "CPU copy: data copied into the socket buffer (the kernel chose to copy, not reference pages)") \
  X(copy_linearize_bytes, "bytes", "CPU copy: TCP payload copied into linear packets for a device without scatter-gather") \
  X(retransmit_bytes, "bytes", "TCP payload retransmitted on the run's connection (copied again on a device without scatter-gather)") \
  X(splice_ref_bytes, "bytes", "no copy: page-cache pages handed to the socket by reference (sendfile, splice)") \
  X(copy_socket_to_user_bytes, "bytes", "CPU copy: socket buffer to a user buffer (the receive copy)")  \
  X(zerocopy_bytes, "bytes", "no copy: user pages pinned and sent by reference (MSG_ZEROCOPY)")         \
  X(zerocopy_copied_bytes, "bytes", "CPU copy: MSG_ZEROCOPY bytes the kernel reported as copied after all (SO_EE_CODE_ZEROCOPY_COPIED)") \
  X(block_read_bytes, "bytes", "DMA: bytes read from the disk into the page cache for the run's file") \
  X(dev_xmit_bytes, "bytes", "DMA: TCP payload the run's path device transmitted for the run's connection")

/* Syscalls counted by name: the ones the modes use, counted when they act on a
 * data fd (a regular file or a TCP socket), so the runtime's own reads and
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
  X(preadv, 295)

#define ZCL_ROLES(X) \
  X(sender)          \
  X(sink)

enum zcl_counter {
#define ZCL_X(name, unit, desc) ZCL_C_##name,
  ZCL_COUNTERS(ZCL_X)
#undef ZCL_X
  ZCL_NR_COUNTERS
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
};

/* MSG_ZEROCOPY bookkeeping: cumulative bytes sent up to each send id (ring), so
 * a completion range [lo, hi] converts to bytes in O(1). */
#define ZCL_ZC_RING 16384

#endif
