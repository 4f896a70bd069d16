// The server's watches: processes the lab did not start, observed by a watch
// session (session/watch.ts) each, for the dashboard's Watch view. A watch
// streams 'watch-sample' frames (10 Hz, its own seq, t in seconds since it
// began) only to the WebSocket clients that view it, through the hub's bounded
// per-client queues; its state changes ('watch' frames) go to every client.
//
// The probe engine counts one set of processes at a time (every watched
// process counts into its one `sender` role), and lab runs and reports use the
// same engine: a watch is refused while a run or report has the probes (409),
// runs and reports are refused while a watch has them, and past `maxWatches`
// (1 with the one engine) a watch is refused with 429. A request for the same
// processes as a watch in progress joins it (200, joined).
//
// A watch ends on stop (DELETE), when its processes have all exited, when the
// server closes, and when no client has viewed it for `graceMs`; the session
// ends the probes whatever happens.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BusyError, InputError, LabError, NotFoundError, TooManyWatchesError } from '../core/errors.js';
import { listProcesses, pidsByComm } from '../core/proc-scan.js';
import type { ProbeSetup } from '../probes/select.js';
import type { WatchDetail } from '../probes/types.js';
import { verdict, type Verdict } from '../probes/verdict.js';
import type { WatchRequest } from '../schema/watch-request.js';
import { WatchSession, type WatchEvent as SessionEvent, type WatchSummary, type WatchTargets } from '../session/watch.js';
import type { WatchEndReason, WatchEvent, WatchFrame, WatchRecord, WatchSampleFrame } from './frames.js';

/** What the manager needs of a watch session (session/watch.ts's WatchSession; tests stand in for it). */
export interface WatchSessionLike {
  start(o?: { signal?: AbortSignal }): Promise<Pick<WatchSummary, 'reason' | 't'>>;
  stop(): void;
  on(listener: (e: SessionEvent) => void): () => void;
}

export type WatchSessionFactory = (targets: WatchTargets, o: { probes: ProbeSetup }) => WatchSessionLike;

/** A real watch session. */
export const watchSession: WatchSessionFactory = (targets, { probes }) => new WatchSession({ targets, probes });

/** A WebSocket client viewing a watch: the hub sends through its bounded queue. */
export interface Viewer {
  send(data: string, kind: 'sample' | 'run'): void;
}

export interface WatchManagerOptions {
  /** The probes a watch gets (the engine must have watch mode: libbpf). */
  probes(): ProbeSetup;
  session: WatchSessionFactory;
  /** What has the probes now, if anything but a watch (a run, a report): a watch does not start beside it. */
  busy(): string | undefined;
  /** To every client (watch frames). */
  broadcast(data: string, kind: 'sample' | 'run'): void;
  /** Watches at once (default 1: the probe engine counts one set of processes). */
  maxWatches?: number;
  /** A watch no client has viewed for this long ends (default 30 s; counted from its start until a first viewer). */
  graceMs?: number;
  log?(line: string): void;
}

/** Rows of a sample's detail at most, the largest first (the frame stays small). */
export const DETAIL_ROWS = { processes: 50, connections: 100, files: 100 } as const;
const HISTORY = 20;

interface Active {
  record: WatchRecord;
  session: WatchSessionLike;
  viewers: Set<Viewer>;
  seq: number;
  reason?: WatchEndReason;
  grace?: NodeJS.Timeout;
  done: Promise<void>;
  /** The pids it was asked for, sorted (or the comm), and follow: what a request joins on. */
  key: string;
}

const sumBytes = (c: Record<string, number | null>) => Object.values(c).reduce<number>((a, v) => a + (typeof v === 'number' ? v : 0), 0);

/** The detail, its lists cut to DETAIL_ROWS (the rows that moved most bytes first). */
export function capDetail(d: WatchDetail): NonNullable<WatchSampleFrame['detail']> {
  const top = <T extends { counters: Record<string, number | null> }>(rows: T[], n: number) =>
    rows.length <= n ? rows : [...rows].sort((a, b) => sumBytes(b.counters) - sumBytes(a.counters)).slice(0, n);
  const cut = {
    processes: Math.max(0, d.processes.length - DETAIL_ROWS.processes),
    connections: Math.max(0, d.connections.length - DETAIL_ROWS.connections),
    files: Math.max(0, d.files.length - DETAIL_ROWS.files),
  };
  return {
    processes: top(d.processes, DETAIL_ROWS.processes),
    connections: top(d.connections, DETAIL_ROWS.connections),
    files: top(d.files, DETAIL_ROWS.files),
    ...(cut.processes || cut.connections || cut.files ? { truncated: cut } : {}),
  };
}

function tgidOf(pid: number): number | undefined {
  try {
    const m = /^Tgid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export class WatchManager {
  private active = new Map<string, Active>();
  private history: WatchRecord[] = [];
  private closed = false;
  readonly limit: number;
  private readonly graceMs: number;

  constructor(private readonly o: WatchManagerOptions) {
    this.limit = o.maxWatches ?? 1;
    this.graceMs = o.graceMs ?? 30_000;
  }

  /** The watch that has the probes now, if any (runs and reports wait for it). */
  get holding(): WatchRecord | undefined {
    return this.active.values().next().value?.record;
  }

  /** Watches in progress, then the ended ones, newest first. */
  list(): WatchRecord[] {
    return [...[...this.active.values()].map((a) => a.record).reverse(), ...this.history];
  }

  inProgress(): WatchRecord[] {
    return [...this.active.values()].map((a) => a.record);
  }

  get(id: string): WatchRecord | undefined {
    return this.active.get(id)?.record ?? this.history.find((w) => w.id === id);
  }

  /**
   * Starts a watch of running processes, or joins the one that watches the same;
   * resolves once the probes count them. Throws InputError (no such process; the
   * server itself), BusyError (a run or report has the probes; shutting down),
   * TooManyWatchesError.
   */
  async create(req: WatchRequest): Promise<{ watch: WatchRecord; joined: boolean }> {
    if (this.closed) throw new BusyError('the server is shutting down');
    const busy = this.o.busy();
    if (busy) throw new BusyError(busy);
    let pids: number[];
    if (req.pids) {
      const issues = req.pids.flatMap((p, i) =>
        tgidOf(p) === undefined
          ? [{ field: `pids.${i}`, message: `no running process ${p}; GET /api/processes lists them` }]
          : tgidOf(p) === process.pid
            ? [{ field: `pids.${i}`, message: `${p} is this server itself: it cannot watch itself; allowed: the pid of another process` }]
            : [],
      );
      if (issues.length) throw new InputError(issues, 'watch request');
      pids = [...new Set(req.pids.map((p) => tgidOf(p)!))].sort((a, b) => a - b);
    } else {
      pids = pidsByComm(req.comm!);
      if (!pids.length)
        throw new InputError([{ field: 'comm', message: `no running process has the comm '${req.comm}' (an exact match on /proc/PID/comm, 15 characters at most); GET /api/processes lists them` }], 'watch request');
    }
    const key = `${req.pids ? `pids:${pids.join(',')}` : `comm:${req.comm}`} follow:${req.follow}`;
    for (const a of this.active.values()) if (a.key === key) return { watch: a.record, joined: true };
    if (this.active.size >= this.limit) {
      const held = this.inProgress();
      throw new TooManyWatchesError(
        `this server watches ${this.limit === 1 ? 'one set of processes' : `${this.limit} sets of processes`} at a time (the probe engine counts one); ` +
          `watch ${held[0].id} (${held[0].targets.map((t) => `${t.comm} ${t.pid}`).join(', ') || held[0].request.comm}) is in progress: view it, or stop it (DELETE /api/watches/${held[0].id})`,
        { limit: this.limit, watches: held.map((w) => w.id) },
      );
    }

    const targets = listProcesses({ pids, limit: 64 }).processes.map(({ pid, comm, cmdline, tcp }) => ({ pid, comm, cmdline, tcp }));
    const probes = this.o.probes();
    const record: WatchRecord = {
      id: randomUUID(),
      request: req,
      state: 'starting',
      targets,
      startedAt: new Date().toISOString(),
      engine: 'engine' in probes ? probes.engine.name : probes.absent.engine,
      viewers: 0,
    };
    const session = this.o.session(req.pids ? { pids, follow: req.follow } : { comm: req.comm!, follow: req.follow }, { probes });
    const a: Active = { record, session, viewers: new Set(), seq: 0, key, done: Promise.resolve() };
    this.active.set(record.id, a);
    let running!: () => void;
    let failed!: (e: Error) => void;
    const started = new Promise<void>((res, rej) => ((running = res), (failed = rej)));
    const off = session.on((e) => {
      if (e.type === 'phase' && e.phase === 'running') {
        record.state = 'watching';
        this.emit('watching', record);
        running();
      } else if (e.type === 'sample') this.onSample(a, e);
      else if (e.type === 'end') {
        if (e.outcome === 'failed') {
          record.error = { name: e.error.name, message: e.error.message };
          failed(e.error);
        } else running();
      }
    });
    a.done = session.start().then(
      (summary) => this.finish(a, a.reason ?? (summary.reason === 'exited' ? 'exited' : 'stopped'), summary.t),
      () => this.finish(a, a.reason ?? (record.error ? 'failed' : 'stopped')),
    ).finally(off);
    this.emit('started', record);
    this.armGrace(a);
    try {
      await started;
    } catch (e) {
      await a.done;
      // The session's own input errors name its fields (pid): the request's are pids.
      if (e instanceof InputError) throw new InputError(e.issues.map((i) => ({ field: i.field === 'pid' ? 'pids' : i.field, message: i.message })), 'watch request');
      if (e instanceof LabError) throw e;
      throw e;
    }
    return { watch: record, joined: false };
  }

  /** Stops a watch and resolves with its record once the probes are off. Throws NotFoundError. */
  async stop(id: string, reason: WatchEndReason = 'stopped'): Promise<WatchRecord> {
    const a = this.active.get(id);
    if (!a) {
      const w = this.get(id);
      if (!w) throw new NotFoundError(`no watch ${id}`);
      return w;
    }
    a.reason ??= reason;
    a.session.stop();
    await a.done;
    return a.record;
  }

  /** A client views a watch (its samples go to it); returns the unview. Throws NotFoundError. */
  view(id: string, viewer: Viewer): () => void {
    const a = this.active.get(id);
    if (!a) {
      if (this.get(id)) throw new NotFoundError(`watch ${id} has ended`);
      throw new NotFoundError(`no watch ${id}`);
    }
    if (!a.viewers.has(viewer)) {
      a.viewers.add(viewer);
      if (a.grace) clearTimeout(a.grace);
      a.grace = undefined;
      a.record.viewers = a.viewers.size;
      this.emit('viewers', a.record);
    }
    return () => {
      if (!a.viewers.delete(viewer) || !this.active.has(id)) return;
      a.record.viewers = a.viewers.size;
      this.emit('viewers', a.record);
      this.armGrace(a);
    };
  }

  /** Stops every watch and waits until the probes are off. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.active.keys()].map((id) => this.stop(id, 'server-closing').catch(() => undefined)));
  }

  private armGrace(a: Active): void {
    if (a.viewers.size || a.grace) return;
    a.grace = setTimeout(() => {
      a.grace = undefined;
      if (!a.viewers.size) void this.stop(a.record.id, 'no-viewers').catch(() => undefined);
    }, this.graceMs);
    a.grace.unref();
  }

  private onSample(a: Active, e: Extract<SessionEvent, { type: 'sample' }>): void {
    a.record.t = e.t;
    if (!a.viewers.size) return;
    const { counters, syscalls } = e.snapshot.sender;
    let v: Verdict | null = null;
    try {
      v = verdict(counters, syscalls, e.detail ? { connections: e.detail.connections, files: e.detail.files } : {});
    } catch (err) {
      this.o.log?.(`watch ${a.record.id}: verdict failed: ${(err as Error).message}`);
    }
    const frame: WatchSampleFrame = {
      type: 'watch-sample',
      watchId: a.record.id,
      seq: a.seq++,
      t: e.t,
      wall: performance.timeOrigin + performance.now(),
      counters,
      syscalls,
      watched: e.watched,
      detail: e.detail ? capDetail(e.detail) : null,
      verdict: v,
    };
    const data = JSON.stringify(frame);
    for (const viewer of a.viewers) viewer.send(data, 'sample');
  }

  private finish(a: Active, reason: WatchEndReason, t?: number): void {
    if (a.grace) clearTimeout(a.grace);
    a.grace = undefined;
    const r = a.record;
    r.state = 'ended';
    r.endReason = reason;
    r.endedAt = new Date().toISOString();
    if (t !== undefined) r.t = t;
    r.viewers = 0;
    this.active.delete(r.id);
    this.history.unshift(r);
    this.history.length = Math.min(this.history.length, HISTORY);
    this.emit('ended', r);
    a.viewers.clear();
  }

  private emit(event: WatchEvent, watch: WatchRecord): void {
    const frame: WatchFrame = { type: 'watch', event, watch };
    this.o.broadcast(JSON.stringify(frame), 'run');
  }
}
