// The live charts, as data (which counters each one plots as rates, with the
// catalog's labels; the flow diagram is flow.ts's). Counter names are typed
// against the generated schema, so a renamed or removed counter is a compile
// error here, not a blank chart in the browser; the dashboard never names a counter.
import { COPY_COUNTERS } from '../probes/derive.js';
import { counterInfo, ROLES, type CounterName, type Role } from '../probes/schema.generated.js';

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
    title: "Context switches/s (the scheduler's, not mode switches)",
    unit: `${unitOf('ctx_switches')}/s`,
    scale: 1,
    series: (['ctx_switches_voluntary', 'ctx_switches_involuntary'] as const).flatMap((c) => perRole(c, labelOf(c))),
  },
  { id: 'faults', title: 'Page faults/s', unit: `${unitOf('page_faults')}/s`, scale: 1, series: perRole('page_faults') },
];

/** The seconds of history the live charts show. */
export const CHART_WINDOW_SECONDS = 10;

/**
 * The Watch view's charts (a watched program's processes count in the sender
 * role): bytes handed to sockets, copied by the CPU against passed by
 * reference, and the syscalls that did it. Their x axis fits the watch so far.
 */
export const WATCH_CHARTS: ChartDef[] = [
  {
    id: 'watch-bytes',
    title: 'Bytes/s: CPU-copied (solid lines) vs passed by reference, no copy (dashed)',
    unit: 'MiB/s',
    scale: 2 ** -20,
    series: (
      [
        ['copy_user_to_socket_bytes', 'copied: user -> socket'],
        ['copy_file_to_user_bytes', 'copied: file -> user'],
        ['copy_linearize_bytes', 'copied: linearized at transmit'],
        ['zerocopy_copied_bytes', 'copied: MSG_ZEROCOPY after all'],
        ['splice_ref_bytes', 'by reference: pages (sendfile, splice)'],
        ['zerocopy_bytes', 'by reference: pinned (MSG_ZEROCOPY)'],
      ] as const
    ).map(([counter, label]) => ({ label, source: { role: 'sender' as const, counter } })),
  },
  { id: 'watch-syscalls', title: 'Syscalls/s of the watched processes (each is 2 mode switches)', unit: `${unitOf('syscalls')}/s`, scale: 1, series: [{ label: 'syscalls', source: { role: 'sender', counter: 'syscalls' } }] },
];
