// Medians and ratios, printed as a table.
import Table from 'cli-table3';
import { max, median, min } from 'simple-statistics';

export interface Sample { throughputMiBps: number; cpuSecondsPerGiB: number }

export function summarize(xs: Sample[]) {
  const t = xs.map((x) => x.throughputMiBps);
  const c = xs.map((x) => x.cpuSecondsPerGiB);
  return { n: xs.length, throughput: median(t), tMin: min(t), tMax: max(t), cpu: median(c), cMin: min(c), cMax: max(c) };
}

/** Ratios of adjacent runs: median (min-max). */
function ratios(xs: number[]): string {
  return `${median(xs).toFixed(3)} (${min(xs).toFixed(3)}-${max(xs).toFixed(3)})`;
}

/** Against the targets (throughput >= 1, CPU <= 1): met by the median; level when the range still reaches 1; else the gap. */
function verdict(tr: number[], cr: number[]): string {
  const r3 = (x: number) => Number(x.toFixed(3)); // as printed: a median shown as 1.000 meets 1
  const t = r3(median(tr)) >= 1 ? 'met' : max(tr) >= 1 ? 'level (range reaches 1)' : `behind (${median(tr).toFixed(3)})`;
  const c = r3(median(cr)) <= 1 ? 'met' : min(cr) <= 1 ? 'level (range reaches 1)' : `dearer (${median(cr).toFixed(3)})`;
  return `throughput ${t}; CPU ${c}`;
}

/** notEqual: the peer does other work (said in the verdict column instead of a verdict). */
export function comparisonTable(rows: { label: string; ours: Sample[]; peerLabel: string; peer: Sample[]; notEqual?: string }[]): string {
  const table = new Table({
    head: ['path / ours vs peer', 'ours MiB/s (min-max)', 'peer MiB/s (min-max)', 'throughput ratio (min-max)', 'ours CPU s/GiB', 'peer CPU s/GiB', 'CPU ratio (min-max)', 'against the targets'],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const o = summarize(r.ours);
    const p = summarize(r.peer);
    const tr = r.ours.map((x, i) => x.throughputMiBps / r.peer[i].throughputMiBps);
    const cr = r.ours.map((x, i) => x.cpuSecondsPerGiB / r.peer[i].cpuSecondsPerGiB);
    table.push([
      `${r.label} vs ${r.peerLabel}`,
      `${o.throughput.toFixed(0)} (${o.tMin.toFixed(0)}-${o.tMax.toFixed(0)})`,
      `${p.throughput.toFixed(0)} (${p.tMin.toFixed(0)}-${p.tMax.toFixed(0)})`,
      ratios(tr),
      o.cpu.toFixed(3),
      p.cpu.toFixed(3),
      ratios(cr),
      r.notEqual ?? verdict(tr, cr),
    ]);
  }
  return table.toString();
}
