// A run as the lab keeps it: the record the server holds per run, sends on the
// WebSocket /live (live/frames.ts re-exports it), answers on GET /api/runs/:id
// and saves as one JSON file per run in the results directory
// (labDir('results'), or the server's --results): <id>.json, written atomically
// (a temp file, then rename). `zcl run` saves its runs there the same way
// (origin 'cli'), so the server lists them too; live/store.ts reads the
// directory.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../run/result.js';
import { RUN_SPEC_FIELDS, type RunSpec } from '../schema/run-spec.js';
import type { Phase } from './session.js';

/** A run id that can be a file name (and a URL segment). */
export const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** 'interrupted': the server that ran it stopped during the run (found so by the next server). */
export type RunState = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted';
export const FINAL_STATES: readonly RunState[] = ['finished', 'failed', 'cancelled', 'interrupted'];
export interface RunRecord {
  /** The run's id everywhere (its RunResult's id is set to the same). */
  id: string;
  spec: RunSpec;
  state: RunState;
  queuedAt: string;
  startedAt?: string;
  endedAt?: string;
  phase?: Phase;
  /**
   * bytes: moved so far; total: the file's size (one pass). A timed run (spec.duration) also says `t`
   * (seconds on the run's clock) and `duration`: its bytes pass `total`, pass after pass. `fraction`
   * (0..1) is how far the run is: t / duration on a timed run, else bytes / total.
   */
  progress?: RunProgress;
  result?: RunResult;
  error?: { name: string; message: string };
  /**
   * While it runs: the server process running it (pid:start time, see
   * server/core/owner.ts), saved with the record when the run starts, so a
   * server that finds the record after a crash knows its owner is gone.
   */
  owner?: string;
  /**
   * A finished run's samples, thinned to at most a few hundred (t and pt: the sample's and the progress
   * report's seconds; bytes moved; the sender's CPU-copied bytes and syscalls, cumulative, null without
   * a source): what the dashboard's overlay draws after a reload. Not in the hello frame's list (GET /api/runs/:id has it).
   */
  series?: SeriesPoint[];
  /**
   * Who ran it: 'dashboard' (this lab's server: the dashboard or its API; absent in files older
   * than the field), 'cli' (`zcl run`, saved in the results directory), 'report' (a run of a
   * report, read from its runs.jsonl: read-only, never saved in the results directory).
   */
  origin?: RunOrigin;
  /** A report's run: its report (the directory's id and the matrix's name), cell and repetition. */
  report?: { id: string; name: string; cell: string; rep: number };
}

export const RUN_ORIGINS = ['dashboard', 'cli', 'report'] as const;
export type RunOrigin = (typeof RUN_ORIGINS)[number];

export interface SeriesPoint { t: number; pt: number; bytes: number; copied: number | null; calls: number | null }

export interface RunProgress { bytes: number; total: number; fraction: number; t?: number; duration?: number }

/** How far a run is: t / duration on a timed run, else bytes / total (0..1). */
export function runProgress(bytes: number, total: number, t: number, duration?: number): RunProgress {
  if (duration) return { bytes, total, t, duration, fraction: Math.min(1, Math.max(0, t / duration)) };
  return { bytes, total, fraction: total > 0 ? Math.min(1, bytes / total) : 0 };
}

/** The record of a finished RunResult (a run of `zcl run`, of a report, or a bare RunResult file). */
export function finishedRecord(r: RunResult, extra: Pick<RunRecord, 'origin' | 'report'> = {}): RunRecord {
  return {
    id: r.id,
    spec: Object.fromEntries(RUN_SPEC_FIELDS.filter((k) => k in r).map((k) => [k, (r as unknown as Record<string, unknown>)[k]])) as unknown as RunSpec,
    state: 'finished',
    queuedAt: r.startedAt,
    startedAt: r.startedAt,
    endedAt: r.finishedAt,
    progress: runProgress(r.bytes, r.sizeBytes, r.duration ?? 0, r.duration),
    result: r,
    ...extra,
  };
}

/** Saves a record as <dir>/<id>.json, atomically. Throws (a bad id, a directory that cannot be written). */
export function saveRunRecord(dir: string, record: RunRecord): string {
  if (!RUN_ID.test(record.id)) throw new Error(`run id '${record.id}' cannot be a file name`);
  const file = join(dir, `${record.id}.json`);
  const tmp = join(dir, `.${record.id}.json.tmp`);
  writeFileSync(tmp, JSON.stringify(record, null, 1) + '\n');
  renameSync(tmp, file);
  return file;
}
