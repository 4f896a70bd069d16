// The seeds' diagram, measured: disk -> page cache -> user buffer -> socket
// buffer -> device -> receiver, one inline SVG per mode (and path, cache, sink),
// each arrow labelled with the bytes that crossed it per byte moved (medians),
// and coloured by who moved them: the CPU (a copy), DMA / the device, or no one
// (pages passed by reference).
import { num } from './format.js';
import type { FlowGroup } from './model.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const FLOW_COLORS = { cpu: '#c62828', dma: '#1565c0', ref: '#2e7d32', none: '#9e9e9e' } as const;
type Kind = keyof typeof FLOW_COLORS;

const W = 940;
const BOX_W = 116;
const BOX_H = 54;
const GAP = (W - 20 - 6 * BOX_W) / 5;
const bx = (i: number) => 10 + i * (BOX_W + GAP);

const MAPPED_MODES = new Set(['mmap-write', 'msg-zerocopy']);
const USER_BUFFER_MODES = new Set(['read-write', 'node-stream', 'mmap-write', 'msg-zerocopy']);

/** What crossed an arrow: a name ("CPU copy") and the amount per byte moved, drawn on two lines above the arrow. */
interface Label { text: string; amount?: string; kind: Kind }

function labelStack(x: number, bottom: number, labels: Label[]): string {
  const lines: { text: string; kind: Kind; bold: boolean }[] = [];
  for (const l of labels) {
    lines.push({ text: l.text, kind: l.kind, bold: false });
    if (l.amount !== undefined) lines.push({ text: l.amount, kind: l.kind, bold: true });
  }
  return lines
    .map((l, i) => `<text x="${x}" y="${bottom - (lines.length - 1 - i) * 14}" text-anchor="middle" fill="${FLOW_COLORS[l.kind]}" font-size="${l.bold ? 13 : 11.5}"${l.bold ? ' font-weight="600"' : ''}>${esc(l.text)}</text>`)
    .join('');
}

function arrow(p: string, x1: number, x2: number, y: number, labels: Label[], dashed = false): string {
  const Y = y;
  const main = labels.find((l) => l.kind !== 'none')?.kind ?? 'none';
  const color = FLOW_COLORS[main];
  const width = main === 'none' ? 1.5 : 3;
  return (
    `<line x1="${x1 + 2}" y1="${y}" x2="${x2 - 2}" y2="${y}" stroke="${color}" stroke-width="${width}"${dashed || main === 'ref' ? ' stroke-dasharray="6 4"' : ''} marker-end="url(#${p}-${main})"/>` +
    labelStack((x1 + x2) / 2, Y - BOX_H / 2 - 8, labels)
  );
}

function box(Y: number, i: number, title: string, sub: string, faded = false): string {
  const x = bx(i);
  return (
    `<rect x="${x}" y="${Y - BOX_H / 2}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${faded ? '#fafafa' : '#f3f6fa'}" stroke="${faded ? '#ccc' : '#607d8b'}"${faded ? ' stroke-dasharray="4 3"' : ''}/>` +
    `<text x="${x + BOX_W / 2}" y="${Y - 4}" text-anchor="middle" font-size="13" font-weight="600" fill="${faded ? '#999' : '#263238'}">${esc(title)}</text>` +
    `<text x="${x + BOX_W / 2}" y="${Y + 13}" text-anchor="middle" font-size="10.5" fill="#546e7a">${esc(sub)}</text>`
  );
}

const v = (x: number | null | undefined) => (x === null || x === undefined ? null : x);
const some = (x: number | null) => x !== null && x > 0.005;

/** One flow group's diagram; `p` makes its marker ids unique in the page. */
export function flowSvg(g: FlowGroup, p: string): string {
  const s = g.perByte.sender;
  const k = g.perByte.sink;
  const mode = g.spec.mode;
  const mapped = MAPPED_MODES.has(mode);
  const usesUser = USER_BUFFER_MODES.has(mode);
  const dev = g.device ? `${g.device.name}, SG ${g.device.scatterGather ? 'on' : 'off'}` : String(g.spec.path);
  const markers = (Object.keys(FLOW_COLORS) as Kind[])
    .map((kind) => `<marker id="${p}-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${FLOW_COLORS[kind]}"/></marker>`)
    .join('');
  const parts: string[] = [];
  const ref = v(s.splice_ref_bytes);
  const hasArc = some(ref) || !usesUser;
  // Room above the boxes: for the arc over the user buffer when there is one.
  const Y = hasArc ? 150 : 100;
  const unmeasured = g.runs === 0;
  const amount = (x: number | null) => (unmeasured || x === null ? '?' : num(x, 2));

  // Boxes.
  parts.push(box(Y, 0, 'disk', 'the file'));
  parts.push(box(Y, 1, 'page cache', g.spec.cache === 'cold' ? 'cold: dropped first' : 'warm: cached'));
  parts.push(box(Y, 2, mapped ? 'user mapping' : 'user buffer', mapped ? 'mmap() of the file' : usesUser ? (mode === 'node-stream' ? 'a Node Buffer' : 'read() into it') : 'not used', !usesUser));
  parts.push(box(Y, 3, 'socket buffer', 'sender TCP'));
  parts.push(box(Y, 4, 'device', dev));
  parts.push(box(Y, 5, 'receiver', g.spec.sink === 'discard' ? 'recv(MSG_TRUNC)' : 'recv() into a buffer'));

  // disk -> page cache: DMA when the file was not cached.
  const disk = v(s.block_read_bytes);
  parts.push(arrow(p, bx(0) + BOX_W, bx(1), Y, [some(disk) ? { text: 'DMA', amount: amount(disk), kind: 'dma' } : { text: disk === null && !unmeasured ? 'not measured' : 'no disk read', amount: amount(disk), kind: 'none' }]));

  // page cache -> user buffer: a CPU copy (read), or a mapping (no copy).
  const toUser = v(s.copy_file_to_user_bytes);
  if (mapped) parts.push(arrow(p, bx(1) + BOX_W, bx(2), Y, [{ text: 'mapped,', amount: 'no copy', kind: 'none' }], true));
  else if (usesUser || some(toUser)) parts.push(arrow(p, bx(1) + BOX_W, bx(2), Y, [{ text: 'CPU copy', amount: amount(toUser), kind: some(toUser) ? 'cpu' : 'none' }]));

  // user buffer -> socket buffer: a CPU copy (write), or pinned pages (MSG_ZEROCOPY).
  const toSock = v(s.copy_user_to_socket_bytes);
  const zc = v(s.zerocopy_bytes);
  const zcCopied = v(s.zerocopy_copied_bytes);
  const userLabels: Label[] = [];
  if (some(toSock) || (usesUser && !some(zc))) userLabels.push({ text: 'CPU copy', amount: amount(toSock), kind: some(toSock) ? 'cpu' : 'none' });
  if (some(zc) || mode === 'msg-zerocopy') userLabels.push({ text: 'pinned, by ref.', amount: amount(zc), kind: some(zc) ? 'ref' : 'none' });
  if (some(zcCopied)) userLabels.unshift({ text: 'copied after all', amount: amount(zcCopied), kind: 'cpu' });
  if (userLabels.length) parts.push(arrow(p, bx(2) + BOX_W, bx(3), Y, userLabels));

  // page cache -> socket buffer, over the user buffer: pages by reference (sendfile, splice).
  if (hasArc) {
    const x1 = bx(1) + BOX_W / 2;
    const x2 = bx(3) + BOX_W / 2;
    const top = 62;
    const kind: Kind = some(ref) ? 'ref' : 'none';
    parts.push(
      `<path d="M${x1},${Y - BOX_H / 2} C${x1},${top} ${x2},${top} ${x2},${Y - BOX_H / 2 - 2}" fill="none" stroke="${FLOW_COLORS[kind]}" stroke-width="${kind === 'none' ? 1.5 : 3}" stroke-dasharray="6 4" marker-end="url(#${p}-${kind})"/>` +
        labelStack((x1 + x2) / 2, top - 4, [{ text: 'pages by reference', amount: amount(ref), kind }]),
    );
  }

  // socket buffer -> device: a CPU copy into linear packets when the device cannot gather; then the device's DMA.
  const lin = v(s.copy_linearize_bytes);
  const xmit = v(s.dev_xmit_bytes);
  const devLabels: Label[] = [];
  if (some(lin)) devLabels.push({ text: 'CPU copy (linearize)', amount: amount(lin), kind: 'cpu' });
  devLabels.push({ text: 'to device', amount: amount(xmit), kind: some(xmit) ? 'dma' : 'none' });
  parts.push(arrow(p, bx(3) + BOX_W, bx(4), Y, devLabels));

  // device -> receiver: the receive copy (read sink) or none (discard).
  const recv = v(k.copy_socket_to_user_bytes);
  parts.push(arrow(p, bx(4) + BOX_W, bx(5), Y, [some(recv) ? { text: 'CPU copy', amount: amount(recv), kind: 'cpu' } : g.spec.sink === 'discard' ? { text: 'dropped,', amount: 'no copy', kind: 'none' } : { text: 'CPU copy', amount: amount(recv), kind: 'none' }]));

  // Totals under the boxes.
  const measured = g.measuredCopies;
  const sinkCopies = v(k.cpu_copy_bytes);
  parts.push(
    `<text x="10" y="${Y + BOX_H / 2 + 28}" font-size="12.5" fill="#263238">` +
      esc(
        unmeasured
          ? 'no run of this group measured the counters (see the probes status in the environment)'
          : `sender CPU copies per byte: ${measured === null ? 'not measured' : num(measured, 2)} (the seeds: ${g.textbook.cpuCopies})` +
              `; receiver: ${sinkCopies === null ? 'not measured' : num(sinkCopies, 2)}` +
              `; ${g.runs} run${g.runs === 1 ? '' : 's'}, medians per byte moved`,
      ) +
      `</text>`,
  );
  const H = Y + BOX_H / 2 + 40;
  return (
    `<svg class="flow" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(`data flow of ${g.title}`)}" font-family="system-ui, sans-serif">` +
    `<defs>${markers}</defs>${parts.join('')}</svg>`
  );
}

/** The legend shared by every diagram. */
export function flowLegend(): string {
  const item = (kind: Kind, text: string, dashed = false) =>
    `<span class="legend-item"><svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5" stroke="${FLOW_COLORS[kind]}" stroke-width="3"${dashed ? ' stroke-dasharray="6 4"' : ''}/></svg> ${esc(text)}</span>`;
  return (
    `<p class="legend">` +
    item('cpu', 'CPU copy') +
    item('dma', 'DMA, or handed to the device (lo and veth pass packets on in memory; a real NIC reads them by DMA)') +
    item('ref', 'no copy: pages passed by reference', true) +
    item('none', 'nothing crossed (0)') +
    `</p>`
  );
}
