// Runs a scenario matrix: warmup rounds, then the measured repetitions, each
// round one run of every cell (interleaved, so drift over time spreads evenly
// across cells). Every finished run is appended to <outDir>/runs.jsonl at once;
// a failed run marks its cell failed (its error recorded, its remaining runs
// skipped) and the rest go on; an abort stops after cleaning up the run in
// flight. Whatever happened, the reports are written from what is done.
import { linearRegression } from 'simple-statistics';
import { plannedRuns, type Matrix, type MatrixCell } from '../schema/matrix.js';
import type { RunSpec } from '../schema/run-spec.js';
import { CancelledError } from '../core/errors.js';
import type { RunResult } from '../run/result.js';
import { probeSetup, type ProbeSetup } from '../probes/select.js';
import { captureEnvironment, type Environment } from '../report/environment.js';
import { cellLabels, isRefusal, refusalOf } from '../report/model.js';
import type { ReportProgress } from '../report/record.js';
import { latestRecords, RunStore, type RunRecord } from '../report/store.js';
import { writeReports, type ReportFiles } from '../report/write.js';
import { startRun, type Session, type SessionOptions } from './session.js';

/** What runMatrix needs of a session: its result and its events. */
export type RunHandle = Pick<Session, 'result' | 'on'>;

/**
 * The report's progress (report/record.ts ReportProgress, the one progress
 * type) as the matrix runner reports it: with its event, the cell in flight
 * and each run's outcome. The cell's spec is `cell.spec`; the server adds the
 * live samples' runId.
 */
export interface MatrixProgress extends Omit<ReportProgress, 'spec' | 'runId'> {
  /** 'start' once, then per run 'run-start', 'transfer' (about 10 Hz), 'run-end'; 'end' once. */
  event: 'start' | 'run-start' | 'transfer' | 'run-end' | 'end';
  cell?: MatrixCell;
  result?: RunResult;
  error?: string;
  /** Set with error when the kernel refused the run (a feature it lacks), which is not a failure. */
  refused?: boolean;
}

export interface RunMatrixOptions {
  outDir: string;
  /** Keep the runs already in outDir/runs.jsonl and do only what is missing (failed runs are retried). */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?(p: MatrixProgress): void;
  /** The probes for each run (default: the libbpf engine, or the reason it cannot load). */
  probes?: ProbeSetup | ((spec: RunSpec) => ProbeSetup);
  /** Each run's session as it starts, with the task's place in the matrix (the live hub subscribes here). */
  onSession?(session: RunHandle, task: { cell: MatrixCell; label: string; rep: number; warmup: boolean }): void;
  /** The language report.html opens in (it holds both). */
  lang?: 'en' | 'zh';
  /** Stands in for startRun (tests). */
  startRun?: (spec: RunSpec, opts: SessionOptions) => RunHandle;
}

export interface MatrixOutcome {
  /** complete: every cell has all its repetitions; failed: some cell failed (the rest ran); interrupted: aborted. */
  status: 'complete' | 'failed' | 'interrupted';
  outDir: string;
  files: ReportFiles;
  /** planned: the plan's runs, warmups included; done: those that ended (ok or failed), kept ones included; resumed: kept from an earlier session. */
  runs: { planned: number; done: number; failed: number; resumed: number };
  failedCells: { id: string; label: string; error: string }[];
  /** Cells the kernel refused (a mode needing a feature it lacks, ZCL_KERNEL_UNSUPPORTED): not failures; the matrix can still be complete. */
  refusedCells: { id: string; label: string; reason: string }[];
}

interface Task { cell: MatrixCell; rep: number; warmup: boolean }

export async function runMatrix(matrix: Matrix, opts: RunMatrixOptions): Promise<MatrixOutcome> {
  const store = new RunStore(opts.outDir);
  const earlier = store.open(matrix, { resume: !!opts.resume });
  try {
    // The probes of each run: its RunSpec's engine, unless the caller decides.
    const given = opts.probes;
    const setupFor: (spec: RunSpec) => ProbeSetup =
      typeof given === 'function' ? given : given ? () => given : (spec) => probeSetup(true, spec.engine);
    const engines = new Map<string, ProbeSetup>();
    for (const c of matrix.cells) if (!engines.has(c.spec.engine)) engines.set(c.spec.engine, setupFor(c.spec));
    const environment: Environment = captureEnvironment([...engines.values()]);
    const start = opts.startRun ?? startRun;
    const labels = cellLabels(matrix.cells);
    const ids = new Set(matrix.cells.map((c) => c.id));
    const okBefore = new Set(
      latestRecords(earlier).filter((r) => ids.has(r.cellId) && r.ok && !r.warmup).map((r) => `${r.cellId}/${r.rep}`),
    );
    const pending = (cell: MatrixCell) => {
      let n = 0;
      for (let rep = 1; rep <= matrix.repetitions; rep++) if (!okBefore.has(`${cell.id}/${rep}`)) n++;
      return n;
    };
    const tasks: Task[] = [];
    for (let w = 1; w <= matrix.warmup; w++) for (const cell of matrix.cells) if (pending(cell)) tasks.push({ cell, rep: w, warmup: true });
    for (let rep = 1; rep <= matrix.repetitions; rep++)
      for (const cell of matrix.cells) if (!okBefore.has(`${cell.id}/${rep}`)) tasks.push({ cell, rep, warmup: false });
    // One count of runs everywhere (the progress line, the summary, the report): the plan's runs, warmups
    // included (plannedRuns: cells x (repetitions + warmup)); done: those that ended (ok or failed), this
    // session or kept from an earlier one (latest record per cell, repetition and warmup).
    const runKey = (r: { cellId: string; rep: number; warmup: boolean }) => `${r.cellId}/${r.warmup ? 'w' : 'r'}${r.rep}`;
    const ended = new Set(latestRecords(earlier).filter((r) => ids.has(r.cellId)).map(runKey));
    // kept: ended before and not run again now (a failed run retried is this session's)
    const again = new Set(tasks.map((t) => runKey({ cellId: t.cell.id, rep: t.rep, warmup: t.warmup })));
    const resumed = [...ended].filter((k) => !again.has(k)).length;

    const failedCells = new Map<string, string>();
    const refusedCells = new Map<string, string>();
    const eta = new EtaModel();
    const total = plannedRuns(matrix);
    let failed = 0;
    let interrupted = false;
    const progress = (p: Omit<MatrixProgress, 'done' | 'total' | 'failed' | 'resumed' | 'etaSeconds'>) =>
      opts.onProgress?.({ ...p, done: ended.size, total, failed, resumed, etaSeconds: eta.remaining(remainingTasks()) });
    let cursor = 0;
    const remainingTasks = () => tasks.slice(cursor).filter((t) => !failedCells.has(t.cell.id)).map((t) => t.cell.spec.sizeBytes);

    progress({ event: 'start' });
    for (; cursor < tasks.length; cursor++) {
      const t = tasks[cursor];
      if (failedCells.has(t.cell.id)) continue;
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const label = labels.get(t.cell.id)!;
      const base = { cell: t.cell, label, rep: t.rep, warmup: t.warmup };
      progress({ event: 'run-start', ...base, bytes: 0, bytesTotal: t.cell.spec.sizeBytes });
      const t0 = performance.now();
      let record: RunRecord;
      // A signal per run: runTransfer listens on it, and the listener goes with the run.
      const runAbort = new AbortController();
      const forward = () => runAbort.abort();
      opts.signal?.addEventListener('abort', forward, { once: true });
      try {
        const session = start(t.cell.spec, { signal: runAbort.signal, probes: setupFor(t.cell.spec) });
        session.on((e) => {
          if (e.type === 'progress') progress({ event: 'transfer', ...base, bytes: e.bytes, bytesTotal: e.total });
        });
        opts.onSession?.(session, base);
        const result = await session.result;
        record = { cellId: t.cell.id, rep: t.rep, warmup: t.warmup, at: new Date().toISOString(), ok: true, result };
      } catch (e) {
        if (e instanceof CancelledError || opts.signal?.aborted) {
          interrupted = true;
          break;
        }
        const err = e as Error;
        record = {
          cellId: t.cell.id, rep: t.rep, warmup: t.warmup, at: new Date().toISOString(), ok: false,
          error: { name: err?.name ?? 'Error', message: err?.message ?? String(e) },
        };
      } finally {
        opts.signal?.removeEventListener('abort', forward);
      }
      store.append(record);
      eta.add(t.cell.spec.sizeBytes, (performance.now() - t0) / 1e3);
      ended.add(runKey({ cellId: t.cell.id, rep: t.rep, warmup: t.warmup }));
      if (!record.ok && isRefusal(record.error)) {
        // The kernel cannot run the mode: the cell's other runs would be refused too.
        refusedCells.set(t.cell.id, record.error.message);
        failedCells.set(t.cell.id, '');
      } else if (!record.ok) {
        failed++;
        failedCells.set(t.cell.id, `${t.warmup ? 'warmup ' : ''}run ${t.rep}: ${record.error.name}: ${record.error.message}`);
        // The cell's remaining runs are skipped (they stay not done).
      }
      progress({ event: 'run-end', ...base, ...(record.ok ? { result: record.result } : { error: record.error.message, ...(isRefusal(record.error) ? { refused: true } : {}) }) });
    }

    const records = latestRecords([...earlier, ...store.sessionRecords]).filter((r) => ids.has(r.cellId));
    const okNow = new Set(records.filter((r) => r.ok && !r.warmup).map((r) => `${r.cellId}/${r.rep}`));
    const refusedNow = new Set(matrix.cells.filter((c) => refusalOf(records.filter((r) => r.cellId === c.id)) !== null).map((c) => c.id));
    const complete = matrix.cells.every((c) => {
      if (refusedNow.has(c.id)) return true;
      for (let rep = 1; rep <= matrix.repetitions; rep++) if (!okNow.has(`${c.id}/${rep}`)) return false;
      return true;
    });
    const status: MatrixOutcome['status'] = interrupted ? 'interrupted' : complete ? 'complete' : 'failed';
    const { model: _model, ...files } = writeReports(opts.outDir, { matrix, environment, records, status }, opts.lang);
    progress({ event: 'end' });
    return {
      status,
      outDir: opts.outDir,
      files,
      runs: { planned: total, done: ended.size, failed, resumed },
      failedCells: [...failedCells].filter(([id]) => !refusedCells.has(id)).map(([id, error]) => ({ id, label: labels.get(id)!, error })),
      refusedCells: [...refusedCells].map(([id, reason]) => ({ id, label: labels.get(id)!, reason })),
    };
  } finally {
    store.close();
  }
}

/**
 * Seconds per run as a + b * bytes, fitted to the runs so far (the fixed part is
 * process and path setup); with one size only, the mean.
 */
export class EtaModel {
  private xs: number[] = [];
  private ys: number[] = [];

  add(bytes: number, seconds: number): void {
    this.xs.push(bytes);
    this.ys.push(seconds);
  }

  remaining(sizes: number[]): number | null {
    if (!this.xs.length) return null;
    const distinct = new Set(this.xs).size;
    if (distinct < 2) {
      const mean = this.ys.reduce((a, b) => a + b, 0) / this.ys.length;
      const perByte = mean / this.xs[0];
      // One size seen so far: scale by size, but never below the fixed cost it shows.
      return sizes.reduce((s, b) => s + Math.max(Math.min(mean, 0.3), perByte * b), 0);
    }
    const { m, b } = linearRegression(this.xs.map((x, i) => [x, this.ys[i]]));
    const slope = Math.max(m, 0);
    const intercept = Math.max(b, 0);
    return sizes.reduce((s, x) => s + intercept + slope * x, 0);
  }
}
