// The observation session: the one concept between the probes and everything
// above them. A session has targets (today: the processes a lab run spawned),
// the probe engine (or the reason there is none), one clock, and one event
// stream that exists whether or not probes are on:
//
//   phase     preparing, starting, running, finishing
//   progress  {t, bytes, total, duration?}: bytes the sender reported moved, stamped on the session clock
//             (total: the file's size, one pass; a timed run also says its duration in seconds,
//             and its bytes go past total, pass after pass)
//   sample    {t, bytes, total, duration?, progressT, snapshot | null}: one tick, 10 a second while running;
//             snapshot is the probes' cumulative counters (null without probes)
//   end       {outcome, result | error}
//
// The clock: seconds since the transfer began ('running'), from performance.now().
// Every event carries time on it; nothing above keeps a clock or a ticker of its own.
// Subscribers (the live hub's runner, the CLI's progress, the report runner)
// listen; nothing is called back from below.
//
// The lifecycle is linear: prepare the run (run/orchestrate.ts), attach the
// probes to its targets (a lab run's two processes; an app mode's program by
// watching its process tree), go, read the final counts, close. Whatever happens,
// the probes end and the run is closed before `result` settles.
import type { ProbeSetup } from '../probes/select.js';
import { probeResult, probeTarget, textbookRow } from '../probes/result.js';
import type { ProbeEngine, Snapshot } from '../probes/types.js';
import { CancelledError, InputError } from '../core/errors.js';
import { assertRunnable } from '../core/machine.js';
import { prepareRun, type Phase, type PreparedRun, type RunTargets } from '../run/orchestrate.js';
import type { RunResult } from '../run/result.js';
import type { RunSpec } from '../schema/run-spec.js';

export type { Phase };
export const SAMPLE_HZ = 10;

export type SessionEvent =
  | { type: 'phase'; phase: Phase; targets?: RunTargets }
  | { type: 'progress'; t: number; bytes: number; total: number; duration?: number }
  | { type: 'sample'; t: number; bytes: number; total: number; duration?: number; progressT: number; snapshot: Snapshot | null }
  | { type: 'end'; outcome: 'finished'; result: RunResult }
  | { type: 'end'; outcome: 'failed' | 'cancelled'; error: Error };

export type SessionListener = (e: SessionEvent) => void;

export interface SessionOptions {
  /** The probes (probes/select.ts); none: the result has no probes field. */
  probes?: ProbeSetup;
  signal?: AbortSignal;
  /** Seconds without a byte moved before the run fails as stalled (default 60). */
  stallSeconds?: number;
  /** Receive buffer of the read sink (bytes per recv). */
  sinkBufferBytes?: number;
  /** App modes: fetch the file once before the probes watch (default true). */
  appWarmup?: boolean;
  /** Listeners from the start (they see every event, the first phase included). */
  listeners?: SessionListener[];
}

export class Session {
  private readonly listeners = new Set<SessionListener>();
  /** performance.now() when the transfer began; the clock's zero. */
  private t0: number | undefined;
  private started: Promise<RunResult> | undefined;
  targets: RunTargets | undefined;

  /**
   * A session submitted, not yet started. The privilege check runs here, once
   * for every entry point (CLI, API, WebSocket, reports): InputError if the spec
   * cannot run on this machine.
   */
  constructor(readonly spec: RunSpec, private readonly o: SessionOptions = {}) {
    assertRunnable(spec);
    for (const l of o.listeners ?? []) this.listeners.add(l);
  }

  /** Starts the lifecycle (once); resolves with the result after everything is cleaned up. */
  start(opts: Pick<SessionOptions, 'signal'> = {}): Promise<RunResult> {
    if (!this.started) {
      if (opts.signal) this.o.signal = opts.signal;
      this.started = this.run();
      this.started.catch(() => undefined);
    }
    return this.started;
  }

  /** The result (starts the session if it was not). */
  get result(): Promise<RunResult> {
    return this.start();
  }

  /** Subscribes; returns the unsubscribe. */
  on(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Seconds on the session clock (0 until the transfer begins). */
  now(): number {
    return this.t0 === undefined ? 0 : (performance.now() - this.t0) / 1000;
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a subscriber's fault is its own: the session goes on */
      }
    }
  }

  /** The run, then its 'end' event, once everything is cleaned up. */
  private async run(): Promise<RunResult> {
    try {
      const result = await this.lifecycle();
      this.emit({ type: 'end', outcome: 'finished', result });
      return result;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.emit({ type: 'end', outcome: e instanceof CancelledError ? 'cancelled' : 'failed', error });
      throw e;
    }
  }

  private async lifecycle(): Promise<RunResult> {
    const { spec, o } = this;
    const engine: ProbeEngine | undefined = o.probes && 'engine' in o.probes ? o.probes.engine : undefined;
    let prepared: PreparedRun | undefined;
    let begun = false;
    let ticker: NodeJS.Timeout | undefined;
    const last = { bytes: 0, t: 0 };
    const timed = spec.duration !== undefined ? { duration: spec.duration } : {};
    try {
      prepared = await prepareRun(spec, {
        signal: o.signal,
        stallSeconds: o.stallSeconds,
        sinkBufferBytes: o.sinkBufferBytes,
        appWarmup: o.appWarmup,
        onPhase: (phase) => this.emit({ type: 'phase', phase }),
      });
      this.targets = prepared.targets;
      if (engine) {
        begun = true; // set first: a cancel while the engine attaches must still end it
        const app = prepared.targets.app;
        if (app) {
          // An app mode: the program's process tree (children it forks too: nginx's
          // worker) counts as the sender, from now on: after it listens, so its
          // start-up (the JVM reading its jars) is not counted; the sink by its pid.
          if (!engine.watch) throw new InputError([{ field: 'engine', message: `mode ${spec.mode} needs watch mode, which the ${engine.name} engine lacks; allowed: libbpf` }]);
          await prepared.guard(engine.watch({ tgids: [app.pid], follow: true, sinkPid: prepared.targets.pids.sink }));
        } else await prepared.guard(engine.begin(probeTarget(prepared.targets)));
      }
      this.t0 = performance.now();
      this.emit({ type: 'phase', phase: 'running', targets: prepared.targets });
      ticker = setInterval(() => {
        this.emit({ type: 'sample', t: this.now(), bytes: last.bytes, total: spec.sizeBytes, ...timed, progressT: last.t, snapshot: engine ? engine.read() : null });
      }, 1000 / SAMPLE_HZ);
      const base = await prepared.go((bytes) => {
        last.bytes = bytes;
        last.t = this.now();
        this.emit({ type: 'progress', t: last.t, bytes, total: spec.sizeBytes, ...timed });
      });
      clearInterval(ticker);
      this.emit({ type: 'phase', phase: 'finishing' });
      const result: RunResult = { ...base };
      if (engine) {
        const snap = await prepared.guard(engine.final());
        begun = false;
        result.probes = probeResult(engine, snap, base);
        result.textbook = textbookRow(result, result.probes);
      } else if (o.probes && 'absent' in o.probes) {
        result.probes = o.probes.absent;
        result.textbook = textbookRow(result, o.probes.absent);
      }
      return result;
    } finally {
      if (ticker) clearInterval(ticker);
      if (begun) await engine!.end().catch(() => undefined);
      await prepared?.close();
    }
  }
}

/** Submits and starts a lab run as a session. */
export function startRun(spec: RunSpec, opts: SessionOptions = {}): Session {
  const s = new Session(spec, opts);
  s.start();
  return s;
}

/** A lab run to its result (for callers that only want the result: tests, benchmarks, the CLI's compare). */
export function runTransfer(spec: RunSpec, opts: SessionOptions & { onEvent?: SessionListener } = {}): Promise<RunResult> {
  return startRun(spec, { ...opts, listeners: opts.onEvent ? [opts.onEvent, ...(opts.listeners ?? [])] : opts.listeners }).result;
}
