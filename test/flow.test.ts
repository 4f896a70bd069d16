// The flow-diagram model and its renderer (server/view/): per-mode arrows from
// the catalog's flags, arrows that carried nothing left out, no label crossed by
// an arrow or lying over a box or another label. Pure: no probes, no runs.
import { describe, expect, it } from 'vitest';
import { MODE_NAMES, modeInfo, PATH_NAMES, type ModeName } from '../scenarios/catalog.js';
import { COUNTER_NAMES } from '../server/probes/schema.generated.js';
import { flowLayout, GATHER_NOTE, LINE, syscallsLine, TRANSMIT, type FlowLayout } from '../server/view/flow.js';
// @ts-expect-error the dashboard's plain JS module (JSDoc-typed, checked by tsc -p dashboard)
import { syscallsLine as dashboardSyscallsLine } from '../dashboard/lib/flow.js';
import { counterInfo } from '../server/probes/schema.generated.js';
import { FLOW_LINES, flowDocument, renderFlowSvg } from '../server/view/flow-svg.js';
import { formFields } from '../server/api/modes.js';
import { TIMED_FIELDS } from '../server/schema/run-spec.js';
import { runProgress } from '../server/live/frames.js';

const ids = (l: FlowLayout) => l.arrows.map((a) => a.id);

type Rect = { x0: number; y0: number; x1: number; y1: number; what: string };
/** A label's two lines, generously sized (system-ui at 11.5 and 13 px). */
function labelRects(l: FlowLayout): Rect[] {
  return l.arrows.map((a) => {
    // the report's transmit amount may say its retransmits too ("0.99 incl. 0.003 retx."; the dashboard's says bytes only)
    const chars = Math.max(a.label.length, 10, a.id === 'dev-xmit' ? 26 : 0);
    const w = chars * 7.2;
    return { x0: a.labelAt.x - w / 2, x1: a.labelAt.x + w / 2, y0: a.labelAt.y - LINE - 11, y1: a.labelAt.y + 3, what: `label of ${a.id}` };
  });
}
/** Points along an SVG path of M/L/C commands. */
function points(d: string): [number, number][] {
  const nums = d.match(/-?\d+(\.\d+)?/g)!.map(Number);
  const out: [number, number][] = [];
  if (d.includes('C')) {
    const [x0, y0, x1, y1, x2, y2, x3, y3] = nums;
    for (let t = 0; t <= 1; t += 0.01) {
      const u = 1 - t;
      out.push([u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3, u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3]);
    }
  } else {
    const [x0, y0, x1, y1] = nums;
    for (let t = 0; t <= 1; t += 0.01) out.push([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t]);
  }
  return out;
}
const inside = ([x, y]: [number, number], r: Rect) => x > r.x0 && x < r.x1 && y > r.y0 && y < r.y1;
const overlap = (a: Rect, b: Rect) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** Every context a layout can be asked for: each mode, with nothing known, and on each path with each device state. */
const contexts = MODE_NAMES.flatMap((mode) => [
  { mode },
  ...PATH_NAMES.map((path) => ({ mode, path })),
  { mode, device: { name: 'zcl0', scatterGather: false } },
  { mode, device: { name: 'lo', scatterGather: true } },
]);

describe('flow model', () => {
  it('gives each mode only the arrows its catalog flags allow', () => {
    for (const mode of MODE_NAMES) {
      const m = modeInfo(mode);
      const a = ids(flowLayout({ mode }));
      // kTLS: the cipher reads the pages (an encrypt arrow), TCP gets the record buffers, not the pages.
      expect(a.includes('splice-ref'), mode).toBe(m.passesPages && !m.encrypts);
      expect(a.includes('encrypt'), mode).toBe(!!m.encrypts);
      expect(a.includes('file-to-user'), mode).toBe(m.usesUserBuffer && !m.mapsFile);
      expect(a.includes('file-mapped'), mode).toBe(m.mapsFile);
      expect(a.includes('user-to-socket'), mode).toBe(m.usesUserBuffer);
      expect(a.includes('zerocopy-ref'), mode).toBe(m.pinsUserPages);
      expect(a.includes('zerocopy-copied'), mode).toBe(m.pinsUserPages);
      for (const always of ['disk-read', 'dev-xmit', 'receive-copy']) expect(a, mode).toContain(always);
    }
  });

  it('draws the linearizing copy only where the device cannot gather (or it is not known)', () => {
    expect(ids(flowLayout({ mode: 'read-write' }))).toContain('linearize');
    expect(ids(flowLayout({ mode: 'read-write', path: 'veth-nosg' }))).toContain('linearize');
    expect(ids(flowLayout({ mode: 'read-write', path: 'loopback' }))).not.toContain('linearize');
    expect(ids(flowLayout({ mode: 'sendfile', path: 'veth', device: { name: 'zcl0', scatterGather: false } }))).toContain('linearize');
  });

  it('leaves out the arrows that carried nothing, and closes the gap in their hop', () => {
    const l = flowLayout({ mode: 'msg-zerocopy', path: 'loopback', carries: (m) => m.counter !== 'zerocopy_copied_bytes' && m.counter !== 'block_read_bytes' });
    expect(ids(l)).not.toContain('zerocopy-copied');
    expect(ids(l)).not.toContain('disk-read');
    expect(ids(l)).toContain('file-mapped'); // a fact of the mode, no counter
    const ref = l.arrows.find((a) => a.id === 'zerocopy-ref')!;
    const copy = l.arrows.find((a) => a.id === 'user-to-socket')!;
    expect(ref.labelAt.y - copy.labelAt.y).toBe(2 * LINE);
  });

  it('shows real counters, each with its kind from one table', () => {
    for (const { mode } of contexts)
      for (const a of flowLayout({ mode }).arrows.filter((a) => a.measure)) {
        expect(COUNTER_NAMES).toContain(a.measure!.counter);
        expect(a.kind).toBe(counterInfo(a.measure!.counter).kind);
      }
  });

  it('crosses no label with an arrow; labels clear of boxes, of one another and of the edges', () => {
    for (const ctx of contexts) {
      const l = flowLayout(ctx);
      const labels = labelRects(l);
      const boxes: Rect[] = l.boxes.map((b) => ({ x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height, what: `box ${b.id}` }));
      const name = `${ctx.mode} ${JSON.stringify(ctx)}`;
      for (const r of labels) {
        expect(r.x0, name).toBeGreaterThanOrEqual(0);
        expect(r.x1, name).toBeLessThanOrEqual(l.width);
        expect(r.y0, name).toBeGreaterThanOrEqual(0);
        for (const a of l.arrows) expect(points(a.path).some((p) => inside(p, r)), `${name}: ${a.id} crosses the ${r.what}`).toBe(false);
        for (const b of boxes) expect(overlap(r, b), `${name}: ${r.what} over ${b.what}`).toBe(false);
        for (const o of labels) if (o !== r) expect(overlap(r, o), `${name}: ${r.what} over ${o.what}`).toBe(false);
      }
    }
  });
});

describe('honest labels (issue 14, items 3 and 4)', () => {
  it('labels the transmit by what the path is: lo and veth hand packets on in memory; DMA only for the disk read', () => {
    for (const path of PATH_NAMES) {
      const l = flowLayout({ mode: 'sendfile', path });
      const xmit = l.arrows.find((a) => a.id === 'dev-xmit')!;
      expect(xmit.label, path).toMatch(/in memory/);
      expect(xmit.label, path).not.toMatch(/DMA/);
      expect(xmit.detail, path).toMatch(/no DMA/);
      expect(xmit.detail, path).toMatch(/retransmitted/);
      expect(l.arrows.find((a) => a.id === 'disk-read')!.label).toBe('DMA');
      // "DMA gather" is said to be shown on a device that can or cannot gather, not a NIC
      expect(GATHER_NOTE[path], path).toMatch(/not a NIC/);
    }
    expect(GATHER_NOTE.veth).toMatch(/can gather/);
    expect(GATHER_NOTE['veth-nosg']).toMatch(/cannot gather/);
    expect(TRANSMIT.unknown.label).toBe('to device');
    // the dashboard's templates know no path: they carry every path's label to fill in
    expect(flowDocument().transmit).toEqual(TRANSMIT);
  });

  it("draws no user buffer for mmap-write: a mapping of the page cache, dashed; sendfile's is faded, not used", () => {
    const mm = flowLayout({ mode: 'mmap-write', path: 'loopback' }).boxes.find((b) => b.id === 'user')!;
    expect(mm.title).toBe('user mapping');
    expect(mm.mapped).toBe(true);
    const svg = renderFlowSvg(flowLayout({ mode: 'mmap-write' }), { id: 'm' });
    expect(svg).not.toContain('>user buffer<');
    expect(svg).toMatch(/<g class="box mapped" data-box="user"><rect[^>]*stroke-dasharray/);
    const sf = flowLayout({ mode: 'sendfile' }).boxes.find((b) => b.id === 'user')!;
    expect(sf.faded).toBe(true);
    expect(sf.subtitle).toBe('not used');
    expect(flowLayout({ mode: 'read-write' }).boxes.find((b) => b.id === 'user')!).toMatchObject({ title: 'user buffer', faded: false, mapped: false });
  });

  it('the dashboard templates carry a line for the syscalls and one for the copies summary, below the boxes', () => {
    for (const mode of MODE_NAMES as ModeName[]) {
      const { svg } = flowDocument().modes[mode];
      for (const id of FLOW_LINES) expect(svg, mode).toContain(`data-line="${id}"`);
      const l = flowLayout({ mode });
      const bottom = Math.max(...l.boxes.map((b) => b.y + b.height));
      const ys = [...svg.matchAll(/<text x="10" y="([\d.]+)"[^>]*data-line/g)].map((m) => Number(m[1]));
      expect(ys.length).toBe(FLOW_LINES.length);
      for (const y of ys) expect(y).toBeGreaterThan(bottom + 12);
      const h = Number(/viewBox="0 0 \d+ ([\d.]+)"/.exec(svg)![1]);
      expect(Math.max(...ys)).toBeLessThan(h);
      // the transmit label is a hook the dashboard fills per path
      expect(svg).toMatch(/data-arrow="dev-xmit"[^]*?data-name=""/);
    }
  });
});

describe('the run form (issue 14, item 1)', () => {
  it('describes duration and rate from TIMED_FIELDS: kind, unit, bounds, syntax, empty meaning, not for app modes', () => {
    const fields = formFields();
    for (const name of ['duration', 'rate'] as const) {
      const f = fields.find((x) => x.name === name)!;
      const t = TIMED_FIELDS[name];
      expect(f).toEqual({ name, kind: t.kind, unit: t.unit, min: t.min, max: t.max, syntax: t.syntax, emptyText: t.emptyText, notFor: t.notFor });
    }
    expect(fields.find((x) => x.name === 'sizeBytes')!.kind).toBe('size');
  });
});

describe('run progress (issue 14, item 2)', () => {
  it('is t / duration on a timed run (its bytes pass the file size), else bytes / size', () => {
    expect(runProgress(30, 10, 1.5, 3)).toEqual({ bytes: 30, total: 10, t: 1.5, duration: 3, fraction: 0.5 });
    expect(runProgress(300, 10, 3.2, 3).fraction).toBe(1);
    expect(runProgress(5, 10, 9, undefined)).toEqual({ bytes: 5, total: 10, fraction: 0.5 });
  });
});

describe('flow renderer', () => {
  it('a template: every counted arrow with its data hooks, amounts pending', () => {
    const doc = flowDocument();
    expect(Object.keys(doc.modes)).toEqual(MODE_NAMES);
    for (const mode of MODE_NAMES as ModeName[]) {
      const { svg, arrows } = doc.modes[mode];
      expect(svg).toMatch(/^<svg class="flow-svg"/);
      for (const a of arrows) expect(svg).toContain(`data-arrow="${a.id}" data-role="${a.role}" data-counter="${a.counter}"`);
      expect(svg.match(/data-amount=""/g)).toHaveLength(arrows.length);
      expect(svg).not.toMatch(/https?:\/\//); // nothing fetched (a mode name such as node-http: is fine)
    }
  });

  it('with values: amounts in place, unmeasured ones grey, a caption', () => {
    const l = flowLayout({ mode: 'sendfile', path: 'loopback', cache: 'warm', sink: 'read' });
    const svg = renderFlowSvg(l, {
      id: 't',
      values: { get: (_r, c) => (c === 'splice_ref_bytes' ? 1 : c === 'dev_xmit_bytes' ? null : 0.5), format: (v) => (v === null ? '?' : v.toFixed(2)) },
      caption: 'a caption',
    });
    expect(svg).toMatch(/<svg class="flow"/);
    expect(svg).toContain('>1.00</text>');
    expect(svg).toMatch(/data-arrow="dev-xmit"[^]*?stroke="#9e9e9e"[^]*?>\?<\/text>/);
    expect(svg).toContain('warm: cached');
    expect(svg).toContain('a caption');
    expect(svg).not.toContain('data-amount');
  });
});

describe("the report's diagrams as the dashboard's (issue 14, item 9)", () => {
  it('the syscalls line: the same text from the report (server/view) and the dashboard (dashboard/lib/flow.js)', () => {
    const cases: [Record<string, number> | null, number, number | undefined, boolean][] = [
      [{ read: 2048, write: 2048 }, 2048, 4, false],
      [{ sendfile: 1 }, 1, 2, false],
      [{ mmap: 1, write: 300 }, 300, 2, true],
      [{ splice: 4000, read: 0 }, 1999, undefined, false],
      [{ write: 1_234_567 }, 1_234_567, 4, false],
      [null, 10, 4, false],
      [{}, 10, 4, false],
    ];
    for (const [calls, chunks, tb, live] of cases)
      expect(syscallsLine(calls, chunks, tb, live)).toBe(dashboardSyscallsLine(calls, chunks, tb === undefined ? undefined : { modeSwitchesPerChunk: tb }, live));
    expect(syscallsLine({ read: 2048, write: 2048 }, 2048, 4)).toBe('read() × 2,048 + write() × 2,048 = 4 mode switches per chunk (2,048 chunks; 2 per syscall; textbook 4)');
  });

  it('with values: the transmit says its retransmits, and the lines are drawn in place under the boxes', () => {
    const l = flowLayout({ mode: 'read-write', path: 'loopback' });
    const svg = renderFlowSvg(l, {
      id: 't',
      values: { get: () => 1, format: (v) => String(v), extra: (m) => (m.counter === 'dev_xmit_bytes' ? ' incl. 0.003 retx.' : '') },
      lines: ['summary', 'syscalls'],
      lineText: { summary: 'copies <3>', syscalls: 'read() × 2 + write() × 2' },
    });
    expect(svg).toMatch(/data-arrow="dev-xmit"[^]*?class="arrow-amount">1 incl\. 0\.003 retx\.<\/text>/);
    expect(svg).toContain('data-line="summary">copies &lt;3&gt;</text>');
    expect(svg).toContain('data-line="syscalls">read() × 2 + write() × 2</text>');
  });
});
