// Draws a flow layout (server/view/flow.ts) as an SVG string: for the HTML
// report with its values in place, and for the dashboard as a template whose
// arrows carry data attributes (`data-arrow`, `data-role`, `data-counter`,
// `data-bytes`, and `data-amount` on the text the live value goes in) that
// dashboard/lib/flow.js binds live counters to. Colours are presentation
// attributes, so the drawing looks the same wherever it is inlined.
import { MODE_NAMES, type ModeName } from '../../scenarios/catalog.js';
import type { Role } from '../probes/schema.generated.js';
import { CACHE_SUBTITLES, GATHER_NOTE, TRANSMIT, flowLayout, LINE, modeLayouts, WATCH_MODE, SINK_SUBTITLES, type FlowArrow, type FlowBox, type FlowCounter, type FlowKind, type FlowLayout } from './flow.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Colours by kind; `none`: not measured (no source), and the packets' path to the receiver. */
export const FLOW_COLORS = { cpu: '#c62828', dma: '#1565c0', ref: '#2e7d32', none: '#9e9e9e' } as const;
type Colour = keyof typeof FLOW_COLORS;

/** The values to draw: one counter of one role (per byte moved, or bytes), null when not measured. */
export interface FlowValues {
  get(role: Role, counter: FlowCounter): number | null;
  format(v: number | null): string;
  /** Appended to an arrow's amount (the transmit's retransmits: " incl. 0.003 retx."). */
  extra?(m: { role: Role; counter: FlowCounter }): string;
}

export interface FlowSvgOptions {
  /** Makes the marker ids unique in the page. */
  id: string;
  /** Absent: a template, every amount "–", for the dashboard to fill in. */
  values?: FlowValues;
  /** One line under the boxes. */
  caption?: string;
  /** Template lines under the boxes, each a `<text data-line=ID>` the dashboard fills in (the syscalls, the copies' summary). */
  lines?: string[];
  /** The lines' text, by id (the report's, drawn in place); absent: empty, for the dashboard to fill in. */
  lineText?: Record<string, string>;
  /** The root element's class. */
  className?: string;
  ariaLabel?: string;
}

function labelText(a: FlowArrow, amount: string, colour: Colour, bound: boolean): string {
  const { x, y } = a.labelAt;
  const fill = FLOW_COLORS[colour];
  return (
    `<text x="${x}" y="${y - LINE}" text-anchor="middle" fill="${fill}" font-size="11.5" class="arrow-name"${bound ? ' data-name=""' : ''}>${esc(a.label)}</text>` +
    `<text x="${x}" y="${y}" text-anchor="middle" fill="${fill}" font-size="13" font-weight="600" class="arrow-amount"${bound ? ' data-amount=""' : ''}>${esc(amount)}</text>`
  );
}

function arrowSvg(a: FlowArrow, p: string, values?: FlowValues): string {
  const v = a.measure && values ? values.get(a.measure.role, a.measure.counter) : undefined;
  const colour: Colour = v === null ? 'none' : a.kind;
  const amount = !a.measure ? a.fixed ?? '' : values ? values.format(v ?? null) + (values.extra?.(a.measure) ?? '') : '–';
  const attrs = a.measure
    ? ` data-arrow="${a.id}" data-role="${a.measure.role}" data-counter="${a.measure.counter}" data-kind="${a.kind}" data-bytes=""`
    : ` data-arrow="${a.id}" data-kind="${a.kind}"`;
  return (
    `<g class="arrow ${a.kind}"${attrs}><title>${esc(a.detail + (a.measure ? `\ncounter: ${a.measure.role}.${a.measure.counter}` : ''))}</title>` +
    `<path d="${a.path}" fill="none" stroke="${FLOW_COLORS[colour]}" stroke-width="${colour === 'none' ? 1.5 : 3}"${a.dashed ? ' stroke-dasharray="6 4"' : ''} marker-end="url(#${p}-${colour})"/>` +
    labelText(a, amount, colour, !!a.measure && !values) +
    `</g>`
  );
}

function boxSvg(b: FlowBox): string {
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2;
  return (
    `<g class="box${b.faded ? ' faded' : ''}${b.mapped ? ' mapped' : ''}" data-box="${b.id}">` +
    `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="6" fill="${b.faded ? '#fafafa' : b.mapped ? '#f1f8f2' : '#f3f6fa'}" stroke="${b.faded ? '#ccc' : b.mapped ? FLOW_COLORS.ref : '#607d8b'}"${b.faded || b.mapped ? ' stroke-dasharray="4 3"' : ''}/>` +
    `<text x="${cx}" y="${cy - 4}" text-anchor="middle" font-size="13" font-weight="600" fill="${b.faded ? '#999' : '#263238'}">${esc(b.title)}</text>` +
    `<text x="${cx}" y="${cy + 13}" text-anchor="middle" font-size="10.5" fill="#546e7a"${b.about ? ` data-about="${b.about}"` : ''}>${esc(b.subtitle)}</text>` +
    `</g>`
  );
}

/** The layout as one <svg> element. */
export function renderFlowSvg(l: FlowLayout, o: FlowSvgOptions): string {
  const p = o.id;
  const markers = (Object.keys(FLOW_COLORS) as Colour[])
    .map((k) => `<marker id="${p}-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${FLOW_COLORS[k]}"/></marker>`)
    .join('');
  const connectors = l.connectors.map((c) => `<path class="connector" d="${c.path}" fill="none" stroke="${FLOW_COLORS.none}" stroke-width="1.5" marker-end="url(#${p}-none)"/>`).join('');
  const caption = o.caption === undefined ? '' : `<text x="10" y="${l.captionY}" font-size="12.5" fill="#263238" class="caption">${esc(o.caption)}</text>`;
  // SVG text does not wrap: a line drawn in place (the report's) longer than the diagram is set smaller to fit (about 7 px a character at 12.5).
  const size = (text: string) => Math.min(12.5, Math.floor((12.5 * (l.width - 20)) / (7 * Math.max(1, text.length)) * 10) / 10);
  const lines = (o.lines ?? []).map((id, i) => {
    const text = o.lineText?.[id] ?? '';
    return `<text x="10" y="${l.captionY + i * 18}" font-size="${size(text)}" fill="#263238" class="flow-line" data-line="${id}">${esc(text)}</text>`;
  }).join('');
  const height = o.lines?.length ? l.captionY + (o.lines.length - 1) * 18 + 8 : o.caption === undefined ? l.captionY - 16 : l.height;
  return (
    `<svg class="${o.className ?? 'flow'}" data-mode="${l.mode}" viewBox="0 0 ${l.width} ${height}" width="100%" role="img" aria-label="${esc(o.ariaLabel ?? `data flow of ${l.mode}`)}" font-family="system-ui, sans-serif">` +
    `<defs>${markers}</defs>${connectors}${l.arrows.map((a) => arrowSvg(a, p, o.values)).join('')}${l.boxes.map(boxSvg).join('')}${caption}${lines}</svg>`
  );
}

/** The legend shared by every diagram (HTML). */
export function flowLegend(): string {
  const item = (k: FlowKind | 'none', text: string, dashed = false, thin = false) =>
    `<span class="legend-item"><svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5" stroke="${FLOW_COLORS[k]}" stroke-width="${thin ? 1.5 : 3}"${dashed ? ' stroke-dasharray="6 4"' : ''}/></svg> ${esc(text)}</span>`;
  return (
    `<p class="legend">` +
    item('cpu', 'CPU copy') +
    item('dma', 'DMA, or handed to the device (lo and veth pass packets on in memory; a real NIC reads them by DMA)') +
    item('ref', 'no copy: pages passed by reference', true) +
    item('none', 'to the receiver; or not measured', false, true) +
    `<span class="legend-item">an arrow that carried nothing is not drawn</span>` +
    `</p>`
  );
}

/** The lines under a dashboard diagram: the syscalls that made the mode switches, and the CPU copies' summary. */
export const FLOW_LINES = ['syscalls', 'summary'];

/** The dashboard's diagrams: per mode, a template and the arrows it binds; the run facts the subtitles say; the legend. */
export function flowDocument() {
  return (document ??= buildDocument());
}

let document: ReturnType<typeof buildDocument> | undefined;

function watchDiagram() {
  const l = flowLayout({ mode: WATCH_MODE });
  return {
    svg: renderFlowSvg(l, { id: 'flowwatch', className: 'flow-svg', ariaLabel: 'where the watched processes\' bytes went: the measured flow diagram' }),
    arrows: l.arrows.flatMap((a) => (a.measure ? [{ id: a.id, role: a.measure.role, counter: a.measure.counter, kind: a.kind, label: a.label, detail: a.detail }] : [])),
  };
}

function buildDocument() {
  const layouts = modeLayouts();
  return {
    modes: Object.fromEntries(
      MODE_NAMES.map((m, i) => [
        m,
        {
          svg: renderFlowSvg(layouts[m], { id: `flow${i}`, className: 'flow-svg', ariaLabel: `where the bytes went in ${m}: the measured flow diagram`, lines: FLOW_LINES }),
          arrows: layouts[m].arrows.flatMap((a) => (a.measure ? [{ id: a.id, role: a.measure.role, counter: a.measure.counter, kind: a.kind, label: a.label, detail: a.detail }] : [])),
        },
      ]),
    ) as Record<ModeName, { svg: string; arrows: { id: string; role: Role; counter: FlowCounter; kind: FlowKind; label: string; detail: string }[] }>,
    /** The Watch view's diagram: every arrow a sender can use; the counters decide which are drawn. */
    watch: watchDiagram(),
    subtitles: { cache: CACHE_SUBTITLES, sink: SINK_SUBTITLES },
    /** The transmit arrow's label and detail per path (the templates know no path), and what "DMA gather" means on each. */
    transmit: TRANSMIT,
    gatherNote: GATHER_NOTE,
    legend: flowLegend(),
  };
}
