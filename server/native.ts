// The native addon (native/, built by node-gyp), with its JS surface typed.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './project.js';
import type { SinkName } from '../scenarios/catalog.js';

export interface SyscallCounts { [name: string]: number }

export interface LoopHandle {
  /** Bytes moved so far (an atomic the loop updates; no syscall to read it). */
  progress(): number;
  /** Asks the loop to stop before its next syscall. */
  cancel(): void;
}

export interface NativeTransferResult {
  bytes: number;
  wallSeconds: number;
  cpuUserSeconds: number;
  cpuSysSeconds: number;
  syscalls: SyscallCounts;
  cancelled: boolean;
  tid: number;
  /** Passes of the whole file completed (a timed run sends it again and again; else 1). */
  passes: number;
  /** Bytes of the last pass when the time ran out within it: the file's first tailBytes (0: the run ended at a pass boundary). */
  tailBytes: number;
  /** Seconds the loop waited for the rate (paced runs). */
  pacedSeconds: number;
  zerocopy?: { sends: number; completions: number; copiedCompletions: number; copiedBytes: number };
  /** io_uring modes: the engine's own io_uring_enter calls, the SQEs they submitted (their return values), and the send requests completed. zerocopy above holds io_uring-send-zc's notifications (IORING_CQE_F_NOTIF; copied: IORING_NOTIF_USAGE_ZC_COPIED). */
  uring?: { enters: number; sqes: number; sends: number };
}

export interface NativeSinkResult {
  bytes: number;
  /** XXH3-64, hex (read sink only): of every byte received; with passBytes, of the first pass. */
  checksum?: string;
  /** With passBytes: whole passes received, and the bytes after the last of them. */
  passes?: number;
  tailBytes?: number;
  /** With passBytes, read sink: passes whose XXH3-64 differs from expect, the first such (-1: none), and the tail's XXH3-64. */
  badPasses?: number;
  firstBadPass?: number;
  tailChecksum?: string;
  wallSeconds: number;
  cpuUserSeconds: number;
  cpuSysSeconds: number;
  syscalls: SyscallCounts;
  cancelled: boolean;
  /** splice sink: splice(socket -> pipe) calls. */
  socketSplices?: number;
  /** zerocopy-receive sink: getsockopt(TCP_ZEROCOPY_RECEIVE) calls, bytes they mapped, bytes received with recv(). */
  zerocopyCalls?: number;
  mappedBytes?: number;
  copiedBytes?: number;
  /** Client sink of an HTTP app mode: the response header, blank line included (not in bytes, not in the checksum). */
  header?: string;
}

/** An Error from the engine: which syscall failed, and the errno name. */
export interface NativeError extends Error { syscall?: string; code?: string; errno?: number }

type Callback<T> = (err: NativeError | null, result: T) => void;

export interface Addon {
  nativeModes: string[];
  /** Writes the pattern file; calls back with its XXH3-64, hex. Cancel stops it within one 1 MiB block (ECANCELED). */
  generateFile(path: string, size: number, cb: Callback<string>): LoopHandle;
  /** XXH3-64 of a file, hex; with a length, of its first length bytes (read without readahead). */
  fileChecksum(path: string, cb: Callback<string>): LoopHandle;
  fileChecksum(path: string, length: number, cb: Callback<string>): LoopHandle;
  /** Reads the whole file, so its pages are cached. */
  warmCache(path: string, cb: Callback<undefined>): LoopHandle;
  dropCache(path: string): void;
  residency(path: string): { pages: number; resident: number };
  /** mmap()s and mlock()s the file so its cached pages stay resident; an id for releaseCache, or -1 (not allowed, or empty). */
  holdCache(path: string): number;
  releaseCache(id: number): void;
  /** flock()s the file without waiting: the fd that holds the lock, or -1 when another holder has it. */
  tryLockFile(path: string, exclusive: boolean): number;
  unlockFile(fd: number): void;
  /** PR_SET_PDEATHSIG(SIGKILL); dies at once if `parentPid` is no longer the parent. */
  dieWithParent(parentPid: number): void;
  /** SIGINT and SIGTERM ignored from now on (the process is exiting through its cleanup). */
  ignoreInterrupts(): void;
  startTransfer(
    spec: { mode: string; file: string; size: number; chunk: number; host: string; port: number; duration?: number; rate?: number; tls?: string },
    cb: Callback<NativeTransferResult>,
  ): LoopHandle;
  listen(host: string, port: number): { fd: number; port: number };
  /** A kTLS run's key material from getrandom(2): key (16 B), iv (8), salt (4), rec_seq (8), as 72 hex digits. */
  tlsKeys(): string;
  /** Listening sink ({fd}: accepts one connection), or client sink ({connect}: connects, sends request, with http reads the response header apart). */
  startSink(
    spec: { fd: number; mode: SinkName; buffer: number; passBytes?: number; expect?: string; tls?: string } | { connect: { host: string; port: number }; request?: string; http?: boolean; mode: SinkName; buffer: number },
    cb: Callback<NativeSinkResult>,
  ): LoopHandle;
  probes: {
    /** bpf/counters.h as the addon compiled it (server/probes/schema.generated.ts is generated from the header's text; a test compares them). */
    schema: {
      counters: { name: string; unit: string; kind: string; label: string; description: string; needs: string[] }[];
      kinds: string[];
      syscalls: string[];
      roles: string[];
    };
    open(): { tier: string; programs: { name: string; attached: boolean; error?: string }[]; counters: { name: string; available: boolean; source: string; missing?: string; watch?: string }[] };
    begin(t: { senderPid: number; sinkPid: number; ifindex: number; netnsInode: number; sinkPort: number; file: string }): void;
    /** Zeroes the counters and counts these processes (role sender), with follow their children too; returns the tgids watched at the start. RangeError for a process that is not running. */
    watch(t: { tgids: number[]; follow: boolean; sinkPid?: number }): number[];
    /** Adds processes to the watch in progress (counters kept; with follow their running descendants too); returns the tgids added. */
    watchAdd(pids: number[]): number[];
    /** The tgids watched now (follow adds children as they fork; an exited process leaves). */
    watched(): number[];
    /** Watch mode's detail since watch(): per process (exited ones kept), per TCP connection, per file; every counter by name (the engine nulls unavailable ones). */
    watchDetail(): {
      processes: { tgid: number; comm: string; start: number; exited: boolean; counters: Record<string, number>; syscalls: Record<string, number> }[];
      connections: { tgid: number; comm: string; local: string; remote: string; counters: Record<string, number> }[];
      files: { tgid: number; dev: string; ino: number; path: string | null; counters: Record<string, number> }[];
    };
    end(): void;
    read(): { counters: Float64Array; syscalls: Float64Array };
    enableStats(): boolean;
    stats(): { name: string; runCount: number; runTimeNs: number; recursionMisses: number }[];
    /** Events the kernel skipped for the programs since begin() (a program already running on that CPU). */
    missed(): number;
    close(): void;
  };
}

let cached: Addon | undefined;

export function addon(): Addon {
  if (!cached) {
    const require = createRequire(import.meta.url);
    try {
      cached = require(join(ROOT, 'build', 'Release', 'zcl.node')) as Addon;
    } catch (e) {
      throw new Error(`the native addon is not built (${(e as Error).message.split('\n')[0]}); run: npm run setup`);
    }
  }
  return cached;
}

/** Runs a native loop to completion as a promise, with its handle exposed. */
export function runLoop<T>(start: (cb: Callback<T>) => LoopHandle): { handle: LoopHandle; done: Promise<T> } {
  let handle!: LoopHandle;
  const done = new Promise<T>((resolve, reject) => {
    handle = start((err, r) => (err ? reject(err) : resolve(r)));
  });
  return { handle, done };
}

/**
 * A native loop tied to an AbortSignal: an abort cancels the loop (it stops at
 * its next check) and the promise rejects once the loop has really stopped.
 */
export function cancellableLoop<T>(start: (cb: Callback<T>) => LoopHandle, signal?: AbortSignal, onProgress?: (bytes: number) => void): Promise<T> {
  const { handle, done } = runLoop(start);
  const cancel = () => handle.cancel();
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  const tick = onProgress ? setInterval(() => onProgress(handle.progress()), 100) : undefined;
  return done.finally(() => {
    signal?.removeEventListener('abort', cancel);
    if (tick) clearInterval(tick);
  });
}
