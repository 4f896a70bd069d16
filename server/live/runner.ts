// The server's runs: one at a time, the others queued (first come, first
// served, at most `maxQueued` waiting; past that a submit is refused). Each
// run is an observation session (session/session.ts), made when it is
// submitted (so the privilege check runs there) and started when its turn
// comes; the runner subscribes to its events: phases become run frames, each
// sample (10 Hz, on the session's clock, probes or not) one serialized frame
// for every client. Finished, failed and cancelled runs are saved to the
// results directory.
import { randomUUID } from 'node:crypto';
import { BusyError, CancelledError, ConflictError, NotFoundError, QueueFullError } from '../core/errors.js';
import type { ProbeSetup } from '../probes/select.js';
import type { RunSpec } from '../schema/run-spec.js';
import { ownerMark } from '../core/owner.js';
import { SAMPLE_HZ, Session, type SessionEvent, type SessionOptions } from '../session/session.js';
import { endTime, type ResultStore } from './store.js';
import { runProgress, sampleFrame, type RunEvent, type RunFrame, type RunRecord, type SeriesPoint } from './frames.js';
import { copyCountersFor } from '../probes/derive.js';
import { formatDuration, formatSize } from '../schema/units.js';
import { MODE_NAMES, modeInfo } from '../../scenarios/catalog.js';

/** Runs that may wait by default: every mode of the catalog ("Run every mode" queues one each), and 2 more. */
export const DEFAULT_MAX_QUEUED = MODE_NAMES.length + 2;

export { SAMPLE_HZ };

/** Makes a session for a submitted spec (tests stand in for it). */
export type SessionFactory = (spec: RunSpec, opts: SessionOptions) => Session;

export interface RunnerOptions {
  store: ResultStore;
  /** The probes a run gets; a function when they depend on the spec (e.g. a probe engine chosen per run). */
  probes: ProbeSetup | ((spec: RunSpec) => ProbeSetup);
  /** Runs that may wait behind the running one (default DEFAULT_MAX_QUEUED). */
  maxQueued?: number;
  /** Every frame, serialized once: the hub sends these bytes to each client. */
  broadcast(data: string, kind: 'sample' | 'run'): void;
  /** The report running now, if any: no run starts beside it (the probes and the machine are shared); submit throws BusyError. */
  report?(): string | undefined;
  /** The watch that has the probes now, if any: no run starts beside it; submit throws BusyError (with `watch`). */
  watch?(): string | undefined;
  log?(line: string): void;
  /** Stands in for `new Session` (tests). */
  session?: SessionFactory;
}

interface Queued {
  record: RunRecord;
  session: Session;
  ac: AbortController;
}

interface Active extends Queued {
  done: Promise<void>;
  seq: number;
  /** The run's samples, thinned: kept with its record when it ends (the dashboard's overlay after a reload). */
  series: SeriesPoint[];
}

/** Points kept per run: past it, every other one is dropped. */
export const SERIES_MAX = 300;

export class Runner {
  /** The runs this runner ended (the records themselves, with their samples), newest first. */
  private own: RunRecord[] = [];
  private queue: Queued[] = [];
  private active: Active | undefined;
  private settled = new Map<string, { promise: Promise<void>; resolve(): void }>();
  private closed = false;
  readonly maxQueued: number;

  constructor(private readonly o: RunnerOptions) {
    this.maxQueued = o.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  /**
   * Loads the saved runs (newest first); runs that a server which is gone was
   * running are marked interrupted. Returns the files it skipped, and those runs.
   */
  load(): { skipped: { file: string; reason: string }[]; interrupted: RunRecord[] } {
    const { skipped, interrupted } = this.o.store.load();
    return { skipped, interrupted };
  }

  /** Where finished runs are saved. */
  get resultsDir(): string {
    return this.o.store.dir;
  }

  get current(): RunRecord | undefined {
    return this.active?.record;
  }

  get queued(): RunRecord[] {
    return this.queue.map((q) => q.record);
  }

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return !this.active && !this.queue.length;
  }

  /**
   * Finished, failed and cancelled runs, newest first: this server's, and what the results directory
   * and the reports hold now (runs of `zcl run`, of reports, of other servers), rescanned at each call
   * (the store reads again only the files that changed).
   */
  recent(limit: number): RunRecord[] {
    return this.history().slice(0, limit);
  }

  private history(): RunRecord[] {
    const byId = new Map(this.own.map((r) => [r.id, r]));
    for (const r of this.o.store.scan().records) if (!byId.has(r.id) && r.id !== this.active?.record.id) byId.set(r.id, r);
    return [...byId.values()].sort((x, y) => endTime(y) - endTime(x));
  }

  /** Every run the server knows, newest first: waiting, running, then the history. */
  list(limit: number): RunRecord[] {
    return [...this.queued.reverse(), ...(this.active ? [this.active.record] : []), ...this.history()].slice(0, limit);
  }

  get(id: string): RunRecord | undefined {
    if (this.active?.record.id === id) return this.active.record;
    return this.queue.find((q) => q.record.id === id)?.record ?? this.own.find((r) => r.id === id) ?? this.history().find((r) => r.id === id);
  }

  /**
   * Submits a validated spec as a session; it starts at once when nothing runs.
   * Throws InputError (the machine cannot run it), QueueFullError, or BusyError
   * (with the running `report`, see RunnerOptions.report).
   */
  submit(spec: RunSpec): { run: RunRecord; position: number } {
    const report = this.o.report?.();
    if (this.closed) throw new BusyError('the server is shutting down', { report });
    if (report)
      throw new BusyError(
        `report ${report} is running: runs cannot start until it ends (the probes and the machine are shared); wait for it, or cancel it (DELETE /api/reports/${report})`,
        { report },
      );
    const watch = this.o.watch?.();
    if (watch)
      throw new BusyError(
        `watch ${watch} has the probes: runs cannot start until it ends (the probes count one thing at a time); stop it (DELETE /api/watches/${watch})`,
        { watch },
      );
    if (this.active && this.queue.length >= this.maxQueued) throw new QueueFullError(this.active.record.id, this.queue.length);
    const ac = new AbortController();
    const probes = typeof this.o.probes === 'function' ? this.o.probes(spec) : this.o.probes;
    const session = (this.o.session ?? ((sp, op) => new Session(sp, op)))(spec, { probes, signal: ac.signal });
    const record: RunRecord = { id: randomUUID(), spec, state: 'queued', queuedAt: new Date().toISOString(), origin: 'dashboard' };
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.settled.set(record.id, { promise, resolve });
    this.queue.push({ record, session, ac });
    const position = this.active ? this.queue.length : 0;
    this.emit('queued', record);
    this.pump();
    return { run: record, position };
  }

  /** Resolves when the run has reached a final state (at once for unknown or final runs). */
  whenSettled(id: string): Promise<void> {
    return this.settled.get(id)?.promise ?? Promise.resolve();
  }

  /**
   * Cancels a queued or running run; waits until a running one has cleaned up,
   * and resolves with its record. Throws NotFoundError, or ConflictError (with
   * the run) when it had ended, or ended otherwise than cancelled meanwhile (a
   * run past its last byte finishes).
   */
  async cancel(id: string): Promise<RunRecord> {
    const qi = this.queue.findIndex((q) => q.record.id === id);
    if (qi >= 0) {
      const [q] = this.queue.splice(qi, 1);
      this.finish(q.record, 'cancelled');
      return q.record;
    }
    if (this.active?.record.id === id) {
      const record = this.active.record;
      this.active.ac.abort();
      await this.whenSettled(id);
      if (record.state === 'cancelled') return record;
    }
    const run = this.get(id);
    if (!run) throw new NotFoundError(`no run ${id}`);
    throw new ConflictError(`run ${id} has ended ${run.state}: it was not cancelled`, { run });
  }

  /** Cancels everything and waits for the running run to clean up. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) this.finish(q.record, 'cancelled');
    if (this.active) {
      this.active.ac.abort();
      await this.active.done;
    }
  }

  private pump(): void {
    if (this.active || this.closed) return;
    const q = this.queue.shift();
    if (!q) return;
    const a: Active = { ...q, seq: 0, series: [], done: Promise.resolve() };
    this.active = a;
    a.done = this.execute(a).finally(() => {
      this.active = undefined;
      this.pump();
    });
  }

  private async execute(a: Active): Promise<void> {
    const { record, session } = a;
    record.state = 'running';
    record.startedAt = new Date().toISOString();
    record.progress = runProgress(0, record.spec.sizeBytes, 0, record.spec.duration);
    // Saved now, with this server's mark: if the server dies during the run, the
    // next one finds the record and marks it interrupted (see ResultStore.load).
    record.owner = ownerMark();
    try {
      this.o.store.save(record);
    } catch (e) {
      this.o.log?.(`cannot save run ${record.id}: ${(e as Error).message}`);
    }
    this.o.log?.(`run ${record.id} started: ${describeSpec(record.spec)}`);
    this.emit('started', record);
    const off = session.on((e) => this.onSessionEvent(a, e));
    try {
      const result = await session.start();
      result.id = record.id;
      record.result = result;
      if (a.series.length) record.series = a.series;
      // the end: a timed run's whole duration, or its one pass
      record.progress = runProgress(result.bytes, record.spec.sizeBytes, record.spec.duration ?? 0, record.spec.duration);
      this.finish(record, 'finished');
    } catch (e) {
      if (e instanceof CancelledError) this.finish(record, 'cancelled');
      else {
        record.error = { name: (e as Error).name ?? 'Error', message: (e as Error).message ?? String(e) };
        this.finish(record, 'failed');
      }
    } finally {
      off();
    }
  }

  /** A session event: a phase is a run frame; a sample is one frame, serialized once. */
  private onSessionEvent(a: Active, e: SessionEvent): void {
    if (this.active !== a) return;
    if (e.type === 'phase') {
      a.record.phase = e.phase;
      this.emit('progress', a.record);
    } else if (e.type === 'progress') a.record.progress = runProgress(e.bytes, e.total, e.t, e.duration);
    else if (e.type === 'sample') {
      const f = sampleFrame(a.record.id, a.seq++, e);
      this.o.broadcast(JSON.stringify(f), 'sample');
      const c = f.counters?.sender;
      const copies = c ? copyCountersFor(!!modeInfo(a.record.spec.mode)?.encrypts).map((n) => c[n]) : [];
      const copied = c && copies.every((v) => typeof v === 'number') ? (copies as number[]).reduce((x, y) => x + y, 0) : null;
      const calls = typeof c?.syscalls === 'number' ? c.syscalls : null;
      a.series.push({ t: f.t, pt: f.progress.t, bytes: f.progress.bytes, copied, calls });
      if (a.series.length > SERIES_MAX) a.series = a.series.filter((_, i) => i % 2 === 0);
    }
  }

  private finish(record: RunRecord, state: 'finished' | 'failed' | 'cancelled'): void {
    record.state = state;
    record.endedAt = new Date().toISOString();
    delete record.phase;
    delete record.owner;
    try {
      this.o.store.save(record);
    } catch (e) {
      this.o.log?.(`cannot save run ${record.id}: ${(e as Error).message}`);
    }
    if (record.startedAt) this.o.log?.(`run ${record.id} ${runOutcome(record)}`);
    this.own.unshift(record);
    this.emit(state, record);
    const s = this.settled.get(record.id);
    this.settled.delete(record.id);
    s?.resolve();
  }

  private emit(event: RunEvent, run: RunRecord): void {
    const frame: RunFrame = { type: 'run', event, run, queued: this.queue.length };
    this.o.broadcast(JSON.stringify(frame), 'run');
  }
}

/** "read-write over veth-nosg, 4 MiB in 64 KiB chunks, for 10 s at 1 MiB/s, engine libbpf" */
export function describeSpec(spec: RunSpec): string {
  const timed = [spec.duration ? `for ${formatDuration(spec.duration)}` : '', spec.rate ? `at ${formatSize(spec.rate)}/s` : ''].filter(Boolean).join(' ');
  return `${spec.mode} over ${spec.path}, ${formatSize(spec.sizeBytes)} in ${formatSize(spec.chunkBytes)} chunks${timed ? `, ${timed}` : ''}, engine ${spec.engine}`;
}

/** A server log line's end of a run: its outcome, bytes and seconds (or why it failed). */
export function runOutcome(r: RunRecord): string {
  const secs = r.startedAt && r.endedAt ? ` after ${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1e3).toFixed(1)} s` : '';
  if (r.state === 'finished' && r.result)
    return `finished: ${describeSpec(r.spec)}: ${r.result.bytes} bytes (${formatSize(r.result.bytes)}) in ${r.result.wallSeconds.toFixed(2)} s, ${r.result.throughputMiBps.toFixed(1)} MiB/s; probes ${r.result.probes?.status ?? 'absent'}${secs}`;
  if (r.state === 'failed') return `failed: ${describeSpec(r.spec)}: ${r.error?.message ?? 'unknown error'}${secs}`;
  return `${r.state}: ${describeSpec(r.spec)}${r.progress ? `, ${r.progress.bytes} bytes moved` : ''}${secs}`;
}
