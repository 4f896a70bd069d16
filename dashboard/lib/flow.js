// The seeds' diagram, driven by measurement. The server draws one diagram per
// mode from the model the HTML report uses too (server/view/flow.ts, rendered by
// server/view/flow-svg.ts, sent in /api/modes .flow); this module only shows the
// shown run's mode's diagram and binds live values to it by data attributes:
// `[data-arrow]` gets `data-bytes` and its `[data-amount]` text. An arrow that
// carried nothing gets the class `idle` and is hidden; arrows the mode cannot use
// are not in its diagram at all. Below it, the same figures as a table.
import { el, fmtBytes, fmtNum } from './format.js';

/** @typedef {import('./types.js').ModesDoc['flow']} FlowDoc */
/** @typedef {import('./types.js').RunRecord} RunRecord */

/** @param {string} html @returns {Element} */
const parse = (html) => /** @type {Element} */ (new DOMParser().parseFromString(html, 'text/html').body.firstElementChild);

export class FlowDiagram {
  /**
   * @param {HTMLElement} host
   * @param {FlowDoc} flow
   * @param {string} mode the diagram shown before any run
   */
  constructor(host, flow, mode) {
    this.host = host;
    this.flow = flow;
    this.legend = parse(flow.legend);
    /** @type {string} */
    this.mode = '';
    /** @type {Map<string, {g: Element, amount: Element | null, role: string, counter: string, bytes: HTMLElement, per: HTMLElement, row: HTMLElement}>} */
    this.arrows = new Map();
    /** @type {Element | null} */
    this.svg = null;
    this.setMode(mode);
  }

  /**
   * Shows a mode's diagram (a new one, every amount pending) unless it is shown already.
   * @param {string} mode
   */
  setMode(mode) {
    const m = this.flow.modes[/** @type {keyof FlowDoc['modes']} */ (mode)];
    if (!m || mode === this.mode) return;
    this.mode = mode;
    const svg = parse(m.svg);
    const body = el('tbody');
    this.arrows = new Map();
    for (const a of m.arrows) {
      const g = svg.querySelector(`[data-arrow="${a.id}"]`);
      if (!g) continue;
      const bytes = el('td', { class: 'num' }, '–');
      const per = el('td', { class: 'num' }, '–');
      // The table's rows carry no data-arrow: `[data-arrow=ID]` is the diagram's arrow.
      const row = el('tr', { 'data-row': a.id }, el('td', {}, el('span', { class: `swatch ${a.kind}` }), a.detail), el('td', {}, el('code', {}, `${a.role}.${a.counter}`)), bytes, per);
      body.append(row);
      this.arrows.set(a.id, { g, amount: g.querySelector('[data-amount]'), role: a.role, counter: a.counter, bytes, per, row });
    }
    const table = el('table', { class: 'data arrows-table' }, el('thead', {}, el('tr', {}, el('th', {}, 'arrow'), el('th', {}, 'counter'), el('th', { class: 'num' }, 'bytes'), el('th', { class: 'num', title: 'bytes on the arrow / bytes the sender moved' }, 'per byte moved'))), body);
    this.host.replaceChildren(svg, this.legend, table);
    this.svg = svg;
  }

  /**
   * Shows the diagram of a run's mode, its boxes saying the run's cache, device and sink.
   * @param {RunRecord} run
   */
  setRun(run) {
    this.setMode(run.spec.mode);
    const dev = run.result?.device;
    const subs = this.flow.subtitles;
    this.about('cache', subs.cache[run.spec.cache]);
    this.about('sink', subs.sink[run.spec.sink]);
    this.about('device', dev ? `${dev.name}, SG ${dev.scatterGather ? 'on' : 'off'}` : run.spec.path);
  }

  /** @param {string} what @param {string | undefined} text */
  about(what, text) {
    const t = this.svg?.querySelector(`[data-about="${what}"]`);
    if (t && text) t.textContent = text;
  }

  /**
   * Shows cumulative counters per role (null: none yet, or no probes). A counter without a source reads "no source".
   * @param {import('./types.js').CountersByRole | null} counters
   * @param {number} [moved] bytes the sender has moved so far
   */
  show(counters, moved) {
    for (const a of this.arrows.values()) {
      const v = counters?.[a.role]?.[a.counter];
      const has = typeof v === 'number';
      const text = has ? fmtBytes(v) : counters ? 'no source' : '–';
      if (a.amount) a.amount.textContent = text;
      a.g.setAttribute('data-bytes', has ? String(v) : '');
      a.g.classList.toggle('idle', has && v === 0);
      a.g.classList.toggle('unmeasured', !!counters && !has);
      a.bytes.textContent = has ? v.toLocaleString('en-US') : counters ? 'no source' : '–';
      a.per.textContent = has && moved ? fmtNum(v / moved, 3) : '–';
      a.row.classList.toggle('idle', !has || v === 0);
    }
  }
}
