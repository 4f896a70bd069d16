// The flow-diagram model and its renderer (server/view/): per-mode arrows from
// the catalog's flags, arrows that carried nothing left out, no label crossed by
// an arrow or lying over a box or another label. Pure: no probes, no runs.
import { describe, expect, it } from 'vitest';
import { MODE_NAMES, modeInfo, PATH_NAMES, type ModeName } from '../scenarios/catalog.js';
import { COUNTER_NAMES } from '../server/probes/schema.generated.js';
import { flowLayout, LINE, type FlowLayout } from '../server/view/flow.js';
import { counterInfo } from '../server/probes/schema.generated.js';
import { flowDocument, renderFlowSvg } from '../server/view/flow-svg.js';

const ids = (l: FlowLayout) => l.arrows.map((a) => a.id);

type Rect = { x0: number; y0: number; x1: number; y1: number; what: string };
/** A label's two lines, generously sized (system-ui at 11.5 and 13 px). */
function labelRects(l: FlowLayout): Rect[] {
  return l.arrows.map((a) => {
    const chars = Math.max(a.label.length, 10);
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
      expect(a.includes('splice-ref'), mode).toBe(m.passesPages);
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
