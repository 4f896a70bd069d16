// One run's transfer, as a linear lifecycle (libbpf-bootstrap's shape):
//   const run = await prepareRun(spec, opts)   data file, lock, cache state, network
//                                              path, sink and sender started and waiting
//   ... the caller attaches what it wants to run.targets (the probes) ...
//   const base = await run.go(onProgress)      "go", the transfer, the result checked
//                                              against the file
//   await run.close()                          always: children reaped, path deleted,
//                                              lock released
// Nothing here knows about probes; the observation session (session/) composes
// the two. A cancel (the signal) or a stall (the watchdog) rejects the step in
// flight with CancelledError or StallError; close() still cleans up everything.
import { randomUUID } from 'node:crypto';
import { release } from 'node:os';
import type { RunSpec } from '../schema/run-spec.js';
import { addon, cancellableLoop, type NativeSinkResult } from '../native.js';
import { Child } from './child.js';
import type { SenderResult } from './child-protocol.js';
import { ensureDataFile, lockDataFile, prepareCache, type CacheState, type DataFile, type DataFileLock } from './datafiles.js';
import { openPath, type NetPath } from './netpath.js';
import { AppProcess } from './app.js';
import { modeInfo, sinkChecksums, type AppInfo } from '../../scenarios/catalog.js';
import type { RunResult } from './result.js';
import { CancelledError, IntegrityError, KernelUnsupportedError, StallError } from '../core/errors.js';
import { tlsSupport } from '../core/ktls.js';
import { cpuTimes, machineDuring } from '../core/machine.js';

export { CancelledError, IntegrityError, StallError };

export interface RunPids { sender: number; sink: number }

/**
 * What a prepared run is, for whoever observes it: its processes, path, connection and file.
 * App modes: `app` is set, pids.sender is the program (its process tree is what to watch),
 * and sinkPort is the program's listening port (the sink is the client).
 */
export interface RunTargets { pids: RunPids; path: NetPath; sinkPort: number; file: string; app?: { name: string; pid: number } }

export type Phase = 'preparing' | 'starting' | 'running' | 'finishing';

export interface PrepareOptions {
  signal?: AbortSignal;
  /** Phase changes up to 'starting' (the caller says 'running' and 'finishing'). */
  onPhase?(phase: Phase): void;
  /** Seconds without a byte moved (or a child starting, or a lock freeing) before the run fails as stalled (default 60). */
  stallSeconds?: number;
  /** Receive buffer of the read sink (bytes per recv). */
  sinkBufferBytes?: number;
  /** App modes: the sink fetches the file once before the run (the program's start-up, e.g. the JVM loading classes, stays out of the counts). Default true. */
  appWarmup?: boolean;
}

/** A run without what the probes add (they are the session's). */
export type BaseResult = Omit<RunResult, 'probes' | 'textbook'>;

export interface PreparedRun {
  readonly spec: RunSpec;
  readonly targets: RunTargets;
  /** Races a step of the caller's (e.g. attaching probes) with cancel and stall. */
  guard<T>(p: Promise<T>): Promise<T>;
  /** Starts the transfer and resolves with the checked result; progress: bytes the sender moved, about 10 Hz. */
  go(onProgress?: (bytes: number) => void): Promise<BaseResult>;
  /** Idempotent; always call it. */
  close(): Promise<void>;
}

const GiB = 2 ** 30;

/** The cancel and stall machinery one run shares across its steps. */
class Guards {
  readonly cancelled: Promise<never>;
  private readonly stall: Promise<never>;
  private stalled: (e: Error) => void = () => undefined;
  private watched = { what: '', since: performance.now(), bytes: -1 };
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort: () => void = () => undefined;

  constructor(readonly signal: AbortSignal | undefined, readonly stallMs: number) {
    let reject!: (e: Error) => void;
    this.cancelled = new Promise<never>((_, r) => (reject = r));
    this.cancelled.catch(() => undefined);
    this.onAbort = () => reject(new CancelledError());
    if (signal?.aborted) this.onAbort();
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.stall = new Promise<never>((_, r) => (this.stalled = r));
    this.stall.catch(() => undefined);
    // The watchdog: a child that never starts, or a transfer that stops moving,
    // fails the run with what it was waiting for.
    this.timer = setInterval(() => {
      if (this.watched.what && performance.now() - this.watched.since > stallMs)
        this.stalled(new StallError(`the run stalled: ${this.watched.what} for ${Math.round(stallMs / 1000)} s`));
    }, 1000);
  }

  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.cancelled]);
  }

  guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.cancelled, this.stall]);
  }

  watch(what: string): void {
    this.watched = { what, since: performance.now(), bytes: -1 };
  }

  /** Progress resets the watchdog when the byte count moved. */
  moved(bytes: number, total: number): void {
    if (bytes !== this.watched.bytes) this.watched = { what: `no byte moved (sender at ${bytes} of ${total})`, since: performance.now(), bytes };
  }

  /** Steps that stop on the signal themselves: awaited to their end (nothing of theirs is left running), then reported as a cancel. */
  async stoppable<T>(p: Promise<T>): Promise<T> {
    try {
      const v = await p;
      if (this.signal?.aborted) throw new CancelledError();
      return v;
    } catch (e) {
      throw this.signal?.aborted ? new CancelledError() : e;
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** The receiver's part of a result: what the native sink reported. */
function receiverOf(pid: number, snk: NativeSinkResult, checksumOk: boolean | null): RunResult['receiver'] {
  return {
    pid,
    bytes: snk.bytes,
    checksumOk,
    cpuUserSeconds: snk.cpuUserSeconds,
    cpuSysSeconds: snk.cpuSysSeconds,
    wallSeconds: snk.wallSeconds,
    syscalls: snk.syscalls,
    ...(snk.socketSplices !== undefined ? { socketSplices: snk.socketSplices } : {}),
    ...(snk.mappedBytes !== undefined
      ? { zerocopyReceive: { calls: snk.zerocopyCalls ?? 0, mappedBytes: snk.mappedBytes, copiedBytes: snk.copiedBytes ?? 0 } }
      : {}),
  };
}

export async function prepareRun(spec: RunSpec, opts: PrepareOptions = {}): Promise<PreparedRun> {
  // kTLS modes on a kernel without the tls module: refused before anything is set up.
  if (modeInfo(spec.mode).kernelFeature === 'tls') {
    const t = tlsSupport();
    if (!t.ok) throw new KernelUnsupportedError(spec.mode, t.reason);
  }
  const startedAt = new Date().toISOString();
  const g = new Guards(opts.signal, (opts.stallSeconds ?? 60) * 1000);
  let path: NetPath | undefined;
  let lock: DataFileLock | undefined;
  const children: Child[] = [];
  let app: AppProcess | undefined;
  /** A warm run's file, held resident (mlock) from the check to the run's end: addon().holdCache's id. */
  let held = -1;
  // What was being acquired when a cancel won the race: released as soon as it arrives.
  const late: Promise<unknown>[] = [];
  const acquire = async <T>(p: Promise<T>, release: (v: T) => unknown): Promise<T> => {
    try {
      return await g.race(p);
    } catch (e) {
      late.push(p.then(release, () => undefined));
      throw e;
    }
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      g.dispose();
      await Promise.all([...children.map((c) => c.kill()), app?.close()]);
      await path?.close();
      await Promise.all(late);
      if (held > 0) addon().releaseCache(held);
      lock?.release();
    })());

  try {
    opts.onPhase?.('preparing');
    const file = await g.stoppable(ensureDataFile(spec.sizeBytes, { signal: opts.signal }));
    // A cold run needs the file to itself from the cache drop to its last read; a
    // warm run only needs no cold run to drop its pages meanwhile (other processes too).
    lock = await g.stoppable(lockDataFile(file.path, spec.cache === 'cold' ? 'exclusive' : 'shared', { signal: opts.signal, timeoutSeconds: g.stallMs / 1000 }));
    let cacheState = await g.stoppable(prepareCache(file.path, spec.cache, opts.signal));
    // Warm means warm for the whole run: proactive reclaim (DAMON's pageout on this kind of VM) can
    // evict an idle file's pages between the check and the reads, which then hit the disk.
    if (spec.cache === 'warm') held = addon().holdCache(file.path);
    opts.onPhase?.('starting');
    path = await acquire(openPath(spec.path), (p) => p.close());
    const appInfo = modeInfo(spec.mode).app;
    if (appInfo) {
      // The program in the sender's place, then the sink as its client (waiting for the go).
      app = new AppProcess(appInfo.name, path.senderHost, file.path, path.senderNetns);
      g.watch(`waiting for ${appInfo.name} to listen (apps/run)`);
      const appPort = await g.guard(app.listening);
      const host = path.senderHost;
      const client = new Child(
        'sink', 'sink-child.js',
        {
          mode: spec.sink, host, bufferBytes: opts.sinkBufferBytes ?? 128 * 1024, connect: { host, port: appPort }, warmup: opts.appWarmup ?? true,
          ...(appInfo.protocol === 'http' ? { http: true, request: httpRequest(host, appPort) } : {}),
        },
        path.sinkNetns,
      );
      children.push(client);
      g.watch(`waiting for the sink's warm-up fetch from ${appInfo.name}`);
      await g.guard(Promise.race([client.next('ready'), app.failed]));
      // The warm-up read the file through the cache: a cold run drops it again.
      if (spec.cache === 'cold') cacheState = await g.stoppable(prepareCache(file.path, spec.cache, opts.signal));
      g.watch('');
      const netPath = path;
      const a = app;
      return {
        spec,
        targets: { pids: { sender: a.pid, sink: client.pid }, path: netPath, sinkPort: appPort, file: file.path, app: { name: appInfo.name, pid: a.pid } },
        guard: (p) => g.guard(p),
        go: (onProgress) => withMachine(() => transferApp(spec, g, { app: a, info: appInfo, sink: client, file, cacheState: cacheState, path: netPath, startedAt }, onProgress)),
        close,
      };
    }
    // kTLS modes: one key set per run (getrandom), the sender's TLS_TX and the sink's TLS_RX.
    const tls = modeInfo(spec.mode).kernelFeature === 'tls' ? { tls: addon().tlsKeys() } : {};
    // Every pass of the file is checked on its own by the sink (a timed run sends it again and again).
    const sink = new Child(
      'sink', 'sink-child.js',
      { mode: spec.sink, host: path.sinkHost, bufferBytes: opts.sinkBufferBytes ?? 128 * 1024, passBytes: spec.sizeBytes, expect: file.checksum, ...tls },
      path.sinkNetns,
    );
    children.push(sink);
    g.watch('waiting for the sink process to listen');
    const { port } = await g.guard(sink.next('listening'));
    const sender = new Child(
      'sender', 'sender-child.js',
      { mode: spec.mode, file: file.path, sizeBytes: spec.sizeBytes, chunkBytes: spec.chunkBytes, host: path.sinkHost, port, duration: spec.duration, rate: spec.rate, ...tls },
      path.senderNetns,
    );
    children.push(sender);
    g.watch('waiting for the sender process to start');
    await g.guard(sender.next('ready'));
    g.watch('');
    const netPath = path;
    return {
      spec,
      targets: { pids: { sender: sender.pid, sink: sink.pid }, path: netPath, sinkPort: port, file: file.path },
      guard: (p) => g.guard(p),
      go: (onProgress) => withMachine(() => transfer(spec, g, { sender, sink, file, cacheState, path: netPath, startedAt }, onProgress)),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A transfer with the machine's condition during it (/proc/stat at the go and at the end): RunResult.machine. */
async function withMachine(go: () => Promise<BaseResult>): Promise<BaseResult> {
  const before = cpuTimes();
  const r = await go();
  // /proc/stat counts in ticks (USER_HZ): a run of a few milliseconds can fall
  // between two. The window then stretches to the next tick (at most ~10 ms
  // past the end, the run's figures untouched), so every result says how busy
  // the machine was around it.
  let after = cpuTimes();
  for (let i = 0; i < 25 && before && after && after.total <= before.total; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    after = cpuTimes();
  }
  const own = r.sender.cpuUserSeconds + r.sender.cpuSysSeconds + r.receiver.cpuUserSeconds + r.receiver.cpuSysSeconds;
  const machine = before && after ? machineDuring(before, after, own) : null;
  return machine ? { ...r, machine } : r;
}

async function transfer(
  spec: RunSpec,
  g: Guards,
  x: { sender: Child; sink: Child; file: DataFile; cacheState: CacheState; path: NetPath; startedAt: string },
  onProgress?: (bytes: number) => void,
): Promise<BaseResult> {
  const { sender, sink, file, path } = x;
  g.moved(0, spec.sizeBytes);
  sender.onProgress = (b) => {
    g.moved(b, spec.sizeBytes);
    onProgress?.(b);
  };
  const senderDone = sender.next('done');
  const sinkDone = sink.next('done');
  sender.send({ type: 'go' });
  // The first failure wins (a killed sink surfaces as its own exit, not only as the sender's EPIPE).
  const [s, k] = await g.guard(Promise.all([senderDone, sinkDone]));
  g.watch('');
  const snd = s.result as SenderResult;
  const snk = k.result as NativeSinkResult;

  if (spec.duration === undefined) {
    if (snd.bytes !== spec.sizeBytes) throw new IntegrityError(`the sender moved ${snd.bytes} bytes, not the file's ${spec.sizeBytes}`);
    if (snk.bytes !== spec.sizeBytes) throw new IntegrityError(`the sink received ${snk.bytes} bytes, not the file's ${spec.sizeBytes}`);
  } else {
    // A timed run: whole passes of the file, and perhaps the file's first tailBytes.
    if (snd.bytes !== snd.passes * spec.sizeBytes + snd.tailBytes)
      throw new IntegrityError(`the sender moved ${snd.bytes} bytes, not its ${snd.passes} passes of ${spec.sizeBytes} and ${snd.tailBytes} more`);
    if (snk.bytes !== snd.bytes) throw new IntegrityError(`the sink received ${snk.bytes} bytes, not the ${snd.bytes} the sender moved`);
  }
  if (snk.passes !== snd.passes || snk.tailBytes !== snd.tailBytes)
    throw new IntegrityError(`the sink counted ${snk.passes} passes and ${snk.tailBytes} bytes more, the sender ${snd.passes} and ${snd.tailBytes}`);
  let checksumOk: boolean | null = null;
  if (sinkChecksums(spec.sink)) {
    if (snk.badPasses)
      throw new IntegrityError(
        `${snk.badPasses} of ${snk.passes} passes arrived with a checksum other than the file's ${file.checksum} (the first: pass ${snk.firstBadPass! + 1}${snk.passes === 1 ? `, ${snk.checksum}` : ''}): the bytes arrived corrupted or out of order`,
      );
    if (snk.tailBytes) {
      // The cut last pass against the file's prefix of that length (read after the transfer, without readahead).
      const prefix = await g.guard(cancellableLoop<string>((cb) => addon().fileChecksum(file.path, snk.tailBytes!, cb), g.signal));
      if (prefix !== snk.tailChecksum)
        throw new IntegrityError(`the last pass's ${snk.tailBytes} bytes have the checksum ${snk.tailChecksum}, not the file's first ${snk.tailBytes} bytes' ${prefix}`);
    }
    checksumOk = true;
  }

  return {
    id: randomUUID(),
    ...spec,
    startedAt: x.startedAt,
    finishedAt: new Date().toISOString(),
    kernel: release(),
    bytes: snd.bytes,
    chunks: snd.passes * Math.ceil(spec.sizeBytes / spec.chunkBytes) + Math.ceil(snd.tailBytes / spec.chunkBytes),
    passes: snd.passes,
    tailBytes: snd.tailBytes,
    ...(spec.rate !== undefined ? { pacedSeconds: snd.pacedSeconds } : {}),
    wallSeconds: snd.wallSeconds,
    throughputMiBps: snd.bytes / 2 ** 20 / snd.wallSeconds,
    sender: {
      pid: sender.pid,
      engine: snd.engine,
      cpuUserSeconds: snd.cpuUserSeconds,
      cpuSysSeconds: snd.cpuSysSeconds,
      cpuScope: snd.cpuScope,
      cpuSecondsPerGiB: (snd.cpuUserSeconds + snd.cpuSysSeconds) / (snd.bytes / GiB),
      syscalls: snd.syscalls,
    },
    receiver: receiverOf(sink.pid, snk, checksumOk),
    ...(snd.zerocopy ? { zerocopy: snd.zerocopy } : {}),
    ...(snd.uring ? { uring: snd.uring } : {}),
    ...(snd.tls ? { tls: snd.tls } : {}),
    file: { path: file.path, checksum: file.checksum, pagesCachedBefore: x.cacheState.resident, pages: x.cacheState.pages },
    device: { name: path.device.name, netns: path.device.netns, scatterGather: path.device.scatterGather },
  };
}

/** The sink's request to an HTTP app: one GET, and the server closes after the response. */
export function httpRequest(host: string, port: number): string {
  return `GET /data HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: zerocopy-lab\r\nConnection: close\r\n\r\n`;
}

/** An HTTP response header's status code and Content-Length (undefined where absent). */
export function parseHttpHeader(header: string): { status: number; contentLength?: number } {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(header)?.[1] ?? NaN);
  const cl = /\r\ncontent-length:\s*(\d+)\r\n/i.exec(header)?.[1];
  return { status, contentLength: cl === undefined ? undefined : Number(cl) };
}

/**
 * An app mode's transfer: the sink (the client) connects and receives to EOF;
 * progress and bytes are the sink's (the program says nothing); the program's
 * CPU is its process tree's (/proc), from the go to the end of the stream.
 */
async function transferApp(
  spec: RunSpec,
  g: Guards,
  x: { app: AppProcess; info: AppInfo; sink: Child; file: DataFile; cacheState: CacheState; path: NetPath; startedAt: string },
  onProgress?: (bytes: number) => void,
): Promise<BaseResult> {
  const { app, info, sink, file, path } = x;
  g.moved(0, spec.sizeBytes);
  sink.onProgress = (b) => {
    g.moved(b, spec.sizeBytes);
    onProgress?.(b);
  };
  const sinkDone = sink.next('done');
  const cpu0 = app.cpuSeconds();
  sink.send({ type: 'go' });
  const k = await g.guard(Promise.race([sinkDone, app.failed]));
  const cpu1 = app.cpuSeconds();
  const tree = app.tree();
  g.watch('');
  const snk = k.result as NativeSinkResult;
  onProgress?.(snk.bytes);

  let headerBytes = 0;
  if (info.protocol === 'http') {
    const header = snk.header ?? '';
    headerBytes = Buffer.byteLength(header, 'latin1');
    const h = parseHttpHeader(header);
    if (h.status !== 200) throw new IntegrityError(`${info.name} answered ${header.split('\r\n')[0] || 'no HTTP status line'}, not 200 OK`);
    if (h.contentLength !== spec.sizeBytes)
      throw new IntegrityError(`${info.name}'s Content-Length is ${h.contentLength ?? 'missing'}, not the file's ${spec.sizeBytes}`);
  }
  if (snk.bytes !== spec.sizeBytes) throw new IntegrityError(`the sink received ${snk.bytes} bytes${info.protocol === 'http' ? ' of body' : ''}, not the file's ${spec.sizeBytes}`);
  const checksumOk = sinkChecksums(spec.sink) ? snk.checksum === file.checksum : null;
  if (checksumOk === false)
    throw new IntegrityError(`the sink's checksum ${snk.checksum} differs from the file's ${file.checksum}: ${info.name} sent other bytes`);
  const user = Math.max(0, cpu1.user - cpu0.user);
  const sys = Math.max(0, cpu1.sys - cpu0.sys);
  const wall = snk.wallSeconds > 0 ? snk.wallSeconds : 1e-6;
  return {
    id: randomUUID(),
    ...spec,
    startedAt: x.startedAt,
    finishedAt: new Date().toISOString(),
    kernel: release(),
    bytes: snk.bytes,
    chunks: Math.ceil(spec.sizeBytes / spec.chunkBytes),
    passes: 1,
    tailBytes: 0,
    wallSeconds: wall,
    throughputMiBps: snk.bytes / 2 ** 20 / wall,
    sender: {
      pid: app.pid,
      engine: 'app',
      cpuUserSeconds: user,
      cpuSysSeconds: sys,
      cpuScope: 'tree',
      cpuSecondsPerGiB: (user + sys) / (snk.bytes / GiB),
      syscalls: {},
    },
    receiver: receiverOf(sink.pid, snk, checksumOk),
    app: { name: info.name, program: modeInfo(spec.mode).program, protocol: info.protocol, pid: app.pid, tree, headerBytes },
    file: { path: file.path, checksum: file.checksum, pagesCachedBefore: x.cacheState.resident, pages: x.cacheState.pages },
    device: { name: path.device.name, netns: path.device.netns, scatterGather: path.device.scatterGather },
  };
}
