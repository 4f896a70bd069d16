// What the dashboard draws, as data: the seeds' flow diagram (which counter of
// which role measures each arrow) and the live charts (which counters each one
// plots as rates). Counter names are typed against the generated schema, so a
// renamed or removed counter is a compile error here, not a blank arrow in the
// browser; the dashboard itself never names a counter.
import { COPY_COUNTERS } from '../probes/derive.js';
import { counterInfo, ROLES, type CounterName, type Role } from '../probes/schema.generated.js';

/** How the bytes on an arrow moved: a device's DMA, a CPU copy, or pages passed by reference (no copy). */
export type ArrowKind = 'dma' | 'cpu' | 'ref';

export interface FlowNode {
  id: string;
  label: string;
  /** The band it sits in, top to bottom: user space, kernel, hardware. */
  layer: 'user' | 'kernel' | 'hardware';
  /** Centre, in the diagram's viewBox units. */
  x: number;
  y: number;
  side: 'sender' | 'receiver';
}

export interface FlowArrow {
  id: string;
  from: string;
  to: string;
  role: Role;
  counter: CounterName;
  kind: ArrowKind;
  /** Short, drawn on the arrow with the bytes. */
  label: string;
  /** One sentence, for the tooltip. */
  detail: string;
  /** Sideways offset (viewBox units) so parallel arrows between the same nodes stay apart. */
  offset: number;
}

const W = 1000;
const H = 430;

const nodes: FlowNode[] = [
  { id: 'user', label: 'user buffer', layer: 'user', x: 310, y: 70, side: 'sender' },
  { id: 'pagecache', label: 'page cache', layer: 'kernel', x: 110, y: 215, side: 'sender' },
  { id: 'socket', label: 'socket buffer', layer: 'kernel', x: 520, y: 215, side: 'sender' },
  { id: 'disk', label: 'disk', layer: 'hardware', x: 110, y: 360, side: 'sender' },
  { id: 'nic', label: 'NIC (path device)', layer: 'hardware', x: 520, y: 360, side: 'sender' },
  { id: 'rx_socket', label: 'socket buffer', layer: 'kernel', x: 870, y: 215, side: 'receiver' },
  { id: 'rx_user', label: 'user buffer', layer: 'user', x: 870, y: 70, side: 'receiver' },
];

const arrows: FlowArrow[] = [
  { id: 'disk-read', from: 'disk', to: 'pagecache', role: 'sender', counter: 'block_read_bytes', kind: 'dma', label: 'disk read', detail: 'DMA: the disk controller writes the file into the page cache (cache cold)', offset: 0 },
  { id: 'file-to-user', from: 'pagecache', to: 'user', role: 'sender', counter: 'copy_file_to_user_bytes', kind: 'cpu', label: 'read()', detail: 'CPU copy: page cache -> user buffer (read() of the file)', offset: 0 },
  { id: 'user-to-socket', from: 'user', to: 'socket', role: 'sender', counter: 'copy_user_to_socket_bytes', kind: 'cpu', label: 'write()', detail: 'CPU copy: user buffer (or mapping) -> socket buffer (write()/send())', offset: -34 },
  { id: 'zerocopy-ref', from: 'user', to: 'socket', role: 'sender', counter: 'zerocopy_bytes', kind: 'ref', label: 'MSG_ZEROCOPY', detail: 'by reference: user pages pinned and sent (MSG_ZEROCOPY)', offset: 0 },
  { id: 'zerocopy-copied', from: 'user', to: 'socket', role: 'sender', counter: 'zerocopy_copied_bytes', kind: 'cpu', label: 'copied after all', detail: 'CPU copy: MSG_ZEROCOPY bytes the kernel reported copied after all (SO_EE_CODE_ZEROCOPY_COPIED)', offset: 34 },
  { id: 'splice-ref', from: 'pagecache', to: 'socket', role: 'sender', counter: 'splice_ref_bytes', kind: 'ref', label: 'sendfile / splice', detail: 'by reference: page-cache pages handed to the socket (sendfile, splice)', offset: 0 },
  { id: 'linearize', from: 'socket', to: 'nic', role: 'sender', counter: 'copy_linearize_bytes', kind: 'cpu', label: 'linearize', detail: 'CPU copy: payload copied into linear packets for a device without scatter-gather', offset: -40 },
  { id: 'dev-xmit', from: 'socket', to: 'nic', role: 'sender', counter: 'dev_xmit_bytes', kind: 'dma', label: 'transmit', detail: 'DMA: the device transmits the payload (gathering fragments when it can)', offset: 40 },
  { id: 'receive-copy', from: 'rx_socket', to: 'rx_user', role: 'sink', counter: 'copy_socket_to_user_bytes', kind: 'cpu', label: 'recv()', detail: 'CPU copy: the receiver\'s socket buffer -> its user buffer (read sink; discard sink: none)', offset: 0 },
];

export const FLOW = {
  viewBox: { width: W, height: H },
  layers: [
    { id: 'user', label: 'user space', y0: 8, y1: 132 },
    { id: 'kernel', label: 'kernel', y0: 152, y1: 278 },
    { id: 'hardware', label: 'hardware', y0: 298, y1: 422 },
  ],
  nodes,
  arrows,
  /** The wire between the sender's device and the receiver (not measured on an arrow of its own). */
  wire: { from: 'nic', to: 'rx_socket', label: 'network path' },
  /** Node boxes' size. */
  box: { width: 150, height: 48 },
  /** Where the legend goes (top left). */
  legend: { x: 215, y: 330 },
};

/** The copy counters (kind cpu in bpf/counters.h; their sum is probes/derive.ts's cpu_copy_bytes). */
export { COPY_COUNTERS };

/** A series is either the transfer's progress (bytes moved) or one role's counter, both plotted as a rate. */
export type SeriesSource = { progress: true } | { role: Role; counter: CounterName };
export interface ChartSeries { label: string; source: SeriesSource }
export interface ChartDef {
  id: string;
  title: string;
  /** The y axis's unit (per second). */
  unit: string;
  /** Multiply the per-second rate by this to get `unit` (bytes/s -> MiB/s: 2^-20). */
  scale: number;
  /** Stack the series as areas: the top edge is their sum. */
  stacked?: boolean;
  series: ChartSeries[];
}

const unitOf = (c: CounterName) => counterInfo(c).unit;
const labelOf = (c: CounterName) => counterInfo(c).label;
const perRole = (counter: CounterName, label = ''): ChartSeries[] =>
  ROLES.map((role) => ({ label: `${role}${label ? ': ' + label : ''}`, source: { role, counter } }));

export const CHARTS: ChartDef[] = [
  { id: 'throughput', title: 'Throughput (bytes the sender moved)', unit: 'MiB/s', scale: 2 ** -20, series: [{ label: 'sender', source: { progress: true } }] },
  {
    id: 'copies',
    title: 'CPU-copied bytes/s, by path (stacked: the top is the total)',
    unit: 'MiB/s',
    scale: 2 ** -20,
    stacked: true,
    series: COPY_COUNTERS.flatMap((c) => perRole(c, labelOf(c))),
  },
  { id: 'syscalls', title: 'Syscalls/s (each is 2 mode switches)', unit: `${unitOf('syscalls')}/s`, scale: 1, series: perRole('syscalls') },
  {
    id: 'ctx',
    title: 'Context switches/s',
    unit: `${unitOf('ctx_switches')}/s`,
    scale: 1,
    series: (['ctx_switches_voluntary', 'ctx_switches_involuntary'] as const).flatMap((c) => perRole(c, labelOf(c))),
  },
  { id: 'faults', title: 'Page faults/s', unit: `${unitOf('page_faults')}/s`, scale: 1, series: perRole('page_faults') },
];

/** The seconds of history the live charts show. */
export const CHART_WINDOW_SECONDS = 10;
