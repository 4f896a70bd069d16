// The report's charts as Chart.js configurations (plain JSON: no callbacks, so
// they embed in the HTML as data): costs per MiB by cell, throughput, CPU
// seconds per GiB, and, for every numeric axis (chunk size, file size), sweeps
// as lines.
import { MODE_NAMES } from '../../scenarios/catalog.js';
import { COPY_COUNTERS } from '../probes/derive.js';
import { counterInfo, type CounterName, type CounterOfKind, type Role } from '../probes/schema.generated.js';
import { formatSize } from '../schema/units.js';
import { fieldValue, fieldTitle } from './format.js';
import type { CellReport, ReportModel } from './model.js';
import type { Stat } from './stats.js';

export interface ChartSpec {
  id: string;
  title: string;
  /** One or two sentences under the title: what to look for. */
  caption: string;
  config: Record<string, unknown>;
  /** Height of the chart area, px. */
  height?: number;
}

const MODE_COLORS = ['#d62728', '#ff7f0e', '#2ca02c', '#8c564b', '#1f77b4', '#9467bd', '#e377c2'];
export const modeColor = (mode: string) => MODE_COLORS[Math.max(0, MODE_NAMES.indexOf(mode as (typeof MODE_NAMES)[number])) % MODE_COLORS.length];
const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * The copies chart's stacks: each CPU copy (kind cpu in bpf/counters.h) with the
 * role whose stack shows it, its legend (longer than the counter's label: it says
 * where the CPU copied) and colour. Typed over the cpu counters, so a new one
 * needs an entry here; the chart lists them in the header's order, sender first.
 */
const COPY_STACKS: Record<CounterOfKind<'cpu'>, { role: Role; legend: string; color: string }> = {
  copy_file_to_user_bytes: { role: 'sender', legend: 'page cache → user buffer (read)', color: '#d62728' },
  copy_user_to_socket_bytes: { role: 'sender', legend: 'user buffer → socket buffer (write/send)', color: '#ff7f0e' },
  copy_linearize_bytes: { role: 'sender', legend: 'linearize for a device without scatter-gather', color: '#8c564b' },
  zerocopy_copied_bytes: { role: 'sender', legend: 'MSG_ZEROCOPY copied after all', color: '#e377c2' },
  copy_encrypt_bytes: { role: 'sender', legend: 'kTLS: plaintext → ciphertext record buffer (encrypt)', color: '#bcbd22' },
  copy_socket_to_user_bytes: { role: 'sink', legend: 'receiver: socket buffer → user buffer', color: '#7f7f7f' },
};

/** The events chart: the sender's event counters, labelled as in bpf/counters.h. */
const EVENT_BARS: [CounterName, string][] = [
  ['syscalls', '#1f77b4'],
  ['ctx_switches', '#ff7f0e'],
  ['page_faults', '#2ca02c'],
];

/** Four significant digits: enough to read, short in tooltips. */
const r4 = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(4)) : null);
const med = (s: Stat | null | undefined) => r4(s?.median);

const baseOptions = (yTitle: string, extra: Record<string, unknown> = {}) => ({
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
  plugins: { legend: { position: 'bottom' } },
  scales: {
    x: { ticks: { autoSkip: false, maxRotation: 60 } },
    y: { beginAtZero: true, title: { display: true, text: yTitle } },
  },
  ...extra,
});

/** Median bars per cell, coloured by mode, with an error bar from the slowest to the fastest run. */
function barWithRange(id: string, title: string, caption: string, cells: CellReport[], yTitle: string, pick: (c: CellReport) => Stat | null | undefined): ChartSpec {
  const tick = { type: 'line', showLine: false, pointStyle: 'line', pointRadius: 9, pointBorderWidth: 2, borderColor: '#222', backgroundColor: '#222', order: 1 };
  return {
    id,
    title,
    caption,
    config: {
      type: 'bar',
      data: {
        labels: cells.map((c) => c.label),
        datasets: [
          { type: 'bar', label: 'median', data: cells.map((c) => med(pick(c))), backgroundColor: cells.map((c) => modeColor(c.cell.spec.mode) + 'cc'), grouped: false, order: 3 },
          {
            type: 'bar', label: 'min–max', data: cells.map((c) => { const s = pick(c); return s ? [r4(s.min), r4(s.max)] : null; }),
            backgroundColor: '#222', barPercentage: 0.04, categoryPercentage: 1, grouped: false, order: 2,
          },
          { ...tick, label: 'min', data: cells.map((c) => r4(pick(c)?.min)) },
          { ...tick, label: 'max', data: cells.map((c) => r4(pick(c)?.max)) },
        ],
      },
      options: baseOptions(yTitle, { plugins: { legend: { display: false } } }),
    },
  };
}

export function buildCharts(m: ReportModel): ChartSpec[] {
  const cells = m.cells.filter((c) => c.summary.n > 0);
  if (!cells.length) return [];
  const charts: ChartSpec[] = [];
  // Many cells make long rotated labels: give the plot room above them.
  const tall = cells.length > 12 ? 120 : 0;
  const perByte = (c: CellReport, role: 'sender' | 'sink', k: string) => {
    const s = c.summary.perMiB[role][k];
    return s ? r4(s.median / 2 ** 20) : null;
  };
  const copyKinds = (['sender', 'sink'] as const).flatMap((r) =>
    COPY_COUNTERS.filter((k) => COPY_STACKS[k].role === r).map((k) => [k, COPY_STACKS[k].legend, r, COPY_STACKS[k].color] as const),
  );
  charts.push({
    id: 'chart-copies',
    title: 'CPU copies per byte moved, by where the CPU copied',
    caption:
      'Per cell, three bars: the seeds\' count for the mode (outlined; nothing when they count 0), what the sender\'s CPU copied (stacked by where), and the receiver\'s copy (grey); each the bytes the CPU copied divided by the bytes moved, median over the runs.',
    height: 380 + tall,
    config: {
      type: 'bar',
      data: {
        labels: cells.map((c) => c.label),
        datasets: [
          {
            type: 'bar', label: "the seeds' count (sender)", data: cells.map((c) => c.summary.verdict?.expected.cpuCopies ?? null),
            backgroundColor: 'rgba(0,0,0,0)', borderColor: '#000', borderWidth: 2, stack: 'seeds',
          },
          ...copyKinds
            .filter(([k, , role]) => cells.some((c) => (perByte(c, role, k) ?? 0) > 0.005))
            .map(([k, label, role, color]) => ({ type: 'bar', label, data: cells.map((c) => perByte(c, role, k)), backgroundColor: color, stack: role })),
        ],
      },
      options: baseOptions('bytes copied per byte moved', {
        scales: { x: { stacked: true, ticks: { autoSkip: false, maxRotation: 60 } }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'bytes copied per byte moved' } } },
      }),
    },
  });
  charts.push({
    id: 'chart-events',
    height: 340 + tall,
    title: 'Syscalls, context switches and page faults per MiB moved (sender)',
    caption: 'Counted by the probes on the sender\'s threads; the scale is logarithmic. Each syscall is two user/kernel mode switches (what the seeds call context switches); context switches here are the scheduler taking the thread off the CPU.',
    config: {
      type: 'bar',
      data: {
        labels: cells.map((c) => c.label),
        datasets: EVENT_BARS.map(([k, color]) => ({ label: counterInfo(k).label, data: cells.map((c) => med(c.summary.perMiB.sender[k])), backgroundColor: color })),
      },
      // Syscalls per MiB run from a few to hundreds (small chunks): a log scale keeps the other two readable.
      options: baseOptions('per MiB moved (log scale)', {
        scales: { x: { ticks: { autoSkip: false, maxRotation: 60 } }, y: { type: 'logarithmic', title: { display: true, text: 'per MiB moved (log scale)' } } },
      }),
    },
  });
  charts.push(
    { height: 340 + tall, ...barWithRange(
      'chart-throughput', 'Throughput', 'Median of the runs (bar); the whisker spans the slowest to the fastest run. On one host the receiver\'s copy usually bounds throughput; the sender\'s CPU cost below is what zero-copy saves.',
      cells, 'MiB/s', (c) => c.summary.throughputMiBps,
    ) },
  );
  charts.push(
    { height: 340 + tall, ...barWithRange(
      'chart-cpu', 'Sender CPU seconds per GiB moved', 'User plus system CPU time of the sender (its transfer thread; node-stream: the whole process) per GiB: netperf\'s "service demand"; the whisker spans the runs. Lower is cheaper.',
      cells, 'CPU s/GiB', (c) => c.summary.cpuSecondsPerGiB,
    ) },
  );

  // Sweeps: one line per combination of the other varying fields.
  for (const axis of m.varying.filter((f) => f === 'chunkBytes' || f === 'sizeBytes')) {
    const others = m.varying.filter((f) => f !== axis);
    const xs = [...new Set(cells.map((c) => (c.cell.spec as unknown as Record<string, number>)[axis]))].sort((a, b) => a - b);
    if (xs.length < 2) continue;
    const series = new Map<string, CellReport[]>();
    for (const c of cells) {
      const key = others.map((f) => fieldValue(f, (c.cell.spec as unknown as Record<string, unknown>)[f])).join(' · ') || 'all';
      if (!series.has(key)) series.set(key, []);
      series.get(key)!.push(c);
    }
    const what = fieldTitle(axis);
    // Colour lines by mode when each line is one mode (and no two lines share one).
    const lineModes = [...series.values()].map((cs) => new Set(cs.map((c) => c.cell.spec.mode)));
    const byMode = lineModes.every((s) => s.size === 1) && new Set(lineModes.map((s) => [...s][0])).size === lineModes.length;
    const line = (id: string, title: string, caption: string, yTitle: string, pick: (c: CellReport) => number | null) => {
      let i = 0;
      charts.push({
        id,
        title,
        caption,
        config: {
          type: 'line',
          data: {
            labels: xs.map((x) => formatSize(x)),
            datasets: [...series].map(([name, cs]) => {
              const color = byMode ? modeColor(cs[0].cell.spec.mode) : SERIES_COLORS[i % SERIES_COLORS.length];
              i++;
              return {
                label: name,
                data: xs.map((x) => {
                  const c = cs.find((cc) => (cc.cell.spec as unknown as Record<string, number>)[axis] === x);
                  return c ? pick(c) : null;
                }),
                borderColor: color,
                backgroundColor: color,
                spanGaps: true,
                tension: 0,
              };
            }),
          },
          options: baseOptions(yTitle, {
            plugins: { legend: { position: 'bottom' } },
            scales: { x: { title: { display: true, text: axis === 'chunkBytes' ? 'chunk size (bytes per syscall)' : 'file size (bytes per run)' } }, y: { beginAtZero: true, title: { display: true, text: yTitle } } },
          }),
        },
      });
    };
    line(`chart-sweep-${axis}-throughput`, `Throughput by ${what}`, `Median throughput of each cell as the ${what} changes, one line per ${others.map(fieldTitle).join(' and ') || 'matrix'}.`, 'MiB/s', (c) => med(c.summary.throughputMiBps));
    line(`chart-sweep-${axis}-cpu`, `Sender CPU seconds per GiB by ${what}`, `Smaller ${what === 'chunk' ? 'chunks mean more syscalls per byte, and each costs CPU' : 'files spread fixed costs over fewer bytes'}.`, 'CPU s/GiB', (c) => med(c.summary.cpuSecondsPerGiB));
    line(`chart-sweep-${axis}-syscalls`, `Sender syscalls per MiB by ${what}`, 'Counted by the probes on the sender\'s threads (each is two user/kernel mode switches).', 'syscalls per MiB', (c) => med(c.summary.perMiB.sender.syscalls));
  }
  return charts;
}
