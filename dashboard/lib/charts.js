// The live charts: rates computed from raw cumulative counters over the real
// time between two samples, on a linear x axis in seconds that fits the run:
// 0 to its duration on a timed run, else 0 to the latest sample (growing). A
// run's curves stay when it ends, until the next run starts. RunOverlay draws
// the latest runs of different modes on the same axes, one line per run.
// chart.js with animation and parsing off; all charts redraw at most once per
// animation frame, with update('none').
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import { api } from './api.js';
import { fmtNum } from './format.js';
import { tx } from './i18n.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip, Filler);

const PALETTE = ['#d1495b', '#2e86ab', '#edae49', '#66a182', '#8d6a9f', '#00798c', '#f26419', '#6c757d', '#3d348b', '#c2a83e'];

/** @typedef {import('./types.js').SampleFrame} SampleFrame */

export class LiveCharts {
  /**
   * @param {HTMLElement} host
   * @param {import('./types.js').ChartDef[]} defs
   * @param {number} windowSeconds
   * @param {{fit?: boolean, xTitle?: string, dashed?: (counter: string) => boolean}} [opts] fit: the x axis spans 0 to the
   *   latest sample rounded up to whole seconds, at least 5 (the whole watch so far); else it fits the run (0 to its duration
   *   when timed, else 0 to the latest sample); dashed: series drawn dashed (pages by reference)
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
    /** @type {number | undefined} a timed run's duration (s): the x axis spans it */
    this.duration = undefined;
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
      canvas.setAttribute('aria-label', tx(def.title));
      canvas.dataset.points = '0';
      wrap.append(canvas);
      card.append(wrap);
      host.append(card);
      /** @type {Chart<'line', {x:number,y:number}[]>} */
      const chart = new Chart(canvas, {
        type: 'line',
        data: {
          datasets: def.series.map((s, i) => ({
            label: tx(s.label),
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
            x: { type: 'linear', min: 0, max: this.fit ? 5 : 1, title: { display: true, text: tx(opts.xTitle ?? 'time since the run started (s)') }, ticks: { maxTicksLimit: 8 } },
            y: { type: 'linear', beginAtZero: true, stacked: !!def.stacked, title: { display: true, text: tx(def.unit) }, ticks: { maxTicksLimit: 6, callback: (v) => fmtNum(Number(v)) } },
          },
          plugins: {
            title: { display: true, text: tx(def.title), align: 'start' },
            // Series that stayed at zero are left out of the legend (most copy paths carry nothing in a given mode).
            legend: {
              position: 'bottom',
              labels: { boxWidth: 12, boxHeight: 2, filter: (item, data) => data.datasets[item.datasetIndex ?? 0].data.some((p) => /** @type {{y:number}} */ (p).y > 0) },
            },
            tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmtNum(c.parsed.y)} ${tx(def.unit)}` } },
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
    this.duration = undefined;
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
    if (f.progress.duration) this.duration = f.progress.duration;
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
        // Everything since the run (or watch) began, thinned to every other point past 4000.
        if (data.length > 4000) for (let k = 1; k < data.length; k += 1) data.splice(k, 1);
      });
    }
    if (!p || f.progress.t > p.t) this.prevProgress = { bytes: f.progress.bytes, t: f.progress.t };
    this.prev = f;
    this.schedule();
  }

  /** The x axis's end for a run: its duration when timed (or the latest sample past it), else the latest sample. */
  xMax() {
    if (this.duration) return Math.max(this.duration, this.tMax);
    return this.tMax > 0 ? Math.max(0.2, Number(this.tMax.toFixed(2))) : 1;
  }

  /** One redraw per animation frame, however many samples arrived. */
  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      const max = this.fit ? Math.max(5, Math.ceil(this.tMax)) : this.xMax();
      for (const { chart, canvas } of this.charts) {
        const x = /** @type {NonNullable<typeof chart.options.scales>['x'] & {min:number,max:number}} */ (chart.options.scales?.x);
        x.min = 0;
        x.max = max;
        canvas.dataset.xMax = String(max);
        // the latest sample's time (s): a test sees the curves move along the axis
        canvas.dataset.tLast = String(this.tMax);
        chart.update('none');
        canvas.dataset.points = String(chart.data.datasets.reduce((n, d) => n + d.data.length, 0));
      }
    });
  }
}

/**
 * The latest runs of different modes (and paths) on the same axes, one line per run: the metric
 * picked above it (throughput, CPU-copied bytes/s, syscalls/s of the sender), as rates between
 * two samples. A run's line is kept while it is among the `keep` latest of distinct mode and path.
 */
export class RunOverlay {
  /**
   * @param {HTMLElement} host
   * @param {string[]} copyCounters the counters whose sum is the CPU-copied bytes
   * @param {number} [keep] lines at most
   */
  constructor(host, copyCounters, keep = 6) {
    this.copyCounters = copyCounters;
    /** The copy counters of a run of this mode (kTLS encryption only where the mode encrypts): set by the page. @type {(mode: string) => string[]} */
    this.copyCountersOf = () => this.copyCounters;
    this.keep = keep;
    /** @type {{id: string, key: string, label: string, duration?: number, samples: {t: number, pt: number, bytes: number, copied: number | null, calls: number | null}[]}[]} newest first */
    this.runs = [];
    this.raf = 0;
    /** @type {Record<string, {title: string, unit: string}>} */
    this.metrics = {
      throughput: { title: 'throughput (bytes the sender moved)', unit: 'MiB/s' },
      copied: { title: 'CPU-copied bytes/s (sender: every copy path)', unit: 'MiB/s' },
      syscalls: { title: 'syscalls/s of the sender (each is 2 mode switches)', unit: 'syscalls/s' },
    };
    // CPU-copied bytes first: paced runs move the same bytes/s, what differs is what the CPU copied
    this.metric = 'copied';
    const select = document.createElement('select');
    select.id = 'overlay-metric';
    for (const [k, m] of Object.entries(this.metrics)) {
      const o = document.createElement('option');
      o.value = k;
      o.textContent = tx(m.title);
      select.append(o);
    }
    select.value = this.metric;
    select.addEventListener('change', () => {
      this.metric = select.value;
      this.rebuild();
    });
    const label = document.createElement('label');
    label.htmlFor = select.id;
    label.textContent = tx('Latest runs of different modes, same axes: ');
    const card = document.createElement('figure');
    card.className = 'chart-card overlay-card';
    card.dataset.chart = 'overlay';
    const wrap = document.createElement('div');
    wrap.className = 'chart-wrap';
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', tx('the latest runs of different modes, one line per run'));
    this.canvas.dataset.lines = '0';
    wrap.append(this.canvas);
    /** Why the overlay is empty, when it is. */
    this.note = document.createElement('p');
    this.note.className = 'hint';
    this.note.id = 'overlay-note';
    this.note.textContent = 'No run yet: each run drawn here, live or after it ends (its samples are kept with it).';
    card.append(label, select, wrap, this.note);
    host.replaceChildren(card);
    /** @type {Chart<'line', {x:number,y:number}[]>} */
    this.chart = new Chart(this.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, max: 1, title: { display: true, text: tx('time since each run started (s)') }, ticks: { maxTicksLimit: 10 } },
          y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'MiB/s' }, ticks: { maxTicksLimit: 6, callback: (v) => fmtNum(Number(v)) } },
        },
        plugins: {
          title: { display: true, text: '', align: 'start' },
          legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmtNum(c.parsed.y)} ${tx(this.metrics[this.metric].unit)}` } },
        },
      },
    });
    this.rebuild();
  }

  /**
   * A run starts: its line replaces the last one of the same mode and path.
   * @param {string} id
   * @param {{mode: string, path: string, rate?: number, duration?: number}} spec
   */
  begin(id, spec) {
    if (this.runs.some((r) => r.id === id)) return;
    const { key, label } = this.name(spec);
    this.note.textContent = '';
    this.runs = [{ id, key, label, duration: spec.duration, samples: [] }, ...this.runs.filter((r) => r.key !== key)].slice(0, this.keep);
    this.rebuild();
  }

  /**
   * A (re)loaded page: the latest finished runs of distinct mode and path, from their kept samples
   * (GET /api/runs/:id has them; runs saved by `zcl run`, by reports or by older servers have none).
   * @param {import('./types.js').RunRecord[]} recent newest first
   */
  async restore(recent) {
    /** @type {Map<string, import('./types.js').RunRecord>} */
    const latest = new Map();
    for (const r of recent) {
      if (r.state !== 'finished') continue;
      // Only this lab's runs have samples (runs of zcl run and of reports have none to draw).
      if (r.origin && r.origin !== 'dashboard') continue;
      const key = `${r.spec.mode}|${r.spec.path}`;
      if (!latest.has(key) && latest.size < this.keep) latest.set(key, r);
    }
    let without = 0;
    /** @type {typeof this.runs} */
    const runs = [];
    for (const r of latest.values()) {
      if (this.runs.some((x) => x.id === r.id)) continue;
      /** @type {import('./types.js').RunRecord | undefined} */
      let full;
      try {
        full = await api('GET', `/api/runs/${encodeURIComponent(r.id)}`);
      } catch {
        full = undefined;
      }
      const series = /** @type {{series?: {t: number, pt: number, bytes: number, copied: number | null, calls: number | null}[]}} */ (full ?? {}).series;
      if (!series?.length) {
        without++;
        continue;
      }
      const { key, label } = this.name(r.spec);
      runs.push({ id: r.id, key, label, duration: r.spec.duration, samples: series });
    }
    // Runs begun meanwhile (live) stay first.
    const keys = new Set(this.runs.map((r) => r.key));
    this.runs = [...this.runs, ...runs.filter((r) => !keys.has(r.key))].slice(0, this.keep);
    this.note.textContent = this.runs.length
      ? without ? `${without} of the latest runs kept no samples (run by zcl run, by a report, or by an older server): not drawn.` : ''
      : latest.size ? 'The latest runs kept no samples (run by zcl run, by a report, or by an older server): the next run is drawn here.' : 'No run yet: each run drawn here, live or after it ends (its samples are kept with it).';
    this.rebuild();
  }

  /** @param {{mode: string, path: string, rate?: number}} spec */
  name(spec) {
    return { key: `${spec.mode}|${spec.path}`, label: `${spec.mode} over ${spec.path}${spec.rate ? `, at ${fmtNum(spec.rate / 2 ** 20)} MiB/s` : ''}` };
  }

  /** @param {SampleFrame} f */
  push(f) {
    const run = this.runs.find((r) => r.id === f.runId);
    if (!run) return;
    const last = run.samples[run.samples.length - 1];
    if (last && f.t <= last.t) return;
    const c = /** @type {Record<string, number | null> | undefined} */ (f.counters?.sender);
    const copies = c ? this.copyCountersOf(run.key.split('|')[0]).map((n) => c[n]) : [];
    const copied = c && copies.every((v) => typeof v === 'number') ? copies.reduce((a, b) => /** @type {number} */ (a) + /** @type {number} */ (b), 0) : null;
    const calls = typeof c?.syscalls === 'number' ? c.syscalls : null;
    run.samples.push({ t: f.t, pt: f.progress.t, bytes: f.progress.bytes, copied: /** @type {number | null} */ (copied), calls });
    if (run.samples.length > 4000) run.samples = run.samples.filter((_, i) => i % 2 === 0);
    this.schedule();
  }

  /** @param {{t: number, pt: number, bytes: number, copied: number | null, calls: number | null}[]} s */
  points(s) {
    /** @type {{x:number,y:number}[]} */
    const out = [];
    for (let i = 1; i < s.length; i++) {
      const a = s[i - 1];
      const b = s[i];
      if (this.metric === 'throughput') {
        if (b.pt > a.pt) out.push({ x: b.t, y: (b.bytes - a.bytes) / (b.pt - a.pt) / 2 ** 20 });
      } else if (this.metric === 'copied') {
        if (a.copied !== null && b.copied !== null) out.push({ x: b.t, y: Math.max(0, b.copied - a.copied) / (b.t - a.t) / 2 ** 20 });
      } else if (a.calls !== null && b.calls !== null) out.push({ x: b.t, y: Math.max(0, b.calls - a.calls) / (b.t - a.t) });
    }
    return out;
  }

  rebuild() {
    const m = this.metrics[this.metric];
    const opts = /** @type {any} */ (this.chart.options);
    opts.plugins.title.text = tx(`Latest runs, one line per run: ${m.title}`);
    opts.scales.y.title.text = tx(m.unit);
    this.chart.data.datasets = this.runs.map((r, i) => ({
      label: tx(r.label),
      data: [],
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
      borderWidth: i === 0 ? 2 : 1.5,
      pointRadius: 0,
      pointHitRadius: 4,
      tension: 0,
    }));
    this.schedule();
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      let max = 0;
      this.runs.forEach((r, i) => {
        const ds = this.chart.data.datasets[i];
        if (ds) ds.data = this.points(r.samples);
        max = Math.max(max, r.duration ?? 0, r.samples[r.samples.length - 1]?.t ?? 0);
      });
      const x = /** @type {any} */ (this.chart.options.scales?.x);
      x.max = max > 0 ? Math.max(0.2, Number(max.toFixed(2))) : 1;
      this.chart.update('none');
      this.canvas.dataset.lines = String(this.chart.data.datasets.filter((d) => d.data.length > 0).length);
      this.canvas.dataset.labels = JSON.stringify(this.chart.data.datasets.filter((d) => d.data.length > 0).map((d) => d.label));
    });
  }
}
