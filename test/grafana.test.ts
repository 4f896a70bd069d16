// The Grafana dashboard (deploy/grafana/zerocopy-lab.json) asks only for metrics
// the server really exports: every PromQL expression's metric names are read
// against the families a live GET /metrics lists (a server without probes lists
// them all, with HELP and TYPE, before any run).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../server/api/server.js';
import { labHome, ROOT } from '../server/project.js';
import { http } from './http.js';

// Each server's results in a temp dir of its own under $ZCL_HOME, removed when the file ends.
const made: string[] = [];
const resultsDir = () => {
  const d = mkdtempSync(join(labHome(), 'results-grafana-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const FUNCTIONS = new Set(['sum', 'rate', 'increase', 'irate', 'avg', 'max', 'min', 'count', 'topk', 'clamp_min', 'histogram_quantile']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** The metric names a PromQL expression selects (label matchers, label lists, ranges, strings and numbers set aside). */
export function metricNames(expr: string): { metrics: string[]; functions: string[] } {
  const e = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b\d+(\.\d+)?\b/g, ' ');
  const metrics: string[] = [];
  const functions: string[] = [];
  for (const m of e.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (KEYWORDS.has(m[1])) continue;
    (m[2] ? functions : metrics).push(m[1]);
  }
  return { metrics, functions };
}

interface Panel { title: string; targets?: { expr: string }[]; panels?: Panel[] }

describe('deploy/grafana/zerocopy-lab.json', () => {
  const dash = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'zerocopy-lab.json'), 'utf8')) as { panels: Panel[]; uid: string };
  const exprs = dash.panels.flatMap((p) => [...(p.targets ?? []), ...(p.panels ?? []).flatMap((q) => q.targets ?? [])].map((t) => ({ panel: p.title, expr: t.expr })));

  it('has the panels the issue asks for', () => {
    const titles = dash.panels.map((p) => p.title.toLowerCase());
    for (const want of ['copied vs by-reference bytes per process', 'cpu copies per byte', 'syscalls per mib', 'context switches per mib']) expect(titles.some((t) => t.includes(want)), want).toBe(true);
    expect(exprs.length).toBeGreaterThan(5);
  });

  it('every expression names only metrics a live GET /metrics exports', async () => {
    const lab = await startServer({ port: 0, probes: false, resultsDir: resultsDir() });
    try {
      const r = await http(lab.url, 'GET', '/metrics');
      expect(r.status).toBe(200);
      // Text format: TYPE names the sample name (counters end in _total).
      const exported = new Set([...r.text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]));
      expect(exported.size).toBeGreaterThan(5);
      for (const { panel, expr } of exprs) {
        const { metrics, functions } = metricNames(expr);
        expect(metrics.length, `${panel}: ${expr}`).toBeGreaterThan(0);
        for (const m of metrics) expect(exported.has(m), `${panel}: ${m} (in ${expr}) is not exported; exported: ${[...exported].join(', ')}`).toBe(true);
        for (const f of functions) expect(FUNCTIONS.has(f), `${panel}: unknown function ${f}`).toBe(true);
      }
    } finally {
      await lab.close();
    }
  });

  it('the name reader sets label matchers and label lists aside', () => {
    expect(metricNames('sum by (role, comm) (rate(zcl_a_total{path!="x"}[$__rate_interval])) / on (pid) group_left () (zcl_b_total / 1048576)')).toEqual({
      metrics: ['zcl_a_total', 'zcl_b_total'],
      functions: ['sum', 'rate'],
    });
  });
});
