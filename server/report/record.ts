// A report as the server and its clients see it: its record (status, files,
// progress), kept in the report's directory (report/directory.ts) and sent in
// the API's answers and the WebSocket's 'report' frames (live/frames.ts).
import { plannedRuns, type Matrix } from '../schema/matrix.js';
import type { RunSpec } from '../schema/run-spec.js';

/**
 * A scenario matrix run by the server (POST /api/reports): its directory is
 * <reports dir>/<id>, the same layout `zcl report --out` writes.
 *   running      the matrix is being run (by this server, or by `zcl report` in another process: `external`)
 *   complete     every cell has all its repetitions
 *   failed       some cell failed (its error recorded); the others ran
 *   cancelled    DELETE /api/reports/:id; the report shows what was done
 *   interrupted  the server stopped (or the process crashed) during it; resume it with {resume: true}
 *   error        it could not run at all (e.g. its directory was locked); see `error`
 */
export type ReportStatus = 'running' | 'complete' | 'failed' | 'cancelled' | 'interrupted' | 'error';
export const REPORT_FINAL_STATES: readonly ReportStatus[] = ['complete', 'failed', 'cancelled', 'interrupted', 'error'];

/** The report files, as URLs under /reports/<id>/; only those that exist. */
export interface ReportFileLinks {
  html?: string;
  md?: string;
  json?: string;
  csv?: string;
}

/**
 * Where a matrix run is: the one progress type. The report runner
 * (session/matrix.ts MatrixProgress) adds its event and the cell; the server
 * adds the `runId` of the live samples.
 */
export interface ReportProgress {
  /** Runs finished in this session (ok or failed), of `total` (shrinks when a cell fails). */
  done: number;
  total: number;
  failed: number;
  /** Runs kept from an earlier session (resume). */
  resumed: number;
  /** The cell in flight, in words ("read-write · veth-nosg"), its spec and repetition. */
  label?: string;
  spec?: RunSpec;
  rep?: number;
  warmup?: boolean;
  /** Bytes moved by the run in flight. */
  bytes?: number;
  bytesTotal?: number;
  /** Seconds left, estimated from the runs so far (null before the first one ends). */
  etaSeconds: number | null;
  /** The `runId` of the sample frames of the transfer in flight (the live charts show it). */
  runId?: string;
}

export interface ReportRecord {
  /** Its directory's name under the reports directory. */
  id: string;
  /** The matrix's name. */
  name: string;
  description: string;
  /** The shipped scenario (scenarios/<scenario>.json) it was started from; absent for an inline matrix or a report found on disk. */
  scenario?: string;
  status: ReportStatus;
  startedAt: string;
  finishedAt?: string;
  files: ReportFileLinks;
  error?: string;
  /** While running (by this server). */
  progress?: ReportProgress;
  /** When it ended: runs planned, done, failed in the last session, and kept from earlier ones. */
  runs?: { planned: number; done: number; failed: number; resumed: number };
  failedCells?: { label: string; error: string }[];
  /** Cells and repetitions of the matrix. */
  cells?: number;
  repetitions?: number;
  warmup?: number;
  /** Being run by another process (`zcl report`), seen through its lock file: this server cannot cancel it. */
  external?: boolean;
}

/** The record of a report of `matrix` starting now (from a shipped scenario, or inline). */
export function newReportRecord(id: string, matrix: Matrix, scenario?: string): ReportRecord {
  return {
    id,
    name: matrix.name,
    description: matrix.description,
    ...(scenario ? { scenario } : {}),
    status: 'running',
    startedAt: new Date().toISOString(),
    files: {},
    cells: matrix.cells.length,
    repetitions: matrix.repetitions,
    warmup: matrix.warmup,
    progress: { done: 0, total: plannedRuns(matrix), failed: 0, resumed: 0, etaSeconds: null },
  };
}
