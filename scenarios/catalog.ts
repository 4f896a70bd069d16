// The mode catalog: every sender mode, path, sink and cache setting the lab
// knows, with what the seed articles expect of each mode. The input schema,
// `zcl run --help`, GET /api/modes, the dashboard and the reports all derive
// from this one list.
//
// "The textbook" means, throughout the lab, the model the two seed articles
// (shared/seeds) draw by hand: their CPU copies per byte and user/kernel mode
// switches per chunk for each way of sending a file. `textbook` below is that
// model, per mode; measured results are compared against it.

export interface ModeInfo {
  /** One line for --help and the dashboard. */
  summary: string;
  /** What the sender does, as code. */
  calls: string;
  /** Runs in the native engine (else plain JS in the sender process). */
  native: boolean;
  /** mmap()s the file: the sender's user space sees the page cache through a mapping. */
  mapsFile: boolean;
  /** Moves the bytes through a user-space buffer of the sender's (read into it, or sent from a mapping). */
  usesUserBuffer: boolean;
  /** Passes page-cache pages to the socket by reference (sendfile, splice). */
  passesPages: boolean;
  /** Sends pinned user pages by reference, with completions on the error queue (MSG_ZEROCOPY). */
  pinsUserPages: boolean;
  /** Needs a path whose device cannot gather: its textbook copy is made there. */
  needsNoGather: boolean;
  /** Why its mode switches per chunk may differ from the textbook's, when they do. */
  switchesNote?: string;
  /** The textbook's expectation: CPU copies per byte, and user/kernel mode switches per chunk. */
  textbook: { cpuCopies: number; modeSwitchesPerChunk: number; note: string };
  /** The path this mode is meant for, if it has one (sendfile-nogather needs a device without SG). */
  path?: PathName;
}

export const MODES = {
  'read-write': {
    summary: 'read() the file into a user buffer, then write() it to the socket',
    calls: 'read(file, buf, chunk); write(sock, buf, n)',
    native: true,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 4, note: 'page cache -> user buffer -> socket buffer' },
  },
  'mmap-write': {
    summary: 'mmap() the file, then write() from the mapping to the socket',
    calls: 'map = mmap(file); write(sock, map + off, chunk)',
    native: true,
    mapsFile: true, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 1, modeSwitchesPerChunk: 2, note: 'mapping (page cache) -> socket buffer' },
  },
  sendfile: {
    summary: 'sendfile() over a path whose device does scatter-gather ("sendfile + DMA gather", Linux >= 2.4)',
    calls: 'sendfile(sock, file, &off, chunk)',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'page cache pages referenced by the socket buffer; DMA gathers them' },
  },
  'sendfile-nogather': {
    summary: 'sendfile() over a device with scatter-gather off (the Linux 2.1 sendfile: one CPU copy)',
    calls: 'sendfile(sock, file, &off, chunk) on a path with ethtool -K dev sg off',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: true,
    textbook: { cpuCopies: 1, modeSwitchesPerChunk: 2, note: 'page cache -> linear socket buffer (the device cannot gather)' },
    path: 'veth-nosg',
  },
  splice: {
    summary: 'splice() the file into a pipe, then splice() the pipe into the socket',
    calls: 'splice(file -> pipe, chunk); splice(pipe -> sock, n)',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 4, note: 'page references move file -> pipe -> socket' },
  },
  'msg-zerocopy': {
    summary: 'send(MSG_ZEROCOPY) from the mmap()ed file; completions read from the socket error queue',
    calls: 'setsockopt(SO_ZEROCOPY); send(sock, map + off, chunk, MSG_ZEROCOPY); recvmsg(MSG_ERRQUEUE)',
    native: true,
    mapsFile: true, usesUserBuffer: true, passesPages: false, pinsUserPages: true, needsNoGather: false,
    switchesNote: 'MSG_ZEROCOPY adds the completion reads from the error queue (recvmsg) to each send',
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'user pages pinned and sent by reference, unless the kernel falls back to copying' },
  },
  'node-stream': {
    summary: "what Node apps do today: fs.createReadStream(file).pipe(socket)",
    calls: 'fs.createReadStream(file, { highWaterMark: chunk }).pipe(net.connect(...))',
    native: false,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    switchesNote: "Node's stream issues its own reads and writes, not one of each per chunk",
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 4, note: 'read into a Buffer, write from it, plus the event loop' },
  },
} as const satisfies Record<string, ModeInfo>;

export const PATHS = {
  loopback: { summary: 'TCP over 127.0.0.1 (the loopback device does scatter-gather)' },
  veth: { summary: 'a veth pair between two network namespaces the lab creates, scatter-gather on' },
  'veth-nosg': { summary: 'the same veth pair with scatter-gather off (ethtool -K sg off): packets are copied linear at transmit' },
} as const;

export const SINKS = {
  read: { summary: 'recv() into a user buffer (one receive copy) and verify a checksum (XXH3-64) of every byte' },
  discard: { summary: 'recv(MSG_TRUNC): TCP drops the bytes in the kernel, no receive copy; byte count verified' },
} as const;

export const CACHES = {
  warm: { summary: 'the file is in the page cache before the run (checked with mincore)' },
  cold: { summary: 'the file is dropped from the page cache first (posix_fadvise DONTNEED, checked with mincore): the disk is read' },
} as const;

/** The probe engines: both measure the same counters (bpf/counters.h) at the same kernel points. */
export const ENGINES = {
  libbpf: { summary: 'eBPF programs in C (bpf/zcl_probes.bpf.c) loaded once by the addon with libbpf: the cheap, precise engine' },
  bpftrace: { summary: 'the readable script bpf/zcl.bt, run by bpftrace for each run (a few seconds to start; read it, change it)' },
} as const;

export type ModeName = keyof typeof MODES;
export type PathName = keyof typeof PATHS;
export type SinkName = keyof typeof SINKS;
export type CacheName = keyof typeof CACHES;
export type EngineName = keyof typeof ENGINES;

export const MODE_NAMES = Object.keys(MODES) as [ModeName, ...ModeName[]];
export const PATH_NAMES = Object.keys(PATHS) as [PathName, ...PathName[]];
export const SINK_NAMES = Object.keys(SINKS) as [SinkName, ...SinkName[]];
export const CACHE_NAMES = Object.keys(CACHES) as [CacheName, ...CacheName[]];
export const ENGINE_NAMES = Object.keys(ENGINES) as [EngineName, ...EngineName[]];

/** Limits of the run inputs (bytes). */
export const LIMITS = {
  minSizeBytes: 1,
  maxSizeBytes: 64 * 2 ** 30,
  minChunkBytes: 1,
  maxChunkBytes: 16 * 2 ** 20,
  /** Syscalls per run stay bounded: 1 GiB needs chunks of 64 B or more. */
  maxChunks: 2 ** 24,
} as const;

/** What a run uses when the caller says nothing. */
export const DEFAULTS = {
  mode: 'sendfile',
  path: 'loopback',
  sink: 'read',
  sizeBytes: 256 * 2 ** 20,
  chunkBytes: 128 * 2 ** 10,
  cache: 'warm',
  engine: 'libbpf',
} as const;

/** A mode's catalog entry. */
export const modeInfo = (mode: string): ModeInfo => MODES[mode as ModeName];
