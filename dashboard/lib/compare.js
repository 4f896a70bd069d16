// The compare view (recent runs side by side, per MiB moved) and the seeds'
// table (the textbook's copies and mode switches beside the measurement).
import { el, fmtBytes, fmtNum, fmtTime } from './format.js';

/** @typedef {import('./types.js').RunRecord} RunRecord */
/** @typedef {import('./types.js').ModesDoc} ModesDoc */

/**
 * A number cell with a bar proportional to the column's largest value.
 * @param {number | null | undefined} v
 * @param {number} max
 * @param {string} [title]
 */
function barCell(v, max, title) {
  const td = el('td', { class: 'num', title });
  td.textContent = fmtNum(v);
  if (typeof v === 'number' && max > 0) td.style.setProperty('--bar', `${Math.min(100, (v / max) * 100).toFixed(1)}%`);
  return td;
}

/**
 * @param {HTMLTableElement} table
 * @param {RunRecord[]} runs finished runs, newest first
 * @param {string | undefined} selected
 * @param {(run: RunRecord) => void} onSelect
 */
export function renderCompare(table, runs, selected, onSelect) {
  const head = el('tr', {},
    el('th', {}, 'time'), el('th', { title: 'who ran it: this dashboard (or the API), zcl run on the command line, or a report (read-only)' }, 'from'), el('th', {}, 'mode'), el('th', { title: 'the probe engine that measured the run' }, 'engine'), el('th', {}, 'path'), el('th', {}, 'sink'), el('th', {}, 'size'), el('th', {}, 'chunk'), el('th', {}, 'cache'),
    el('th', { class: 'num', title: 'sender throughput' }, 'MiB/s'),
    el('th', { class: 'num', title: "sender CPU seconds per GiB moved (netperf's service demand)" }, 'CPU s/GiB'),
    el('th', { class: 'num', title: 'bytes the CPU copied per byte moved (sender): per MiB moved, the MiB the CPU copied; 1 = every byte copied once' }, 'CPU-copied MiB/MiB'),
    el('th', { class: 'num', title: 'syscalls per MiB (sender); each syscall is 2 user/kernel mode switches, the articles\' "context switches"' }, 'syscalls/MiB'),
    el('th', { class: 'num', title: 'the scheduler\'s context switches per MiB (sender): the thread taken off the CPU; not the articles\' "context switches", which are mode switches (syscalls × 2)' }, 'ctx sw/MiB (scheduler)'),
    el('th', { class: 'num', title: 'bytes the device transmitted (sender), including what TCP retransmitted' }, 'to device (incl. retransmitted)'),
    el('th', {}, 'textbook'));
  const rows = runs.filter((r) => r.state === 'finished' && r.result);
  const pm = (/** @type {RunRecord} */ r, /** @type {string} */ k) => r.result?.probes?.sender?.derived?.per_mib?.[k] ?? null;
  const perByte = (/** @type {number | null} */ v) => (v === null ? null : v / 2 ** 20);
  const max = (/** @type {(r: RunRecord) => number | null | undefined} */ f) => Math.max(0, ...rows.map((r) => f(r) ?? 0));
  const mx = {
    tp: max((r) => r.result?.throughputMiBps),
    cpu: max((r) => r.result?.sender.cpuSecondsPerGiB),
    copy: max((r) => perByte(pm(r, 'cpu_copy_bytes'))),
    sys: max((r) => pm(r, 'syscalls')),
    ctx: max((r) => pm(r, 'ctx_switches')),
  };
  const body = el('tbody');
  for (const r of rows) {
    const res = /** @type {import('./types.js').RunResult} */ (r.result);
    const tr = el('tr', { 'data-run': r.id, class: r.id === selected ? 'selected' : undefined, tabindex: 0, title: 'show this run in the flow diagram' },
      el('td', {}, fmtTime(r.endedAt)), originCell(r), el('td', {}, r.spec.mode), el('td', {}, res.probes?.engine ?? '–'), el('td', {}, r.spec.path), el('td', {}, r.spec.sink),
      el('td', { class: 'num' }, fmtBytes(r.spec.sizeBytes)), el('td', { class: 'num' }, fmtBytes(r.spec.chunkBytes)), el('td', {}, r.spec.cache),
      barCell(res.throughputMiBps, mx.tp), barCell(res.sender.cpuSecondsPerGiB, mx.cpu),
      barCell(perByte(pm(r, 'cpu_copy_bytes')), mx.copy, `${fmtNum(pm(r, 'cpu_copy_bytes'))} bytes copied per MiB moved`), barCell(pm(r, 'syscalls'), mx.sys), barCell(pm(r, 'ctx_switches'), mx.ctx),
      el('td', { class: 'num xmit' }, transmitText(res.probes?.sender?.counters.dev_xmit_bytes, res.probes?.sender?.counters.retransmit_bytes)),
      el('td', { class: `verdict ${res.textbook?.verdict ?? 'none'}` }, res.textbook?.verdict ?? (res.probes ? res.probes.status : 'no probes')));
    tr.addEventListener('click', () => onSelect(r));
    tr.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && onSelect(r));
    body.append(tr);
  }
  if (!rows.length) body.append(el('tr', {}, el('td', { colspan: 16, class: 'empty' }, 'No finished runs yet: start one, or press "Run every mode".')));
  table.replaceChildren(el('thead', {}, head), body);
}

/**
 * Who ran a run, as a small tag: "dashboard", "CLI" (zcl run), "report" and the report's name (its
 * matrix's, kept as it is in every language; the report's directory in the title).
 * @param {RunRecord} r
 */
export function originCell(r) {
  const origin = r.origin ?? 'dashboard';
  const td = el('td', { class: 'origin', 'data-origin': origin });
  if (origin === 'report') {
    td.append(el('span', { class: 'origin-tag report', title: r.report ? `report directory: ${r.report.id}` : undefined }, 'report'), ' ',
      el('span', { class: 'report-name', translate: 'no' }, r.report?.name ?? '?'));
  } else td.append(el('span', { class: `origin-tag ${origin}` }, origin === 'cli' ? 'CLI' : 'dashboard'));
  return td;
}

/**
 * "256.4 MiB, incl. 0.4 MiB retransmitted" (the device's transmit includes TCP's retransmits).
 * @param {number | null | undefined} xmit
 * @param {number | null | undefined} retx
 */
export function transmitText(xmit, retx) {
  if (typeof xmit !== 'number') return 'n/a';
  return typeof retx === 'number' ? `${fmtBytes(xmit)}, incl. ${fmtBytes(retx)} retransmitted` : fmtBytes(xmit);
}

/**
 * The seeds' table: per mode and per path it was measured on, the textbook's expectation and the
 * latest run's measurement there (a mode never run: one row, "not run yet", or "refused on this
 * kernel" with the kernel's reason).
 * @param {HTMLTableElement} table
 * @param {RunRecord[]} runs newest first
 * @param {ModesDoc} doc
 */
export function renderSeeds(table, runs, doc) {
  const head = el('tr', {},
    el('th', {}, 'mode'), el('th', {}, 'path'), el('th', {}, 'textbook path'),
    el('th', { class: 'num' }, 'CPU copies / byte: textbook'), el('th', { class: 'num' }, 'measured'),
    el('th', { class: 'num', title: 'the articles\' "context switches": user/kernel mode switches, 2 per syscall' }, 'mode switches / chunk ("context switches"): textbook'), el('th', { class: 'num', title: 'syscalls per chunk × 2, counted by the probes' }, 'measured (syscalls × 2)'),
    el('th', { class: 'num', title: 'the scheduler\'s context switches per chunk: a different thing from the articles\' "context switches"' }, 'ctx sw / chunk (scheduler)'),
    el('th', {}, 'verdict'), el('th', {}, 'why (when it differs)'), el('th', {}, 'latest run there'));
  const body = el('tbody');
  for (const m of doc.modes) {
    // the latest finished run of this mode on each path, paths in the catalog's order
    const measured = doc.paths.map((p) => runs.find((x) => x.state === 'finished' && x.spec.mode === m.name && x.spec.path === p.name && x.result?.textbook)).filter((r) => !!r);
    for (const r of measured.length ? measured : [undefined]) body.append(seedRow(m, r));
  }
  table.replaceChildren(el('thead', {}, head), body);
}

/**
 * @param {ModesDoc['modes'][number]} m
 * @param {RunRecord | undefined} r
 */
function seedRow(m, r) {
  const tb = r?.result?.textbook;
  const res = r?.result;
  const ctx = res?.probes?.sender?.counters.ctx_switches;
  const perChunk = typeof ctx === 'number' && res?.chunks ? ctx / res.chunks : null;
  /** why this kernel cannot run the mode (GET /api/modes), shown where a measurement would be */
  const refused = /** @type {{refused?: string}} */ (m).refused;
  return el('tr', { 'data-mode': m.name, 'data-path': r?.spec.path ?? '' },
      el('td', {}, m.name), el('td', { class: 'path' }, r?.spec.path ?? '–'), el('td', { class: 'note' }, m.textbook.note),
      el('td', { class: 'num' }, m.textbook.cpuCopies), el('td', { class: 'num' }, tb ? fmtNum(tb.measured.cpuCopies, 2) : '–'),
      el('td', { class: 'num' }, m.textbook.modeSwitchesPerChunk), el('td', { class: 'num' }, tb ? fmtNum(tb.measured.modeSwitchesPerChunk, 3) : '–'),
      el('td', { class: 'num ctx' }, perChunk === null ? '–' : fmtNum(perChunk, 3)),
      el('td', { class: `verdict ${tb?.verdict ?? (refused ? 'refused' : 'none')}` }, tb?.verdict ?? (refused ? 'refused on this kernel' : 'not run yet')),
      el('td', { class: 'reason' }, tb?.reason ?? refused ?? ''),
      el('td', { class: 'small' }, r ? `${r.spec.path}, ${fmtBytes(r.spec.sizeBytes)}, chunk ${fmtBytes(r.spec.chunkBytes)}${res?.passes && res.passes > 1 ? `, ${res.passes} passes` : ''}` : ''));
}
