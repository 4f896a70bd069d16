// The Watch view: processes the lab did not start. A list of running processes
// with their TCP connections (GET /api/processes: refresh, filter, pick one or
// several), a watch of them (POST /api/watches, viewed on /live, DELETE to stop),
// and live: the verdict and its findings in words, the flow diagram of what
// their bytes did (the arrows that carried bytes are drawn), charts of bytes/s
// copied vs by reference and syscalls/s over the whole watch, and per process,
// connection and file tables when the probe engine keeps them.
import { api, ApiError } from './api.js';
import { LiveCharts } from './charts.js';
import { FlowDiagram } from './flow.js';
import { el, fmtBytes, fmtDuration, fmtNum } from './format.js';

/** @typedef {import('./types.js').WatchRecord} WatchRecord */
/** @typedef {import('./types.js').WatchSampleFrame} WatchSampleFrame */
/** @typedef {import('./types.js').ProcessInfo} ProcessInfo */

const REF_COUNTERS = new Set(['splice_ref_bytes', 'zerocopy_bytes']);
const END_WORDS = { stopped: 'stopped', exited: 'its processes exited', 'no-viewers': 'no one viewed it', 'server-closing': 'the server closed', failed: 'failed' };

export class WatchPanel {
  /**
   * @param {HTMLElement} host
   * @param {import('./types.js').ModesDoc} doc
   * @param {{view(id: string): void, unview(id: string): void}} live
   */
  constructor(host, doc, live) {
    this.live = live;
    /** @type {ProcessInfo[]} */
    this.processes = [];
    /** @type {Set<number>} */
    this.picked = new Set();
    /** @type {WatchRecord | null} the watch shown */
    this.watch = null;
    /** @type {WatchSampleFrame | null} */
    this.last = null;

    this.filter = el('input', { type: 'search', id: 'w-filter', placeholder: 'pid, name or command', 'aria-label': 'filter the processes' });
    this.refreshBtn = el('button', { type: 'button', id: 'w-refresh' }, 'Refresh');
    this.follow = el('input', { type: 'checkbox', id: 'w-follow', checked: true });
    this.startBtn = el('button', { type: 'button', id: 'w-start', class: 'primary', disabled: true }, 'Watch selected');
    this.error = el('p', { class: 'form-error', id: 'w-error', role: 'alert' });
    this.count = el('p', { class: 'sub', id: 'w-count' }, 'loading the processes…');
    this.list = el('div', { class: 'proc-list', id: 'w-procs', role: 'group', 'aria-label': 'running processes' });
    const picker = el(
      'div',
      { class: 'watch-picker' },
      el('div', { class: 'watch-tools' }, this.filter, this.refreshBtn),
      this.count,
      this.list,
      el('label', { class: 'check' }, this.follow, ' follow children (those running and those forked later)'),
      el('div', { class: 'buttons' }, this.startBtn),
      this.error,
    );

    this.status = el('p', { class: 'run-status', id: 'w-status', 'aria-live': 'polite' }, 'Pick a process on the left (a server with a TCP connection, say) and watch it: what it sends, copied or by reference.');
    this.stopBtn = el('button', { type: 'button', id: 'w-stop', hidden: true }, 'Stop watching');
    this.verdict = el('div', { class: 'watch-verdict', id: 'w-verdict', 'aria-live': 'polite' });
    this.flowHost = el('div', { class: 'flow-diagram', id: 'w-flow' });
    this.chartsHost = el('div', { class: 'charts watch-charts', id: 'w-charts' });
    this.detail = el('div', { class: 'watch-detail', id: 'w-detail' });
    const view = el('div', { class: 'watch-live' }, el('div', { class: 'watch-head' }, this.status, this.stopBtn), this.verdict, this.flowHost, this.chartsHost, this.detail);
    host.replaceChildren(picker, view);

    this.flow = new FlowDiagram(this.flowHost, /** @type {any} */ ({ ...doc.flow, modes: { watch: doc.flow.watch } }), 'watch');
    this.charts = new LiveCharts(this.chartsHost, doc.watchCharts, doc.chartWindowSeconds, {
      fit: true,
      xTitle: 'time since the watch began (s)',
      dashed: (c) => REF_COUNTERS.has(c),
    });
    this.flow.show(null);

    this.filter.addEventListener('input', () => this.renderList());
    this.refreshBtn.addEventListener('click', () => void this.refresh());
    this.startBtn.addEventListener('click', () => void this.start());
    this.stopBtn.addEventListener('click', () => void this.stop());
  }

  async refresh() {
    this.refreshBtn.disabled = true;
    try {
      const r = await api('GET', '/api/processes?limit=1000');
      this.processes = r.processes;
      const live = new Set(this.processes.map((p) => p.pid));
      for (const p of this.picked) if (!live.has(p)) this.picked.delete(p);
      this.count.textContent = `${r.total} processes${r.truncated ? `, the first ${r.processes.length} shown` : ''}; those with TCP sockets first`;
      this.renderList();
    } catch (e) {
      this.error.textContent = `cannot list the processes: ${/** @type {Error} */ (e).message}`;
    } finally {
      this.refreshBtn.disabled = false;
    }
  }

  renderList() {
    const q = this.filter.value.trim().toLowerCase();
    const shown = this.processes.filter((p) => !q || String(p.pid).includes(q) || p.comm.toLowerCase().includes(q) || p.cmdline.toLowerCase().includes(q));
    const rows = shown.slice(0, 300).map((p) => {
      const id = `w-pick-${p.pid}`;
      const box = el('input', { type: 'checkbox', id, value: p.pid, checked: this.picked.has(p.pid), disabled: !!p.self });
      box.addEventListener('change', () => {
        if (box.checked) this.picked.add(p.pid);
        else this.picked.delete(p.pid);
        this.updateStart();
      });
      const conns = p.tcp.length
        ? el('ul', { class: 'conns' }, ...p.tcp.slice(0, 6).map((c) => el('li', {}, el('span', { class: `state ${c.state.toLowerCase()}` }, c.state === 'LISTEN' ? 'listen' : 'conn'), ` ${c.local}${c.state === 'LISTEN' ? '' : ` ⇄ ${c.remote}`}`)), p.tcp.length > 6 ? el('li', {}, `… ${p.tcp.length - 6} more`) : null)
        : null;
      return el(
        'div',
        { class: `proc${this.picked.has(p.pid) ? ' picked' : ''}`, 'data-pid': p.pid },
        box,
        el('label', { for: id }, el('strong', {}, p.comm), ` ${p.pid}`, p.self ? el('em', {}, ' (this server)') : null, el('span', { class: 'cmd', title: p.cmdline }, p.cmdline)),
        conns,
      );
    });
    this.list.replaceChildren(...(rows.length ? rows : [el('p', { class: 'sub' }, q ? `no process matches '${q}'` : 'no processes')]));
    this.updateStart();
  }

  updateStart() {
    this.startBtn.disabled = this.picked.size === 0 || !!(this.watch && this.watch.state !== 'ended');
    this.startBtn.textContent = this.picked.size > 1 ? `Watch ${this.picked.size} processes` : 'Watch selected';
    for (const row of this.list.querySelectorAll('.proc')) row.classList.toggle('picked', this.picked.has(Number(/** @type {HTMLElement} */ (row).dataset.pid)));
  }

  async start() {
    this.error.textContent = '';
    this.startBtn.disabled = true;
    try {
      const r = await api('POST', '/api/watches', { pids: [...this.picked], follow: this.follow.checked });
      this.show(r.watch);
    } catch (e) {
      if (e instanceof ApiError && e.issues?.length) this.error.textContent = `${e.message}: ${e.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
      else this.error.textContent = /** @type {Error} */ (e).message;
      this.updateStart();
    }
  }

  async stop() {
    if (!this.watch) return;
    this.stopBtn.disabled = true;
    try {
      this.showState(await api('DELETE', `/api/watches/${encodeURIComponent(this.watch.id)}`));
    } catch (e) {
      this.error.textContent = /** @type {Error} */ (e).message;
      this.stopBtn.disabled = false;
    }
  }

  /** Shows a watch (a new one, or one in progress the server told of) and views it. @param {WatchRecord} w */
  show(w) {
    if (this.watch?.id !== w.id) {
      if (this.watch && this.watch.state !== 'ended') this.live.unview(this.watch.id);
      this.watch = w;
      this.last = null;
      this.charts.reset();
      this.flow.show(null);
      this.verdict.replaceChildren();
      this.detail.replaceChildren();
    }
    if (w.state !== 'ended') this.live.view(w.id);
    this.showState(w);
  }

  /** Views the shown watch again (after the WebSocket reconnected). */
  review() {
    if (this.watch && this.watch.state !== 'ended') this.live.view(this.watch.id);
  }

  /** A watch frame, or a watch of the hello frame. @param {WatchRecord} w */
  update(w) {
    if (this.watch?.id === w.id) this.showState(w);
  }

  /** @param {WatchRecord} w */
  showState(w) {
    this.watch = w;
    const who = w.targets.map((t) => `${t.comm} ${t.pid}`).join(', ') || w.request.comm || '';
    const t = this.last?.t ?? w.t;
    if (w.state === 'ended') {
      const why = w.endReason ? END_WORDS[w.endReason] ?? w.endReason : 'ended';
      this.status.textContent = `Watched ${who} for ${fmtDuration(t)}: ended (${why}${w.error ? `: ${w.error.message}` : ''}). The probes are off; the process keeps running.`;
      this.status.dataset.state = 'ended';
      this.stopBtn.hidden = true;
    } else {
      this.status.textContent = `Watching ${who}${w.request.follow ? ' and its children' : ''} with ${w.engine}${t ? `: ${fmtDuration(t)}` : ''}; ${w.viewers} viewer${w.viewers === 1 ? '' : 's'}.`;
      this.status.dataset.state = w.state;
      this.stopBtn.hidden = false;
      this.stopBtn.disabled = false;
    }
    this.updateStart();
  }

  /** @param {WatchSampleFrame} f */
  sample(f) {
    if (!this.watch || f.watchId !== this.watch.id) return;
    const first = !this.last;
    this.last = f;
    this.charts.push(/** @type {any} */ ({ runId: f.watchId, t: f.t, progress: { bytes: 0, total: 0, t: 0 }, counters: f.counters ? { sender: f.counters, sink: {} } : null }));
    if (f.counters) {
      /** @type {Record<string, number>} */
      const sink = { copy_socket_to_user_bytes: 0 };
      this.flow.show({ sender: f.counters, sink }, f.verdict?.bytesSent || undefined);
    }
    if (first || f.seq % 5 === 0) {
      this.renderVerdict(f);
      this.renderDetail(f);
      this.showState(this.watch);
    }
  }

  /** @param {WatchSampleFrame} f */
  renderVerdict(f) {
    const v = f.verdict;
    if (!v) {
      this.verdict.replaceChildren(el('p', { class: 'sub' }, 'no counts: the probes are not on'));
      return;
    }
    const kindWords = { 'zero-copy': 'zero-copy', copies: 'copies', 'no-sends': 'no sends yet', unmeasured: 'unmeasured' };
    const head = el(
      'p',
      { class: `verdict-line ${v.kind}`, 'data-kind': v.kind },
      el('strong', { class: 'verdict-kind' }, kindWords[v.kind] ?? v.kind),
      ` ${v.summary === kindWords[v.kind] ? '' : `${v.summary}: `}${fmtBytes(v.bytesSent)} handed to sockets, ${v.cpuCopyBytes === null ? 'CPU copies unmeasured' : `${fmtBytes(v.cpuCopyBytes)} copied by the CPU on the way out`}${v.copiesPerByte === null ? '' : ` (${fmtNum(v.copiesPerByte, 2)} copies per byte sent)`}.`,
    );
    const paths = v.paths.length
      ? el('ul', { class: 'paths', id: 'w-paths' }, ...v.paths.map((p) => el('li', { 'data-path': p.path }, el('span', { class: `swatch ${p.byReference ? 'ref' : 'cpu'}` }), `${p.label}: ${fmtBytes(p.bytes)}`, Object.keys(p.syscalls).length ? el('span', { class: 'sub' }, ` (${Object.entries(p.syscalls).map(([k, n]) => `${k} ×${n}`).join(', ')})`) : null)))
      : el('p', { class: 'sub' }, 'no send path used yet: make the program send something (a client fetching from it)');
    const findings = v.findings.length
      ? el('ul', { class: 'findings', id: 'w-findings' }, ...v.findings.map((x) => el('li', { 'data-code': x.code }, el('strong', {}, `zero-copy lost (${x.code}${x.inference ? ', an inference' : ''}): `), x.message)))
      : el('p', { class: 'sub', id: 'w-findings' }, v.kind === 'zero-copy' ? 'no "zero-copy lost" findings: every byte sent went by reference.' : 'no "zero-copy lost" findings.');
    this.verdict.replaceChildren(head, paths, findings);
  }

  /** @param {WatchSampleFrame} f */
  renderDetail(f) {
    const d = f.detail;
    if (!d) {
      this.detail.replaceChildren(el('p', { class: 'sub' }, `${f.watched.length} process${f.watched.length === 1 ? '' : 'es'} counted now (${f.watched.slice(0, 12).join(', ')}${f.watched.length > 12 ? ', …' : ''}); per process, connection and file counts: this probe engine does not keep them.`));
      return;
    }
    const num = (/** @type {number | null | undefined} */ v) => el('td', { class: 'num' }, v === null || v === undefined ? 'n/a' : fmtBytes(v));
    const table = (/** @type {string} */ id, /** @type {string} */ caption, /** @type {string[]} */ heads, /** @type {HTMLElement[]} */ rows) =>
      el('div', { class: 'table-wrap' }, el('table', { class: 'data', id }, el('caption', {}, caption), el('thead', {}, el('tr', {}, ...heads.map((h, i) => el('th', { class: i >= 2 ? 'num' : undefined }, h)))), el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: heads.length, class: 'empty' }, 'none yet'))]))));
    const procs = table('w-proc-table', 'per process', ['process', 'state', 'copied user -> socket', 'by reference', 'copied file -> user', 'syscalls'], d.processes.map((p) =>
      el('tr', {}, el('td', {}, `${p.comm} ${p.tgid}`), el('td', {}, p.exited ? 'exited' : 'running'), num(p.counters.copy_user_to_socket_bytes), num((p.counters.splice_ref_bytes ?? 0) + (p.counters.zerocopy_bytes ?? 0)), num(p.counters.copy_file_to_user_bytes), el('td', { class: 'num' }, fmtNum(p.counters.syscalls)))));
    const conns = table('w-conn-table', 'per TCP connection', ['connection', 'process', 'copied user -> socket', 'by reference', 'linearized', 'to device'], d.connections.map((c) =>
      el('tr', {}, el('td', {}, `${c.local} → ${c.remote}`), el('td', {}, `${c.comm} ${c.tgid}`), num(c.counters.copy_user_to_socket_bytes), num((c.counters.splice_ref_bytes ?? 0) + (c.counters.zerocopy_bytes ?? 0)), num(c.counters.copy_linearize_bytes), num(c.counters.dev_xmit_bytes))));
    const files = table('w-file-table', 'per file', ['file', 'process', 'copied file -> user', 'by reference', 'read from disk'], d.files.map((x) =>
      el('tr', {}, el('td', { class: 'path' }, x.path ?? `${x.dev}:${x.ino}`), el('td', {}, String(x.tgid)), num(x.counters.copy_file_to_user_bytes), num(x.counters.splice_ref_bytes), num(x.counters.block_read_bytes))));
    const cut = d.truncated ? el('p', { class: 'sub' }, `the largest rows shown: ${d.truncated.processes} processes, ${d.truncated.connections} connections and ${d.truncated.files} files more`) : null;
    this.detail.replaceChildren(procs, conns, files, ...(cut ? [cut] : []));
  }
}
