// zerocopy-lab's dashboard: the run panel, the measured flow diagram, the live
// charts, the reports, the compare view and the seeds' table. Plain ES modules, no build
// step; types are checked with `tsc -p dashboard` (JSDoc).
import { api, ApiError, connectLive } from './lib/api.js';
import { LiveCharts, RunOverlay } from './lib/charts.js';
import { renderCompare, renderSeeds } from './lib/compare.js';
import { FlowDiagram } from './lib/flow.js';
import { RunPanel } from './lib/form.js';
import { el, fmtBytes } from './lib/format.js';
import { initI18n } from './lib/i18n.js';
import { ReportsPanel } from './lib/reports.js';
import { WatchPanel } from './lib/watch.js';

/** @typedef {import('./lib/types.js').RunRecord} RunRecord */
/** @typedef {import('./lib/types.js').Capabilities} Capabilities */
/** @typedef {import('./lib/types.js').ReportRecord} ReportRecord */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  /** @type {RunRecord | null} */ current: null,
  /** @type {RunRecord | null} the run the diagram and status show */ shown: null,
  /** @type {RunRecord[]} finished, failed, cancelled; newest first */ recent: [],
  queued: 0,
  /** @type {string | undefined} */ selected: undefined,
  throughput: 0,
  /** @type {ReportRecord | null} the report the server is running */ report: null,
  /** the form was filled from the shown run (on the first hello) */ filled: false,
};

/** @param {Capabilities} c */
function showBanner(c) {
  const p = c.probes;
  const items = [
    el('strong', {}, 'zerocopy-lab'),
    el('span', { class: 'pill', title: c.engines.map((e) => `${e.name}: ${e.status}${e.tier ? ` (tier ${e.tier})` : ''}${e.reason ? `: ${e.reason}` : ''}\n${e.summary ?? ''}`).join('\n\n') }, `engine ${p.engine}${c.engines.length > 1 ? ` (also: ${c.engines.slice(1).map((e) => `${e.name}${e.status === 'ok' ? '' : ` ${e.status}`}`).join(', ')})` : ''}`),
    el('span', { class: `pill ${p.status === 'ok' ? 'ok' : 'bad'}` }, p.status === 'ok' ? `probes ok · tier ${p.tier}` : `probes ${p.status}`),
    el('span', { class: 'pill' }, `kernel ${c.kernel}`),
  ];
  if (p.status === 'ok') {
    const attached = p.programs.filter((x) => x.attached).length;
    items.push(el('span', { class: 'pill', title: p.programs.map((x) => `${x.attached ? '✓' : '✗'} ${x.name}${x.error ? `: ${x.error}` : ''}`).join('\n') }, `${attached}/${p.programs.length} programs`));
  }
  const banner = $('banner');
  banner.replaceChildren(...items, $('conn') ?? el('span', { class: 'conn', id: 'conn' }, 'connecting…'));
  const missing = $('missing');
  if (c.missing.length) {
    const list = el('ul');
    for (const m of c.missing) list.append(el('li', {}, el('strong', {}, m.what), `: ${m.detail}`, m.fix ? el('span', { class: 'fix' }, ` fix: ${m.fix}`) : null));
    missing.replaceChildren(el('details', { open: c.missing.length <= 3 }, el('summary', {}, `${c.missing.length} thing${c.missing.length > 1 ? 's' : ''} missing: some figures will read n/a`), list));
    missing.hidden = false;
  } else missing.hidden = true;
  const sources = $('sources');
  sources.replaceChildren(...p.counters.map((x) => el('li', { class: x.available ? '' : 'missing' }, el('code', {}, x.name), ` (${x.unit}): ${x.description}. `, el('em', {}, x.available ? `source: ${x.source}` : `no source${x.missing ? `: ${x.missing}` : ''}`))));
}

/** @param {string} message */
function showFatal(message) {
  $('banner').replaceChildren(el('strong', {}, 'zerocopy-lab'), el('span', { class: 'pill bad' }, message));
  $('run-form').replaceChildren(el('p', { class: 'form-error' }, message));
}

async function main() {
  await initI18n();
  /** @type {import('./lib/types.js').ModesDoc} */
  let doc;
  try {
    doc = await api('GET', '/api/modes');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showFatal('this server needs its token: open the URL `zcl serve` printed (it ends in ?token=…)');
    else showFatal(`cannot reach the lab's API: ${/** @type {Error} */ (e).message}`);
    return;
  }
  const flow = new FlowDiagram($('flow-diagram'), doc.flow, doc.defaults.mode, Object.fromEntries(doc.modes.map((m) => [m.name, m.textbook])));
  const charts = new LiveCharts($('charts'), doc.charts, doc.chartWindowSeconds);
  const overlay = new RunOverlay($('overlay'), doc.copyCounters);
  // kTLS encryption counts only for the modes that encrypt (its counter may have no source elsewhere: no tls module).
  const copyCountersOf = (/** @type {string} */ mode) =>
    /** @type {{encrypts?: boolean} | undefined} */ (doc.modes.find((m) => m.name === mode))?.encrypts ? doc.copyCounters : doc.copyCounters.filter((n) => n !== 'copy_encrypt_bytes');
  overlay.copyCountersOf = copyCountersOf;
  const modeNote = (/** @type {string} */ mode) => doc.modes.find((m) => m.name === mode)?.textbook;

  const panel = new RunPanel(/** @type {HTMLFormElement} */ ($('run-form')), doc, {
    async start(spec) {
      panel.clearErrors();
      try {
        await api('POST', '/api/runs', spec);
      } catch (e) {
        if (e instanceof ApiError) panel.showErrors(e.message, e.issues);
        else panel.showErrors(/** @type {Error} */ (e).message);
      }
    },
    async cancel() {
      const id = panel.cancelBtn.dataset.run;
      if (!id) return;
      panel.cancelBtn.disabled = true;
      try {
        await api('DELETE', `/api/runs/${encodeURIComponent(id)}`);
      } catch (e) {
        panel.showErrors(/** @type {Error} */ (e).message);
      }
    },
    async startAll(spec) {
      panel.clearErrors();
      for (const m of doc.modes) {
        // A mode this kernel cannot run (kTLS without the tls module) is left out, said so.
        const refused = /** @type {{refused?: string}} */ (m).refused;
        if (refused) {
          panel.showErrors(`${m.name}: ${refused}`);
          continue;
        }
        /** @type {Record<string, string>} */
        const s = { ...spec, mode: m.name };
        const needs = /** @type {{path?: string}} */ (m).path;
        if (needs) s.path = needs;
        try {
          await api('POST', '/api/runs', s);
        } catch (e) {
          if (e instanceof ApiError) panel.showErrors(`${m.name}: ${e.message}`, e.issues);
          return;
        }
      }
    },
  });

  /** @param {RunRecord | null} run @param {string} how */
  const showFlowTitle = (run, how) => {
    // The diagram of the run's mode (a new mode: a new diagram, its amounts pending).
    if (run) flow.setRun(run);
    const t = run ? modeNote(run.spec.mode) : undefined;
    $('flow-title').textContent = run ? `${run.spec.mode} over ${run.spec.path}, ${fmtBytes(run.spec.sizeBytes)} in ${fmtBytes(run.spec.chunkBytes)} chunks, ${run.spec.cache} cache, ${run.spec.sink} sink: ${how}` : 'no run yet';
    $('flow-textbook').textContent = t ? `textbook: ${t.note} (${t.cpuCopies} CPU ${t.cpuCopies === 1 ? 'copy' : 'copies'} per byte, ${t.modeSwitchesPerChunk} mode switches per chunk)` : '';
  };

  /** @param {RunRecord} r */
  const showFinal = (r, how = 'measured') => {
    state.shown = r;
    const probes = r.result?.probes;
    flow.setRun(r);
    flow.show(probes?.sender && probes.sink ? { sender: probes.sender.counters, sink: probes.sink.counters } : null, r.result?.bytes, {
      syscalls: probes?.sender?.syscalls, chunks: r.result?.chunks, copyCounters: copyCountersOf(r.spec.mode),
    });
    showFlowTitle(r, probes?.status === 'ok' ? how : `probes ${probes?.status ?? 'absent'}${probes?.reason ? `: ${probes.reason}` : ''}`);
    // Events the kernel did not run a probe for (one fired while another ran on the same CPU): say so beside the counts they feed.
    const missed = probes?.status === 'ok' ? probes.missedEvents ?? 0 : 0;
    const m = $('flow-missed');
    m.hidden = missed === 0;
    m.textContent = missed ? `The kernel skipped ${missed.toLocaleString('en-US')} probe events in this run (a probe fired while another was running on the same CPU): the counts those events feed can be short by what they carried, the bytes to the device most often.` : '';
  };

  const refreshTables = () => {
    renderCompare(/** @type {HTMLTableElement} */ ($('compare-table')), state.recent, state.selected, (r) => {
      state.selected = r.id;
      showFinal(r, 'selected run, final counts');
      refreshTables();
    });
    renderSeeds(/** @type {HTMLTableElement} */ ($('seeds-table')), state.recent, doc);
  };

  // Reports: a scenario matrix run by the server. While one runs, no run starts (and the reverse).
  const reportsPanel = new ReportsPanel($('reports'), {
    async start(body) {
      try {
        const r = await api('POST', '/api/reports', body);
        // The WebSocket's frames may have told us already, and newer.
        if (!reportsPanel.reports.some((x) => x.id === r.report.id)) reportsPanel.update({ type: 'report', event: 'started', report: r.report });
      } catch (e) {
        if (e instanceof ApiError) reportsPanel.showError(e.message, e.issues);
        else reportsPanel.showError(/** @type {Error} */ (e).message);
      }
    },
    async cancel(id) {
      try {
        await api('DELETE', `/api/reports/${encodeURIComponent(id)}`);
      } catch (e) {
        reportsPanel.showError(/** @type {Error} */ (e).message);
      }
    },
  });
  const loadReports = async () => {
    try {
      reportsPanel.setData(await api('GET', '/api/reports'));
    } catch (e) {
      reportsPanel.showError(`cannot list the reports: ${/** @type {Error} */ (e).message}`);
    }
  };
  /** @param {ReportRecord | null} r */
  const blockRuns = (r) => panel.setBlocked(r ? `Report ${r.name} is running: runs can start when it ends or is cancelled (they share the probes and the machine).` : null);
  const runsBusy = () => reportsPanel.setRunsBusy(!!state.current || state.queued > 0);
  /** The report's transfer in flight, in the flow diagram's title. @param {ReportRecord} r */
  const showReportFlowTitle = (r) => {
    const p = r.progress;
    if (!p?.spec) return;
    /** @type {RunRecord} */
    const pseudo = { id: p.runId ?? r.id, spec: p.spec, state: 'running', queuedAt: r.startedAt };
    showFlowTitle(pseudo, `live, report ${r.name}, run ${p.done + 1} of ${p.total}`);
  };

  /** The recent runs again from the server (this server's, zcl run's and the reports'), e.g. when a report ended. */
  const reloadRecent = async () => {
    try {
      /** @type {{runs: RunRecord[]}} */
      const { runs } = await api('GET', '/api/runs?limit=50');
      state.recent = runs.filter((x) => ['finished', 'failed', 'cancelled', 'interrupted'].includes(x.state)).map(({ series: _series, ...x }) => x);
      refreshTables();
    } catch {
      /* the next run or a reload brings them */
    }
  };

  /** @param {RunRecord} r */
  const remember = (r) => {
    state.recent = [r, ...state.recent.filter((x) => x.id !== r.id)].slice(0, 50);
  };

  // The Watch view: processes the lab did not start, viewed on the same WebSocket.
  /** @type {ReturnType<typeof connectLive> | undefined} */
  let live;
  const watchPanel = new WatchPanel($('watch-view'), doc, {
    view: (id) => void live?.send({ type: 'view', watch: id }),
    unview: (id) => void live?.send({ type: 'unview', watch: id }),
  });
  void watchPanel.refresh();

  live = connectLive(
    (f) => {
      if (f.type === 'watch') watchPanel.update(f.watch);
      else if (f.type === 'watch-sample') watchPanel.sample(f);
      else if (f.type === 'hello') {
        // A watch in progress (this page reloaded, or another one started it): show it.
        const w = f.watches?.[0];
        if (w && (!watchPanel.watch || watchPanel.watch.state === 'ended')) watchPanel.show(w);
        showBanner(f.capabilities);
        state.recent = f.recent;
        state.current = f.current;
        state.queued = f.queue.length;
        panel.showRun(f.current ?? f.recent[0] ?? null, state.queued);
        state.report = f.report ?? null;
        reportsPanel.setCurrent(state.report);
        blockRuns(state.report);
        runsBusy();
        void loadReports();
        const last = f.recent.find((r) => r.state === 'finished');
        if (f.current) showFlowTitle(f.current, 'live');
        else if (state.report?.progress?.spec) showReportFlowTitle(state.report);
        else if (last) showFinal(last, 'latest run, final counts');
        else flow.show(null);
        // A (re)loaded page: the form says the run the diagram shows (once: a reconnect keeps what the user typed).
        const shownSpec = f.current?.spec ?? state.report?.progress?.spec ?? last?.spec;
        if (!state.filled && shownSpec) panel.fill(/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (shownSpec)));
        state.filled = true;
        void overlay.restore(f.recent);
        if (!f.current && !state.report && charts.samples === 0 && f.recent.length) {
          // A (re)loaded page between runs: say why the live charts are empty, and where the latest runs are.
          const note = $('charts-note');
          note.textContent = 'The live charts draw a run while it runs (and keep it until the next starts); this page opened after the latest run ended. Its final counts are in the diagram; the chart below redraws the latest runs from their kept samples.';
          note.hidden = false;
        }
        refreshTables();
      } else if (f.type === 'run') {
        state.queued = f.queued;
        const r = f.run;
        if (f.event === 'started') {
          $('charts-note').hidden = true;
          state.current = r;
          state.selected = undefined;
          charts.reset();
          overlay.begin(r.id, r.spec);
          flow.show(null);
          showFlowTitle(r, 'live');
        } else if (f.event === 'progress' && state.current?.id === r.id) state.current = r;
        if (f.event === 'finished' || f.event === 'failed' || f.event === 'cancelled') {
          if (state.current?.id === r.id) state.current = null;
          remember(r);
          if (f.event === 'finished') {
            showFinal(r, 'finished, final counts');
            if (charts.samples < 3) {
              const ms = Math.round((r.result?.wallSeconds ?? 0) * 1000);
              const note = $('charts-note');
              note.textContent = `This run moved its bytes in ${ms} ms: shorter than a few 100 ms ticks, so the live charts have little or nothing to draw. Its final counts are in the diagram and the tables below. To watch a run live, give it a duration (e.g. 10s: the file is sent again and again) and a rate (e.g. 8MiB/s).`;
              note.hidden = false;
            }
          }
          else if (state.shown?.id !== r.id) showFlowTitle(r, f.event);
          refreshTables();
        }
        if (f.event !== 'queued' || !state.current) panel.showRun(state.current ?? r, state.queued, { throughputMiBps: state.throughput });
        runsBusy();
      } else if (f.type === 'report') {
        reportsPanel.update(f);
        const r = f.report;
        // Its runs join the recent runs (tagged "report"): the server lists them from its runs.jsonl.
        if (f.event === 'ended') void reloadRecent();
        if (r.status === 'running' && !r.external) {
          state.report = r;
          if (f.event === 'started') $('charts-note').hidden = true;
          if (f.event === 'run-start') {
            charts.reset();
            if (r.progress?.runId && r.progress.spec) overlay.begin(r.progress.runId, r.progress.spec);
            flow.show(null);
            showReportFlowTitle(r);
          }
        } else if (state.report?.id === r.id) state.report = null;
        blockRuns(state.report);
      } else if (f.type === 'sample') {
        charts.push(f);
        overlay.push(f);
        state.throughput = f.throughputMiBps;
        if (state.current && state.current.id === f.runId) {
          state.current.progress = { bytes: f.progress.bytes, total: f.progress.total, fraction: f.progress.fraction, ...(f.progress.duration ? { t: f.t, duration: f.progress.duration } : {}) };
          panel.showRun(state.current, state.queued, { throughputMiBps: f.throughputMiBps });
          // Per byte moved only from final counts: live progress reports lag the counters by up to a tick.
          if (f.counters) flow.show(f.counters, f.progress.bytes, { syscalls: f.syscalls?.sender, copyCounters: copyCountersOf(state.current.spec.mode), live: true });
        } else if (state.report?.progress?.runId === f.runId && f.counters) flow.show(f.counters);
      } else if (f.type === 'error') panel.showErrors(f.error, f.issues);
    },
    (s, detail) => {
      if (s === 'open') watchPanel.review();
      const c = $('conn');
      if (c) {
        c.textContent = s === 'open' ? 'live' : `disconnected (${detail}); reconnecting…`;
        c.className = `conn ${s}`;
      }
    },
  );
}

void main();
