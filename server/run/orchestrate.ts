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
import type { NativeSinkResult } from '../native.js';
import { Child } from './child.js';
import type { SenderResult } from './child-protocol.js';
import { ensureDataFile, lockDataFile, prepareCache, type CacheState, type DataFile, type DataFileLock } from './datafiles.js';
import { openPath, type NetPath } from './netpath.js';
import type { RunResult } from './result.js';
import { CancelledError, IntegrityError, StallError } from '../core/errors.js';

export { CancelledError, IntegrityError, StallError };

export interface RunPids { sender: number; sink: number }

/** What a prepared run is, for whoever observes it: its processes, path, connection and file. */
export interface RunTargets { pids: RunPids; path: NetPath; sinkPort: number; file: string }

export type Phase = 'preparing' | 'starting' | 'running' | 'finishing';

export interface PrepareOptions {
  signal?: AbortSignal;
  /** Phase changes up to 'starting' (the caller says 'running' and 'finishing'). */
  onPhase?(phase: Phase): void;
  /** Seconds without a byte moved (or a child starting, or a lock freeing) before the run fails as stalled (default 60). */
  stallSeconds?: number;
  /** Receive buffer of the read sink (bytes per recv). */
  sinkBufferBytes?: number;
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

export async function prepareRun(spec: RunSpec, opts: PrepareOptions = {}): Promise<PreparedRun> {
  const startedAt = new Date().toISOString();
  const g = new Guards(opts.signal, (opts.stallSeconds ?? 60) * 1000);
  let path: NetPath | undefined;
  let lock: DataFileLock | undefined;
  const children: Child[] = [];
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
      await Promise.all(children.map((c) => c.kill()));
      await path?.close();
      await Promise.all(late);
      lock?.release();
    })());

  try {
    opts.onPhase?.('preparing');
    const file = await g.stoppable(ensureDataFile(spec.sizeBytes, { signal: opts.signal }));
    // A cold run needs the file to itself from the cache drop to its last read; a
    // warm run only needs no cold run to drop its pages meanwhile (other processes too).
    lock = await g.stoppable(lockDataFile(file.path, spec.cache === 'cold' ? 'exclusive' : 'shared', { signal: opts.signal, timeoutSeconds: g.stallMs / 1000 }));
    const cacheState = await g.stoppable(prepareCache(file.path, spec.cache, opts.signal));
    opts.onPhase?.('starting');
    path = await acquire(openPath(spec.path), (p) => p.close());
    const sink = new Child('sink', 'sink-child.js', { mode: spec.sink, host: path.sinkHost, bufferBytes: opts.sinkBufferBytes ?? 128 * 1024 }, path.sinkNetns);
    children.push(sink);
    g.watch('waiting for the sink process to listen');
    const { port } = await g.guard(sink.next('listening'));
    const sender = new Child(
      'sender', 'sender-child.js',
      { mode: spec.mode, file: file.path, sizeBytes: spec.sizeBytes, chunkBytes: spec.chunkBytes, host: path.sinkHost, port },
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
      go: (onProgress) => transfer(spec, g, { sender, sink, file, cacheState, path: netPath, startedAt }, onProgress),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
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

  if (snd.bytes !== spec.sizeBytes) throw new IntegrityError(`the sender moved ${snd.bytes} bytes, not the file's ${spec.sizeBytes}`);
  if (snk.bytes !== spec.sizeBytes) throw new IntegrityError(`the sink received ${snk.bytes} bytes, not the file's ${spec.sizeBytes}`);
  const checksumOk = spec.sink === 'read' ? snk.checksum === file.checksum : null;
  if (checksumOk === false)
    throw new IntegrityError(`the sink's checksum ${snk.checksum} differs from the file's ${file.checksum}: the bytes arrived corrupted or out of order`);

  return {
    id: randomUUID(),
    ...spec,
    startedAt: x.startedAt,
    finishedAt: new Date().toISOString(),
    kernel: release(),
    bytes: snd.bytes,
    chunks: Math.ceil(spec.sizeBytes / spec.chunkBytes),
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
    receiver: {
      pid: sink.pid,
      bytes: snk.bytes,
      checksumOk,
      cpuUserSeconds: snk.cpuUserSeconds,
      cpuSysSeconds: snk.cpuSysSeconds,
      wallSeconds: snk.wallSeconds,
      syscalls: snk.syscalls,
    },
    ...(snd.zerocopy ? { zerocopy: snd.zerocopy } : {}),
    file: { path: file.path, checksum: file.checksum, pagesCachedBefore: x.cacheState.resident, pages: x.cacheState.pages },
    device: { name: path.device.name, netns: path.device.netns, scatterGather: path.device.scatterGather },
  };
}
