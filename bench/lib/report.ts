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

export function comparisonTable(rows: { label: string; ours: Sample[]; peerLabel: string; peer: Sample[] }[]): string {
  const table = new Table({
    head: ['path / ours vs peer', 'ours MiB/s (min-max)', 'peer MiB/s (min-max)', 'throughput ratio (min-max)', 'ours CPU s/GiB', 'peer CPU s/GiB', 'CPU ratio (min-max)'],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const o = summarize(r.ours);
    const p = summarize(r.peer);
    table.push([
      `${r.label} vs ${r.peerLabel}`,
      `${o.throughput.toFixed(0)} (${o.tMin.toFixed(0)}-${o.tMax.toFixed(0)})`,
      `${p.throughput.toFixed(0)} (${p.tMin.toFixed(0)}-${p.tMax.toFixed(0)})`,
      ratios(r.ours.map((x, i) => x.throughputMiBps / r.peer[i].throughputMiBps)),
      o.cpu.toFixed(3),
      p.cpu.toFixed(3),
      ratios(r.ours.map((x, i) => x.cpuSecondsPerGiB / r.peer[i].cpuSecondsPerGiB)),
    ]);
  }
  return table.toString();
}
