// The import graph of the server's TypeScript: layers point one way, and no
// module imports itself back through others (type imports count too).
//   0 core:     scenarios/, server/core/, server/schema/, server/project.ts, server/native.ts
//   1 parts:    server/probes/, server/run/, server/report/, server/view/
//   2 session:  server/session/, server/metrics/ (the exporter subscribes to sessions)
//   3 entries:  server/cli/, server/api/, server/live/ (peers: none imports another)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../server/project.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const RANKS: [RegExp, number, string][] = [
  [/^(scenarios\/|server\/core\/|server\/schema\/|server\/project\.ts$|server\/native\.ts$)/, 0, 'core'],
  [/^server\/(probes|run|report|view)\//, 1, 'parts'],
  [/^server\/(session|metrics)\//, 2, 'session'],
  [/^server\/(cli|api|live)\//, 3, 'entries'],
];
const rankOf = (f: string) => RANKS.find(([re]) => re.test(f)) ?? [/./, -1, 'unknown'];
const topFolder = (f: string) => f.split('/').slice(0, 2).join('/');
/** The two places where one entry point composes another: the server wires the live hub and runners; `zcl serve` starts the server. */
const PEER_WIRING: [string, RegExp][] = [
  ['server/api/server.ts', /^server\/live\//],
  ['server/cli/cmd-serve.ts', /^server\/api\/server\.ts$/],
];

const graph = new Map<string, string[]>();
for (const abs of [...files(join(ROOT, 'server')), ...files(join(ROOT, 'scenarios'))]) {
  const from = relative(ROOT, abs);
  const deps = [...readFileSync(abs, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)].map((m) =>
    relative(ROOT, resolve(dirname(abs), m[1])).replace(/\.js$/, '.ts'),
  );
  graph.set(from, deps);
}

describe('the import graph', () => {
  it('knows every module', () => {
    expect([...graph.keys()].filter((f) => rankOf(f)[1] < 0)).toEqual([]);
    expect(graph.size).toBeGreaterThan(50);
  });

  it('has no upward import, and the entry points do not import each other', () => {
    const bad: string[] = [];
    for (const [from, deps] of graph)
      for (const to of deps) {
        const [, rf, nf] = rankOf(from);
        const [, rt, nt] = rankOf(to);
        if (rt > rf) bad.push(`${from} (${nf}) -> ${to} (${nt})`);
        else if (rf === 3 && rt === 3 && topFolder(from) !== topFolder(to) && !PEER_WIRING.some(([f, t]) => from === f && t.test(to)))
          bad.push(`${from} -> ${to}: entry points are peers`);
      }
    expect(bad).toEqual([]);
  });

  it('has no circle', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...path.slice(path.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(circles).toEqual([]);
  });
});
