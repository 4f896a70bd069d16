// The Reports panel: pick a shipped scenario matrix (GET /api/reports), start
// it (POST /api/reports), watch its progress (the 'report' frames on /live:
// runs done of total, the cell in flight, ETA), cancel it; and the list of
// reports with links to their files. A report and live runs never overlap:
// the server refuses either while the other runs, and the panels say so.
import { el, fmtBytes, fmtDuration, fmtTime } from './format.js';
import { tx } from './i18n.js';

/** @typedef {import('./types.js').ReportRecord} ReportRecord */
/** @typedef {import('./types.js').ReportFrame} ReportFrame */
/** @typedef {import('./types.js').ScenarioInfo} ScenarioInfo */

/** @type {Record<string, string>} */
const STATUS_TEXT = {
  running: 'running',
  complete: 'complete',
  failed: 'some cells failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  error: 'could not run',
};

/** The files of a report as links, in the order people want them. */
const FILES = /** @type {const} */ ([
  ['html', 'HTML', 'the report with its charts and diagrams (opens in a new tab)'],
  ['md', 'Markdown', 'report.md'],
  ['json', 'JSON', 'results.json: every run, and the environment'],
  ['csv', 'CSV', 'results.csv: one row per run'],
]);

export class ReportsPanel {
  /**
   * @param {HTMLElement} host
   * @param {{ start(body: {scenario: string, resume?: boolean}): Promise<void>, cancel(id: string): Promise<void> }} actions
   */
  constructor(host, actions) {
    this.actions = actions;
    /** @type {ScenarioInfo[]} */
    this.scenarios = [];
    /** @type {ReportRecord[]} newest first */
    this.reports = [];
    /** @type {ReportRecord | null} */
    this.current = null;
    this.runsBusy = false;
    /** @type {string | undefined} the report a cancel was asked for */
    this.cancelling = undefined;

    this.select = el('select', { id: 'r-scenario', name: 'scenario', 'aria-describedby': 'r-scenario-hint r-scenario-error' }, el('option', { value: '' }, 'loading…'));
    this.hint = el('small', { class: 'hint', id: 'r-scenario-hint' });
    this.fieldError = el('small', { class: 'field-error', id: 'r-scenario-error', role: 'alert' });
    this.resume = el('input', { type: 'checkbox', id: 'r-resume', name: 'resume' });
    this.startBtn = el('button', { type: 'submit', id: 'report-start', class: 'primary' }, 'Start report');
    this.cancelBtn = el('button', { type: 'button', id: 'report-cancel', disabled: true }, 'Cancel report');
    this.error = el('p', { class: 'form-error', id: 'report-error', role: 'alert' });
    this.note = el('p', { class: 'hint blocked', id: 'report-blocked', hidden: true });
    this.progress = el('progress', { id: 'report-progress', max: 1, value: 0 });
    this.status = el('p', { class: 'run-status', id: 'report-status', 'aria-live': 'polite' }, 'no report running');
    this.form = el('form', { id: 'report-form', class: 'report-form', novalidate: true },
      el('div', { class: 'fields' },
        el('div', { class: 'field', 'data-field': 'scenario' }, el('label', { for: 'r-scenario' }, 'Scenario'), this.select, this.hint, this.fieldError),
        el('label', { class: 'check', for: 'r-resume', title: 'continue the newest unfinished (cancelled, interrupted or failed) report of this scenario, in its directory: runs already done are kept' }, this.resume, ' continue its latest unfinished report')),
      el('div', { class: 'buttons' }, this.startBtn, this.cancelBtn),
      this.note, this.error, this.progress, this.status);
    this.table = el('table', { id: 'reports-table', class: 'data' });
    host.replaceChildren(this.form, el('div', { class: 'table-wrap reports-list' }, this.table));

    this.select.addEventListener('change', () => {
      this.describe();
      this.clearErrors();
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.clearErrors();
      /** @type {{scenario: string, resume?: boolean}} */
      const body = { scenario: this.select.value };
      if (this.resume.checked) body.resume = true;
      void this.actions.start(body);
    });
    this.cancelBtn.addEventListener('click', () => {
      if (!this.current) return;
      this.cancelling = this.current.id;
      this.render();
      void this.actions.cancel(this.current.id).finally(() => {
        this.cancelling = undefined;
        this.render();
      });
    });
    this.render();
  }

  /** @param {{scenarios: ScenarioInfo[], reports: ReportRecord[]}} data */
  setData(data) {
    const keep = this.select.value;
    this.scenarios = data.scenarios;
    this.reports = data.reports;
    this.select.replaceChildren(
      ...data.scenarios.map((s) => el('option', { value: s.name, disabled: !!s.error, title: s.description }, `${s.name} (${s.runs} run${s.runs === 1 ? '' : 's'})${s.error ? ': invalid' : ''}`)),
    );
    if (keep && data.scenarios.some((s) => s.name === keep)) this.select.value = keep;
    else {
      // The seeds' comparison first: it is what the lab is for.
      const first = data.scenarios.find((s) => s.name === 'seed-comparison' && !s.error) ?? data.scenarios.find((s) => !s.error);
      if (first) this.select.value = first.name;
    }
    const running = data.reports.find((r) => r.status === 'running' && !r.external);
    this.current = running ?? null;
    this.describe();
    this.render();
  }

  describe() {
    const s = this.scenarios.find((x) => x.name === this.select.value);
    if (!s) {
      this.hint.textContent = this.scenarios.length ? '' : 'no scenarios in scenarios/';
      return;
    }
    if (s.error) {
      this.hint.textContent = `${s.file} does not validate: ${s.error}`;
      return;
    }
    const plan = `${s.cells} cell${s.cells === 1 ? '' : 's'} × ${s.repetitions} repetition${s.repetitions === 1 ? '' : 's'}${s.warmup ? ` (+${s.warmup} warmup)` : ''} = ${s.runs} runs, ${fmtBytes(s.bytes)} to move`;
    this.hint.textContent = `${tx(s.description)} ${tx(plan)}. (${s.file})`;
  }

  /** @param {ReportFrame} f */
  update(f) {
    const r = f.report;
    this.upsert(r);
    if (r.status === 'running' && !r.external) this.current = r;
    else if (this.current?.id === r.id) this.current = null;
    this.render();
  }

  /** The running report (from the WebSocket's hello), or none. @param {ReportRecord | null} r */
  setCurrent(r) {
    if (r) this.upsert(r);
    this.current = r;
    this.render();
  }

  /** Runs are running or queued: a report cannot start now. @param {boolean} busy */
  setRunsBusy(busy) {
    this.runsBusy = busy;
    this.render();
  }

  /** @param {ReportRecord} r */
  upsert(r) {
    const i = this.reports.findIndex((x) => x.id === r.id);
    if (i >= 0) this.reports[i] = r;
    else this.reports.unshift(r);
  }

  clearErrors() {
    this.error.textContent = '';
    this.fieldError.textContent = '';
    this.select.removeAttribute('aria-invalid');
  }

  /**
   * A refused request: issues about the scenario under the select, the rest under the buttons.
   * @param {string} message
   * @param {{field: string, message: string}[]} [issues]
   */
  showError(message, issues = []) {
    this.clearErrors();
    const general = [];
    for (const i of issues) {
      if (i.field === 'scenario') {
        this.fieldError.textContent = i.message;
        this.select.setAttribute('aria-invalid', 'true');
      } else general.push(`${i.field}: ${i.message}`);
    }
    this.error.textContent = issues.length && !general.length ? '' : [message, ...general].join(': ');
  }

  render() {
    const cur = this.current;
    this.startBtn.disabled = !!cur || this.runsBusy || !this.scenarios.some((s) => !s.error);
    this.cancelBtn.disabled = !cur || this.cancelling === cur.id;
    this.note.hidden = !this.runsBusy || !!cur;
    this.note.textContent = 'A run is running or queued: a report can start when the runs are done (they share the probes and the machine).';
    if (cur) {
      const p = cur.progress;
      this.progress.max = Math.max(1, p?.total ?? 1);
      // The run in flight counts by its share of bytes.
      const part = p?.bytes !== undefined && p.bytesTotal ? Math.min(1, p.bytes / p.bytesTotal) : 0;
      this.progress.value = p ? Math.min(p.total, p.done + (p.label ? part : 0)) : 0;
      this.status.dataset.state = 'running';
      if (this.cancelling === cur.id) this.status.textContent = `${cur.name}: cancelling: the run in flight cleans up, then the report of what is done is written…`;
      else if (!p) this.status.textContent = `${cur.name}: starting`;
      else {
        const cell = p.label ? ` · now: ${p.label}${p.warmup ? ` (warmup ${p.rep})` : p.rep ? ` (rep ${p.rep})` : ''}${p.bytesTotal ? `, ${Math.floor(part * 100)}% of ${fmtBytes(p.bytesTotal)}` : ''}` : '';
        const eta = p.etaSeconds === null ? 'ETA after the first run' : `ETA ${fmtDuration(p.etaSeconds)}`;
        this.status.textContent = `${cur.name}: ${p.done} of ${p.total} runs done${p.failed ? ` (${p.failed} failed)` : ''}${p.resumed ? `, ${p.resumed} kept from before` : ''}${cell} · ${eta}`;
      }
    } else {
      this.progress.value = 0;
      this.progress.max = 1;
      const last = this.reports[0];
      this.status.dataset.state = last && (last.status === 'failed' || last.status === 'error') ? 'failed' : 'idle';
      this.status.textContent = last && last.status !== 'running' ? `no report running · last: ${last.name}, ${STATUS_TEXT[last.status] ?? last.status}` : 'no report running';
    }
    this.renderList();
  }

  renderList() {
    const head = el('tr', {}, el('th', {}, 'report'), el('th', {}, 'status'), el('th', {}, 'started'), el('th', { class: 'num' }, 'took'), el('th', { class: 'num', title: 'runs done in its last session (+ kept from earlier ones) of those planned' }, 'runs'), el('th', {}, 'files'));
    const body = el('tbody');
    if (!this.reports.length) body.append(el('tr', {}, el('td', { class: 'empty', colspan: 6 }, 'no reports yet: pick a scenario and press Start report (or run `zcl report scenarios/X.json`)')));
    for (const r of this.reports) {
      const live = r.status === 'running' ? (r.id === this.current?.id ? this.current : r) : r;
      const p = live.progress;
      const runs = p ? `${p.done} of ${p.total}` : r.runs ? `${r.runs.done}${r.runs.resumed ? ` + ${r.runs.resumed}` : ''} of ${r.runs.planned + (r.runs.resumed ?? 0)}` : '–';
      const took = r.finishedAt ? fmtDuration((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000) : '–';
      const files = el('td', { class: 'files' });
      for (const [key, label, title] of FILES) {
        const url = r.files?.[key];
        if (url) files.append(el('a', { href: url, target: '_blank', rel: 'noopener', title, 'data-file': key }, label), ' ');
      }
      if (!files.childNodes.length) files.append(el('span', { class: 'hint' }, r.status === 'running' ? 'written when it ends' : 'none'));
      const status = el('td', {}, el('span', { class: `status-pill ${r.status}` }, STATUS_TEXT[r.status] ?? r.status));
      if (r.error) status.append(el('div', { class: r.status === 'cancelled' || r.status === 'interrupted' ? 'hint' : 'field-error' }, r.error));
      body.append(
        el('tr', { 'data-report': r.id, 'data-status': r.status },
          el('td', {}, el('strong', {}, r.name), el('div', { class: 'hint', title: r.description || undefined }, r.id)),
          status,
          el('td', { class: 'small', title: r.startedAt }, `${new Date(r.startedAt).toLocaleDateString('en-CA')} ${fmtTime(r.startedAt)}`),
          el('td', { class: 'num' }, took),
          el('td', { class: 'num' }, runs),
          files),
      );
    }
    this.table.replaceChildren(el('thead', {}, head), body);
  }
}
