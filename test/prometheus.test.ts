// A real Prometheus (Debian's package) scrapes the lab's GET /metrics every
// second while a paced run moves bytes through the API; its HTTP API then
// answers the raw totals, which must equal the run's counters exactly, and
// rate() over the stored samples (no counter reset: resets() = 0, so no scrape
// went backwards mid-run). Prometheus runs with its own temporary config and
// data dir on a free loopback port, and is killed and removed afterwards.
// Without the prometheus binary the file skips, and fails with CI=true.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type LabServer } from '../server/api/server.js';
import type { RunRecord } from '../server/live/frames.js';
import { COUNTER_METRICS, PROBE_SYSCALLS, type CounterName } from '../server/probes/schema.generated.js';
import type { RoleCounts } from '../server/probes/types.js';
import { labHome, ROOT } from '../server/project.js';
import { alive } from './helpers.js';
import { http } from './http.js';

// Each server's results in a temp dir of its own under $ZCL_HOME, removed when the file ends.
const made: string[] = [];
const resultsDir = () => {
  const d = mkdtempSync(join(labHome(), 'results-prom-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const PROMETHEUS = '/usr/bin/prometheus';
// Fails (never skips) without Prometheus: the error says how to get it.
if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing (Debian package prometheus): scripts/setup.sh --for test installs it`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a real Prometheus scraping GET /metrics', () => {
  let lab: LabServer;
  let prom: ChildProcess;
  let dir: string;
  let promUrl: string;
  let promLog = '';

  /** Prometheus' instant query: the result vector. */
  async function query(q: string, time?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const r = await http(promUrl, 'GET', `/api/v1/query?query=${encodeURIComponent(q)}${time !== undefined ? `&time=${time}` : ''}`);
    expect(r.status, `${q}: ${r.text}`).toBe(200);
    expect(r.body.status).toBe('success');
    return r.body.data.result;
  }

  beforeAll(async () => {
    lab = await startServer({ port: 0, resultsDir: resultsDir() });
    dir = mkdtempSync(join(tmpdir(), 'zcl-prometheus-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}/`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: zcl',
        '    scrape_interval: 1s',
        '    scrape_timeout: 900ms',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${lab.port}']`,
        '',
      ].join('\n'),
    );
    prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prom.stdout!.on('data', (d) => (promLog += d));
    prom.stderr!.on('data', (d) => (promLog += d));
    // Ready, and a first scrape of the lab that succeeded (up = 1).
    const t0 = Date.now();
    for (;;) {
      if (prom.exitCode !== null) throw new Error(`prometheus exited ${prom.exitCode}: ${promLog}`);
      const up = await http(promUrl, 'GET', `/api/v1/query?query=up`).catch(() => undefined);
      if (up?.status === 200 && up.body.data.result.some((r: { value: [number, string] }) => r.value[1] === '1')) break;
      if (Date.now() - t0 > 30_000) throw new Error(`prometheus did not scrape the lab within 30 s: ${promLog}`);
      await sleep(250);
    }
  });

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const gone = new Promise((r) => prom.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      if (prom.exitCode === null && prom.signalCode === null) prom.kill('SIGKILL');
      expect(alive(prom.pid!)).toBe(false);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    await lab?.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('stores the run counters exactly, and rate() over samples that never went backwards', async () => {
    // A paced, timed run: about 3 s, so Prometheus scrapes it mid-run several times.
    const sub = await http(lab.url, 'POST', '/api/runs', { body: { mode: 'read-write', path: 'loopback', sizeBytes: '8MiB', duration: 3, rate: '16MiB/s' } });
    expect(sub.status, sub.text).toBe(202);
    const id: string = sub.body.run.id;
    let run: RunRecord;
    let midRun = 0;
    for (;;) {
      run = (await http(lab.url, 'GET', `/api/runs/${id}`)).body;
      if (['finished', 'failed', 'cancelled'].includes(run.state)) break;
      if (run.state === 'running') {
        const r = await query(`sum(zcl_copied_bytes_total{path="user_to_socket",role="sender"})`);
        if (r.length && Number(r[0].value[1]) > 0) midRun++;
      }
      await sleep(400);
    }
    expect(run.state, JSON.stringify(run.error)).toBe('finished');
    expect(midRun, 'Prometheus saw the copies grow while the run was in flight').toBeGreaterThan(1);
    const res = run.result!;
    expect(res.probes?.status).toBe('ok');

    // Wait until a scrape after the end is stored (the run counted as a finished session), then one more.
    const t0 = Date.now();
    while (!(await query('zcl_sessions_total{kind="run",outcome="finished"}')).some((r) => r.value[1] === '1')) {
      if (Date.now() - t0 > 20_000) throw new Error('no scrape after the run ended');
      await sleep(250);
    }
    await sleep(1500);
    const now = Date.now() / 1000;

    // The raw totals: every series of both processes equals the run's counter.
    for (const role of ['sender', 'sink'] as const) {
      const counts = res.probes![role] as RoleCounts;
      const pid = String(role === 'sender' ? res.sender.pid : res.receiver.pid);
      const want = new Map<string, number>();
      for (const m of COUNTER_METRICS) {
        const v = counts.counters[m.counter as CounterName];
        if (v !== null) want.set(`zcl_${m.family}_total${m.label ? `{${m.label}=${m.value}}` : ''}`, v);
      }
      let named = 0;
      for (const s of PROBE_SYSCALLS) {
        named += counts.syscalls[s] ?? 0;
        want.set(`zcl_syscalls_total{syscall=${s}}`, counts.syscalls[s] ?? 0);
      }
      want.set('zcl_syscalls_total{syscall=other}', counts.counters.syscalls! - named);
      const got = new Map<string, number>();
      for (const r of await query(`{__name__=~"zcl_.+_total", role="${role}", pid="${pid}"}`, now)) {
        const { __name__, job, instance, role: _r, comm: _c, pid: _p, ...rest } = r.metric;
        expect(job).toBe('zcl');
        const extra = Object.entries(rest).map(([k, v]) => `${k}=${v}`);
        got.set(`${__name__}${extra.length ? `{${extra.join(',')}}` : ''}`, Number(r.value[1]));
      }
      expect(Object.fromEntries(got), role).toEqual(Object.fromEntries(want));
    }
    // The headline figures, for the record.
    const sender = res.probes!.sender!;
    expect(sender.counters.copy_file_to_user_bytes).toBe(res.bytes);
    expect(sender.counters.copy_user_to_socket_bytes).toBe(res.bytes);

    // rate() over the whole run: Prometheus' answer equals the one computed from the samples it
    // stored (its extrapolation, promql/functions.go extrapolatedRate), whose last is the counter;
    // and no sample went below the one before it (resets = 0).
    const sel = `zcl_copied_bytes_total{path="user_to_socket",role="sender",pid="${res.sender.pid}"}`;
    const W = 60;
    const [rate] = await query(`rate(${sel}[${W}s])`, now);
    const [resets] = await query(`resets(${sel}[${W}s])`, now);
    const raw = await http(promUrl, 'GET', `/api/v1/query?query=${encodeURIComponent(`${sel}[${W}s]`)}&time=${now}`);
    const points: [number, number][] = raw.body.data.result[0].values.map(([t, v]: [number, string]) => [t, Number(v)]);
    expect(Number(resets.value[1])).toBe(0);
    for (let i = 1; i < points.length; i++) expect(points[i][1]).toBeGreaterThanOrEqual(points[i - 1][1]);
    expect(points.at(-1)![1]).toBe(sender.counters.copy_user_to_socket_bytes);
    expect(points.length).toBeGreaterThan(3);
    const expected = extrapolatedRate(points, now - W, now, W);
    // Equal up to float rounding (Prometheus sums in float64 in another order): 1e-6 relative.
    expect(Math.abs(Number(rate.value[1]) - expected) / expected).toBeLessThan(1e-6);
    // After the run, nothing more is copied: the rate over the last 2 s is exactly 0.
    const [after] = await query(`rate(${sel}[2s])`, now);
    expect(Number(after.value[1])).toBe(0);
    // The Grafana dashboard's expressions evaluate (Prometheus parses them) and give numbers.
    const dash = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'zerocopy-lab.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const end = run.endedAt ? Date.parse(run.endedAt) / 1000 : now;
    for (const { expr } of dash.panels.flatMap((p) => p.targets)) {
      const r = await query(expr.replaceAll('$__rate_interval', '4s'), end);
      expect(Array.isArray(r), expr).toBe(true);
    }
    const [cpb] = await query(
      `sum by (role, comm, pid) (rate(zcl_copied_bytes_total{path!="socket_to_user",role="sender"}[4s])) / (sum by (role, comm, pid) (rate(zcl_copied_bytes_total{path="user_to_socket",role="sender"}[4s])) + sum by (role, comm, pid) (rate(zcl_by_reference_bytes_total{role="sender"}[4s])))`,
      end - 0.5,
    );
    expect(Number(cpb.value[1])).toBeCloseTo(2, 1); // read-write: two CPU copies per byte sent
    process.stdout.write(`prometheus: CPU copies per byte sent (the dashboard's query, mid-run) = ${cpb.value[1]}\n`);
    process.stdout.write(
      `prometheus: ${sel} = ${points.at(-1)![1]} (run: ${sender.counters.copy_user_to_socket_bytes}); rate[${W}s] = ${rate.value[1]} (from ${points.length} samples: ${expected}); resets = ${resets.value[1]}\n`,
    );
  });
});

/** Prometheus 2.x's rate() of a counter's samples in (start, end] (promql/functions.go, extrapolatedRate). */
function extrapolatedRate(points: [number, number][], start: number, end: number, rangeSeconds: number): number {
  const first = points[0];
  const last = points.at(-1)!;
  let result = last[1] - first[1];
  let prev = 0;
  for (const [, v] of points) {
    if (v < prev) result += prev;
    prev = v;
  }
  let toStart = first[0] - start;
  const toEnd = end - last[0];
  const sampled = last[0] - first[0];
  const avg = sampled / (points.length - 1);
  if (result > 0 && first[1] >= 0) toStart = Math.min(toStart, sampled * (first[1] / result));
  const threshold = avg * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : avg / 2;
  interval += toEnd < threshold ? toEnd : avg / 2;
  return (result * (interval / sampled)) / rangeSeconds;
}

// promtool is the same package's: the exposition passes its lint (naming, _total, units).
describe('promtool check metrics', () => {
  it('finds nothing to say about the text format', async () => {
    const lab = await startServer({ port: 0, probes: false, resultsDir: resultsDir() });
    try {
      const r = await http(lab.url, 'GET', '/metrics');
      expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
      expect(lint.stdout + lint.stderr).toBe('');
      expect(lint.status).toBe(0);
    } finally {
      await lab.close();
    }
  });
});
