// What a run returns, everywhere: CLI --json, the API, results files, reports.
import type { RunSpec } from '../schema/run-spec.js';
import type { SyscallCounts } from '../native.js';
import type { ProbeResult, TextbookRow } from '../probes/types.js';
import type { MachineLoad } from '../core/machine.js';
import type { TlsRunInfo } from './child-protocol.js';

export interface RunResult extends RunSpec {
  id: string;
  startedAt: string;
  finishedAt: string;
  kernel: string;
  /** Bytes the sender moved (the sink received exactly these, or the run failed): sizeBytes, or on a timed run passes x sizeBytes + tailBytes. */
  bytes: number;
  chunks: number;
  /** Passes of the whole file completed: 1, or on a timed run (spec.duration) as many as the time allowed. */
  passes: number;
  /** A timed run cut within a pass: its bytes, the file's first tailBytes, checked against the file's prefix (0: the run ended at a pass boundary). bytes = passes x sizeBytes + tailBytes. */
  tailBytes: number;
  /** A paced run (spec.rate): seconds the sender waited for the rate. */
  pacedSeconds?: number;
  /** The sender's transfer loop, first syscall to last (MSG_ZEROCOPY: to the last completion). */
  wallSeconds: number;
  throughputMiBps: number;
  sender: {
    pid: number;
    /** 'app': a real program (app modes); its CPU is its process tree's, from /proc. */
    engine: 'native' | 'node' | 'app';
    cpuUserSeconds: number;
    cpuSysSeconds: number;
    /** 'thread': the engine's own thread (RUSAGE_THREAD); 'process': node-stream's whole process; 'tree': an app's process tree (every thread: JIT and GC included), from the go to the end of the stream. */
    cpuScope: 'thread' | 'process' | 'tree';
    /** Sender CPU seconds per GiB moved (netperf's service demand). */
    cpuSecondsPerGiB: number;
    /** Every syscall the engine's loop issued, by name (node-stream: empty, see the probes). */
    syscalls: SyscallCounts;
  };
  /** The sink process (the RunSpec's `sink` field names its mode). */
  receiver: {
    pid: number;
    bytes: number;
    /** read and zerocopy-receive sinks: the checksum (XXH3-64) of what arrived equals the file's; discard, copy, splice: null (nothing checked but the byte count). */
    checksumOk: boolean | null;
    cpuUserSeconds: number;
    cpuSysSeconds: number;
    wallSeconds: number;
    syscalls: SyscallCounts;
    /** splice sink: its splice(socket -> pipe) calls (the probes count these by name; pipe -> /dev/null is on no data fd). */
    socketSplices?: number;
    /** zerocopy-receive sink: its getsockopt(TCP_ZEROCOPY_RECEIVE) calls, the bytes they mapped, and the bytes it received with recv() (a copy); mapped + copied = bytes. */
    zerocopyReceive?: { calls: number; mappedBytes: number; copiedBytes: number };
  };
  /** App modes: the program that sent (its process tree at the end: nginx's wrapper, master and worker), and the protocol bytes it sent besides the file (the HTTP response header, taken from the response). */
  app?: { name: string; program: string; protocol: 'tcp' | 'http'; pid: number; tree: number[]; headerBytes: number };
  zerocopy?: { sends: number; completions: number; copiedCompletions: number; copiedBytes: number };
  /** io_uring modes: the engine's own io_uring_enter calls, the SQEs they submitted (their return values), and the send requests completed. zerocopy above holds io_uring-send-zc's notifications (IORING_CQE_F_NOTIF; copied: IORING_NOTIF_USAGE_ZC_COPIED). */
  uring?: { enters: number; sqes: number; sends: number };
  /** kTLS modes: TLS 1.3 AES-GCM-128, its record overhead, and TlsTxSw/TlsTxDevice (and the rest of /proc/net/tls_stat) across the transfer. */
  tls?: TlsRunInfo;
  file: { path: string; checksum: string; pagesCachedBefore: number; pages: number };
  device: { name: string; netns?: string; scatterGather: boolean };
  /** The machine while the run ran (steal, CPU used by other work, load average), from /proc/stat and /proc/loadavg at the go and at the end; absent where /proc cannot be read. */
  machine?: MachineLoad;
  /** What the eBPF probes counted (status 'unavailable' or 'off' with the reason otherwise). */
  probes?: ProbeResult;
  /** The seeds' expectation for this mode beside the measurement. */
  textbook?: TextbookRow;
}
