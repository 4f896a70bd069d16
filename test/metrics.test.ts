// The metrics exporter without probes: counters that only go up across sessions
// (a session's samples, its end, the next session), the process cap, both
// exposition formats, the Accept negotiation, and /metrics behind the API's
// access rules (zcl serve and zcl watch --listen's listener).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../server/api/server.js';
import { negotiate } from '../server/metrics/exposition.js';
import { MetricsExporter, type Observable } from '../server/metrics/exporter.js';
import { listenMetrics } from '../server/metrics/http.js';
import { COUNTER_NAMES } from '../server/probes/schema.generated.js';
import type { RoleCounts, Snapshot } from '../server/probes/types.js';
import type { SessionEvent } from '../server/session/session.js';
import type { WatchEvent } from '../server/session/watch.js';
import { labHome } from '../server/project.js';
import { http } from './http.js';

// Each server's results in a temp dir of its own under $ZCL_HOME, removed when the file ends.
const made: string[] = [];
const resultsDir = () => {
  const d = mkdtempSync(join(labHome(), 'results-metrics-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fake<E>(): Observable<E> & { emit(e: E): void } {
  const ls = new Set<(e: E) => void>();
  return { on: (l) => (ls.add(l), () => ls.delete(l)), emit: (e) => [...ls].forEach((l) => l(e)) };
}
const counts = (copy: number, sys = 10): RoleCounts => ({
  counters: { ...(Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as RoleCounts['counters']), copy_user_to_socket_bytes: copy, syscalls: sys, retransmit_bytes: null },
  syscalls: { write: Math.min(sys, 4) },
});
const snap = (copy: number): Snapshot => ({ sender: counts(copy), sink: counts(0) });
const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}[\]()|.+*?^$]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
const targets = (sender: number, sink: number) => ({ pids: { sender, sink }, path: {}, sinkPort: 1, file: '/x' }) as never;

describe('MetricsExporter', () => {
  it('only goes up: samples in flight, the end, the next run; unavailable counters are left out, never 0', () => {
    const x = new MetricsExporter();
    const s1 = fake<SessionEvent>();
    x.attachRun(s1);
    s1.emit({ type: 'phase', phase: 'running', targets: targets(4_000_001, 4_000_002) });
    const u = 'zcl_copied_bytes_total{path="user_to_socket",role="sender",comm="sender",pid="4000001"}';
    s1.emit({ type: 'sample', t: 0.1, bytes: 0, total: 0, progressT: 0, snapshot: snap(100) });
    expect(value(x.render('text'), u)).toBe(100);
    s1.emit({ type: 'sample', t: 0.2, bytes: 0, total: 0, progressT: 0, snapshot: snap(50) }); // a lower read never shows
    expect(value(x.render('text'), u)).toBe(100);
    s1.emit({ type: 'end', outcome: 'failed', error: new Error('x') });
    expect(value(x.render('text'), u)).toBe(100);
    expect(x.render('text')).not.toMatch(/zcl_retransmit_bytes_total\{/);
    expect(value(x.render('text'), 'zcl_syscalls_total{syscall="other",role="sender",comm="sender",pid="4000001"}')).toBe(6);
    expect(value(x.render('text'), 'zcl_sessions_total{kind="run",outcome="failed"}')).toBe(1);
    // A watch: per process from its detail, summed across sessions under the same labels.
    const w = fake<WatchEvent>();
    x.attachWatch(w);
    w.emit({ type: 'phase', phase: 'running' });
    const proc = { tgid: 7, comm: 'nginx', start: 1, exited: false, ...counts(30) };
    w.emit({ type: 'sample', t: 1, snapshot: snap(30), detail: { processes: [proc], connections: [], files: [] }, watched: [7] });
    expect(value(x.render('text'), 'zcl_copied_bytes_total{path="user_to_socket",role="sender",comm="nginx",pid="7"}')).toBe(30);
  });

  it('caps the processes with series of their own; later ones are summed under comm="other"', () => {
    const x = new MetricsExporter({ maxProcesses: 2 });
    for (let i = 0; i < 3; i++) {
      const s = fake<SessionEvent>();
      x.attachRun(s);
      s.emit({ type: 'phase', phase: 'running', targets: targets(4_100_000 + 2 * i, 4_100_001 + 2 * i) });
      s.emit({ type: 'end', outcome: 'finished', result: { probes: { status: 'ok', engine: 'libbpf', tier: 't', sender: { ...counts(10), derived: {} }, sink: { ...counts(0), derived: {} }, missedEvents: 1 } } as never });
    }
    const t = x.render('text');
    expect(value(t, 'zcl_copied_bytes_total{path="user_to_socket",role="sender",comm="other",pid=""}')).toBe(20);
    expect(value(t, 'zcl_exporter_folded_processes_total')).toBe(4);
    expect(value(t, 'zcl_probe_missed_events_total{engine="libbpf"}')).toBe(3);
  });

  it('writes OpenMetrics: families without _total, UNIT, info, # EOF; escapes label values', () => {
    const x = new MetricsExporter();
    x.setSources('libbpf', 'tracepoint', { syscalls: 'tp_btf/sys_enter', dev_xmit_bytes: null });
    const w = fake<WatchEvent>();
    x.attachWatch(w);
    w.emit({ type: 'phase', phase: 'running' });
    w.emit({ type: 'sample', t: 1, snapshot: snap(1), detail: { processes: [{ tgid: 9, comm: 'a"b\\c', start: 1, exited: false, ...counts(1) }], connections: [], files: [] }, watched: [9] });
    const om = x.render('openmetrics');
    expect(om).toMatch(/^# TYPE zcl_copied_bytes counter\n# UNIT zcl_copied_bytes bytes\n# HELP zcl_copied_bytes /m);
    expect(om).toContain('# TYPE zcl_probe_source info');
    expect(om).toContain('zcl_probe_source_info{engine="libbpf",counter="dev_xmit_bytes",source="none",tier="tracepoint"} 1');
    expect(om).toContain('comm="a\\"b\\\\c"');
    expect(om.endsWith('# EOF\n')).toBe(true);
    expect(x.render('text')).toMatch(/^# HELP zcl_copied_bytes_total .*\n# TYPE zcl_copied_bytes_total counter$/m);
  });

  it('answers in the format asked for', () => {
    expect(negotiate(undefined)).toBe('text');
    expect(negotiate('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')).toBe('openmetrics');
    expect(negotiate('text/plain;version=0.0.4')).toBe('text');
    expect(negotiate('application/openmetrics-text;q=0, text/plain')).toBe('text');
  });
});

describe('GET /metrics access', () => {
  it('zcl serve: the API rules (loopback Host, no foreign Origin); a token off loopback', async () => {
    const lab = await startServer({ port: 0, probes: false, resultsDir: resultsDir() });
    try {
      expect((await http(lab.url, 'GET', '/metrics')).status).toBe(200);
      expect((await http(lab.url, 'GET', '/metrics', { headers: { Host: 'evil.example:80' } })).status).toBe(403);
      expect((await http(lab.url, 'GET', '/metrics', { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
      const om = await http(lab.url, 'GET', '/metrics', { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } });
      expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    } finally {
      await lab.close();
    }
    const t = await startServer({ port: 0, host: '127.0.0.1', token: 'a-token-of-16-chars-or-more', probes: false, resultsDir: resultsDir() });
    try {
      const no = await http(t.url, 'GET', '/metrics');
      expect(no.status).toBe(401);
      expect(no.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await http(t.url, 'GET', '/metrics', { headers: { Authorization: 'Bearer a-token-of-16-chars-or-more' } })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('zcl watch --listen: /metrics only, the same rules; a token generated off loopback', async () => {
    const x = new MetricsExporter();
    const l = await listenMetrics(x, { host: '127.0.0.1', port: 0 });
    try {
      expect(l.token).toBeUndefined();
      const base = `http://127.0.0.1:${l.port}/`;
      expect((await http(base, 'GET', '/metrics')).text).toContain('# TYPE zcl_copied_bytes_total counter');
      expect((await http(base, 'GET', '/api/runs')).status).toBe(404);
      expect((await http(base, 'POST', '/metrics')).status).toBe(405);
      expect((await http(base, 'GET', '/metrics', { headers: { Host: 'evil.example' } })).status).toBe(403);
    } finally {
      await l.close();
    }
    const any = await listenMetrics(x, { host: '0.0.0.0', port: 0 });
    try {
      expect(any.token).toMatch(/^[\w-]{32}$/);
      const base = `http://127.0.0.1:${any.port}/`;
      expect((await http(base, 'GET', '/metrics')).status).toBe(401);
      expect((await http(base, 'GET', '/metrics', { headers: { Authorization: `Bearer ${any.token}` } })).status).toBe(200);
    } finally {
      await any.close();
    }
  });
});
