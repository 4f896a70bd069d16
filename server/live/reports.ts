// The server's reports: a scenario matrix run inside the server process
// (POST /api/reports) as a sequence of observation sessions (session/matrix.ts,
// the same runs and files as `zcl report`), each report in its own directory
// under the reports directory (report/directory.ts owns its layout and reads
// the reports already there, so a restart keeps the list).
//
// One report at a time, and never beside a live run: the probes and the
// machine are shared, and a run beside a report would disturb both. The
// server refuses a report while a run is running or queued, and the Runner
// refuses runs while a report runs.
//
// Progress goes to every WebSocket client as 'report' frames (run-start,
// run-end and the end always; the bytes of the run in flight at most 4 times
// a second), and the transfer in flight streams ordinary sample frames (10 Hz)
// so the live charts and the flow diagram show it.
import { BusyError, CancelledError, ConflictError, NotFoundError } from '../core/errors.js';
import type { ProbeSetup } from '../probes/select.js';
import { ReportDirectory } from '../report/directory.js';
import { newReportRecord } from '../report/record.js';
import { resolveReportRequest, type ReportRequest } from '../report/request.js';
import { listScenarios, type ScenarioInfo } from '../report/scenarios.js';
import type { Matrix } from '../schema/matrix.js';
import type { RunSpec } from '../schema/run-spec.js';
import { runMatrix, type MatrixProgress, type RunMatrixOptions } from '../session/matrix.js';
import { sampleFrame, type ReportEvent, type ReportFrame, type ReportProgress, type ReportRecord } from './frames.js';

/** 'progress' report frames per second at most (the transfer reports its bytes at 10 Hz). */
export const REPORT_PROGRESS_HZ = 4;

export interface ReportManagerOptions {
  /** Where report directories are (labDir('reports')). */
  dir: string;
  /** The shipped matrices (scenarios/*.json). */
  scenariosDir: string;
  probes(spec: RunSpec): ProbeSetup;
  /** The live runs now (the running one's id, how many wait): a report does not start beside them. */
  runs(): { running: string | null; queued: number };
  /** The watch that has the probes now, if any: a report does not start beside it. */
  watch?(): string | undefined;
  broadcast(data: string, kind: 'sample' | 'run'): void;
  log?(line: string): void;
  /** Stands in for startRun (tests). */
  startRun?: RunMatrixOptions['startRun'];
}

interface Active {
  record: ReportRecord;
  ac: AbortController;
  reason?: 'cancelled' | 'interrupted';
  done: Promise<void>;
  /** The report's transfer in flight, as the live charts see it. */
  live?: { runId: string; seq: number };
  runs: number;
  lastProgress: number;
}

export class ReportManager {
  readonly directory: ReportDirectory;
  /** Reports this server started (or resumed), by id. */
  private own = new Map<string, ReportRecord>();
  private active: Active | undefined;
  private closed = false;

  constructor(private readonly o: ReportManagerOptions) {
    this.directory = new ReportDirectory(o.dir);
  }

  get dir(): string {
    return this.o.dir;
  }

  /** The running report, if any. */
  get current(): ReportRecord | undefined {
    return this.active ? this.directory.withLinks(this.active.record) : undefined;
  }

  /** The shipped scenario matrices, each validated (a bad one carries its error). */
  scenarios(): ScenarioInfo[] {
    return listScenarios(this.o.scenariosDir, this.o.log);
  }

  /** Validates a POST /api/reports body (report/request.ts). Throws InputError naming the field and the allowed values. */
  parseRequest(body: unknown): ReportRequest {
    return resolveReportRequest(body, { scenariosDir: this.o.scenariosDir, scenarios: this.scenarios(), reports: () => this.list() });
  }

  /** Every report, newest first: this server's and the directories on disk. */
  list(limit = 200): ReportRecord[] {
    const out = new Map<string, ReportRecord>();
    for (const r of this.own.values()) out.set(r.id, this.directory.withLinks(r));
    for (const r of this.directory.scan((id) => this.own.has(id))) if (!out.has(r.id)) out.set(r.id, r);
    return [...out.values()].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id.localeCompare(a.id)).slice(0, limit);
  }

  get(id: string): ReportRecord | undefined {
    if (!this.directory.isId(id)) return undefined;
    const own = this.own.get(id);
    return own ? this.directory.withLinks(own) : this.directory.read(id);
  }

  /** The report, or NotFoundError. */
  find(id: string): ReportRecord {
    const r = this.get(id);
    if (!r) throw new NotFoundError(`no report ${id}`);
    return r;
  }

  /** Opens a report file a client may read (report/directory.ts); the caller closes the fd. */
  openFile(id: string, file: string): { fd: number; size: number } | undefined {
    return this.directory.openFile(id, file);
  }

  /** Starts a validated request at once. Throws BusyError (with `report`, or the runs `running` and `queued`). */
  start(req: ReportRequest): ReportRecord {
    if (this.closed) throw new BusyError('the server is shutting down', this.o.runs());
    const other = this.active?.record.id;
    if (other) throw new BusyError(`report ${other} is running; one report at a time: wait for it, or cancel it (DELETE /api/reports/${other})`, { report: other });
    const runs = this.o.runs();
    if (runs.running || runs.queued)
      throw new BusyError(
        `a run is ${runs.running ? 'running' : 'queued'}${runs.queued ? ` (${runs.queued} waiting)` : ''}: a report cannot start beside runs (the probes and the machine are shared); wait until they end, or cancel them`,
        runs,
      );
    const watch = this.o.watch?.();
    if (watch)
      throw new BusyError(
        `watch ${watch} has the probes: a report cannot start until it ends (the probes count one thing at a time); stop it (DELETE /api/watches/${watch})`,
        { watch },
      );
    const { matrix } = req;
    let id = req.resumeId;
    if (id) {
      if (this.get(id)?.external) throw new BusyError(`report ${id} is being run by another process (zcl report); wait for it`, { report: id });
    } else id = this.directory.newId(matrix.name, (x) => this.own.has(x));
    const record = newReportRecord(id, matrix, req.scenario);
    this.own.set(id, record);
    this.directory.create(id);
    const a: Active = { record, ac: new AbortController(), done: Promise.resolve(), runs: 0, lastProgress: 0 };
    this.active = a;
    this.save(record);
    this.emit('started', record);
    a.done = this.execute(a, matrix, !!req.resumeId).finally(() => {
      if (this.active === a) this.active = undefined;
    });
    return this.directory.withLinks(record);
  }

  /**
   * Cancels the running report; resolves with it when its run in flight has
   * cleaned up and the report of what is done is written. Throws NotFoundError,
   * or ConflictError when it ended otherwise than cancelled (before, or
   * meanwhile: a report whose last run was past cancelling ends complete or
   * failed), or another process runs it.
   */
  async cancel(id: string): Promise<ReportRecord> {
    const a = this.active;
    if (a && a.record.id === id) {
      a.reason ??= 'cancelled';
      a.ac.abort();
      await a.done;
    }
    const report = this.find(id);
    if (report.external) throw new ConflictError(`report ${id} is being run by another process (zcl report); stop it there (Ctrl-C)`);
    if (a?.record.id !== id || report.status !== 'cancelled') throw new ConflictError(`report ${id} has ended ${report.status}: it was not cancelled`, { report });
    return report;
  }

  async close(): Promise<void> {
    this.closed = true;
    const a = this.active;
    if (a) {
      a.reason ??= 'interrupted';
      a.ac.abort();
      await a.done;
    }
  }

  private async execute(a: Active, matrix: Matrix, resume: boolean): Promise<void> {
    const { record } = a;
    try {
      const outcome = await runMatrix(matrix, {
        outDir: this.directory.path(record.id),
        resume,
        signal: a.ac.signal,
        probes: (spec) => this.o.probes(spec),
        onProgress: (p) => this.onProgress(a, p),
        // The transfer in flight streams sample frames for the live charts, as a live run does.
        onSession: (session) => {
          const live = a.live;
          if (!live) return;
          session.on((e) => {
            if (e.type === 'sample' && this.active === a && a.live === live) this.o.broadcast(JSON.stringify(sampleFrame(live.runId, live.seq++, e)), 'sample');
          });
        },
        startRun: this.o.startRun,
      });
      record.status = outcome.status === 'interrupted' ? (a.reason ?? 'interrupted') : outcome.status;
      record.runs = outcome.runs;
      record.failedCells = outcome.failedCells.map((c) => ({ label: c.label, error: c.error }));
      if (outcome.status === 'failed') record.error = `${outcome.failedCells.length} cell${outcome.failedCells.length === 1 ? '' : 's'} failed (the others ran): ${outcome.failedCells.map((c) => `${c.label}: ${c.error}`).join('; ')}`;
    } catch (e) {
      record.status = e instanceof CancelledError ? (a.reason ?? 'interrupted') : 'error';
      if (record.status === 'error') record.error = (e as Error).message ?? String(e);
      this.o.log?.(`report ${record.id}: ${record.error ?? record.status}`);
    }
    record.finishedAt = new Date().toISOString();
    if (record.status === 'cancelled') record.error = 'cancelled; the report shows the runs done before';
    if (record.status === 'interrupted') record.error = 'the server stopped during it; the report shows the runs done before (resume it with {"resume": true})';
    delete record.progress;
    this.save(record);
    if (this.active === a) this.active = undefined;
    this.emit('ended', record);
  }

  private onProgress(a: Active, p: MatrixProgress): void {
    const rec = a.record;
    const { event, cell, result: _result, error: _error, label, rep, warmup, bytes, bytesTotal, ...counts } = p;
    const progress: ReportProgress = {
      ...counts,
      ...(label !== undefined ? { label, spec: cell?.spec, rep, warmup } : {}),
      ...(bytes !== undefined ? { bytes, bytesTotal } : {}),
    };
    if (event === 'run-start') a.live = { runId: `${rec.id}#${++a.runs}`, seq: 0 };
    if (event !== 'end' && event !== 'run-end' && a.live) progress.runId = a.live.runId;
    if (event === 'end') return; // the outcome follows
    rec.progress = progress;
    if (event === 'run-start') this.emit('run-start', rec);
    else if (event === 'run-end') this.emit('run-end', rec);
    else if (event === 'start') this.emit('progress', rec, 'run');
    else {
      const now = performance.now();
      if (now - a.lastProgress < 1000 / REPORT_PROGRESS_HZ) return;
      a.lastProgress = now;
      this.emit('progress', rec, 'sample');
    }
  }

  private save(r: ReportRecord): void {
    try {
      this.directory.saveSidecar(r);
    } catch (e) {
      this.o.log?.(`report ${r.id}: cannot save its state: ${(e as Error).message}`);
    }
  }

  private emit(event: ReportEvent, record: ReportRecord, kind: 'sample' | 'run' = 'run'): void {
    const frame: ReportFrame = { type: 'report', event, report: this.directory.withLinks(record) };
    this.o.broadcast(JSON.stringify(frame), kind);
  }
}
