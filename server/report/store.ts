// The raw results of a matrix run, persisted as they arrive: one JSON line per
// finished run in <out>/runs.jsonl (appended, so a crash or Ctrl-C loses at most
// the run in flight), the validated matrix in <out>/matrix.json, and a lock
// file so two runners never write the same directory. The names of these files
// and the lock's reading are here only (report/directory.ts reads a directory
// through them).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Matrix } from '../schema/matrix.js';
import type { RunResult } from '../run/result.js';
import { isAlive } from '../core/process.js';

export const RUNS_FILE = 'runs.jsonl';
export const MATRIX_FILE = 'matrix.json';
export const LOCK_FILE = '.lock';

/** The pid in <dir>/.lock; 0 when there is none (or it cannot be read). */
export function lockOwner(dir: string): number {
  try {
    return Number(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** The pid of another live process holding <dir>'s lock (a `zcl report` running it), or undefined. */
export function lockedBy(dir: string): number | undefined {
  const pid = lockOwner(dir);
  return pid && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** One finished run (warmup runs too: they are recorded, never reported). */
export type RunRecord = {
  cellId: string;
  /** 1-based; warmup runs count 1..warmup on their own. */
  rep: number;
  warmup: boolean;
  at: string;
} & ({ ok: true; result: RunResult } | { ok: false; error: { name: string; message: string } });

export class RunStore {
  private fd: number | undefined;
  /** What this session appended. */
  readonly sessionRecords: RunRecord[] = [];

  constructor(readonly dir: string) {}

  get runsPath(): string {
    return join(this.dir, RUNS_FILE);
  }

  /** Creates the directory and takes its lock; a fresh start moves earlier runs aside. */
  open(matrix: Matrix, opts: { resume: boolean }): RunRecord[] {
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    let records: RunRecord[] = [];
    if (opts.resume) records = readRuns(this.dir);
    else if (existsSync(this.runsPath)) renameSync(this.runsPath, join(this.dir, `${RUNS_FILE}.${Date.now()}.old`));
    const { cells, ...rest } = matrix;
    writeFileSync(join(this.dir, MATRIX_FILE), JSON.stringify({ ...rest, cells: cells.map((c) => ({ id: c.id, spec: c.spec, from: c.from })) }, null, 2) + '\n');
    this.fd = openSync(this.runsPath, 'a');
    return records;
  }

  append(record: RunRecord): void {
    if (this.fd === undefined) throw new Error('the run store is not open');
    writeSync(this.fd, JSON.stringify(record) + '\n');
    fsyncSync(this.fd);
    this.sessionRecords.push(record);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.unlock();
  }

  private lock(): void {
    const path = join(this.dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = lockedBy(this.dir);
        if (pid) throw new Error(`${this.dir} is in use by another report run (pid ${pid})`);
        unlinkSync(path); // stale: its process is gone
      }
    }
    throw new Error(`cannot lock ${this.dir}`);
  }

  private unlock(): void {
    try {
      unlinkSync(join(this.dir, LOCK_FILE));
    } catch {
      /* already gone */
    }
  }
}


/** Every record in <dir>/runs.jsonl; a torn last line (a crash mid-write) is skipped. */
export function readRuns(dir: string): RunRecord[] {
  const path = join(dir, RUNS_FILE);
  if (!existsSync(path)) return [];
  const out: RunRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as RunRecord);
    } catch {
      /* torn line */
    }
  }
  return out;
}

/** The latest record per (cell, rep, warmup): a retried run replaces its failure. */
export function latestRecords(records: RunRecord[]): RunRecord[] {
  const m = new Map<string, RunRecord>();
  for (const r of records) m.set(`${r.cellId}/${r.warmup ? 'w' : 'r'}${r.rep}`, r);
  return [...m.values()];
}
