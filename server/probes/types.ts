// What the probes report, whichever engine measured it.
import type { CounterName, Role } from './schema.generated.js';

/** A counter's value, or null when the running kernel gives it no source (never a fake 0). */
export type Counters = Record<CounterName, number | null>;

export interface RoleCounts {
  counters: Counters;
  /** Transfer syscalls by name, counted on data fds (regular files, TCP sockets). */
  syscalls: Record<string, number>;
}

export type Snapshot = Record<Role, RoleCounts>;

export interface CounterSource {
  name: CounterName;
  available: boolean;
  /** The programs that measure it, e.g. "tp_btf/tcp_sendmsg_locked + tp_btf/sock_send_length". */
  source: string;
  /** Why it is unavailable, and what would fix it. */
  missing?: string;
  /** What it counts in watch mode, where that differs from a lab run (e.g. no device filter). */
  watch?: string;
}

export interface ProbeCapabilities {
  engine: string;
  tier: string;
  programs: { name: string; attached: boolean; error?: string }[];
  counters: CounterSource[];
}

/** What the probes need to know to count one run. */
export interface ProbeTarget {
  senderPid: number;
  sinkPid: number;
  /** The device the sender transmits on, named by ifindex and network namespace inode. */
  ifindex: number;
  netnsInode: number;
  sinkPort: number;
  file: string;
}

/**
 * What the probes count in watch mode: processes the lab did not start, counted in
 * the `sender` role of the snapshot. Transmit is attributed by socket (the sockets
 * these processes sent on), on any device; see CounterSource.watch per counter.
 */
export interface WatchTarget {
  /** Processes, by pid (a thread id names its process). */
  tgids: number[];
  /** Their children too: those running at the start and those forked later. */
  follow: boolean;
}

export interface ProbeEngine {
  readonly name: string;
  capabilities(): ProbeCapabilities;
  begin(target: ProbeTarget): Promise<void>;
  /**
   * Counts processes the lab did not start (zcl watch), from zero, until final()
   * or end(). Returns the tgids watched at the start. Engines without it: absent.
   */
  watch?(target: WatchTarget): Promise<number[]>;
  /** The tgids watched now (follow adds children; an exited process leaves). */
  watched?(): number[];
  /**
   * Adds processes to the watch in progress, keeping the counts (zcl watch's re-scan
   * of --comm/--cgroup targets); with follow their running descendants too. Returns
   * the tgids added; a pid no longer running is skipped.
   */
  watchAdd?(pids: number[]): Promise<number[]>;
  /** Per process, connection and file counts of the watch in progress (engines that keep them). */
  watchDetail?(): WatchDetail;
  read(): Snapshot;
  /** Stops counting for the run and returns its final counts. */
  final(): Promise<Snapshot>;
  /** Stops counting (idempotent; on failure and cancel too). */
  end(): Promise<void>;
  /** Events the kernel dropped for this engine's programs during the run, if it can tell. */
  readonly missedEvents?: number;
}

export interface Derived {
  /** Bytes the CPU copied: every copy_* counter, plus MSG_ZEROCOPY bytes the kernel copied after all. */
  cpu_copy_bytes: number | null;
  /** cpu_copy_bytes per byte moved: the textbook's "CPU copies". */
  cpu_copies_per_byte: number | null;
  /** Every counter per MiB moved. */
  per_mib: Record<string, number | null>;
  /** Transfer syscalls (probe, by name; the one-off mmap left out) per chunk, and the mode switches they make (2 each). */
  syscalls_per_chunk: number | null;
  mode_switches_per_chunk: number | null;
}

export interface ProbeResult {
  status: 'ok' | 'unavailable' | 'off';
  engine: string;
  reason?: string;
  tier?: string;
  /** Per counter, the source used (null: unavailable on this kernel). */
  sources?: Record<string, string | null>;
  sender?: RoleCounts & { derived: Derived };
  sink?: RoleCounts & { derived: Derived };
  /** Events the kernel skipped for the engine's programs (e.g. a nested tracepoint); the counts may miss their bytes. */
  missedEvents?: number;
}

export interface TextbookRow {
  expected: { cpuCopies: number; modeSwitchesPerChunk: number; note: string };
  measured: { cpuCopies: number | null; modeSwitchesPerChunk: number | null };
  verdict: 'matches' | 'differs' | 'unmeasured';
  /** Why it differs, in terms a person can act on (or why it could not be measured). */
  reason?: string;
}

// Watch mode's detail: per process, per TCP connection, per file (the contract
// shared with the per-process/connection/file probes; keep identical).
export interface WatchProcess { tgid: number; comm: string; start: number; exited: boolean; counters: Counters; syscalls: Record<string, number>; }
export type ConnectionCounters = Pick<Counters, 'copy_user_to_socket_bytes' | 'splice_ref_bytes' | 'zerocopy_bytes' | 'dev_xmit_bytes' | 'copy_linearize_bytes' | 'retransmit_bytes'>;
export interface WatchConnection { tgid: number; comm: string; local: string; remote: string; counters: ConnectionCounters; }
export type FileCounters = Pick<Counters, 'copy_file_to_user_bytes' | 'splice_ref_bytes' | 'block_read_bytes'>;
export interface WatchFile { tgid: number; dev: string; ino: number; path: string | null; counters: FileCounters; }
export interface WatchDetail { processes: WatchProcess[]; connections: WatchConnection[]; files: WatchFile[]; }
