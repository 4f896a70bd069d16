// The live charts: rates computed from raw cumulative counters over the real
// time between two samples, on a linear x axis in seconds with a sliding
// window. chart.js with animation and parsing off; all charts redraw at most
// once per animation frame, with update('none').
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import { fmtNum } from './format.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip, Filler);

const PALETTE = ['#d1495b', '#2e86ab', '#edae49', '#66a182', '#8d6a9f', '#00798c', '#f26419', '#6c757d', '#3d348b', '#c2a83e'];

/** @typedef {import('./types.js').SampleFrame} SampleFrame */

export class LiveCharts {
  /**
   * @param {HTMLElement} host
   * @param {import('./types.js').ChartDef[]} defs
   * @param {number} windowSeconds
   * @param {{fit?: boolean, xTitle?: string, dashed?: (counter: string) => boolean}} [opts] fit: the x axis spans 0 to the
   *   latest sample (the whole watch so far) instead of a sliding window; dashed: series drawn dashed (pages by reference)
   */
  constructor(host, defs, windowSeconds, opts = {}) {
    this.defs = defs;
    this.window = windowSeconds;
    this.fit = !!opts.fit;
    /** @type {{def: import('./types.js').ChartDef, chart: Chart<'line', {x:number,y:number}[]>, canvas: HTMLCanvasElement}[]} */
    this.charts = [];
    /** @type {SampleFrame | undefined} */
    this.prev = undefined;
    /** @type {{bytes:number, t:number} | undefined} */
    this.prevProgress = undefined;
    this.raf = 0;
    this.tMax = 0;
    /** Samples of the current run. */
    this.samples = 0;
    host.replaceChildren();
    for (const def of defs) {
      const card = document.createElement('figure');
      card.className = 'chart-card';
      card.dataset.chart = def.id;
      const wrap = document.createElement('div');
      wrap.className = 'chart-wrap';
      const canvas = document.createElement('canvas');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', def.title);
      canvas.dataset.points = '0';
      wrap.append(canvas);
      card.append(wrap);
      host.append(card);
      /** @type {Chart<'line', {x:number,y:number}[]>} */
      const chart = new Chart(canvas, {
        type: 'line',
        data: {
          datasets: def.series.map((s, i) => ({
            label: s.label,
            data: /** @type {{x:number,y:number}[]} */ ([]),
            borderColor: PALETTE[i % PALETTE.length],
            backgroundColor: def.stacked ? `${PALETTE[i % PALETTE.length]}88` : PALETTE[i % PALETTE.length],
            borderWidth: 1.5,
            pointRadius: 0,
            pointHitRadius: 4,
            tension: 0,
            borderDash: 'counter' in s.source && opts.dashed?.(s.source.counter) ? [6, 4] : undefined,
            fill: def.stacked ? (i === 0 ? 'origin' : '-1') : false,
          })),
        },
        options: {
          animation: false,
          parsing: false,
          normalized: true,
          responsive: true,
          maintainAspectRatio: false,
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          scales: {
            x: { type: 'linear', min: 0, max: windowSeconds, title: { display: true, text: opts.xTitle ?? 'time since the run started (s)' }, ticks: { maxTicksLimit: 8 } },
            y: { type: 'linear', beginAtZero: true, stacked: !!def.stacked, title: { display: true, text: def.unit }, ticks: { maxTicksLimit: 6, callback: (v) => fmtNum(Number(v)) } },
          },
          plugins: {
            title: { display: true, text: def.title, align: 'start' },
            // Series that stayed at zero are left out of the legend (most copy paths carry nothing in a given mode).
            legend: {
              position: 'bottom',
              labels: { boxWidth: 12, boxHeight: 2, filter: (item, data) => data.datasets[item.datasetIndex ?? 0].data.some((p) => /** @type {{y:number}} */ (p).y > 0) },
            },
            tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmtNum(c.parsed.y)} ${def.unit}` } },
          },
        },
      });
      this.charts.push({ def, chart, canvas });
    }
  }

  /** Empties the charts for a new run. */
  reset() {
    this.prev = undefined;
    this.prevProgress = undefined;
    this.tMax = 0;
    this.samples = 0;
    for (const { chart } of this.charts) for (const ds of chart.data.datasets) ds.data.length = 0;
    this.schedule();
  }

  /** @param {SampleFrame} f */
  push(f) {
    const prev = this.prev;
    if (prev && prev.runId !== f.runId) this.reset();
    if (this.prev && f.t <= this.prev.t) return;
    this.samples++;
    const t = f.t;
    this.tMax = t;
    const p = this.prevProgress;
    for (const { def, chart } of this.charts) {
      def.series.forEach((s, i) => {
        let rate = null;
        if ('progress' in s.source) {
          // Between two progress reports (the first report has no interval before it).
          if (p && f.progress.t > p.t) rate = (f.progress.bytes - p.bytes) / (f.progress.t - p.t);
        } else if (prev && f.counters && prev.counters && prev.runId === f.runId) {
          const a = prev.counters[s.source.role]?.[s.source.counter];
          const b = f.counters[s.source.role]?.[s.source.counter];
          if (typeof a === 'number' && typeof b === 'number') rate = Math.max(0, b - a) / (t - prev.t);
        }
        if (rate === null) return;
        const data = chart.data.datasets[i].data;
        data.push({ x: t, y: rate * def.scale });
        // Keep a little more than the window; fitted: everything, thinned to every other point past 4000.
        if (this.fit) {
          if (data.length > 4000) for (let k = 1; k < data.length; k += 1) data.splice(k, 1);
        } else while (data.length && data[0].x < t - this.window - 2) data.shift();
      });
    }
    if (!p || f.progress.t > p.t) this.prevProgress = { bytes: f.progress.bytes, t: f.progress.t };
    this.prev = f;
    this.schedule();
  }

  /** One redraw per animation frame, however many samples arrived. */
  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      const max = this.fit ? Math.max(5, Math.ceil(this.tMax)) : Math.max(this.window, this.tMax);
      for (const { chart, canvas } of this.charts) {
        const x = /** @type {NonNullable<typeof chart.options.scales>['x'] & {min:number,max:number}} */ (chart.options.scales?.x);
        x.min = this.fit ? 0 : max - this.window;
        x.max = max;
        chart.update('none');
        canvas.dataset.points = String(chart.data.datasets.reduce((n, d) => n + d.data.length, 0));
      }
    });
  }
}
