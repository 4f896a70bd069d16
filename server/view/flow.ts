// The seeds' flow diagram as data: disk -> page cache -> user buffer -> socket
// buffer -> device -> receiver, laid out for one mode (and, when known, its path,
// sink, cache and device). One model for the live dashboard and the HTML report;
// server/view/flow-svg.ts draws it.
//
// What the layout holds comes from the mode catalog's flags (maps the file, uses
// a user buffer, passes pages, pins user pages), never from mode names: a mode
// gets only the arrows it can use. Arrows that carried nothing are left out when
// the caller knows the values (`carries`), not greyed; the dashboard, which gets
// one layout per mode before any value is known, hides them as values arrive.
// Each arrow's label sits above it in a slot of its own, so no arrow crosses a
// label.
//
// Pure: no imports from live/, api/ or report/.
import { MODE_NAMES, modeInfo, type CacheName, type ModeName, type PathName, type SinkName } from '../../scenarios/catalog.js';
import { counterInfo, type CounterName, type CounterOfKind, type Role } from '../probes/schema.generated.js';

/** How the bytes on an arrow moved: a CPU copy, a device (DMA, or handed to it), or pages passed by reference (no copy). */
export type FlowKind = 'cpu' | 'dma' | 'ref';

/**
 * The kind of each counter the diagram draws. Here until the counter catalog
 * (bpf/counters.h) carries kinds of its own; then this table derives from it.
 */
/** The counters the diagram draws: every counter of bytes moved (a CPU copy, DMA, or by reference); its kind is the catalog's. */
export type FlowCounter = CounterOfKind<'cpu' | 'dma' | 'ref'>;
const kindOf = (c: FlowCounter) => counterInfo(c).kind as FlowKind;

export type BoxId = 'disk' | 'pagecache' | 'user' | 'socket' | 'device' | 'receiver';
export type ArrowId =
  | 'disk-read' | 'file-to-user' | 'file-mapped' | 'user-to-socket' | 'zerocopy-ref' | 'zerocopy-copied'
  | 'splice-ref' | 'linearize' | 'dev-xmit' | 'receive-copy' | 'receive-mapped' | 'encrypt';

/** What an arrow shows: one counter of one role. */
export interface FlowMeasure { role: Role; counter: FlowCounter }

export interface FlowBox {
  id: BoxId;
  title: string;
  subtitle: string;
  /** Which run fact the subtitle says (the dashboard fills it in per run). */
  about?: 'cache' | 'device' | 'sink';
  /** Drawn dashed and pale: the textbook's path has it, this mode skips it. */
  faded: boolean;
  /** Drawn dashed, as the mapping arrow: a mapping of the page cache, not a buffer anything was copied into (mmap-write). */
  mapped?: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FlowArrow {
  id: ArrowId;
  from: BoxId;
  to: BoxId;
  /** The counter it shows; none for a fact of the mode (the mapping of mmap), which is drawn always. */
  measure?: FlowMeasure;
  kind: FlowKind;
  /** The label's first line ("CPU copy"); the second is the amount. */
  label: string;
  /** The second line when there is no counter ("no copy"). */
  fixed?: string;
  /** One sentence, for a tooltip and the table. */
  detail: string;
  /** SVG path of its shaft (viewBox units), drawn with an arrow head at its end. */
  path: string;
  dashed: boolean;
  /** Where its label goes: centred on x; y is the baseline of its last line (lines are `LINE` apart, growing upwards). */
  labelAt: { x: number; y: number };
}

export interface FlowLayout {
  mode: ModeName;
  width: number;
  height: number;
  boxes: FlowBox[];
  /** Drawn first, on top of one another where they share a hop: the last one drawn is the one seen. */
  arrows: FlowArrow[];
  /** Lines that are no measurement: the packets' path from the device to the receiver. */
  connectors: { path: string }[];
  /** Baseline of a caption line under the boxes. */
  captionY: number;
}

/**
 * The diagram of a watched program (`mode: WATCH_MODE`): the lab did not pick how
 * it sends, so every arrow a sender can use is in it (read into a buffer, pages by
 * reference, MSG_ZEROCOPY, linearized at transmit) and the counters decide which
 * are drawn; the receiver is whoever the program sends to, not measured.
 */
export const WATCH_MODE = 'watch';
const WATCH_INFO = { native: true, mapsFile: false, usesUserBuffer: true, passesPages: true, pinsUserPages: true, encrypts: false };

/** What is known of the run the diagram is for. Unknown fields give the layout every arrow they could allow. */
export interface FlowContext {
  /** A mode of the catalog, or WATCH_MODE. */
  mode: string;
  path?: PathName;
  sink?: SinkName;
  cache?: CacheName;
  device?: { name: string; scatterGather: boolean } | null;
  /** Whether an arrow's counter carried anything (e.g. > 0.005 per byte; true when not measured). Absent: keep every arrow. */
  carries?: (m: FlowMeasure) => boolean;
}

/** Whether each path's device does scatter-gather (when the run's own device is not known). */
const PATH_GATHERS: Record<PathName, boolean> = { loopback: true, veth: true, 'veth-nosg': false };
export const CACHE_SUBTITLES: Record<CacheName, string> = { warm: 'warm: cached', cold: 'cold: dropped first' };
/** Short (they fit in the receiver's box, about 20 characters); the sink's summary says the rest. */
export const SINK_SUBTITLES: Record<SinkName, string> = {
  read: 'recv() into a buffer',
  discard: 'recv(MSG_TRUNC)',
  copy: 'recv(), no checksum',
  splice: 'splice() to a pipe',
  'zerocopy-receive': 'pages mapped (mmap)',
};

/**
 * What the transmit arrow is on a path: the lab's paths are virtual devices (lo, veth) that pass
 * the packet on in memory; no DMA happens there. "DMA" is for the disk read and for a real NIC,
 * which reads the packet by DMA (gathering fragments when it does scatter-gather).
 */
export const TRANSMIT: Record<PathName | 'unknown', { label: string; detail: string }> = {
  loopback: {
    label: 'to lo, in memory',
    detail: 'handed to the device: lo, a virtual device, passes the packet on in memory (no DMA). A real NIC would read it by DMA',
  },
  veth: {
    label: 'to veth, in memory',
    detail: 'handed to the device: veth, a virtual device, passes the packet on in memory (no DMA). Scatter-gather is on: it takes packets as page fragments, as a NIC that can "DMA gather" would',
  },
  'veth-nosg': {
    label: 'to veth, in memory',
    detail: 'handed to the device: veth, a virtual device, passes the packet on in memory (no DMA). Scatter-gather is off: it takes only linear packets, as a NIC that cannot gather, so the kernel copies them linear first',
  },
  unknown: {
    label: 'to device',
    detail: 'the device transmits the payload (a real NIC reads it by DMA, gathering fragments when it can; lo and veth pass it on in memory)',
  },
};

/**
 * What the diagram's "DMA gather" means on a path: a device that can or cannot gather, shown on a
 * virtual device, not on a NIC.
 */
export const GATHER_NOTE: Record<PathName, string> = {
  loopback: 'lo is a virtual device, not a NIC: its transmit is a handoff in memory, no DMA. It can gather (takes page fragments), so sendfile\'s pages go by reference, as with the articles\' "DMA gather"; the DMA itself happens only on a real NIC.',
  veth: 'veth is a virtual device, not a NIC: its transmit is a handoff in memory, no DMA. Scatter-gather is on: it stands for a device that can gather (the articles\' "sendfile + DMA gather"); the DMA itself happens only on a real NIC.',
  'veth-nosg': 'veth with scatter-gather off is a virtual device, not a NIC: its transmit is a handoff in memory, no DMA. It stands for a device that cannot gather: the kernel copies every packet linear first (the "CPU copy (linearize)" arrow), which a real NIC without scatter-gather would need too.',
};

/** The device box's subtitle: the device and its scatter-gather, or the path's name. */
export const deviceSubtitle = (path?: string, device?: { name: string; scatterGather: boolean } | null) =>
  device ? `${device.name}, SG ${device.scatterGather ? 'on' : 'off'}` : path ?? "the path's device";

export const WIDTH = 940;
export const BOX_W = 116;
export const BOX_H = 54;
/** Distance between two lines of a label. */
export const LINE = 14;
const GAP = (WIDTH - 20 - 6 * BOX_W) / 5;
const bx = (i: number) => 10 + i * (BOX_W + GAP);
const COLUMN: Record<BoxId, number> = { disk: 0, pagecache: 1, user: 2, socket: 3, device: 4, receiver: 5 };
/** A label is two lines; a slot holds one label and the space to the next. */
const SLOT = 2 * LINE;
/** The arc over the user buffer: its control points' height, and the room it needs above the boxes. */
const ARC_TOP = 62;
const ARC_Y = 150;

/** One arrow's facts before it is placed: which hop, which slot above the hop (0 nearest). */
type Spec = Omit<FlowArrow, 'path' | 'dashed' | 'labelAt' | 'kind'> & { kind?: FlowKind; slot: number; arc?: boolean; dashed?: boolean };

const measure = (role: Role, counter: FlowCounter): FlowMeasure => ({ role, counter });

/** The layout of the diagram for a mode, in its context. */
export function flowLayout(ctx: FlowContext): FlowLayout {
  const watch = ctx.mode === WATCH_MODE;
  const info = watch ? WATCH_INFO : modeInfo(ctx.mode);
  if (!info) throw new Error(`flowLayout: unknown mode ${ctx.mode}`);
  const mode = ctx.mode as ModeName;
  const gathers = ctx.device ? ctx.device.scatterGather : ctx.path ? PATH_GATHERS[ctx.path] : undefined;
  const user = info.usesUserBuffer;
  const copiesIn = user && !info.mapsFile;

  const specs: Spec[] = [
    { id: 'disk-read', from: 'disk', to: 'pagecache', measure: measure('sender', 'block_read_bytes'), label: 'DMA', detail: 'DMA: the disk controller writes the file into the page cache (cache cold)', slot: 0 },
  ];
  if (copiesIn)
    specs.push({ id: 'file-to-user', from: 'pagecache', to: 'user', measure: measure('sender', 'copy_file_to_user_bytes'), label: 'CPU copy', detail: 'CPU copy: page cache -> user buffer (read() of the file)', slot: 0 });
  if (info.mapsFile)
    specs.push({ id: 'file-mapped', from: 'pagecache', to: 'user', kind: 'ref', label: 'mapped,', fixed: 'no copy', detail: 'the mapping is the page cache: its pages appear in the sender\'s address space, nothing is copied', slot: 0, dashed: true });
  // Slots bottom to top above a hop, the arrow a mode expects lowest (so an arrow hidden for carrying nothing
  // leaves no gap under another); the last drawn line is the one seen, so a copy is drawn over pages by reference.
  if (info.pinsUserPages)
    specs.push({ id: 'zerocopy-ref', from: 'user', to: 'socket', measure: measure('sender', 'zerocopy_bytes'), label: 'pinned, by ref.', detail: 'by reference: user pages pinned and sent (MSG_ZEROCOPY)', slot: 0 });
  if (info.pinsUserPages)
    specs.push({ id: 'zerocopy-copied', from: 'user', to: 'socket', measure: measure('sender', 'zerocopy_copied_bytes'), label: 'copied after all', detail: 'CPU copy: MSG_ZEROCOPY bytes the kernel reported copied after all (SO_EE_CODE_ZEROCOPY_COPIED)', slot: 1 });
  if (user)
    specs.push({ id: 'user-to-socket', from: 'user', to: 'socket', measure: measure('sender', 'copy_user_to_socket_bytes'), label: 'CPU copy', detail: 'CPU copy: user buffer (or mapping) -> socket buffer (write()/send())', slot: info.pinsUserPages ? 2 : 0 });
  // kTLS: the cipher reads the plaintext (the user buffer, or with sendfile the page-cache pages) and writes
  // the ciphertext into a record buffer of the socket's, which TCP then queues by reference.
  if (info.encrypts)
    specs.push({
      id: 'encrypt', from: info.passesPages ? 'pagecache' : 'user', to: 'socket', measure: measure('sender', 'copy_encrypt_bytes'), label: 'CPU pass (encrypt)',
      detail: 'CPU pass: kTLS encrypts the plaintext into a record buffer of the socket (the ciphertext goes on by reference)', slot: 1, arc: info.passesPages,
    });
  if (info.passesPages && !info.encrypts)
    specs.push({ id: 'splice-ref', from: 'pagecache', to: 'socket', measure: measure('sender', 'splice_ref_bytes'), label: 'pages by reference', detail: 'by reference: page-cache pages handed to the socket (sendfile, splice)', slot: 0, arc: true });
  const xmit = watch ? TRANSMIT.unknown : TRANSMIT[ctx.path ?? 'unknown'];
  specs.push({ id: 'dev-xmit', from: 'socket', to: 'device', measure: measure('sender', 'dev_xmit_bytes'), label: xmit.label, detail: `${xmit.detail}; it includes what TCP retransmitted`, slot: 0 });
  if (gathers !== true)
    specs.push({ id: 'linearize', from: 'socket', to: 'device', measure: measure('sender', 'copy_linearize_bytes'), label: 'CPU copy (linearize)', detail: 'CPU copy: payload copied into linear packets for a device without scatter-gather', slot: 1 });
  // TCP_ZEROCOPY_RECEIVE: whole pages of the socket mapped into the receiver (by reference, no copy);
  // drawn for that sink, and where the sink is not known yet (the dashboard's per-mode diagram hides it while it carries nothing).
  if (!watch && (ctx.sink === undefined || ctx.sink === 'zerocopy-receive'))
    specs.push({ id: 'receive-mapped', from: 'device', to: 'receiver', measure: measure('sink', 'zerocopy_receive_bytes'), label: 'mapped, by ref.', detail: 'by reference: whole socket pages mapped into the receiver (TCP_ZEROCOPY_RECEIVE), no copy', slot: 1 });
  if (!watch)
    specs.push({ id: 'receive-copy', from: 'device', to: 'receiver', measure: measure('sink', 'copy_socket_to_user_bytes'), label: 'CPU copy', detail: "CPU copy: the receiver's socket buffer -> its user buffer (read and copy sinks; zerocopy-receive: what it could not map; discard and splice sinks: none)", slot: 0 });

  // Leave out what carried nothing; close the gaps that leaves in a hop's slots.
  const kept = specs.filter((s) => !s.measure || !ctx.carries || ctx.carries(s.measure));
  const hops = new Map<string, Spec[]>();
  for (const s of kept.filter((s) => !s.arc)) {
    const key = `${s.from}>${s.to}`;
    hops.set(key, [...(hops.get(key) ?? []), s]);
  }
  for (const list of hops.values()) list.sort((a, b) => a.slot - b.slot).forEach((s, i) => (s.slot = i));
  const slots = Math.max(1, ...[...hops.values()].map((l) => l.length));
  const hasArc = kept.some((s) => s.arc) || !user;
  // Room above the boxes for the highest stack of labels (and the arc over the user buffer).
  const Y = Math.max(hasArc ? ARC_Y : 0, 100, 10 + 11 + (slots * SLOT - LINE) + BOX_H / 2 + 8);
  const top = Y - BOX_H / 2;

  const arrows: FlowArrow[] = kept.map(({ slot, arc, dashed, kind, ...s }) => {
    const k = kind ?? kindOf(s.measure!.counter);
    if (arc) {
      const x1 = bx(COLUMN[s.from]) + BOX_W / 2;
      const x2 = bx(COLUMN[s.to]) + BOX_W / 2;
      return { ...s, kind: k, path: `M${x1},${top} C${x1},${ARC_TOP} ${x2},${ARC_TOP} ${x2},${top - 2}`, dashed: true, labelAt: { x: (x1 + x2) / 2, y: ARC_TOP - 4 } };
    }
    const x1 = bx(COLUMN[s.from]) + BOX_W + 2;
    const x2 = bx(COLUMN[s.to]) - 2;
    // The transmit's labels sit a little right of their hop: its amount may say retransmits too, and the arc of pages
    // by reference lands on the socket box's centre.
    const shift = s.from === 'socket' && s.to === 'device' ? 20 : 0;
    return { ...s, kind: k, path: `M${x1},${Y} L${x2},${Y}`, dashed: dashed ?? k === 'ref', labelAt: { x: (x1 + x2) / 2 + shift, y: top - 8 - slot * SLOT } };
  });

  const boxes: FlowBox[] = [
    { id: 'disk', title: 'disk', subtitle: watch ? 'its files' : 'the file', faded: false },
    { id: 'pagecache', title: 'page cache', subtitle: ctx.cache ? CACHE_SUBTITLES[ctx.cache] : 'kernel memory', about: 'cache' as const, faded: false },
    {
      id: 'user',
      // mmap-write: no buffer is filled, the mapping is the page cache's own pages (drawn dashed, as by reference)
      title: info.mapsFile ? 'user mapping' : 'user buffer',
      subtitle: watch ? "the program's buffers" : info.mapsFile ? 'page cache, mapped' : copiesIn ? (info.native ? 'read() into it' : 'a Node Buffer') : 'not used',
      faded: !user,
      mapped: info.mapsFile,
    },
    { id: 'socket', title: 'socket buffer', subtitle: watch ? 'its TCP sockets' : 'sender TCP', faded: false },
    { id: 'device', title: 'device', subtitle: watch ? 'any device' : deviceSubtitle(ctx.path, ctx.device), about: 'device' as const, faded: false },
    { id: 'receiver', title: 'receiver', subtitle: watch ? 'its peers (not watched)' : ctx.sink ? SINK_SUBTITLES[ctx.sink] : 'the sink', about: 'sink' as const, faded: watch },
  ].map((b) => ({ ...b, id: b.id as BoxId, x: bx(COLUMN[b.id as BoxId]), y: top, width: BOX_W, height: BOX_H }));

  const connectors = [{ path: `M${bx(COLUMN.device) + BOX_W + 2},${Y} L${bx(COLUMN.receiver) - 2},${Y}` }];
  return { mode, width: WIDTH, height: Y + BOX_H / 2 + 40, boxes, arrows, connectors, captionY: Y + BOX_H / 2 + 28 };
}

/** Every mode's layout when only the mode is known (the dashboard's, before a run says more). */
export const modeLayouts = (): Record<ModeName, FlowLayout> =>
  Object.fromEntries(MODE_NAMES.map((m) => [m, flowLayout({ mode: m })])) as Record<ModeName, FlowLayout>;

/** As the dashboard's fmtNum: 3 significant digits, thousands grouped. */
const sig = (v: number, digits = 3) => (v === 0 ? '0' : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(digits)).toString());

/**
 * The diagram's syscalls line: "read() × 2,048 + write() × 2,048 = 4 mode switches per chunk (2,048 chunks;
 * 2 per syscall; textbook 4)": the sender's syscalls by name, and the mode switches they make per chunk (2
 * each; the one-off mmap left out, as the probes' derive does). The report draws it so; the dashboard's
 * flow.js writes the same line from live counts (test/flow.test.ts holds them to the same text).
 */
export function syscallsLine(calls: Record<string, number> | null | undefined, chunks: number, textbookSwitches?: number, live = false): string {
  if (!calls) return 'syscalls: not measured';
  const entries = Object.entries(calls).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return '';
  const terms = entries.map(([k, v]) => `${k}() × ${v.toLocaleString('en-US')}${k === 'mmap' ? ' (once)' : ''}`);
  const perChunk = chunks > 0 ? (2 * entries.filter(([k]) => k !== 'mmap').reduce((a, [, v]) => a + v, 0)) / chunks : null;
  const switches = perChunk === null ? '' : ` = ${live ? '≈' : ''}${sig(perChunk)} mode switches per chunk`;
  return `${terms.join(' + ')}${switches} (${chunks.toLocaleString('en-US')} chunk${chunks === 1 ? '' : 's'}; 2 per syscall${textbookSwitches !== undefined ? `; textbook ${textbookSwitches}` : ''})`;
}
