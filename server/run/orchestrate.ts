// One run, start to finish: data file and cache state, network path, sink and
// sender processes, the result checked against the file. Whatever happens
// (success, error, cancel, a child crashing) the children are reaped and the
// path's namespaces deleted before this returns.
import { randomUUID } from 'node:crypto';
import { release } from 'node:os';
import type { RunSpec } from '../schema/run-spec.js';
import type { NativeSinkResult } from '../native.js';
import { Child } from './child.js';
import type { SenderResult } from './child-protocol.js';
import { ensureDataFile, lockDataFile, prepareCache, type DataFileLock } from './datafiles.js';
import { openPath, type NetPath } from './netpath.js';
import type { RunResult } from './result.js';
import { probeHooks } from '../probes/session.js';
import { textbookRow } from '../probes/textbook.js';
import type { ProbeSetup } from '../probes/select.js';
import type { Snapshot } from '../probes/types.js';

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** A run that stopped moving: it fails with what it was waiting for, instead of hanging. */
export class StallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StallError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('the run was cancelled');
    this.name = 'CancelledError';
  }
}

export interface RunPids { sender: number; sink: number }

/** What the probes need to know about a run before it starts. */
export interface RunContext { pids: RunPids; path: NetPath; sinkPort: number; file: string }

/** Extension points for the probes: attach to the pids before "go", read after. */
export interface RunHooks {
  beforeGo?(ctx: RunContext): Promise<void>;
  afterDone?(result: RunResult): Promise<void>;
  /** Always called, even on failure. */
  finally?(): Promise<void>;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Bytes moved so far, about 10 times a second. */
  onProgress?(bytes: number, total: number): void;
  /** Phase changes, for progress displays. */
  onPhase?(phase: 'preparing' | 'starting' | 'running' | 'finishing'): void;
  hooks?: RunHooks;
  /** The probes for this run (see probes/select.ts); none: the result has no probes field. */
  probes?: ProbeSetup;
  /** Probe snapshots during the run, about every 100 ms (needs probes). */
  onSample?(s: Snapshot, tMs: number): void;
  /** Seconds without a byte moved (or a child starting) before the run fails as stalled (default 60). */
  stallSeconds?: number;
  /** Receive buffer of the read sink (bytes per recv). */
  sinkBufferBytes?: number;
}

const GiB = 2 ** 30;

export async function runTransfer(spec: RunSpec, opts: RunOptions = {}): Promise<RunResult> {
  const { signal } = opts;
  const startedAt = new Date().toISOString();
  let onAbort = () => undefined as void;
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => reject(new CancelledError());
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  cancelled.catch(() => undefined);
  const race = <T>(p: Promise<T>) => Promise.race([p, cancelled]);
  // The watchdog: a child that never starts, or a transfer that stops moving,
  // fails the run with what it was waiting for.
  const stallMs = (opts.stallSeconds ?? 60) * 1000;
  let watched = { what: '', since: performance.now(), bytes: -1 };
  const watch = (what: string) => (watched = { what, since: performance.now(), bytes: -1 });
  let stalled: (e: Error) => void = () => undefined;
  const stall = new Promise<never>((_, reject) => (stalled = reject));
  stall.catch(() => undefined);
  const watchdog = setInterval(() => {
    if (watched.what && performance.now() - watched.since > stallMs)
      stalled(new StallError(`the run stalled: ${watched.what} for ${Math.round(stallMs / 1000)} s`));
  }, 1000);
  const guard = <T>(p: Promise<T>) => Promise.race([p, cancelled, stall]);
  const hooks = combineHooks(
    opts.hooks,
    opts.probes && 'engine' in opts.probes ? probeHooks(opts.probes.engine, { onSample: opts.onSample }) : undefined,
  );

  let path: NetPath | undefined;
  let lock: DataFileLock | undefined;
  const children: Child[] = [];
  // What was being acquired when a cancel won the race: released as soon as it arrives.
  const late: Promise<unknown>[] = [];
  const acquire = async <T>(p: Promise<T>, release: (v: T) => unknown): Promise<T> => {
    try {
      return await race(p);
    } catch (e) {
      late.push(p.then(release, () => undefined));
      throw e;
    }
  };
  // Steps that stop on the signal themselves: awaited to their end (so nothing
  // of theirs is still running when the run returns), then reported as a cancel.
  const stoppable = async <T>(p: Promise<T>): Promise<T> => {
    try {
      const v = await p;
      if (signal?.aborted) throw new CancelledError();
      return v;
    } catch (e) {
      throw signal?.aborted ? new CancelledError() : e;
    }
  };
  try {
    opts.onPhase?.('preparing');
    const file = await stoppable(ensureDataFile(spec.sizeBytes, { signal }));
    // A cold run needs the file to itself from the cache drop to its last read; a
    // warm run only needs no cold run to drop its pages meanwhile (other processes too).
    lock = await stoppable(lockDataFile(file.path, spec.cache === 'cold' ? 'exclusive' : 'shared', { signal, timeoutSeconds: stallMs / 1000 }));
    const cacheState = await stoppable(prepareCache(file.path, spec.cache, signal));
    opts.onPhase?.('starting');
    path = await acquire(openPath(spec.path), (p) => p.close());
    const sink = new Child('sink', 'sink-child.js', { mode: spec.sink, host: path.sinkHost, bufferBytes: opts.sinkBufferBytes ?? 128 * 1024 }, path.sinkNetns);
    children.push(sink);
    watch('waiting for the sink process to listen');
    const { port } = await guard(sink.next('listening'));
    const sender = new Child(
      'sender', 'sender-child.js',
      { mode: spec.mode, file: file.path, sizeBytes: spec.sizeBytes, chunkBytes: spec.chunkBytes, host: path.sinkHost, port },
      path.senderNetns,
    );
    children.push(sender);
    watch('waiting for the sender process to start');
    await guard(sender.next('ready'));
    watched.what = '';
    await race(hooks.beforeGo?.({ pids: { sender: sender.pid, sink: sink.pid }, path, sinkPort: port, file: file.path }) ?? Promise.resolve());

    opts.onPhase?.('running');
    watch(`no byte moved (sender at 0 of ${spec.sizeBytes})`);
    sender.onProgress = (b) => {
      if (b !== watched.bytes) watched = { what: `no byte moved (sender at ${b} of ${spec.sizeBytes})`, since: performance.now(), bytes: b };
      opts.onProgress?.(b, spec.sizeBytes);
    };
    const senderDone = sender.next('done');
    const sinkDone = sink.next('done');
    sender.send({ type: 'go' });
    // The first failure wins (a killed sink surfaces as its own exit, not only as the sender's EPIPE).
    const [s, k] = await guard(Promise.all([senderDone, sinkDone]));
    watched.what = '';
    opts.onPhase?.('finishing');
    const snd = s.result as SenderResult;
    const snk = k.result as NativeSinkResult;

    if (snd.bytes !== spec.sizeBytes)
      throw new IntegrityError(`the sender moved ${snd.bytes} bytes, not the file's ${spec.sizeBytes}`);
    if (snk.bytes !== spec.sizeBytes)
      throw new IntegrityError(`the sink received ${snk.bytes} bytes, not the file's ${spec.sizeBytes}`);
    const checksumOk = spec.sink === 'read' ? snk.checksum === file.checksum : null;
    if (checksumOk === false)
      throw new IntegrityError(
        `the sink's checksum ${snk.checksum} differs from the file's ${file.checksum}: the bytes arrived corrupted or out of order`,
      );

    const result: RunResult = {
      id: randomUUID(),
      ...spec,
      startedAt,
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
      file: { path: file.path, checksum: file.checksum, pagesCachedBefore: cacheState.resident, pages: cacheState.pages },
      device: { name: path.device.name, netns: path.device.netns, scatterGather: path.device.scatterGather },
    };
    if (opts.probes && 'absent' in opts.probes) {
      result.probes = opts.probes.absent;
      result.textbook = textbookRow(result, opts.probes.absent);
    }
    await hooks.afterDone?.(result);
    return result;
  } finally {
    clearInterval(watchdog);
    signal?.removeEventListener('abort', onAbort);
    await Promise.all(children.map((c) => c.kill()));
    await hooks.finally?.().catch(() => undefined);
    await path?.close();
    await Promise.all(late);
    lock?.release();
  }
}

function combineHooks(...list: (RunHooks | undefined)[]): RunHooks {
  const hs = list.filter((h): h is RunHooks => !!h);
  return {
    beforeGo: async (ctx) => {
      for (const h of hs) await h.beforeGo?.(ctx);
    },
    afterDone: async (r) => {
      for (const h of hs) await h.afterDone?.(r);
    },
    finally: async () => {
      for (const h of hs) await h.finally?.().catch(() => undefined);
    },
  };
}
