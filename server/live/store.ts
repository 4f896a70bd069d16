// Finished runs as JSON files in the results directory (labDir('results')), one
// file per run, written atomically (temp file + rename), loaded at start so a
// restart keeps the history. A plain RunResult file (e.g. `zcl run --json >
// results/x.json`) is read as a finished run too; anything else is skipped.
// A run is saved when it starts too (state 'running', with its server's mark):
// one found so at load whose server is gone was lost in a crash; it is marked
// 'interrupted' and saved back. One whose server still runs is another live
// server's, and is left alone (skipped).
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ownerAlive } from '../core/owner.js';
import { join } from 'node:path';
import type { RunResult } from '../run/result.js';
import { RUN_SPEC_FIELDS, type RunSpec } from '../schema/run-spec.js';
import { FINAL_STATES, type RunRecord } from './frames.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ResultStore {
  constructor(readonly dir: string) {}

  /** Every stored run, newest first, plus the files that could not be read and why. */
  load(): { records: RunRecord[]; skipped: { file: string; reason: string }[]; interrupted: RunRecord[] } {
    const records: RunRecord[] = [];
    const skipped: { file: string; reason: string }[] = [];
    const interrupted: RunRecord[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch (e) {
      skipped.push({ file: this.dir, reason: (e as Error).message });
    }
    for (const name of names) {
      try {
        const j = JSON.parse(readFileSync(join(this.dir, name), 'utf8'));
        const started = asStarted(j);
        if (started) {
          if (ownerAlive(started.owner!)) {
            skipped.push({ file: name, reason: `run ${started.id} is running in another server (process ${started.owner!.split(':')[0]})` });
            continue;
          }
          markInterrupted(started);
          try {
            this.save(started);
          } catch (e) {
            skipped.push({ file: name, reason: `marked interrupted, but cannot save it: ${(e as Error).message}` });
          }
          interrupted.push(started);
          records.push(started);
          continue;
        }
        const r = asRecord(j);
        if (r) records.push(r);
        else skipped.push({ file: name, reason: 'not a run record or RunResult' });
      } catch (e) {
        skipped.push({ file: name, reason: (e as Error).message });
      }
    }
    records.sort((a, b) => endTime(b) - endTime(a));
    return { records, skipped, interrupted };
  }

  save(record: RunRecord): void {
    if (!ID.test(record.id)) throw new Error(`run id '${record.id}' cannot be a file name`);
    const file = join(this.dir, `${record.id}.json`);
    const tmp = join(this.dir, `.${record.id}.json.tmp`);
    writeFileSync(tmp, JSON.stringify(record, null, 1) + '\n');
    renameSync(tmp, file);
  }
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

function asRecord(j: unknown): RunRecord | undefined {
  if (!j || typeof j !== 'object') return undefined;
  const o = j as Record<string, unknown>;
  if (typeof o.id === 'string' && ID.test(o.id) && typeof o.state === 'string' && FINAL_STATES.includes(o.state as never) && o.spec && typeof o.spec === 'object' && typeof o.queuedAt === 'string')
    return o as unknown as RunRecord;
  // A bare RunResult.
  if (typeof o.id === 'string' && ID.test(o.id) && typeof o.mode === 'string' && typeof o.bytes === 'number' && typeof o.finishedAt === 'string') {
    const r = o as unknown as RunResult;
    return {
      id: r.id,
      spec: Object.fromEntries(RUN_SPEC_FIELDS.filter((k) => k in r).map((k) => [k, (r as unknown as Record<string, unknown>)[k]])) as unknown as RunSpec,
      state: 'finished',
      queuedAt: r.startedAt,
      startedAt: r.startedAt,
      endedAt: r.finishedAt,
      progress: { bytes: r.bytes, total: r.sizeBytes, fraction: 1 },
      result: r,
    };
  }
  return undefined;
}
