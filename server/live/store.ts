// Finished runs as JSON files in the results directory (labDir('results')), one
// file per run (session/run-record.ts saves them: the server's runs, origin
// 'dashboard', and `zcl run`'s, origin 'cli'), loaded at start so a restart
// keeps the history. A plain RunResult file (e.g. `zcl run --json >
// results/x.json`) is read as a finished run of the CLI too; anything else is
// skipped. The runs of the reports in the reports directory (labDir('reports'):
// <report>/runs.jsonl) are listed beside them, origin 'report', read-only.
//
// scan() is called whenever the list is asked for: it stats every file and
// reads again only those whose mtime or size changed (and the runs.jsonl of a
// report that grew), so runs of `zcl run` and `zcl report` show without a
// restart.
//
// A run is saved when it starts too (state 'running', with its server's mark):
// one found so whose server is gone was lost in a crash; it is marked
// 'interrupted' and saved back. One whose server still runs is another live
// server's (or this one's, running now), and is left alone (skipped).
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { ownerAlive } from '../core/owner.js';
import { join } from 'node:path';
import type { RunResult } from '../run/result.js';
import { latestRecords, MATRIX_FILE, readRuns, RUNS_FILE } from '../report/store.js';
import { finishedRecord, RUN_ID, saveRunRecord } from '../session/run-record.js';
import { FINAL_STATES, type RunRecord } from './frames.js';

const ID = RUN_ID;
/** A report directory's name (report/directory.ts). */
const REPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

type Skip = { file: string; reason: string };
interface Scan { records: RunRecord[]; skipped: Skip[]; interrupted: RunRecord[] }

export class ResultStore {
  /** Files read, by name, with what they were when read: read again only when their mtime or size changes. */
  private files = new Map<string, { key: string; record?: RunRecord; skip?: string }>();
  /** Report directories read, by id: their runs.jsonl's and matrix.json's mtime and size when read. */
  private reports = new Map<string, { key: string; records: RunRecord[] }>();

  /** @param reportsDir where reports are (their runs are listed, origin 'report'); none: no report runs. */
  constructor(readonly dir: string, readonly reportsDir?: string) {}

  /** Every stored run, newest first, plus the files that could not be read and why. */
  load(): Scan {
    return this.scan();
  }

  /**
   * Every run in the results directory and the reports, newest first (cached by the files' mtime and
   * size); the files it skipped and why; the runs it found interrupted now (and saved back so).
   */
  scan(): Scan {
    const out: Scan = { records: [], skipped: [], interrupted: [] };
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch (e) {
      out.skipped.push({ file: this.dir, reason: (e as Error).message });
    }
    const seen = new Set(names);
    for (const k of this.files.keys()) if (!seen.has(k)) this.files.delete(k);
    for (const name of names) this.scanFile(name, out);
    if (this.reportsDir) out.records.push(...this.reportRuns());
    // One record per id (a report's run is never in the results directory, but a copy could be).
    const byId = new Map<string, RunRecord>();
    for (const r of out.records) if (!byId.has(r.id)) byId.set(r.id, r);
    out.records = [...byId.values()].sort((a, b) => endTime(b) - endTime(a));
    return out;
  }

  save(record: RunRecord): void {
    saveRunRecord(this.dir, record);
  }

  private scanFile(name: string, out: Scan): void {
    const path = join(this.dir, name);
    let st: Stats | undefined;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch (e) {
      out.skipped.push({ file: name, reason: (e as Error).message });
      return;
    }
    if (!st) {
      this.files.delete(name);
      return;
    }
    const key = `${st.mtimeMs}/${st.size}`;
    const cached = this.files.get(name);
    if (cached?.key === key) {
      if (cached.record) out.records.push(cached.record);
      else out.skipped.push({ file: name, reason: cached.skip! });
      return;
    }
    try {
      const j = JSON.parse(readFileSync(path, 'utf8'));
      const started = asStarted(j);
      if (started) {
        // Not cached: whether its server is alive can change while the file does not.
        if (ownerAlive(started.owner!)) {
          out.skipped.push({ file: name, reason: `run ${started.id} is running in another server (process ${started.owner!.split(':')[0]})` });
          return;
        }
        markInterrupted(started);
        try {
          this.save(started);
        } catch (e) {
          out.skipped.push({ file: name, reason: `marked interrupted, but cannot save it: ${(e as Error).message}` });
        }
        out.interrupted.push(started);
        out.records.push(started);
        return;
      }
      const r = asRecord(j);
      if (r) out.records.push(r);
      else out.skipped.push({ file: name, reason: 'not a run record or RunResult' });
      this.files.set(name, r ? { key, record: r } : { key, skip: 'not a run record or RunResult' });
    } catch (e) {
      // Not cached either: a file being written may read well the next time.
      out.skipped.push({ file: name, reason: (e as Error).message });
    }
  }

  /** The finished runs of every report in the reports directory (warmups left out), cached by runs.jsonl's mtime and size. */
  private reportRuns(): RunRecord[] {
    let ids: string[] = [];
    try {
      ids = readdirSync(this.reportsDir!, { withFileTypes: true }).filter((d) => d.isDirectory() && REPORT_ID.test(d.name)).map((d) => d.name);
    } catch {
      return [];
    }
    const seen = new Set(ids);
    for (const k of this.reports.keys()) if (!seen.has(k)) this.reports.delete(k);
    const out: RunRecord[] = [];
    for (const id of ids) {
      const dir = join(this.reportsDir!, id);
      const runs = statSync(join(dir, RUNS_FILE), { throwIfNoEntry: false });
      if (!runs) {
        this.reports.delete(id);
        continue;
      }
      const matrix = statSync(join(dir, MATRIX_FILE), { throwIfNoEntry: false });
      const key = `${runs.mtimeMs}/${runs.size}/${matrix?.mtimeMs}`;
      let cached = this.reports.get(id);
      if (cached?.key !== key) {
        cached = { key, records: readReportRuns(dir, id) };
        this.reports.set(id, cached);
      }
      out.push(...cached.records);
    }
    return out;
  }
}

/** A report directory's finished runs as records (origin 'report'), named by its matrix. */
function readReportRuns(dir: string, id: string): RunRecord[] {
  let name = id;
  try {
    const m = JSON.parse(readFileSync(join(dir, MATRIX_FILE), 'utf8'));
    if (typeof m?.name === 'string') name = m.name;
  } catch {
    /* no matrix.json: the directory's name */
  }
  const out: RunRecord[] = [];
  for (const r of latestRecords(readRuns(dir))) {
    if (r.warmup || !r.ok || !isResult(r.result)) continue;
    out.push(finishedRecord(r.result, { origin: 'report', report: { id, name, cell: r.cellId, rep: r.rep } }));
  }
  return out;
}

export function endTime(r: RunRecord): number {
  return Date.parse(r.endedAt ?? r.startedAt ?? r.queuedAt) || 0;
}

/** A record saved when its run started (state 'running' or 'queued', with its server's mark). */
function asStarted(j: unknown): RunRecord | undefined {
  if (!j || typeof j !== 'object') return undefined;
  const o = j as Record<string, unknown>;
  if (typeof o.id === 'string' && ID.test(o.id) && (o.state === 'running' || o.state === 'queued') && typeof o.owner === 'string' && /^\d+:\d+$/.test(o.owner) && o.spec && typeof o.spec === 'object' && typeof o.queuedAt === 'string')
    return o as unknown as RunRecord;
  return undefined;
}

/** A run whose server died during it: a final state, and what happened. */
function markInterrupted(r: RunRecord): void {
  const pid = r.owner?.split(':')[0];
  const at = r.phase ? ` (phase: ${r.phase})` : '';
  r.state = 'interrupted';
  r.endedAt = new Date().toISOString();
  r.error = {
    name: 'Interrupted',
    message: `the server stopped during the run${at}: its process ${pid} is gone (killed, crashed, or the machine restarted); nothing of the run was kept; run it again`,
  };
  delete r.phase;
  delete r.owner;
}

function isResult(o: unknown): o is RunResult {
  if (!o || typeof o !== 'object') return false;
  const r = o as Record<string, unknown>;
  return typeof r.id === 'string' && ID.test(r.id) && typeof r.mode === 'string' && typeof r.bytes === 'number' && typeof r.finishedAt === 'string' && typeof r.startedAt === 'string';
}

function asRecord(j: unknown): RunRecord | undefined {
  if (!j || typeof j !== 'object') return undefined;
  const o = j as Record<string, unknown>;
  if (typeof o.id === 'string' && ID.test(o.id) && typeof o.state === 'string' && FINAL_STATES.includes(o.state as never) && o.spec && typeof o.spec === 'object' && typeof o.queuedAt === 'string') {
    const r = o as unknown as RunRecord;
    // A report's run is never read from here (the reports are read-only); a server's own are 'dashboard'.
    if (r.origin !== 'cli') r.origin = 'dashboard';
    delete r.report;
    return r;
  }
  // A bare RunResult (`zcl run --json > results/x.json`).
  if (isResult(o)) return finishedRecord(o, { origin: 'cli' });
  return undefined;
}
