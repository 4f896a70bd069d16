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
   * @param {Record<string, {cpuCopies: number, modeSwitchesPerChunk: number}>} [textbooks] per mode, for the summary line
   */
  constructor(host, flow, mode, textbooks = {}) {
    this.host = host;
    this.flow = flow;
    /** @type {Record<string, {cpuCopies: number, modeSwitchesPerChunk: number}>} per mode */
    this.textbooks = textbooks;
    /** @type {RunRecord['spec'] | null} the shown run's spec */
    this.spec = null;
    /** Under the diagram: what the articles' "context switches" are, and what "DMA gather" means on this path. */
    this.switchNote = el('p', { class: 'flow-note', id: 'flow-switch-note' },
      el('strong', {}, 'Mode switches: '),
      'the articles\' "context switches" (4 per chunk for read/write, 2 for sendfile) are user/kernel mode switches. Each syscall makes two (into the kernel and back), so the lab counts them as syscalls × 2, drawn above. The "ctx sw" columns in the tables are something else: the scheduler\'s context switches (the thread taken off the CPU).');
    this.gatherNote = el('p', { class: 'flow-note', id: 'flow-gather-note', hidden: true });
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
    // the note goes with the syscalls line (the Watch view's diagram has none)
    this.switchNote.hidden = !svg.querySelector('[data-line="syscalls"]');
    this.host.replaceChildren(svg, this.legend, this.switchNote, this.gatherNote, table);
    this.svg = svg;
    this.line('syscalls', '');
    this.line('summary', '');
  }

  /**
   * Shows the diagram of a run's mode, its boxes saying the run's cache, device and sink.
   * @param {RunRecord} run
   */
  setRun(run) {
    this.setMode(run.spec.mode);
    this.spec = run.spec;
    const dev = run.result?.device;
    const subs = this.flow.subtitles;
    this.about('cache', subs.cache[run.spec.cache]);
    this.about('sink', subs.sink[run.spec.sink]);
    this.about('device', dev ? `${dev.name}, SG ${dev.scatterGather ? 'on' : 'off'}` : run.spec.path);
    // The transmit arrow says what the path's device is: lo and veth hand the packet on in memory (no DMA).
    const path = /** @type {keyof FlowDoc['transmit']} */ (run.spec.path);
    const xmit = this.flow.transmit[path] ?? this.flow.transmit.unknown;
    const a = this.arrows.get('dev-xmit');
    const name = a?.g.querySelector('[data-name]');
    if (name) name.textContent = xmit.label;
    const title = a?.g.querySelector('title');
    if (title) title.textContent = `${xmit.detail}; it includes what TCP retransmitted\ncounter: sender.dev_xmit_bytes`;
    const cell = a?.row.firstElementChild;
    if (cell?.lastChild) cell.lastChild.textContent = `${xmit.label}: ${xmit.detail}; it includes what TCP retransmitted`;
    const gather = this.flow.gatherNote[/** @type {keyof FlowDoc['gatherNote']} */ (run.spec.path)];
    this.gatherNote.replaceChildren(el('strong', {}, '"DMA gather" here: '), gather ?? '');
    this.gatherNote.hidden = !gather;
  }

  /** @param {string} id @param {string} text */
  line(id, text) {
    const t = this.svg?.querySelector(`[data-line="${id}"]`);
    if (t) t.textContent = text;
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
   * @param {{syscalls?: Record<string, number> | null, chunks?: number, copyCounters?: string[], live?: boolean}} [more]
   *   the sender's syscalls by name and the chunks they moved (the mode switches line); the copy counters (the summary line); live: figures so far
   */
  show(counters, moved, more = {}) {
    const retx = counters?.sender?.retransmit_bytes;
    // Live, the sender's progress report lags the counters by up to a tick: the payload the device sent (same snapshot) is nearer.
    const sent = counters?.sender?.dev_xmit_bytes;
    if (more.live && typeof sent === 'number') moved = Math.max(moved ?? 0, sent - (retx ?? 0));
    for (const a of this.arrows.values()) {
      const v = counters?.[a.role]?.[a.counter];
      const has = typeof v === 'number';
      // The transmit includes what TCP sent again: the table's row and the summary line say how much
      // (on the arrow, "252.6 MiB incl. 191.8 KiB retx." ran into the receiver's label).
      const resent = a.counter === 'dev_xmit_bytes' && has && typeof retx === 'number' && retx > 0 ? retx : 0;
      if (a.amount) a.amount.textContent = has ? fmtBytes(v) : counters ? 'no source' : '–';
      a.g.setAttribute('data-bytes', has ? String(v) : '');
      a.g.classList.toggle('idle', has && v === 0);
      a.g.classList.toggle('unmeasured', !!counters && !has);
      a.bytes.textContent = has ? `${v.toLocaleString('en-US')}${resent ? `, incl. ${resent.toLocaleString('en-US')} retransmitted` : ''}` : counters ? 'no source' : '–';
      // per byte moved only from final counts: live progress reports lag the counters by up to a tick
      a.per.textContent = has && moved && !more.live ? fmtNum(v / moved, 3) : '–';
      a.row.classList.toggle('idle', !has || v === 0);
    }
    this.line('syscalls', counters ? syscallsLine(more.syscalls, more.chunks ?? (moved && this.spec ? Math.ceil(moved / this.spec.chunkBytes) : 0), this.textbooks[this.mode], !!more.live) : '');
    this.line('summary', counters ? this.summary(counters, moved, more) : '');
  }

  /**
   * "CPU copies per byte: 3 (textbook 2): file -> user 1 + user -> socket 1 + linearize 1 · to device 256.4 MiB, incl. 0.4 MiB retransmitted"
   * @param {import('./types.js').CountersByRole} counters
   * @param {number | undefined} moved
   * @param {{copyCounters?: string[], live?: boolean}} more
   */
  summary(counters, moved, more) {
    const s = counters.sender ?? {};
    const tb = this.textbooks[this.mode];
    const parts = [];
    const names = (more.copyCounters ?? []);
    const values = names.map((n) => s[n]);
    if (moved && names.length && values.every((v) => typeof v === 'number')) {
      const total = /** @type {number[]} */ (values).reduce((x, y) => x + y, 0);
      const terms = [...this.arrows.values()].filter((a) => a.role === 'sender' && names.includes(a.counter) && (s[a.counter] ?? 0) / moved > 0.005)
        .map((a) => `${SHORT[a.counter] ?? a.counter} ${fmtNum(/** @type {number} */ (s[a.counter]) / moved, 2)}`);
      parts.push(`CPU copies per byte${more.live ? ' so far: ≈' : ': '}${fmtNum(total / moved, 2)}${tb ? ` (textbook ${tb.cpuCopies})` : ''}${terms.length > 1 ? `: ${terms.join(' + ')}` : ''}`);
    } else if (moved) parts.push('CPU copies per byte: not measured (a copy counter has no source)');
    const x = s.dev_xmit_bytes;
    const r = s.retransmit_bytes;
    if (typeof x === 'number' && x > 0) parts.push(`to device ${fmtBytes(x)}${typeof r === 'number' ? `, incl. ${fmtBytes(r)} retransmitted` : ''}`);
    return parts.join(' · ');
  }
}

/** The copy counters' short names in the summary line. @type {Record<string, string>} */
const SHORT = {
  copy_file_to_user_bytes: 'file → user',
  copy_user_to_socket_bytes: 'user → socket',
  copy_linearize_bytes: 'linearize',
  zerocopy_copied_bytes: 'copied after all',
  copy_socket_to_user_bytes: 'socket → user',
};

/**
 * "read() × 2,048 + write() × 2,048 = 4 mode switches per chunk (textbook 4)": the sender's syscalls
 * by name, and the mode switches they make per chunk (2 each; the one-off mmap left out, as the probes' derive does).
 * @param {Record<string, number> | null | undefined} calls
 * @param {number} chunks
 * @param {{modeSwitchesPerChunk: number} | undefined} tb
 * @param {boolean} live
 */
export function syscallsLine(calls, chunks, tb, live) {
  if (!calls) return 'syscalls: not measured';
  const entries = Object.entries(calls).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return '';
  const terms = entries.map(([k, v]) => `${k}() × ${v.toLocaleString('en-US')}${k === 'mmap' ? ' (once)' : ''}`);
  const perChunk = chunks > 0 ? (2 * entries.filter(([k]) => k !== 'mmap').reduce((a, [, v]) => a + v, 0)) / chunks : null;
  const switches = perChunk === null ? '' : ` = ${live ? '≈' : ''}${fmtNum(perChunk, 3)} mode switches per chunk`;
  return `${terms.join(' + ')}${switches} (${chunks.toLocaleString('en-US')} chunk${chunks === 1 ? '' : 's'}; 2 per syscall${tb ? `; textbook ${tb.modeSwitchesPerChunk}` : ''})`;
}
