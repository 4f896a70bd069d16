// What every report file is written from: the matrix's cells with their runs,
// the per-cell medians with min and max, the seeds' verdict per cell, and the
// per-mode flows for the diagrams.
import { MODES, type ModeName } from '../../scenarios/catalog.js';
import { COUNTER_NAMES } from '../probes/schema.generated.js';
import type { TextbookRow } from '../probes/types.js';
import type { RunResult } from '../run/result.js';
import { RUN_SPEC_FIELDS, type Matrix, type MatrixCell } from '../schema/matrix.js';
import type { RunSpec } from '../schema/run-spec.js';
import type { Environment } from './environment.js';
import { fieldValue } from './format.js';
import { machineNoise } from '../core/machine.js';
import { nearestMedian, ratioText, SPREAD_LIMIT, spreadRatio, stat, type Stat } from './stats.js';
import { latestRecords, type RunRecord } from './store.js';

export type RunEntry =
  | { rep: number; ok: true; at: string; result: RunResult }
  | { rep: number; ok: false; at: string; warmup: boolean; error: { name: string; message: string } };

export interface CellVerdict {
  verdict: TextbookRow['verdict'];
  /** Runs per verdict (they can disagree near a tolerance). */
  counts: Record<TextbookRow['verdict'], number>;
  expected: TextbookRow['expected'];
  /** Why it differs, from the run nearest the median. */
  reason?: string;
}

export interface CellSummary {
  /** Runs that finished ok. */
  n: number;
  throughputMiBps: Stat | null;
  gbitps: Stat | null;
  wallSeconds: Stat | null;
  cpuSecondsPerGiB: Stat | null;
  sinkCpuSecondsPerGiB: Stat | null;
  /** The seeds' measures, sender side. */
  copiesPerByte: Stat | null;
  modeSwitchesPerChunk: Stat | null;
  syscallsPerChunk: Stat | null;
  sinkCopiesPerByte: Stat | null;
  /** The DMA side, per byte moved: disk -> page cache, and socket -> device. */
  diskPerByte: Stat | null;
  devicePerByte: Stat | null;
  /** Every counter per MiB moved, per role (plus cpu_copy_bytes). */
  perMiB: { sender: Record<string, Stat | null>; sink: Record<string, Stat | null> };
  verdict: CellVerdict | null;
  /** The machine during the runs (RunResult.machine): steal share (0-1) and CPUs used by other work. */
  steal: Stat | null;
  otherCpus: Stat | null;
  /** Set when the cell's spread is wide (stats.ts SPREAD_LIMIT), saying why: the figures and the noisiest run's machine. */
  spread: { reason: string } | null;
  device: RunResult['device'] | null;
  probes: { status: string; engine: string; tier?: string; reason?: string } | null;
}

export interface CellReport {
  cell: MatrixCell;
  label: string;
  /** refused: the kernel cannot do the mode (ZCL_KERNEL_UNSUPPORTED, e.g. kTLS without the tls module); not a failure. */
  status: 'done' | 'failed' | 'refused' | 'partial' | 'pending';
  /** Why the kernel refused the cell (status refused). */
  refused?: string;
  /** Measured runs, by repetition (failed ones included; warmup failures too, since they fail the cell). */
  runs: RunEntry[];
  summary: CellSummary;
}

/** Cells that share every field but the numeric ones (size, chunk): one flow diagram each. */
export interface FlowGroup {
  key: string;
  title: string;
  spec: Pick<RunSpec, 'mode' | 'path' | 'sink' | 'cache'> & Record<string, unknown>;
  cells: string[];
  runs: number;
  /** Per byte moved (medians over the group's runs), by counter, per role. */
  perByte: { sender: Record<string, number | null>; sink: Record<string, number | null> };
  device: RunResult['device'] | null;
  textbook: { cpuCopies: number; modeSwitchesPerChunk: number; note: string };
  measuredCopies: number | null;
  /** The sender's syscalls by name and the chunks they moved, of the run nearest the group's median syscalls per chunk. */
  syscalls: { calls: Record<string, number>; chunks: number } | null;
}

export interface ReportModel {
  matrix: Matrix;
  environment: Environment;
  status: 'complete' | 'failed' | 'interrupted';
  generatedAt: string;
  /** RunSpec fields whose value differs between cells (they name the cells). */
  varying: string[];
  cells: CellReport[];
  flows: FlowGroup[];
  /** runs and runsDone: the plan's runs, warmups included, and those that ended (ok or failed): the count `zcl report` prints too. */
  totals: { cells: number; runs: number; runsDone: number; runsPlanned: number; runsOk: number; runsFailed: number; cellsDone: number; cellsFailed: number; cellsRefused: number; cellsPending: number };
}

export interface ReportInput {
  matrix: Matrix;
  environment: Environment;
  records: RunRecord[];
  status: ReportModel['status'];
}

export function varyingFields(cells: MatrixCell[]): string[] {
  return RUN_SPEC_FIELDS.filter((f) => new Set(cells.map((c) => JSON.stringify((c.spec as unknown as Record<string, unknown>)[f]))).size > 1);
}

/** Cell id -> its name from the fields that vary, e.g. "read-write · veth-nosg". */
export function cellLabels(cells: MatrixCell[]): Map<string, string> {
  const fields = varyingFields(cells);
  const use = fields.length ? fields : ['mode'];
  return new Map(cells.map((c) => [c.id, use.map((f) => fieldValue(f, (c.spec as unknown as Record<string, unknown>)[f])).join(' · ')]));
}

const perByteOf = (v: number | null | undefined) => (typeof v === 'number' ? v / 2 ** 20 : null);

/**
 * Why a cell's figures spread wide, or null: sender CPU per GiB or throughput
 * with max/min over SPREAD_LIMIT, and what the machine was doing in the run
 * that was noisiest ("run 3: 38% steal"), or that it was quiet.
 */
export function spreadOf(runs: { rep: number; result: RunResult }[], s: Pick<CellSummary, 'cpuSecondsPerGiB' | 'throughputMiBps'>): CellSummary['spread'] {
  const wide: string[] = [];
  const cpu = spreadRatio(s.cpuSecondsPerGiB);
  if (cpu !== null && cpu > SPREAD_LIMIT)
    wide.push(`sender CPU ${s.cpuSecondsPerGiB!.min.toFixed(2)}–${s.cpuSecondsPerGiB!.max.toFixed(2)} s/GiB (${ratioText(cpu)})`);
  const tp = spreadRatio(s.throughputMiBps);
  if (tp !== null && tp > SPREAD_LIMIT) wide.push(`throughput ${s.throughputMiBps!.min.toFixed(0)}–${s.throughputMiBps!.max.toFixed(0)} MiB/s (${ratioText(tp)})`);
  if (!wide.length) return null;
  const noisy = runs
    .map((r) => ({ rep: r.rep, m: r.result.machine, why: machineNoise(r.result.machine) }))
    .filter((x) => x.why)
    .sort((a, b) => b.m!.steal + b.m!.otherCpus / b.m!.cpus - (a.m!.steal + a.m!.otherCpus / a.m!.cpus));
  const measured = runs.filter((r) => r.result.machine).length;
  const machine = noisy.length
    ? `${noisy.length} of ${measured} runs on a busy machine, the busiest run ${noisy[0].rep}: ${noisy[0].why}`
    : measured
      ? 'the machine was quiet in every run (steal and other work under the flags\' limits): the spread is the runs\' own'
      : 'the machine\'s load was not recorded';
  const short = runs.every((r) => r.result.duration === undefined && r.result.wallSeconds < 1) ? '; runs under 1 s: time them (duration) for steadier CPU figures' : '';
  return { reason: `wide spread: ${wide.join('; ')}; ${machine}${short}` };
}

function summarize(ok: RunResult[], reps: number[] = ok.map((_, i) => i + 1)): CellSummary {
  const sender = (r: RunResult) => (r.probes?.status === 'ok' ? r.probes.sender : undefined);
  const sink = (r: RunResult) => (r.probes?.status === 'ok' ? r.probes.sink : undefined);
  const keys = [...COUNTER_NAMES, 'cpu_copy_bytes'];
  const perMiB = {
    sender: Object.fromEntries(keys.map((k) => [k, stat(ok.map((r) => sender(r)?.derived.per_mib[k]))])),
    sink: Object.fromEntries(keys.map((k) => [k, stat(ok.map((r) => sink(r)?.derived.per_mib[k]))])),
  };
  const withTextbook = ok.filter((r) => r.textbook);
  let verdict: CellVerdict | null = null;
  if (withTextbook.length) {
    const counts = { matches: 0, differs: 0, unmeasured: 0 };
    for (const r of withTextbook) counts[r.textbook!.verdict]++;
    const top = (Object.entries(counts) as [TextbookRow['verdict'], number][]).sort((a, b) => b[1] - a[1] || (a[0] === 'differs' ? -1 : 1))[0][0];
    const rep = nearestMedian(withTextbook.filter((r) => r.textbook!.verdict === top), (r) => r.textbook!.measured.cpuCopies)!;
    verdict = { verdict: top, counts, expected: rep.textbook!.expected, ...(rep.textbook!.reason ? { reason: rep.textbook!.reason } : {}) };
  }
  const first = ok[0];
  const cpuSecondsPerGiB = stat(ok.map((r) => r.sender.cpuSecondsPerGiB));
  const throughputMiBps = stat(ok.map((r) => r.throughputMiBps));
  return {
    n: ok.length,
    throughputMiBps,
    gbitps: stat(ok.map((r) => (r.bytes * 8) / r.wallSeconds / 1e9)),
    wallSeconds: stat(ok.map((r) => r.wallSeconds)),
    cpuSecondsPerGiB,
    sinkCpuSecondsPerGiB: stat(ok.map((r) => (r.receiver.cpuUserSeconds + r.receiver.cpuSysSeconds) / (r.bytes / 2 ** 30))),
    copiesPerByte: stat(ok.map((r) => sender(r)?.derived.cpu_copies_per_byte)),
    modeSwitchesPerChunk: stat(ok.map((r) => sender(r)?.derived.mode_switches_per_chunk)),
    syscallsPerChunk: stat(ok.map((r) => sender(r)?.derived.syscalls_per_chunk)),
    sinkCopiesPerByte: stat(ok.map((r) => sink(r)?.derived.cpu_copies_per_byte)),
    diskPerByte: stat(ok.map((r) => perByteOf(sender(r)?.derived.per_mib.block_read_bytes))),
    devicePerByte: stat(ok.map((r) => perByteOf(sender(r)?.derived.per_mib.dev_xmit_bytes))),
    perMiB,
    verdict,
    steal: stat(ok.map((r) => r.machine?.steal)),
    otherCpus: stat(ok.map((r) => r.machine?.otherCpus)),
    spread: spreadOf(ok.map((result, i) => ({ rep: reps[i], result })), { cpuSecondsPerGiB, throughputMiBps }),
    device: first?.device ?? null,
    probes: first?.probes ? { status: first.probes.status, engine: first.probes.engine, ...(first.probes.tier ? { tier: first.probes.tier } : {}), ...(first.probes.reason ? { reason: first.probes.reason } : {}) } : null,
  };
}

const isWarmup = (r: RunEntry) => !r.ok && r.warmup;

/** A run the kernel refused (ZCL_KERNEL_UNSUPPORTED: the mode needs a feature this kernel lacks): the cell is refused, not failed. */
export const isRefusal = (e: { name: string }): boolean => e.name === 'KernelUnsupportedError';
/** A cell's refusal: its runs (none ok, at least one) were all refused by the kernel; the first one's error, else null. */
export function refusalOf<E extends { name: string; message: string }>(runs: readonly ({ ok: true } | { ok: false; error: E })[]): E | null {
  if (!runs.length) return null;
  let first: E | null = null;
  for (const r of runs) {
    if (r.ok || !isRefusal(r.error)) return null;
    first ??= r.error;
  }
  return first;
}
/** The kernel's reason, without the mode's name the message starts with. */
const refusalReason = (e: { message: string }): string => e.message.replace(/^mode \S+ needs [^:]+: /, '');
const NUMERIC_FIELDS = new Set(['sizeBytes', 'chunkBytes', 'duration', 'rate']);

export function buildModel(input: ReportInput): ReportModel {
  const { matrix, records } = input;
  const labels = cellLabels(matrix.cells);
  const byCell = new Map<string, RunRecord[]>();
  for (const r of records) {
    if (!byCell.has(r.cellId)) byCell.set(r.cellId, []);
    byCell.get(r.cellId)!.push(r);
  }
  const cells: CellReport[] = matrix.cells.map((cell) => {
    const mine = byCell.get(cell.id) ?? [];
    const runs: RunEntry[] = mine
      .filter((r) => !r.warmup || !r.ok)
      .map((r): RunEntry => (r.ok ? { rep: r.rep, ok: true, at: r.at, result: r.result } : { rep: r.rep, ok: false, at: r.at, warmup: r.warmup, error: r.error }))
      .sort((a, b) => Number(isWarmup(b)) - Number(isWarmup(a)) || a.rep - b.rep);
    const okRuns = runs.filter((r): r is Extract<RunEntry, { ok: true }> => r.ok);
    const ok = okRuns.map((r) => r.result);
    // A warmup failure that a later run of the same cell got past does not fail the cell.
    const failures = runs.filter((r) => !r.ok && !(r.warmup && ok.length >= matrix.repetitions));
    const refusal = ok.length ? null : refusalOf(failures);
    const status: CellReport['status'] = refusal ? 'refused' : failures.length ? 'failed' : ok.length >= matrix.repetitions ? 'done' : ok.length ? 'partial' : 'pending';
    return {
      cell, label: labels.get(cell.id)!, status, ...(refusal ? { refused: refusalReason(refusal) } : {}),
      runs: runs.filter((r) => r.ok || failures.includes(r)), summary: summarize(ok, okRuns.map((r) => r.rep)),
    };
  });

  const varying = varyingFields(matrix.cells);
  const groups = new Map<string, { cells: CellReport[] }>();
  const groupFields = RUN_SPEC_FIELDS.filter((f) => !NUMERIC_FIELDS.has(f));
  for (const c of cells) {
    const key = groupFields.map((f) => `${f}=${(c.cell.spec as unknown as Record<string, unknown>)[f]}`).join(',');
    if (!groups.has(key)) groups.set(key, { cells: [] });
    groups.get(key)!.cells.push(c);
  }
  const flows: FlowGroup[] = [...groups].map(([key, g]) => {
    const spec = g.cells[0].cell.spec;
    const ok = g.cells.flatMap((c) => c.runs.filter((r): r is Extract<RunEntry, { ok: true }> => r.ok).map((r) => r.result)).filter((r) => r.probes?.status === 'ok');
    const per = (role: 'sender' | 'sink') =>
      Object.fromEntries([...COUNTER_NAMES, 'cpu_copy_bytes'].map((k) => [k, stat(ok.map((r) => perByteOf(r.probes![role]!.derived.per_mib[k])))?.median ?? null]));
    // Always where and how the bytes went; other fields (engine) only when the matrix varies them.
    const spread = ['path', 'cache', 'sink', ...groupFields.filter((f) => !['mode', 'path', 'cache', 'sink'].includes(f) && varying.includes(f))];
    const title = [spec.mode, ...spread.map((f) => fieldValue(f, (spec as unknown as Record<string, unknown>)[f]))].join(' · ');
    return {
      key,
      title,
      spec: Object.fromEntries(groupFields.map((f) => [f, (spec as unknown as Record<string, unknown>)[f]])) as FlowGroup['spec'],
      cells: g.cells.map((c) => c.cell.id),
      runs: ok.length,
      perByte: { sender: per('sender'), sink: per('sink') },
      device: ok[0]?.device ?? g.cells.find((c) => c.summary.device)?.summary.device ?? null,
      textbook: MODES[spec.mode as ModeName].textbook,
      measuredCopies: stat(ok.map((r) => r.probes!.sender!.derived.cpu_copies_per_byte))?.median ?? null,
      syscalls: ((rep) => (rep ? { calls: rep.probes!.sender!.syscalls, chunks: rep.chunks } : null))(
        nearestMedian(ok.filter((r) => r.probes!.sender!.syscalls), (r) => r.probes!.sender!.derived.syscalls_per_chunk),
      ),
    };
  });

  const runsOk = cells.reduce((a, c) => a + c.summary.n, 0);
  const runsFailed = cells.reduce((a, c) => a + c.runs.filter((r) => !r.ok).length, 0);
  return {
    matrix,
    environment: input.environment,
    status: input.status,
    generatedAt: new Date().toISOString(),
    varying,
    cells,
    flows,
    totals: {
      cells: cells.length,
      runs: cells.length * (matrix.repetitions + matrix.warmup),
      runsDone: latestRecords(input.records).filter((r) => matrix.cells.some((c) => c.id === r.cellId)).length,
      runsPlanned: cells.length * matrix.repetitions,
      runsOk,
      runsFailed,
      cellsDone: cells.filter((c) => c.status === 'done').length,
      cellsFailed: cells.filter((c) => c.status === 'failed').length,
      cellsRefused: cells.filter((c) => c.status === 'refused').length,
      cellsPending: cells.filter((c) => c.status === 'pending' || c.status === 'partial').length,
    },
  };
}
