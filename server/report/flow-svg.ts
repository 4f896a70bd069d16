// The report's flow diagrams: one per flow group (mode, path, cache, sink), drawn
// by the shared model and renderer (server/view/) with the group's medians per
// byte moved; arrows that carried nothing are left out.
import { flowLayout, syscallsLine } from '../view/flow.js';
import { renderFlowSvg } from '../view/flow-svg.js';
import { num } from './format.js';
import type { FlowGroup } from './model.js';

export { flowLegend } from '../view/flow-svg.js';

/** Below this per byte moved, an arrow carried nothing. */
const NOTHING = 0.005;

/** One flow group's diagram; `p` makes its marker ids unique in the page. */
export function flowSvg(g: FlowGroup, p: string): string {
  const unmeasured = g.runs === 0;
  const get = (role: 'sender' | 'sink', counter: string): number | null => (unmeasured ? null : g.perByte[role][counter] ?? null);
  const layout = flowLayout({
    mode: g.spec.mode,
    path: g.spec.path,
    sink: g.spec.sink,
    cache: g.spec.cache,
    device: g.device,
    carries: (m) => {
      const v = get(m.role, m.counter);
      return v === null || v > NOTHING;
    },
  });
  const measured = g.measuredCopies;
  const sinkCopies = g.perByte.sink.cpu_copy_bytes ?? null;
  const retx = get('sender', 'retransmit_bytes');
  const caption = unmeasured
    ? 'no run of this group measured the counters (see the probes status in the environment)'
    : `sender CPU copies per byte: ${measured === null ? 'not measured' : num(measured, 2)} (the seeds: ${g.textbook.cpuCopies})` +
      `; receiver: ${sinkCopies === null ? 'not measured' : num(sinkCopies, 2)}` +
      (retx ? `; to device incl. ${num(retx, 3)} per byte retransmitted` : '') +
      `; ${g.runs} run${g.runs === 1 ? '' : 's'}, medians per byte moved`;
  // As the dashboard's diagram: the syscalls that made the mode switches (of the run nearest the median), and the transmit's retransmits.
  const syscalls = unmeasured ? '' : g.syscalls ? `${syscallsLine(g.syscalls.calls, g.syscalls.chunks, g.textbook.modeSwitchesPerChunk)}, the run nearest the median` : 'syscalls: not measured';
  return renderFlowSvg(layout, {
    id: p,
    values: {
      get,
      format: (v) => (v === null ? '?' : num(v, 2)),
      extra: (m) => (m.counter === 'dev_xmit_bytes' && retx ? ` incl. ${num(retx, 3)} retx.` : ''),
    },
    lines: ['summary', 'syscalls'],
    lineText: { summary: caption, syscalls },
    ariaLabel: `data flow of ${g.title}`,
  });
}
