// The diff of two reports (report/diff.ts) in words: the tables once, then
// diff.md, diff.html (self-contained, no script) and the terminal's text; and
// the kernel-by-kernel table of `zcl report --kernel` (one column per report).
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHeadline, isNonZero, type CellDiff, type MeasureDiff, type ReportDiff, type ReportSide } from './diff.js';
import { num, statText } from './format.js';
import type { Stat } from './stats.js';
import type { Table } from './tables.js';
import { CSS, htmlTable } from './write-html.js';
import { mdTable } from './write-markdown.js';

export const DIFF_FILES = { markdown: 'diff.md', html: 'diff.html' } as const;

/** Byte counters per MiB read better per byte (1.00: every byte once). */
const scale = (m: MeasureDiff) => (m.unit === 'bytes/MiB' ? 2 ** -20 : 1);
const scaled = (s: Stat | null, k: number): Stat | null => (s ? { ...s, median: s.median * k, min: s.min * k, max: s.max * k } : null);
export const unitText = (m: MeasureDiff) => (m.unit === 'bytes/MiB' ? 'per byte' : m.unit.endsWith('/MiB') ? 'per MiB' : m.unit);
const valueText = (m: MeasureDiff, s: Stat | null) => {
  const v = scaled(s, scale(m));
  return v ? `${statText(v)}${v.n > 1 ? '' : ' (n=1)'}` : '–';
};

/** `cell`: the pair's statuses, so a side the kernel refused (kTLS without tls) says so. */
export function changeText(m: MeasureDiff, cell?: Pick<CellDiff, 'a' | 'b'>): string {
  if (m.verdict === 'unmeasured') {
    const side = m.a ? 'B' : 'A';
    return `${cell?.[m.a ? 'b' : 'a'].status === 'refused' ? 'refused by the kernel' : 'unmeasured'} in ${side}`;
  }
  const rel = m.a && m.b ? (m.a.median === 0 ? (m.b.median === 0 ? '' : 'from 0') : `${m.b.median >= m.a.median ? '+' : ''}${num((100 * (m.b.median - m.a.median)) / m.a.median)}%`) : '';
  return m.verdict === 'changed' ? `CHANGED ${rel}` : `same${rel && rel !== '+0%' ? ` (${rel})` : ''}`;
}

const ratioText = (m: MeasureDiff) => (m.ratio === null ? (m.a && m.b && m.a.median === 0 && m.b.median === 0 ? '1' : '–') : `×${num(m.ratio)}`);

/** The rows a cell shows: every figure either side measured as non-zero (`all`), or the headline ones and what changed. */
export function rowsOf(c: CellDiff, all: boolean): MeasureDiff[] {
  return c.measures.filter((m) => isNonZero(m) && (all || isHeadline(m) || m.verdict === 'changed'));
}

/** One table for every matched cell: cell, figure, A, B, B/A, the verdict. */
export function diffTable(d: ReportDiff, all = true): Table {
  const rows: string[][] = [];
  const verdicts: (string | null)[] = [];
  for (const c of d.cells)
    for (const m of rowsOf(c, all)) {
      rows.push([c.label, m.name, unitText(m), valueText(m, m.a), valueText(m, m.b), ratioText(m), changeText(m, c)]);
      verdicts.push(m.verdict === 'changed' ? 'differs' : m.verdict === 'same' ? 'matches' : 'unmeasured');
    }
  return {
    headers: ['cell', 'figure', 'unit', 'A: median (min–max)', 'B: median (min–max)', 'B/A', 'change'],
    numeric: [false, false, false, true, true, true, false],
    rows,
    verdicts,
    idColumns: 1,
  };
}

const sideText = (s: ReportSide) => `${s.given} — ${s.name} (${s.status}), kernel ${s.kernel}, ${s.machine}, ${s.repetitions} repetition${s.repetitions === 1 ? '' : 's'} a cell, zerocopy-lab ${s.zerocopyLab}, ${s.generatedAt}`;

function summaryLines(d: ReportDiff): string[] {
  return [
    `${d.totals.matched} cell${d.totals.matched === 1 ? '' : 's'} matched${d.ignored.length ? ` (ignoring ${d.ignored.join(', ')})` : ''}; ` +
      `${d.totals.changedCells} with a change beyond noise (${d.totals.changedFigures} figure${d.totals.changedFigures === 1 ? '' : 's'}).`,
    ...(d.onlyA.length ? [`Only in A: ${d.onlyA.map((c) => c.label).join(', ')}.`] : []),
    ...(d.onlyB.length ? [`Only in B: ${d.onlyB.map((c) => c.label).join(', ')}.`] : []),
  ];
}

export function diffMarkdown(d: ReportDiff): string {
  return [
    `# zcl diff: ${d.a.name} → ${d.b.name}`,
    '',
    `- **A**: ${sideText(d.a)}`,
    `- **B**: ${sideText(d.b)}`,
    '',
    ...summaryLines(d).map((l) => `**${l}**\n`),
    `Each figure is the median of a cell's runs, with the lowest and highest run in parentheses. Bytes counters are per byte moved (1.00: every byte once), other counters per MiB moved. ${d.rule}`,
    '',
    mdTable(diffTable(d)),
    '',
  ].join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function diffHtml(d: ReportDiff): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>zcl diff: ${esc(d.a.name)} → ${esc(d.b.name)}</title>
<style>${CSS}</style></head>
<body><main>
<h1>zcl diff: ${esc(d.a.name)} → ${esc(d.b.name)}</h1>
<ul><li><strong>A</strong>: ${esc(sideText(d.a))}</li><li><strong>B</strong>: ${esc(sideText(d.b))}</li></ul>
${summaryLines(d).map((l) => `<p class="status${d.totals.changedCells ? ' incomplete' : ''}">${esc(l)}</p>`).join('\n')}
<p>Each figure is the median of a cell's runs, with the lowest and highest run in parentheses. Bytes counters are per byte moved (1.00: every byte once), other counters per MiB moved. ${esc(d.rule)}</p>
${htmlTable(diffTable(d))}
</main></body></html>
`;
}

/** The terminal's table: aligned plain text; with `all` false, the headline figures and what changed. */
export function diffText(d: ReportDiff, all = false): string {
  return [`A: ${sideText(d.a)}`, `B: ${sideText(d.b)}`, '', textTable(diffTable(d, all)), '', ...summaryLines(d)].join('\n') + '\n';
}

export function textTable(t: Table): string {
  const width = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (t.numeric[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  let prev = '';
  const rows = t.rows.map((r) => {
    // The cell's name once per group of rows.
    const shown = r[0] === prev ? ['', ...r.slice(1)] : r;
    prev = r[0];
    return line(shown);
  });
  return [line(t.headers), width.map((w) => '-'.repeat(w)).join('  '), ...rows].join('\n');
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeDiff(outDir: string, d: ReportDiff): { markdown: string; html: string } {
  const files = { markdown: join(outDir, DIFF_FILES.markdown), html: join(outDir, DIFF_FILES.html) };
  writeAtomic(files.markdown, diffMarkdown(d));
  writeAtomic(files.html, diffHtml(d));
  return files;
}

// ---- kernel by kernel --------------------------------------------------------

export const KERNELS_FILES = { markdown: 'kernels.md', html: 'kernels.html' } as const;

/**
 * One row per cell and figure of the first report, one column per report (its
 * median and range), each column after the first marked where it changed beyond
 * noise from the first. `self` is the first report diffed with itself (its
 * rows), `diffs` the first against each other report, in the order of `names`.
 */
export function kernelTable(names: string[], self: ReportDiff, diffs: ReportDiff[], all = false): Table {
  const rows: string[][] = [];
  for (const c of self.cells)
    for (const m of c.measures) {
      const per = diffs.map((d) => d.cells.find((x) => x.key === c.key)?.measures.find((x) => x.role === m.role && x.figure === m.figure));
      if (!isNonZero(m) && !per.some((x) => x && isNonZero(x))) continue;
      if (!all && !isHeadline(m) && !per.some((x) => x?.verdict === 'changed')) continue;
      rows.push([
        c.label, m.name, unitText(m), valueText(m, m.a),
        ...per.map((x) => (x ? `${valueText(x, x.b)}${x.verdict === 'changed' ? ` ${changeText(x).replace('CHANGED ', '* ')}` : ''}` : 'not run')),
      ]);
    }
  return { headers: ['cell', 'figure', 'unit', ...names], numeric: [false, false, false, ...names.map(() => true)], rows, idColumns: 1 };
}

export function writeKernelTable(outDir: string, names: string[], self: ReportDiff, diffs: ReportDiff[]): { markdown: string; html: string } {
  const t = kernelTable(names, self, diffs, true);
  const head = `Medians over each cell's runs (lowest–highest in parentheses); bytes counters per byte moved, other counters per MiB. "*" marks a change beyond noise from ${names[0]}: ${self.rule}`;
  const reports = [`${names[0]}: ${sideText(self.a)}`, ...diffs.map((d, i) => `${names[i + 1]}: ${sideText(d.b)}`)];
  const files = { markdown: join(outDir, KERNELS_FILES.markdown), html: join(outDir, KERNELS_FILES.html) };
  writeAtomic(files.markdown, [`# Kernel by kernel: ${self.a.name}`, '', ...reports.map((r) => `- ${r}`), '', head, '', mdTable(t), ''].join('\n'));
  writeAtomic(
    files.html,
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Kernel by kernel: ${esc(self.a.name)}</title><style>${CSS}</style></head><body><main>` +
      `<h1>Kernel by kernel: ${esc(self.a.name)}</h1><ul>${reports.map((r) => `<li>${esc(r)}</li>`).join('')}</ul><p>${esc(head)}</p>${htmlTable(t)}</main></body></html>\n`,
  );
  return files;
}
