// Each mode read against the modes the catalog names for it (ModeInfo.against:
// sendfile against read-write, io_uring's SEND_ZC against its copying send, kTLS
// against plain TCP), for every pair of cells equal in all fields but the mode:
// throughput and sender CPU side by side with their ratio, the copies and mode
// switches, and over a chunk sweep the chunk size from which the mode is ahead.
// Derived from the report model only: the figures are the cells' medians and ranges.
import { modeInfo, type ModeName } from '../../scenarios/catalog.js';
import { RUN_SPEC_FIELDS } from '../schema/matrix.js';
import { formatSize } from '../schema/units.js';
import { fieldShort, fieldTitle, statText } from './format.js';
import { varyingFields, type CellReport, type ReportModel } from './model.js';
import type { Stat } from './stats.js';
import type { Table } from './tables.js';

export interface PairRow {
  /** The fields (besides mode) that vary between the pair's rows, with this row's values. */
  at: Record<string, unknown>;
  mode: CellReport;
  base: CellReport;
  /** median(mode) / median(base); null when a side has no measured run. */
  throughputRatio: number | null;
  cpuRatio: number | null;
  /** Throughput: 'ahead' or 'behind' when the two sides' [min, max] ranges do not overlap, else 'within spread'. */
  throughput: 'ahead' | 'behind' | 'within spread' | null;
  cpu: 'cheaper' | 'dearer' | 'within spread' | null;
}

export interface Pair {
  mode: ModeName;
  against: ModeName;
  shows: string;
  /** The fields naming the rows (those that vary among them, besides the mode). */
  fields: string[];
  rows: PairRow[];
  /** The kernel's reason when a side was refused (kTLS without the tls module). */
  refused: string | null;
  /** Over a chunk sweep, in words: from which chunk size the mode is ahead (throughput) and cheaper (CPU). */
  crossover: string[];
}

const ratio = (a: Stat | null, b: Stat | null): number | null => (a && b && b.median > 0 ? a.median / b.median : null);

/** 'ahead' when every run of a beat every run of b (ranges apart), 'behind' the other way, else 'within spread'. */
function apart(a: Stat | null, b: Stat | null, higherIsBetter: boolean): 'better' | 'worse' | 'within spread' | null {
  if (!a || !b) return null;
  if (a.min > b.max) return higherIsBetter ? 'better' : 'worse';
  if (a.max < b.min) return higherIsBetter ? 'worse' : 'better';
  return 'within spread';
}

const specOf = (c: CellReport) => c.cell.spec as unknown as Record<string, unknown>;
const keyWithout = (c: CellReport, skip: string[]) => RUN_SPEC_FIELDS.filter((f) => !skip.includes(f)).map((f) => `${f}=${JSON.stringify(specOf(c)[f])}`).join(',');

/** Where `better(ratio)` holds from some chunk size on to the largest, in words; null when the sweep has under 2 sizes. */
function fromChunk(rows: PairRow[], pick: (r: PairRow) => number | null, better: (x: number) => boolean, what: string, mode: string): string | null {
  const pts = rows
    .map((r) => ({ chunk: r.mode.cell.spec.chunkBytes, v: pick(r) }))
    .filter((p): p is { chunk: number; v: number } => typeof p.chunk === 'number' && p.v !== null)
    .sort((a, b) => a.chunk - b.chunk);
  if (pts.length < 2) return null;
  const span = `${formatSize(pts[0].chunk)}–${formatSize(pts[pts.length - 1].chunk)}`;
  let from = pts.length;
  while (from > 0 && better(pts[from - 1].v)) from--;
  const x = (v: number) => `×${v.toFixed(2)}`;
  const at = (i: number) => `${x(pts[i].v)} at ${formatSize(pts[i].chunk)}`;
  const last = pts.length - 1;
  if (from === pts.length) return `${mode} is not ${what} at the largest chunk measured (${at(last)}; chunks ${span}).`;
  if (from === 0) return `${mode} is ${what} at every chunk size measured (${span}): ${at(0)}, ${at(last)}.`;
  if (from === last) return `${mode} is ${what} at the largest chunk measured only (${at(last)}; ${at(last - 1)}).`;
  return `${mode} is ${what} from ${formatSize(pts[from].chunk)} chunks on (${at(from)}, ${at(last)}; ${at(from - 1)}).`;
}

export function modePairs(m: ReportModel): Pair[] {
  const pairs: Pair[] = [];
  const modesHere = new Set(m.cells.map((c) => c.cell.spec.mode));
  for (const mode of modesHere) {
    for (const a of modeInfo(mode).against ?? []) {
      if (!modesHere.has(a.mode as ModeName)) continue;
      const bases = new Map(m.cells.filter((c) => c.cell.spec.mode === a.mode).map((c) => [keyWithout(c, ['mode']), c]));
      const matched = m.cells
        .filter((c) => c.cell.spec.mode === mode)
        .map((c) => ({ c, b: bases.get(keyWithout(c, ['mode'])) }))
        .filter((x): x is { c: CellReport; b: CellReport } => !!x.b);
      if (!matched.length) continue;
      const fields = varyingFields(matched.map((x) => x.c.cell)).filter((f) => f !== 'mode');
      const rows: PairRow[] = matched.map(({ c, b }) => {
        const tp = apart(c.summary.throughputMiBps, b.summary.throughputMiBps, true);
        const cpu = apart(c.summary.cpuSecondsPerGiB, b.summary.cpuSecondsPerGiB, false);
        return {
          at: Object.fromEntries(fields.map((f) => [f, specOf(c)[f]])),
          mode: c,
          base: b,
          throughputRatio: ratio(c.summary.throughputMiBps, b.summary.throughputMiBps),
          cpuRatio: ratio(c.summary.cpuSecondsPerGiB, b.summary.cpuSecondsPerGiB),
          throughput: tp === 'better' ? 'ahead' : tp === 'worse' ? 'behind' : tp,
          cpu: cpu === 'better' ? 'cheaper' : cpu === 'worse' ? 'dearer' : cpu,
        };
      });
      const refusedCell = matched.flatMap((x) => [x.c, x.b]).find((c) => c.status === 'refused');
      // A crossover per group of rows equal in everything but the chunk size.
      const crossover: string[] = [];
      if (fields.includes('chunkBytes')) {
        const groups = new Map<string, PairRow[]>();
        for (const r of rows) {
          const k = keyWithout(r.mode, ['mode', 'chunkBytes']);
          groups.set(k, [...(groups.get(k) ?? []), r]);
        }
        for (const g of groups.values()) {
          const others = fields.filter((f) => f !== 'chunkBytes').map((f) => `${fieldTitle(f)} ${fieldShort(f, g[0].at[f])}`);
          const head = others.length ? `${others.join(', ')}: ` : '';  // names and values: left as they are in Chinese
          const tp = fromChunk(g, (r) => r.throughputRatio, (v) => v > 1, 'ahead in throughput', mode);
          const cpu = fromChunk(g, (r) => r.cpuRatio, (v) => v < 1, 'cheaper in sender CPU per GiB', mode);
          for (const t of [tp, cpu]) if (t) crossover.push(head + t);
          // How far the medians can be trusted: the sizes where the two sides' runs did not overlap.
          const measured = g.filter((r) => r.throughput !== null);
          if (tp && measured.length) {
            const tpApart = measured.filter((r) => r.throughput !== 'within spread').length;
            const cpuApart = measured.filter((r) => r.cpu !== null && r.cpu !== 'within spread').length;
            crossover.push(`${head}The runs' ranges are apart at ${tpApart} of ${measured.length} chunk sizes in throughput and ${cpuApart} of ${measured.length} in sender CPU; elsewhere the medians differ by less than the runs spread.`);
          }
        }
      }
      pairs.push({ mode: mode as ModeName, against: a.mode as ModeName, shows: a.shows, fields, rows, refused: refusedCell?.refused ?? null, crossover });
    }
  }
  return pairs;
}

/** The words for a row's reading: throughput and CPU against the baseline, by their ranges. */
export function pairReading(r: PairRow): string {
  if (r.mode.status === 'refused' || r.base.status === 'refused') return 'refused on this kernel';
  if (!r.mode.summary.n || !r.base.summary.n) return 'not measured';
  const tp = r.throughput === 'within spread' ? 'throughput level (ranges overlap)' : r.throughput ? `throughput ${r.throughput}` : '';
  const cpu = r.cpu === 'within spread' ? 'CPU level (ranges overlap)' : r.cpu ? `CPU ${r.cpu}` : '';
  return [tp, cpu].filter(Boolean).join('; ');
}

export const PAIRS_INTRO =
  'Each mode read against the mode the catalog compares it with, cell by cell (every other field equal). Ratios are of the medians (mode ÷ baseline): above 1 in throughput and below 1 in sender CPU per GiB is better. ' +
  '"ahead", "behind", "cheaper" and "dearer" mean that no run of one side overlapped a run of the other; otherwise the two are level within the runs\' spread.';

export function pairTable(p: Pair): Table {
  const ratioCell = (r: PairRow, v: number | null) => (r.mode.status === 'refused' || r.base.status === 'refused' ? 'refused' : v === null ? '–' : `×${v.toFixed(2)}`);
  return {
    headers: [
      ...p.fields.map(fieldTitle),
      'throughput MiB/s', 'baseline', 'ratio',
      'sender CPU s/GiB', 'baseline', 'ratio',
      'CPU copies per byte', 'baseline',
      'mode switches per chunk', 'baseline',
      'reading',
    ],
    numeric: [...p.fields.map(() => false), true, true, true, true, true, true, true, true, true, true, false],
    idColumns: p.fields.length,
    rows: p.rows.map((r) => [
      ...p.fields.map((f) => fieldShort(f, r.at[f])),
      statText(r.mode.summary.throughputMiBps), statText(r.base.summary.throughputMiBps), ratioCell(r, r.throughputRatio),
      statText(r.mode.summary.cpuSecondsPerGiB), statText(r.base.summary.cpuSecondsPerGiB), ratioCell(r, r.cpuRatio),
      statText(r.mode.summary.copiesPerByte, 2), statText(r.base.summary.copiesPerByte, 2),
      statText(r.mode.summary.modeSwitchesPerChunk, 2), statText(r.base.summary.modeSwitchesPerChunk, 2),
      pairReading(r),
    ]),
  };
}
