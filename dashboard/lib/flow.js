// The seeds' diagram, driven by measurement: disk -> page cache -> user buffer
// -> socket buffer -> NIC (and the receiver's copy), drawn in SVG from the
// server's description (/api/modes .flow). Each arrow shows the bytes its
// counter measured; arrows that carried nothing are greyed out.
import { el, fmtBytes, fmtNum } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
function s(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return /** @type {SVGElement} */ (e);
}

/**
 * Where the segment from the centre of box a towards b leaves box a.
 * @param {{x:number,y:number}} a
 * @param {{x:number,y:number}} b
 * @param {{width:number,height:number}} box
 */
function edge(a, b, box) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const tx = dx === 0 ? Infinity : box.width / 2 / Math.abs(dx);
  const ty = dy === 0 ? Infinity : box.height / 2 / Math.abs(dy);
  const t = Math.min(tx, ty);
  return { x: a.x + dx * t, y: a.y + dy * t };
}

export class FlowDiagram {
  /**
   * @param {HTMLElement} host
   * @param {import('./types.js').ModesDoc['flow']} flow
   */
  constructor(host, flow) {
    this.flow = flow;
    const { width, height } = flow.viewBox;
    const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'where the bytes went: the measured flow diagram', class: 'flow-svg' });
    const defs = s('defs');
    for (const kind of ['dma', 'cpu', 'ref', 'idle', 'wire']) {
      const m = s('marker', { id: `head-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
      m.append(s('path', { d: 'M0,0 L10,5 L0,10 z', class: `head head-${kind}` }));
      defs.append(m);
    }
    svg.append(defs);
    for (const l of flow.layers) {
      svg.append(s('rect', { x: 4, y: l.y0, width: width - 8, height: l.y1 - l.y0, rx: 8, class: `layer layer-${l.id}` }));
      svg.append(s('text', { x: 14, y: l.y0 + 18, class: 'layer-label' }, l.label));
    }
    const byId = new Map(flow.nodes.map((n) => [n.id, n]));
    const box = flow.box;
    // Sender and receiver halves.
    const rx = flow.nodes.filter((n) => n.side === 'receiver');
    if (rx.length) {
      const x0 = Math.min(...rx.map((n) => n.x)) - box.width / 2 - 22;
      svg.append(s('line', { x1: x0, y1: 8, x2: x0, y2: height - 8, class: 'divider' }));
      svg.append(s('text', { x: x0 + 10, y: height - 14, class: 'side-label' }, 'receiver (sink process)'));
      svg.append(s('text', { x: x0 - 10, y: height - 14, class: 'side-label', 'text-anchor': 'end' }, 'sender'));
    }
    // The wire (not measured on its own).
    const wa = byId.get(flow.wire.from);
    const wb = byId.get(flow.wire.to);
    if (wa && wb) {
      const p = edge(wa, wb, box);
      const q = edge(wb, wa, box);
      svg.append(s('path', { d: `M${p.x},${p.y} L${q.x},${q.y}`, class: 'wire', 'marker-end': 'url(#head-wire)' }));
      // Under the wire, centred between the NIC and the receiver, two lines.
      const wx = (p.x + q.x) / 2 + 40;
      const wy = (p.y + q.y) / 2 + 22;
      this.wireLabel = s('text', { x: wx, y: wy, class: 'wire-label', 'text-anchor': 'middle' });
      this.wireLine1 = s('tspan', { x: wx, dy: 0 }, flow.wire.label);
      this.wireLine2 = s('tspan', { x: wx, dy: 14 }, '');
      this.wireLabel.append(this.wireLine1, this.wireLine2);
      svg.append(this.wireLabel);
    }
    /** @type {Map<string, {g: SVGElement, shaft: SVGElement, bytes: SVGElement, arrow: import('./types.js').FlowArrow}>} */
    this.arrows = new Map();
    for (const a of flow.arrows) {
      const from = byId.get(a.from);
      const to = byId.get(a.to);
      if (!from || !to) continue;
      const p0 = edge(from, to, box);
      const p1 = edge(to, from, box);
      const len = Math.hypot(p1.x - p0.x, p1.y - p0.y) || 1;
      const nx = -(p1.y - p0.y) / len;
      const ny = (p1.x - p0.x) / len;
      const o = a.offset;
      const x0 = p0.x + nx * o, y0 = p0.y + ny * o, x1 = p1.x + nx * o, y1 = p1.y + ny * o;
      const g = s('g', { class: `arrow ${a.kind} idle`, 'data-arrow': a.id, 'data-counter': a.counter, 'data-role': a.role, 'data-bytes': '' });
      const title = s('title', {}, `${a.detail}\ncounter: ${a.role}.${a.counter}`);
      g.append(title);
      const shaft = s('path', { d: `M${x0},${y0} L${x1},${y1}`, class: 'shaft', 'marker-end': 'url(#head-idle)' });
      g.append(shaft);
      // The label beside the middle of the arrow, on the side of its offset (right of it when centred).
      const side = o < 0 ? -1 : 1;
      const lx = (x0 + x1) / 2 + nx * side * 10;
      const ly = (y0 + y1) / 2 + ny * side * 10;
      const anchor = Math.abs(nx) < 0.2 ? 'middle' : nx * side > 0 ? 'start' : 'end';
      const text = s('text', { x: lx, y: ly - 2, class: 'arrow-label', 'text-anchor': anchor });
      const name = s('tspan', { x: lx, dy: 0, class: 'arrow-name' }, a.label);
      const bytes = s('tspan', { x: lx, dy: 14, class: 'arrow-bytes' }, 'n/a');
      text.append(name, bytes);
      g.append(text);
      svg.append(g);
      this.arrows.set(a.id, { g, shaft, bytes, arrow: a });
    }
    for (const n of flow.nodes) {
      const g = s('g', { class: `node node-${n.layer}` });
      g.append(s('rect', { x: n.x - box.width / 2, y: n.y - box.height / 2, width: box.width, height: box.height, rx: 6 }));
      g.append(s('text', { x: n.x, y: n.y + 5, 'text-anchor': 'middle' }, n.label));
      svg.append(g);
    }
    const legend = s('g', { class: 'legend', transform: `translate(${flow.legend.x}, ${flow.legend.y})` });
    [['dma', 'DMA (device, no CPU)'], ['cpu', 'CPU copy'], ['ref', 'by reference (no copy)'], ['idle', 'carried nothing / no source']].forEach(([k, label], i) => {
      legend.append(s('path', { d: `M0,${i * 17} L36,${i * 17}`, class: `legend-line ${k}`, 'marker-end': `url(#head-${k})` }));
      legend.append(s('text', { x: 44, y: i * 17 + 4 }, label));
    });
    svg.append(legend);
    // The same figures as a table: exact bytes, and per byte moved (1.00 = every byte once).
    const body = el('tbody');
    /** @type {Map<string, {bytes: HTMLElement, per: HTMLElement}>} */
    this.rows = new Map();
    for (const a of flow.arrows) {
      const bytesTd = el('td', { class: 'num' }, '–');
      const perTd = el('td', { class: 'num' }, '–');
      body.append(el('tr', { 'data-arrow': a.id, class: 'idle' }, el('td', {}, el('span', { class: `swatch ${a.kind}` }), a.detail), el('td', {}, el('code', {}, `${a.role}.${a.counter}`)), bytesTd, perTd));
      this.rows.set(a.id, { bytes: bytesTd, per: perTd });
    }
    const table = el('table', { class: 'data arrows-table' }, el('thead', {}, el('tr', {}, el('th', {}, 'arrow'), el('th', {}, 'counter'), el('th', { class: 'num' }, 'bytes'), el('th', { class: 'num', title: 'bytes on the arrow / bytes the sender moved' }, 'per byte moved'))), body);
    host.replaceChildren(svg, table);
    this.table = table;
    this.svg = svg;
  }

  /**
   * Shows cumulative counters per role (null: no source; undefined role: nothing measured).
   * @param {import('./types.js').CountersByRole | null} counters
   * @param {number} [moved] bytes the sender has moved so far
   */
  show(counters, moved) {
    for (const { g, shaft, bytes, arrow } of this.arrows.values()) {
      const v = counters?.[arrow.role]?.[arrow.counter];
      const has = typeof v === 'number';
      bytes.textContent = has ? fmtBytes(v) : counters ? 'no source' : '–';
      const idle = !has || v === 0;
      g.classList.toggle('idle', idle);
      shaft.setAttribute('marker-end', `url(#head-${idle ? 'idle' : arrow.kind})`);
      g.setAttribute('data-bytes', has ? String(v) : '');
      const row = this.rows.get(arrow.id);
      if (row) {
        row.bytes.textContent = has ? v.toLocaleString('en-US') : counters ? 'no source' : '–';
        row.per.textContent = has && moved ? fmtNum(v / moved, 3) : '–';
        row.bytes.parentElement?.classList.toggle('idle', idle);
      }
    }
  }

  /**
   * What the wire between the two hosts is.
   * @param {string} line1
   * @param {string} [line2]
   */
  setWire(line1, line2 = '') {
    if (this.wireLine1) this.wireLine1.textContent = line1;
    if (this.wireLine2) this.wireLine2.textContent = line2;
  }
}
