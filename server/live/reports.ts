// The server's reports: a scenario matrix run inside the server process
// (POST /api/reports), with the same runMatrix and the same files as `zcl
// report`, each in its own directory under the reports directory
// (labDir('reports')): <name>-<yyyymmdd-hhmmss>/. Directories already there
// (earlier servers, `zcl report` runs) are listed too, so a restart keeps
// the list.
//
// One report at a time, and never beside a live run: the probes and the
// machine are shared, and a run beside a report would disturb both. The
// server refuses a report while a run is running or queued, and the Runner
// refuses runs (its `busy` hook) while a report runs.
//
// Progress goes to every WebSocket client as 'report' frames (run-start,
// run-end and the end always; the bytes of the run in flight at most 4 times
// a second), and the transfer in flight streams ordinary sample frames (10 Hz)
// so the live charts and the flow diagram show it.
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ProbeSetup } from '../probes/select.js';
import { loadMatrixFile, parseMatrix, plannedRuns, REPORT_FILES, type Matrix } from '../report/index.js';
import { runMatrix, type MatrixProgress, type RunMatrixOptions } from '../session/matrix.js';
import { CancelledError } from '../core/errors.js';
import type { RunResult } from '../run/result.js';
import { privilegeProblems } from '../core/machine.js';
import { InputError, type RunSpec } from '../schema/run-spec.js';
import { REPORT_FINAL_STATES, type ReportEvent, type ReportFileLinks, type ReportFrame, type ReportProgress, type ReportRecord, sampleFrame } from './frames.js';
import { isAlive } from '../core/process.js';

/** 'progress' report frames per second at most (the transfer reports its bytes at 10 Hz). */
export const REPORT_PROGRESS_HZ = 4;

/** The four files a report directory serves, by their key in ReportRecord.files. */
export const REPORT_FILE_NAMES = { html: REPORT_FILES.html, md: REPORT_FILES.markdown, json: REPORT_FILES.json, csv: REPORT_FILES.csv } as const;
export type ReportFileKey = keyof typeof REPORT_FILE_NAMES;
const SERVABLE = new Set<string>(Object.values(REPORT_FILE_NAMES));

/** What this server remembers of a report it ran, kept in its directory (never served). */
const SIDECAR = '.zcl-serve.json';
const LOCK = '.lock';
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ScenarioInfo {
  /** The file's name without .json: what POST /api/reports takes as `scenario`. */
  name: string;
  /** scenarios/<name>.json */
  file: string;
  description: string;
  /** Runs it makes (cells x (repetitions + warmup)). */
  runs: number;
  cells: number;
  repetitions: number;
  warmup: number;
  /** The matrix's own name (names its reports). */
  matrixName: string;
  /** Bytes it moves in all. */
  bytes: number;
  /** Set when the file does not validate (then it cannot be started). */
  error?: string;
}

export interface ReportManagerOptions {
  /** Where report directories are (labDir('reports')). */
  dir: string;
  /** The shipped matrices (scenarios/*.json). */
  scenariosDir: string;
  probes(spec: RunSpec): ProbeSetup;
  /** Why a report cannot start now (a run is running or queued), or undefined. */
  busy(): string | undefined;
  broadcast(data: string, kind: 'sample' | 'run'): void;
  log?(line: string): void;
  /** Stands in for startRun (tests). */
  startRun?: RunMatrixOptions['startRun'];
}

/** A report refused because something else has the machine, or another report runs. */
export class ReportBusyError extends Error {
  constructor(message: string, readonly report?: string) {
    super(message);
    this.name = 'ReportBusyError';
  }
}

export interface ReportRequest {
  matrix: Matrix;
  scenario?: string;
  /** Continue this report (its directory) instead of starting a new one. */
  resumeId?: string;
}

/** The report's transfer in flight, as the live charts see it. */
interface Live {
  runId: string;
  seq: number;
}

interface Active {
  record: ReportRecord;
  ac: AbortController;
  reason?: 'cancelled' | 'interrupted';
  done: Promise<void>;
  live?: Live;
  runs: number;
  lastProgress: number;
}

type Scanned = { key: string; record: ReportRecord };

export class ReportManager {
  /** Reports this server started (or resumed), by id. */
  private own = new Map<string, ReportRecord>();
  /** Directories found on disk, cached by what they looked like. */
  private scanned = new Map<string, Scanned>();
  private active: Active | undefined;
  private closed = false;

  constructor(private readonly o: ReportManagerOptions) {}

  get dir(): string {
    return this.o.dir;
  }

  /** The running report, if any. */
  get current(): ReportRecord | undefined {
    return this.active ? this.view(this.active.record) : undefined;
  }

  /** The shipped scenario matrices, each validated (a bad one carries its error). */
  scenarios(): ScenarioInfo[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.o.scenariosDir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch (e) {
      this.o.log?.(`scenarios: ${(e as Error).message}`);
    }
    return names.map((n) => {
      const name = n.slice(0, -'.json'.length);
      const file = `scenarios/${n}`;
      try {
        const m = loadMatrixFile(join(this.o.scenariosDir, n));
        return {
          name, file, description: m.description, runs: plannedRuns(m), cells: m.cells.length, repetitions: m.repetitions, warmup: m.warmup, matrixName: m.name,
          bytes: m.cells.reduce((a, c) => a + c.spec.sizeBytes, 0) * (m.repetitions + m.warmup),
        };
      } catch (e) {
        const message = e instanceof InputError ? e.issues.map((i) => `${i.field}: ${i.message}`).join('; ') : (e as Error).message;
        return { name, file, description: '', runs: 0, cells: 0, repetitions: 0, warmup: 0, matrixName: name, bytes: 0, error: message };
      }
    });
  }

  /**
   * Validates a POST /api/reports body: {scenario: name} or {matrix: {...}}, and
   * optionally resume (true: the newest unfinished report of that matrix; or a
   * report id). Throws InputError naming the field (JSON path) and the allowed values.
   */
  parseRequest(body: unknown): ReportRequest {
    const KEYS = ['scenario', 'matrix', 'resume'];
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new InputError([{ field: '(body)', message: 'must be a JSON object: {"scenario": "<name>"} or {"matrix": {...}}, optionally with "resume"' }], 'report request');
    const b = body as Record<string, unknown>;
    const unknown = Object.keys(b).filter((k) => !KEYS.includes(k));
    if (unknown.length)
      throw new InputError([{ field: unknown[0], message: `unknown field(s) ${unknown.map((k) => `'${k}'`).join(', ')}; allowed: ${KEYS.join(', ')}` }], 'report request');
    const shipped = this.scenarios().filter((s) => !s.error);
    const names = shipped.map((s) => s.name).join(', ');
    if ((b.scenario === undefined) === (b.matrix === undefined))
      throw new InputError(
        [{ field: b.scenario === undefined ? 'scenario' : 'matrix', message: `give exactly one of "scenario" (allowed: ${names}) or "matrix" (an inline matrix: {name, base, axes, repetitions, warmup})` }],
        'report request',
      );
    let matrix: Matrix;
    let scenario: string | undefined;
    if (b.scenario !== undefined) {
      if (typeof b.scenario !== 'string')
        throw new InputError([{ field: 'scenario', message: `must be the name of a shipped scenario; allowed: ${names}` }], 'report request');
      const want = b.scenario.replace(/^scenarios\//, '').replace(/\.json$/, '');
      const found = shipped.find((s) => s.name === want);
      if (!found) {
        const broken = this.scenarios().find((s) => s.name === want && s.error);
        throw new InputError(
          [{ field: 'scenario', message: broken ? `scenarios/${want}.json does not validate: ${broken.error}` : `unknown scenario '${b.scenario.slice(0, 80)}'; allowed: ${names}` }],
          'report request',
        );
      }
      matrix = loadMatrixFile(join(this.o.scenariosDir, `${found.name}.json`));
      matrix.source = found.file;
      scenario = found.name;
    } else {
      try {
        matrix = parseMatrix(b.matrix, 'matrix');
      } catch (e) {
        if (e instanceof InputError) throw new InputError(e.issues.map((i) => ({ field: i.field === '(root)' ? 'matrix' : `matrix.${i.field}`, message: i.message })), 'report request');
        throw e;
      }
      matrix.source = 'inline matrix (POST /api/reports)';
    }
    const labels = new Map(matrix.cells.map((c) => [c.id, `${c.spec.mode} over ${c.spec.path}`]));
    const problems = [...new Set(matrix.cells.flatMap((c) => privilegeProblems(c.spec).map((m) => `${labels.get(c.id)}: ${m}`)))];
    if (problems.length) throw new InputError(problems.map((message) => ({ field: scenario ? 'scenario' : 'matrix', message })), 'report request');

    let resumeId: string | undefined;
    if (b.resume !== undefined && b.resume !== false) {
      const same = this.list().filter((r) => r.name === matrix.name);
      const ids = same.map((r) => r.id).join(', ') || '(none)';
      if (b.resume === true) {
        const r = same.find((x) => x.status !== 'complete' && x.status !== 'running');
        if (!r)
          throw new InputError(
            [{ field: 'resume', message: `no unfinished report of '${matrix.name}' to resume (reports of it: ${ids}); give a report id to rewrite a complete one, or leave resume out to start a new one` }],
            'report request',
          );
        resumeId = r.id;
      } else if (typeof b.resume === 'string') {
        const r = same.find((x) => x.id === b.resume);
        if (!r)
          throw new InputError([{ field: 'resume', message: `no report '${b.resume.slice(0, 80)}' of '${matrix.name}'; allowed: true (the newest unfinished one) or one of: ${ids}` }], 'report request');
        resumeId = r.id;
      } else throw new InputError([{ field: 'resume', message: `must be true, false or a report id of '${matrix.name}' (${ids})` }], 'report request');
    }
    return { matrix, scenario, resumeId };
  }

  /** Every report, newest first: this server's and the directories on disk. */
  list(limit = 200): ReportRecord[] {
    const out = new Map<string, ReportRecord>();
    for (const r of this.own.values()) out.set(r.id, this.view(r));
    for (const r of this.scan()) if (!out.has(r.id)) out.set(r.id, r);
    return [...out.values()].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id.localeCompare(a.id)).slice(0, limit);
  }

  get(id: string): ReportRecord | undefined {
    if (!ID.test(id)) return undefined;
    const own = this.own.get(id);
    if (own) return this.view(own);
    return this.scanOne(id);
  }

  /**
   * Opens the file of a report a client may read: one of the four report
   * files, in a report directory, a regular file with one link; undefined
   * otherwise. The caller reads from the fd and closes it.
   */
  openFile(id: string, file: string): { fd: number; size: number } | undefined {
    if (!ID.test(id) || !SERVABLE.has(file)) return undefined;
    let dirFd: number | undefined;
    let fd: number | undefined;
    try {
      // The report's directory, not a link to one; then the file inside that very
      // directory (through its fd: no swap between the check and the open), not
      // a symbolic link, a regular file with no other name (a hard link to a
      // file elsewhere has two).
      dirFd = openSync(join(this.o.dir, id), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      fd = openSync(`/proc/self/fd/${dirFd}/${file}`, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const st = fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1) {
        closeSync(fd);
        return undefined;
      }
      return { fd, size: st.size };
    } catch {
      if (fd !== undefined) closeSync(fd);
      return undefined;
    } finally {
      if (dirFd !== undefined) closeSync(dirFd);
    }
  }

  /** Starts a validated request at once. Throws ReportBusyError. */
  start(req: ReportRequest): ReportRecord {
    if (this.closed) throw new ReportBusyError('the server is shutting down');
    if (this.active) throw new ReportBusyError(`report ${this.active.record.id} is running; one report at a time: wait for it, or cancel it (DELETE /api/reports/${this.active.record.id})`, this.active.record.id);
    const busy = this.o.busy();
    if (busy) throw new ReportBusyError(busy);
    const { matrix } = req;
    let id = req.resumeId;
    if (id) {
      const existing = this.get(id);
      if (existing?.external) throw new ReportBusyError(`report ${id} is being run by another process (zcl report); wait for it`, id);
    } else id = this.newId(matrix.name);
    const record: ReportRecord = {
      id,
      name: matrix.name,
      description: matrix.description,
      ...(req.scenario ? { scenario: req.scenario } : {}),
      status: 'running',
      startedAt: new Date().toISOString(),
      files: {},
      cells: matrix.cells.length,
      repetitions: matrix.repetitions,
      warmup: matrix.warmup,
      progress: { done: 0, total: plannedRuns(matrix), failed: 0, resumed: 0, etaSeconds: null },
    };
    this.own.set(id, record);
    mkdirSync(join(this.o.dir, id), { recursive: true });
    const a: Active = { record, ac: new AbortController(), done: Promise.resolve(), runs: 0, lastProgress: 0 };
    this.active = a;
    this.saveSidecar(record);
    this.emit('started', record);
    a.done = this.execute(a, matrix, !!req.resumeId).finally(() => {
      if (this.active === a) this.active = undefined;
    });
    return this.view(record);
  }

  /**
   * Cancels the running report; resolves when its run in flight has cleaned up
   * and the report of what is done is written. 'cancelled' only when it ended
   * cancelled; 'final' when it had ended, or ended otherwise meanwhile.
   */
  async cancel(id: string): Promise<'cancelled' | 'final' | 'unknown' | 'external'> {
    const a = this.active;
    if (a && a.record.id === id) {
      a.reason ??= 'cancelled';
      a.ac.abort();
      await a.done;
      // What really happened: a report whose last run was past cancelling ends complete (or failed).
      return a.record.status === 'cancelled' ? 'cancelled' : 'final';
    }
    const r = this.get(id);
    if (!r) return 'unknown';
    return r.external ? 'external' : 'final';
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

  private newId(name: string): string {
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
    const base = `${name}-${stamp}`.slice(0, 120);
    let id = base;
    for (let i = 2; this.own.has(id) || existsSync(join(this.o.dir, id)); i++) id = `${base}-${i}`;
    return id;
  }

  private async execute(a: Active, matrix: Matrix, resume: boolean): Promise<void> {
    const { record } = a;
    try {
      const outcome = await runMatrix(matrix, {
        outDir: join(this.o.dir, record.id),
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
    this.saveSidecar(record);
    if (this.active === a) this.active = undefined;
    this.emit('ended', record);
  }

  private onProgress(a: Active, p: MatrixProgress): void {
    const rec = a.record;
    const progress: ReportProgress = {
      done: p.done,
      total: p.total,
      failed: p.failed,
      resumed: p.resumed,
      etaSeconds: p.etaSeconds,
      ...(p.label !== undefined ? { label: p.label, spec: p.cell?.spec, rep: p.rep, warmup: p.warmup } : {}),
      ...(p.bytes !== undefined ? { bytes: p.bytes, bytesTotal: p.bytesTotal } : {}),
    };
    if (p.event === 'run-start') a.live = { runId: `${rec.id}#${++a.runs}`, seq: 0 };
    if (p.event !== 'end' && p.event !== 'run-end' && a.live) progress.runId = a.live.runId;
    if (p.event === 'end') return; // the outcome follows
    rec.progress = progress;
    if (p.event === 'run-start') this.emit('run-start', rec);
    else if (p.event === 'run-end') this.emit('run-end', rec);
    else if (p.event === 'start') this.emit('progress', rec, 'run');
    else {
      const now = performance.now();
      if (now - a.lastProgress < 1000 / REPORT_PROGRESS_HZ) return;
      a.lastProgress = now;
      this.emit('progress', rec, 'sample');
    }
  }

  private emit(event: ReportEvent, record: ReportRecord, kind: 'sample' | 'run' = 'run'): void {
    const frame: ReportFrame = { type: 'report', event, report: this.view(record) };
    this.o.broadcast(JSON.stringify(frame), kind);
  }

  /** A record as clients see it: with links to the files that exist now. */
  private view(r: ReportRecord): ReportRecord {
    return { ...r, files: this.links(r.id) };
  }

  private links(id: string): ReportFileLinks {
    const out: ReportFileLinks = {};
    for (const [key, file] of Object.entries(REPORT_FILE_NAMES) as [ReportFileKey, string][])
      if (existsSync(join(this.o.dir, id, file))) out[key] = `/reports/${encodeURIComponent(id)}/${file}`;
    return out;
  }

  private saveSidecar(r: ReportRecord): void {
    try {
      const { files: _files, progress: _progress, ...keep } = r;
      const dir = join(this.o.dir, r.id);
      const tmp = join(dir, `${SIDECAR}.tmp`);
      writeFileSync(tmp, JSON.stringify(keep, null, 1) + '\n');
      renameSync(tmp, join(dir, SIDECAR));
    } catch (e) {
      this.o.log?.(`report ${r.id}: cannot save its state: ${(e as Error).message}`);
    }
  }

  /** The report directories on disk (not this server's own), cached by their files' times. */
  private scan(): ReportRecord[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.o.dir, { withFileTypes: true }).filter((d) => d.isDirectory() && ID.test(d.name)).map((d) => d.name);
    } catch {
      return [];
    }
    const out: ReportRecord[] = [];
    const seen = new Set<string>();
    for (const id of names) {
      if (this.own.has(id)) continue;
      seen.add(id);
      const r = this.scanOne(id);
      if (r) out.push(r);
    }
    for (const k of this.scanned.keys()) if (!seen.has(k)) this.scanned.delete(k);
    return out;
  }

  private scanOne(id: string): ReportRecord | undefined {
    const dir = join(this.o.dir, id);
    const stat = (f: string) => statSync(join(dir, f), { throwIfNoEntry: false });
    const st = { side: stat(SIDECAR), results: stat(REPORT_FILES.json), matrix: stat('matrix.json'), runs: stat('runs.jsonl'), lock: stat(LOCK), html: stat(REPORT_FILES.html) };
    if (!st.side && !st.results && !st.matrix && !st.runs && !st.html) return undefined;
    const lockPid = st.lock ? Number(safeRead(join(dir, LOCK))?.trim()) : 0;
    const external = !!lockPid && lockPid !== process.pid && isAlive(lockPid);
    const key = [st.side?.mtimeMs, st.results?.mtimeMs, st.results?.size, st.matrix?.mtimeMs, st.runs?.mtimeMs, external].join('/');
    const cached = this.scanned.get(id);
    if (cached?.key === key) return { ...cached.record, files: this.links(id) };

    let record: ReportRecord | undefined;
    const side = st.side ? safeJson(join(dir, SIDECAR)) : undefined;
    if (side && typeof side.name === 'string' && typeof side.status === 'string' && typeof side.startedAt === 'string') {
      record = { ...(side as unknown as ReportRecord), id, files: {} };
      // A server that stopped without writing its end (a crash): its report was interrupted.
      if (record.status === 'running') {
        record.status = 'interrupted';
        record.error = 'the server stopped during it; the report shows the runs done before (resume it with {"resume": true})';
      }
    }
    if (!record) {
      const results = st.results ? safeJson(join(dir, REPORT_FILES.json)) : undefined;
      const matrix = (results?.matrix ?? (st.matrix ? safeJson(join(dir, 'matrix.json')) : undefined)) as Record<string, unknown> | undefined;
      const status = results && typeof results.status === 'string' && REPORT_FINAL_STATES.includes(results.status as never) ? (results.status as ReportRecord['status']) : 'interrupted';
      const startedAt = (st.matrix ?? st.runs ?? st.results ?? st.html)!.mtime.toISOString();
      record = {
        id,
        name: typeof matrix?.name === 'string' ? matrix.name : basename(dir),
        description: typeof matrix?.description === 'string' ? matrix.description : '',
        status,
        startedAt,
        ...(typeof results?.generatedAt === 'string' ? { finishedAt: results.generatedAt } : {}),
        files: {},
        ...(typeof matrix?.repetitions === 'number' ? { repetitions: matrix.repetitions } : {}),
        ...(typeof matrix?.warmup === 'number' ? { warmup: matrix.warmup } : {}),
        ...(Array.isArray(results?.cells) ? { cells: results.cells.length } : Array.isArray(matrix?.cells) ? { cells: (matrix.cells as unknown[]).length } : {}),
        ...(status === 'interrupted' ? { error: results ? 'interrupted; the report shows the runs done before' : 'interrupted before its report was written' } : {}),
      };
    }
    if (external) {
      record.status = 'running';
      record.external = true;
      delete record.finishedAt;
      record.error = `being run by another process (pid ${lockPid}, zcl report)`;
    }
    this.scanned.set(id, { key, record });
    return { ...record, files: this.links(id) };
  }
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function safeJson(path: string): Record<string, unknown> | undefined {
  const t = safeRead(path);
  if (t === undefined) return undefined;
  try {
    const j = JSON.parse(t);
    return j && typeof j === 'object' && !Array.isArray(j) ? j : undefined;
  } catch {
    return undefined;
  }
}

