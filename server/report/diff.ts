// Two reports side by side (`zcl diff A B`): their cells matched by RunSpec,
// and per matched cell every counter per MiB (sender and sink), the CPU seconds
// per GiB and the throughput, A -> B with each side's median and spread, and a
// verdict per figure: changed beyond noise, the same, or unmeasured. The rule
// is NOISE_RULE below, once; the CLI (cli/cmd-diff.ts), `zcl report --kernel`
// and the writers (write-diff.ts) read it from here.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { counterInfo, COUNTER_NAMES, type CounterName } from '../probes/schema.generated.js';
import { RUN_SPEC_FIELDS } from '../schema/matrix.js';
import { fieldValue } from './format.js';
import { RESULTS_FORMAT, ResultsFileSchema, type ResultsFile } from './schema.js';
import type { Stat } from './stats.js';
import { REPORT_FILES } from './write.js';

// ---- reading a report ----------------------------------------------------------

export interface LoadedReport {
  /** As given on the command line. */
  given: string;
  /** The results.json read. */
  file: string;
  results: ResultsFile;
}

const fail = (file: string, message: string): never => {
  throw new InputError([{ field: file, message }], 'results file');
};

/** A results.json, or a report directory holding one; every failure is an InputError naming the file and the reason. */
export function loadResults(given: string): LoadedReport {
  let file = given;
  if (!existsSync(given)) fail(given, 'no such file or directory');
  if (statSync(given).isDirectory()) {
    file = join(given, REPORT_FILES.json);
    if (!existsSync(file)) fail(given, `a directory without ${REPORT_FILES.json}: not a report directory (zcl report writes one)`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return fail(file, `cannot read it: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(file, `not JSON (${(e as Error).message.replace(/\s+/g, ' ')}): not a results.json of zcl report`);
  }
  const format = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>).format : undefined;
  if (typeof format !== 'string') fail(file, `not a results file of zcl report (no "format": "${RESULTS_FORMAT}")`);
  if (format !== RESULTS_FORMAT) {
    const [kind] = (format as string).split('@');
    if (kind === RESULTS_FORMAT.split('@')[0]) fail(file, `schema version mismatch: it is ${format}, this zcl reads ${RESULTS_FORMAT}`);
    fail(file, `not a results file of zcl report: its format is "${format}", not "${RESULTS_FORMAT}"`);
  }
  const parsed = ResultsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    fail(file, `does not match the ${RESULTS_FORMAT} schema: ${issues.join('; ')}${parsed.error.issues.length > 5 ? `; and ${parsed.error.issues.length - 5} more` : ''}`);
  }
  return { given, file, results: parsed.data! };
}

// ---- the rule --------------------------------------------------------------------

/** Relative change past which a noisy figure counts as changed (when the ranges do not overlap either). */
export const NOISE_CHANGE = 0.1;
/** Tolerance of the exact figures: relative to the larger median, and in bytes per MiB for figures near zero. */
export const EXACT_RELATIVE = 0.01;
export const EXACT_ABSOLUTE_PER_MIB = 1024;

/** The rule, in words (the CLI's help and the written diffs say it). */
export const NOISE_RULE =
  `Exact figures (the bytes the CPU copied and the bytes passed by reference, per MiB: deterministic per byte moved) changed when the medians differ by more than ` +
  `${EXACT_RELATIVE * 100}% of the larger or ${EXACT_ABSOLUTE_PER_MIB} bytes per MiB, whichever is more; if either side's own runs spread wider than that, the figure was not exact there and the next rule applies. ` +
  `Every other figure (syscalls, context switches, page faults, retransmits, DMA bytes, CPU s/GiB, throughput) changed when the two sides' ranges [min, max] do not overlap and the medians differ by more than ${NOISE_CHANGE * 100}%. ` +
  'With one run a side the range is a point: only the size of the change counts.';

export type Verdict = 'changed' | 'same' | 'unmeasured';

/** A figure is exact when deterministic per byte moved: the CPU copies and by-reference bytes. */
export function isExact(measure: MeasureKey): boolean {
  if (measure.figure === 'cpu_copy_bytes') return true;
  if (!(COUNTER_NAMES as readonly string[]).includes(measure.figure)) return false;
  const kind = counterInfo(measure.figure as CounterName).kind;
  return kind === 'cpu' || kind === 'ref';
}

const spread = (s: Stat) => s.max - s.min;

export function judge(a: Stat | null, b: Stat | null, exact: boolean): Verdict {
  if (!a || !b) return 'unmeasured';
  const big = Math.max(Math.abs(a.median), Math.abs(b.median));
  const diff = Math.abs(b.median - a.median);
  if (exact) {
    const tol = Math.max(EXACT_RELATIVE * big, EXACT_ABSOLUTE_PER_MIB);
    if (spread(a) <= tol && spread(b) <= tol) return diff > tol ? 'changed' : 'same';
  }
  const overlap = a.min <= b.max && b.min <= a.max;
  return !overlap && diff > NOISE_CHANGE * big ? 'changed' : 'same';
}

// ---- the measures ----------------------------------------------------------------

export interface MeasureKey {
  /** sender, sink, or cpu/throughput (whole-run figures). */
  role: 'sender' | 'sink' | 'run';
  /** A counter name, cpu_copy_bytes, cpuSecondsPerGiB, sinkCpuSecondsPerGiB, throughputMiBps. */
  figure: string;
}

export interface MeasureDiff extends MeasureKey {
  /** In words, e.g. "sender: user -> socket". */
  name: string;
  /** bytes/MiB, count/MiB, s/GiB, MiB/s. */
  unit: string;
  exact: boolean;
  a: Stat | null;
  b: Stat | null;
  /** B median / A median (null when A's is 0 or either is missing). */
  ratio: number | null;
  verdict: Verdict;
}

const RUN_FIGURES = [
  { figure: 'cpuSecondsPerGiB', name: 'sender CPU', unit: 's/GiB' },
  { figure: 'sinkCpuSecondsPerGiB', name: 'sink CPU', unit: 's/GiB' },
  { figure: 'throughputMiBps', name: 'throughput', unit: 'MiB/s' },
] as const;

type CellEntry = ResultsFile['cells'][number];

function measures(a: CellEntry, b: CellEntry): MeasureDiff[] {
  const out: MeasureDiff[] = [];
  const push = (key: MeasureKey, name: string, unit: string, sa: Stat | null | undefined, sb: Stat | null | undefined) => {
    const A = sa ?? null;
    const B = sb ?? null;
    if (!A && !B) return;
    const exact = isExact(key);
    out.push({ ...key, name, unit, exact, a: A, b: B, ratio: A && B && A.median !== 0 ? B.median / A.median : null, verdict: judge(A, B, exact) });
  };
  for (const f of RUN_FIGURES) push({ role: 'run', figure: f.figure }, f.name, f.unit, a.summary[f.figure], b.summary[f.figure]);
  for (const role of ['sender', 'sink'] as const)
    for (const figure of [...COUNTER_NAMES, 'cpu_copy_bytes']) {
      const info = figure === 'cpu_copy_bytes' ? { label: 'CPU copies, all', unit: 'bytes' } : counterInfo(figure as CounterName);
      push({ role, figure }, `${role}: ${info.label}`, `${info.unit}/MiB`, a.summary.perMiB[role][figure], b.summary.perMiB[role][figure]);
    }
  return out;
}

// ---- matching cells ------------------------------------------------------------

export interface CellDiff {
  /** The key the cells matched on (their RunSpec, less the ignored fields). */
  key: string;
  /** In words: the fields that vary, e.g. "read-write · loopback". */
  label: string;
  a: { id: string; label: string; status: string; n: number; spec: Record<string, unknown> };
  b: { id: string; label: string; status: string; n: number; spec: Record<string, unknown> };
  measures: MeasureDiff[];
  changed: number;
}

export interface ReportSide {
  given: string;
  file: string;
  name: string;
  status: string;
  generatedAt: string;
  kernel: string;
  machine: string;
  repetitions: number;
  zerocopyLab: string;
}

export interface ReportDiff {
  a: ReportSide;
  b: ReportSide;
  /** RunSpec fields left out of the match. */
  ignored: string[];
  rule: string;
  cells: CellDiff[];
  onlyA: { id: string; label: string }[];
  onlyB: { id: string; label: string }[];
  totals: { matched: number; changedCells: number; changedFigures: number };
}

const specOf = (c: CellEntry) => c.spec as unknown as Record<string, unknown>;
const matchKey = (c: CellEntry, fields: string[]) => JSON.stringify(fields.map((f) => specOf(c)[f] ?? null));

function side(r: LoadedReport): ReportSide {
  const env = r.results.environment;
  return {
    given: r.given,
    file: r.file,
    name: r.results.matrix.name,
    status: r.results.status,
    generatedAt: r.results.generatedAt,
    kernel: env.kernel.release,
    machine: `${env.cpu.model}, ${env.cpu.cores} cores${env.virtualization ? `, ${env.virtualization}` : ''}`,
    repetitions: r.results.matrix.repetitions,
    zerocopyLab: env.versions.zerocopyLab,
  };
}

/** The RunSpec fields a diff may leave out of the match (--ignore). */
export const IGNORABLE_FIELDS: readonly string[] = RUN_SPEC_FIELDS;

/**
 * Matches the cells of A and B by RunSpec (less `ignore`) and compares every
 * figure of each pair. InputError when an ignored field is unknown, when the
 * match is ambiguous (two cells of one report with the same key), or when no
 * cell is common.
 */
export function diffReports(A: LoadedReport, B: LoadedReport, opts: { ignore?: string[] } = {}): ReportDiff {
  const ignore = opts.ignore ?? [];
  for (const f of ignore)
    if (!IGNORABLE_FIELDS.includes(f)) throw new InputError([{ field: '--ignore', message: `'${f}' is not a RunSpec field; allowed: ${IGNORABLE_FIELDS.join(', ')}` }], 'options');
  const fields = RUN_SPEC_FIELDS.filter((f) => !ignore.includes(f));
  const index = (r: LoadedReport) => {
    const m = new Map<string, CellEntry>();
    for (const c of r.results.cells) {
      const k = matchKey(c, fields);
      const twin = m.get(k);
      if (twin)
        fail(r.file, `cells '${twin.label}' and '${c.label}' are the same once ${ignore.join(', ')} ${ignore.length === 1 ? 'is' : 'are'} ignored: the match is ambiguous; ignore fewer fields`);
      m.set(k, c);
    }
    return m;
  };
  const ia = index(A);
  const ib = index(B);
  const common = [...ia.keys()].filter((k) => ib.has(k));
  if (!common.length)
    throw new InputError(
      [
        {
          field: `${A.file} and ${B.file}`,
          message:
            `no cell in common (cells match on ${fields.join(', ')}); A has ${A.results.cells.map((c) => c.label).join(', ') || 'none'}, ` +
            `B has ${B.results.cells.map((c) => c.label).join(', ') || 'none'}; --ignore FIELD matches across a field that differs (e.g. --ignore path)`,
        },
      ],
      'results files',
    );
  // Name the matched cells by the fields that vary among them (the ignored ones as A -> B).
  const pairs = common.map((k) => [ia.get(k)!, ib.get(k)!] as const);
  const varying = fields.filter((f) => new Set(pairs.map(([a]) => JSON.stringify(specOf(a)[f]))).size > 1);
  const labelOf = (a: CellEntry, b: CellEntry) => {
    const parts = (varying.length ? varying : ignore.includes('mode') ? [] : ['mode']).map((f) => fieldValue(f, specOf(a)[f]));
    for (const f of ignore)
      if (JSON.stringify(specOf(a)[f]) !== JSON.stringify(specOf(b)[f])) parts.push(`${fieldValue(f, specOf(a)[f])} → ${fieldValue(f, specOf(b)[f])}`);
    return parts.join(' · ');
  };
  const cells: CellDiff[] = pairs.map(([a, b]) => {
    const ms = measures(a, b);
    const brief = (c: CellEntry) => ({ id: c.id, label: c.label, status: c.status, n: c.summary.n, spec: { ...specOf(c) } });
    return { key: matchKey(a, fields), label: labelOf(a, b), a: brief(a), b: brief(b), measures: ms, changed: ms.filter((m) => m.verdict === 'changed').length };
  });
  const only = (from: Map<string, CellEntry>, other: Map<string, CellEntry>) =>
    [...from].filter(([k]) => !other.has(k)).map(([, c]) => ({ id: c.id, label: c.label }));
  return {
    a: side(A),
    b: side(B),
    ignored: ignore,
    rule: NOISE_RULE,
    cells,
    onlyA: only(ia, ib),
    onlyB: only(ib, ia),
    totals: { matched: cells.length, changedCells: cells.filter((c) => c.changed).length, changedFigures: cells.reduce((n, c) => n + c.changed, 0) },
  };
}

/** The figures a terminal shows by default: the headline ones, plus whatever changed. */
export function isHeadline(m: MeasureDiff): boolean {
  return m.role === 'run' || (m.role === 'sender' && ['cpu_copy_bytes', 'syscalls', 'ctx_switches', 'splice_ref_bytes', 'zerocopy_bytes'].includes(m.figure));
}

/** A figure is worth a row when either side measured something other than zero. */
export const isNonZero = (m: MeasureDiff) => (m.a && (m.a.max !== 0 || m.a.min !== 0)) || (m.b && (m.b.max !== 0 || m.b.min !== 0));
