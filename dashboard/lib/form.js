// The run panel, generated from /api/modes: one control per RunSpec field
// (choices as selects with the catalog's summary under them, sizes as text
// with the size syntax), start/cancel, a progress bar. A 400's issues are
// shown under the field they name.
import { el, fmtBytes, fmtNum, sizeText } from './format.js';

/** @typedef {import('./types.js').ModesDoc} ModesDoc */

/** 0.1 -> "0.1 s", 3600 -> "1 h". @param {number} s */
const fmtSeconds = (s) => (s >= 3600 && s % 3600 === 0 ? `${s / 3600} h` : s >= 60 && s % 60 === 0 ? `${s / 60} min` : `${s} s`);

/** @type {Record<string, string>} */
const PHASE = {
  preparing: 'preparing the file and its cache state',
  starting: 'starting the sender and the sink',
  running: 'running',
  finishing: 'checking what arrived',
};
/** @typedef {import('./types.js').RunRecord} RunRecord */

export class RunPanel {
  /**
   * @param {HTMLFormElement} form
   * @param {ModesDoc} doc
   * @param {{ start(spec: Record<string, string>): Promise<void>, cancel(): Promise<void>, startAll(spec: Record<string, string>): Promise<void> }} actions
   */
  constructor(form, doc, actions) {
    this.form = form;
    this.doc = doc;
    /** @type {Map<string, {input: HTMLInputElement | HTMLSelectElement, error: HTMLElement, hint: HTMLElement}>} */
    this.controls = new Map();
    const fields = el('div', { class: 'fields' });
    /** @type {{name: string, notFor: string}[]} the timed/paced fields: disabled for app modes */
    this.timed = [];
    for (const f of doc.fields) {
      const id = `f-${f.name}`;
      const hint = el('small', { class: 'hint', id: `${id}-hint` });
      const error = el('small', { class: 'field-error', id: `${id}-error`, role: 'alert', 'data-field': f.name });
      /** @type {HTMLInputElement | HTMLSelectElement} */
      let input;
      if (f.kind === 'choice') {
        const sel = el('select', { id, name: f.name, 'aria-describedby': `${id}-hint ${id}-error` });
        for (const v of f.values) sel.append(el('option', { value: v.value, title: v.summary }, v.value));
        if (f.default !== undefined) sel.value = String(f.default);
        const describe = () => {
          const v = f.values.find((x) => x.value === sel.value);
          // modes: which program runs it (the lab's engine, Node, or a real program)
          hint.textContent = (v?.summary ?? '') + (v?.program ? ` (program: ${v.program})` : '');
        };
        sel.addEventListener('change', describe);
        describe();
        input = sel;
      } else if (f.kind === 'size') {
        input = el('input', { id, name: f.name, type: 'text', inputmode: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: f.defaultText ?? '', 'aria-describedby': `${id}-hint ${id}-error` });
        const range = f.min !== undefined && f.max !== undefined ? `; ${fmtBytes(f.min)} to ${fmtBytes(f.max)}` : '';
        hint.textContent = f.name === 'chunkBytes' ? `bytes per syscall; empty: ${f.defaultText ?? 'default'}, or the size if smaller${range}` : `e.g. 64MiB, 1GiB${f.defaultText ? `; empty: ${f.defaultText}` : ''}${range}`;
        input.title = f.syntax;
      } else if (f.kind === 'duration' || f.kind === 'rate') {
        // A timed or paced run (the schema's TIMED_FIELDS): unit, bounds and what empty means, from the server.
        input = el('input', { id, name: f.name, type: 'text', inputmode: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: f.kind === 'duration' ? 'e.g. 10s' : 'e.g. 8MiB/s', 'aria-describedby': `${id}-hint ${id}-error` });
        const range = f.kind === 'duration' ? `${fmtSeconds(f.min)} to ${fmtSeconds(f.max)}` : `${fmtBytes(f.min)}/s to ${fmtBytes(f.max)}/s`;
        const what = f.kind === 'duration' ? 'seconds to keep sending (the file again and again)' : 'bandwidth cap (paced)';
        const normal = `${what}, in ${f.unit}; empty or ${f.emptyText}; ${range}`;
        hint.dataset.normal = normal;
        hint.textContent = normal;
        input.title = f.syntax;
        this.timed.push({ name: f.name, notFor: f.notFor });
      } else if (f.kind === 'boolean') {
        input = el('input', { id, name: f.name, type: 'checkbox' });
        /** @type {HTMLInputElement} */ (input).checked = f.default === true;
      } else {
        const d = 'default' in f ? f.default : undefined;
        input = el('input', { id, name: f.name, type: 'text', placeholder: d === undefined ? '' : String(d) });
      }
      input.addEventListener('input', () => this.clearError(f.name));
      input.addEventListener('change', () => this.clearError(f.name));
      fields.append(el('div', { class: `field field-${f.kind}`, 'data-field': f.name }, el('label', { for: id }, f.label), input, hint, error));
      this.controls.set(f.name, { input, error, hint });
    }
    // A mode that needs a path (sendfile-nogather: veth-nosg) selects it.
    const mode = this.controls.get('mode')?.input;
    const path = this.controls.get('path')?.input;
    if (mode && path)
      mode.addEventListener('change', () => {
        const m = /** @type {{name: string, path?: string}[]} */ (doc.modes).find((x) => x.name === mode.value);
        if (m?.path) {
          path.value = m.path;
          path.dispatchEvent(new Event('change'));
        }
      });
    // App modes (real programs) send the file once at their own pace: duration and rate are disabled, and say why.
    if (mode) {
      const timedFor = () => {
        const m = /** @type {{name: string, app?: unknown}[]} */ (doc.modes).find((x) => x.name === mode.value);
        for (const t of this.timed) {
          const c = this.controls.get(t.name);
          if (!c) continue;
          c.input.disabled = !!m?.app;
          c.input.closest('.field')?.classList.toggle('disabled', !!m?.app);
          c.hint.textContent = m?.app ? `disabled: ${m.name} is an app mode, and ${t.name} is not for ${t.notFor}` : c.hint.dataset.normal ?? '';
          if (m?.app) this.clearError(t.name);
        }
      };
      mode.addEventListener('change', timedFor);
      timedFor();
    }
    this.general = el('p', { class: 'form-error', role: 'alert', id: 'form-error' });
    this.startBtn = el('button', { type: 'submit', id: 'start', class: 'primary' }, 'Start run');
    this.cancelBtn = el('button', { type: 'button', id: 'cancel', disabled: true }, 'Cancel');
    this.allBtn = el('button', { type: 'button', id: 'start-all', title: 'queue one run of every mode with these settings (for the compare view)' }, 'Run every mode');
    this.progress = el('progress', { id: 'progress', max: 1, value: 0 });
    const tip = el('p', { class: 'hint tip' }, 'Full-speed runs of a few hundred MiB end in well under a second. To watch one live, give it a duration (e.g. 10s: the file is sent again and again) and a rate (e.g. 8MiB/s).');
    this.status = el('p', { class: 'run-status', id: 'run-status', 'aria-live': 'polite' }, 'idle');
    this.blocked = el('p', { class: 'hint blocked', id: 'run-blocked', hidden: true });
    form.replaceChildren(fields, el('div', { class: 'buttons' }, this.startBtn, this.cancelBtn, this.allBtn), this.blocked, this.general, this.progress, this.status, tip);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void actions.start(this.values());
    });
    this.cancelBtn.addEventListener('click', () => void actions.cancel());
    this.allBtn.addEventListener('click', () => void actions.startAll(this.values()));
  }

  /**
   * While a report runs no run may start (the server answers 409): the start buttons wait, and say why.
   * @param {string | null} reason
   */
  setBlocked(reason) {
    this.startBtn.disabled = !!reason;
    this.allBtn.disabled = !!reason;
    this.blocked.hidden = !reason;
    this.blocked.textContent = reason ?? '';
  }

  /** The form as a RunSpec body: empty fields are left out (the server's defaults apply). */
  values() {
    /** @type {Record<string, string>} */
    const v = {};
    for (const [name, { input }] of this.controls) {
      if (input.disabled) continue;
      if (input instanceof HTMLInputElement && input.type === 'checkbox') v[name] = String(input.checked);
      else if (input.value.trim() !== '') v[name] = input.value.trim();
    }
    return v;
  }

  /**
   * Puts a run's spec back in the form (a reloaded page shows the form of the run its diagram shows):
   * the mode first (its change handlers pick a path and enable the timed fields), then every other field.
   * Fields the spec leaves out are emptied (the server's defaults apply).
   * @param {Record<string, unknown>} spec
   */
  fill(spec) {
    /** @param {string} name @param {unknown} v */
    const text = (name, v) => {
      const kind = this.doc.fields.find((f) => f.name === name)?.kind;
      if (v === undefined || v === null || v === 0 && (kind === 'duration' || kind === 'rate')) return '';
      if (typeof v !== 'number') return String(v);
      // sizes and rates as people write them when exact ("4MiB", "1MiB/s"), else in bytes
      const exact = (/** @type {number} */ n) => (/^\d+(B|KiB|MiB|GiB|TiB)$/.test(sizeText(n)) ? sizeText(n).replace(/^(\d+)B$/, '$1') : String(n));
      if (kind === 'size') return exact(v);
      if (kind === 'rate') return `${exact(v)}${/B$/.test(exact(v)) ? '/s' : ''}`;
      if (kind === 'duration') return `${v}s`;
      return String(v);
    };
    const order = ['mode', ...[...this.controls.keys()].filter((n) => n !== 'mode')];
    for (const name of order) {
      const c = this.controls.get(name);
      if (!c) continue;
      const v = spec[name];
      if (c.input instanceof HTMLInputElement && c.input.type === 'checkbox') c.input.checked = v === true;
      else if (c.input instanceof HTMLSelectElement) {
        if (v === undefined || ![...c.input.options].some((o) => o.value === String(v))) continue;
        c.input.value = String(v);
      } else c.input.value = text(name, v);
      c.input.dispatchEvent(new Event('change'));
    }
  }

  /** @param {string} name @param {string} value */
  set(name, value) {
    const c = this.controls.get(name);
    if (c) c.input.value = value;
  }

  /** @param {string} name */
  clearError(name) {
    const c = this.controls.get(name);
    if (!c) return;
    c.error.textContent = '';
    c.input.removeAttribute('aria-invalid');
  }

  clearErrors() {
    for (const name of this.controls.keys()) this.clearError(name);
    this.general.textContent = '';
  }

  /**
   * Shows each issue at its field; issues about no known field go under the buttons.
   * @param {string} error
   * @param {{field: string, message: string}[]} [issues]
   */
  showErrors(error, issues = []) {
    this.clearErrors();
    const general = [];
    for (const i of issues) {
      const c = this.controls.get(i.field.replace(/^spec\./, ''));
      if (c) {
        c.error.textContent = c.error.textContent ? `${c.error.textContent}; ${i.message}` : i.message;
        c.input.setAttribute('aria-invalid', 'true');
      } else general.push(i.field === '(root)' || i.field === '(body)' ? i.message : `${i.field}: ${i.message}`);
    }
    this.general.textContent = issues.length && !general.length ? '' : [error, ...general].join(': ');
    const first = issues.map((i) => this.controls.get(i.field)).find(Boolean);
    first?.input.focus();
  }

  /**
   * @param {RunRecord | null} run
   * @param {number} queued
   * @param {{throughputMiBps?: number}} [live]
   */
  showRun(run, queued, live = {}) {
    const active = run && (run.state === 'running' || run.state === 'queued');
    this.cancelBtn.disabled = !active;
    this.cancelBtn.dataset.run = active && run ? run.id : '';
    if (!run) {
      this.progress.value = 0;
      this.status.textContent = 'idle: pick a mode and press Start';
      return;
    }
    const p = run.progress ?? { bytes: 0, total: run.spec.sizeBytes, fraction: 0 };
    // How far: a timed run by its clock (t / duration), else by bytes; older records have no fraction.
    const fraction = p.fraction ?? (p.total ? p.bytes / p.total : 0);
    this.progress.max = 1;
    this.progress.value = run.state === 'finished' ? 1 : fraction;
    this.progress.dataset.fraction = String(run.state === 'finished' ? 1 : fraction);
    const timed = [run.spec.duration ? `for ${fmtNum(run.spec.duration)} s` : '', run.spec.rate ? `at ${fmtBytes(run.spec.rate)}/s` : ''].filter(Boolean).join(' ');
    const what = `${run.spec.mode} over ${run.spec.path}, ${fmtBytes(run.spec.sizeBytes)}${timed ? ` ${timed}` : ''}`;
    const done = p.duration ? `${fmtNum(p.t ?? 0, 2)} s of ${fmtNum(p.duration)} s, ${fmtBytes(p.bytes)} sent` : `${fmtBytes(p.bytes)} of ${fmtBytes(p.total)}`;
    const q = queued ? ` · ${queued} waiting` : '';
    if (run.state === 'running') {
      const rate = live.throughputMiBps ? ` · ${fmtNum(live.throughputMiBps)} MiB/s` : '';
      this.status.textContent = `${PHASE[run.phase ?? 'preparing']}: ${what} · ${done}${rate}${q}`;
    } else if (run.state === 'queued') this.status.textContent = `queued: ${what}${q}`;
    else if (run.state === 'finished' && run.result)
      this.status.textContent = `finished: ${what} · ${fmtNum(run.result.throughputMiBps)} MiB/s · ${fmtNum(run.result.sender.cpuSecondsPerGiB)} CPU s/GiB${q}`;
    else if (run.state === 'failed' || run.state === 'interrupted') this.status.textContent = `${run.state}: ${what}: ${run.error?.message ?? ''}${q}`;
    else this.status.textContent = `${run.state}: ${what}${q}`;
    this.status.dataset.state = run.state;
  }
}
