// Reports through the server (POST /api/reports) against a real listening
// server and real runs with probes: a tiny inline matrix starts, streams
// 'report' frames on /live, is listed with links that serve its four files
// (the HTML self-contained, under a CSP); bad requests name the field and the
// allowed values; runs and reports never overlap (409 both ways); DELETE
// cancels and keeps what is done; a restart keeps the list; the files follow
// the API's access rules.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type LabServer } from '../server/api/server.js';
import type { ReportFrame, ReportRecord, SampleFrame, ServerFrame } from '../server/live/frames.js';
import { labHome, ROOT } from '../server/project.js';
import { ourNamespaces } from './helpers.js';
import { http } from './http.js';

const tempDir = (what: string) => mkdtempSync(join(labHome(), `${what}-reports-api-`));
const servers: LabServer[] = [];
async function serve(o: Parameters<typeof startServer>[0] = {}): Promise<LabServer> {
  const s = await startServer({ port: 0, resultsDir: tempDir('results'), reportsDir: o.reportsDir ?? tempDir('reports'), ...o });
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  expect(ourNamespaces()).toEqual([]);
});


function client(s: LabServer) {
  const ws = new WebSocket(s.url.replace('http', 'ws') + 'live');
  const got: ServerFrame[] = [];
  const waiters: { pred: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  ws.on('message', (d) => {
    const frame = JSON.parse(d.toString()) as ServerFrame;
    got.push(frame);
    for (const w of [...waiters])
      if (w.pred(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
  });
  return {
    ws,
    got,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    next<T extends ServerFrame>(pred: (f: ServerFrame) => boolean, timeoutMs = 120_000): Promise<T> {
      const seen = got.find(pred);
      if (seen) return Promise.resolve(seen as T);
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
        waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f as T)) });
      });
    },
  };
}

const isReport = (event: string, id?: string) => (f: ServerFrame) => f.type === 'report' && f.event === event && (!id || f.report.id === id);

async function ended(s: LabServer, id: string, timeoutMs = 120_000): Promise<ReportRecord> {
  const t0 = Date.now();
  for (;;) {
    const r = await http(s.url, 'GET', `/api/reports/${id}`);
    expect(r.status).toBe(200);
    if (r.body.status !== 'running') return r.body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`report ${id} still running`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The tiny matrix of these tests: 2 modes x loopback, 1 MiB, one repetition, no warmup. */
const TINY = {
  name: 'api-tiny',
  description: 'two modes over loopback, 1 MiB',
  base: { path: 'loopback', sizeBytes: '1MiB', sink: 'read', cache: 'warm' },
  axes: { mode: ['read-write', 'sendfile'] },
  repetitions: 1,
  warmup: 0,
};
/** Slow enough to watch and to interrupt: small chunks over the veth without scatter-gather. */
const SLOW_MATRIX = {
  name: 'api-slow',
  base: { path: 'veth-nosg', sizeBytes: '256MiB', chunkBytes: '4KiB', sink: 'read' },
  axes: { mode: ['read-write', 'mmap-write'] },
  repetitions: 3,
  warmup: 0,
};
const SLOW_RUN = { mode: 'read-write', path: 'veth-nosg', sizeBytes: '256MiB', chunkBytes: '4KiB' };
const SHIPPED = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

describe('reports through the API', () => {
  let s: LabServer;
  beforeAll(async () => {
    s = await serve();
  });

  it('GET /api/reports lists the shipped scenarios (and no reports yet)', async () => {
    const r = await http(s.url, 'GET', '/api/reports');
    expect(r.status).toBe(200);
    expect(r.body.reports).toEqual([]);
    expect(r.body.scenarios.map((x: { name: string }) => x.name)).toEqual(SHIPPED);
    const seeds = r.body.scenarios.find((x: { name: string }) => x.name === 'seed-comparison');
    expect(seeds).toMatchObject({ file: 'scenarios/seed-comparison.json', description: expect.stringMatching(/seed/), runs: 9 * 6, cells: 9 });
    for (const x of r.body.scenarios) expect(x.error).toBeUndefined();
  });

  it('bad requests: 400 naming the field and the allowed values; nothing starts', async () => {
    const unknown = await http(s.url, 'POST', '/api/reports', { body: { scenario: 'seeds-of-doubt' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issues[0].field).toBe('scenario');
    expect(unknown.body.issues[0].message).toMatch(/unknown scenario 'seeds-of-doubt'; allowed: /);
    for (const name of SHIPPED) expect(unknown.body.issues[0].message).toContain(name);

    const badValue = await http(s.url, 'POST', '/api/reports', { body: { matrix: { ...TINY, axes: { mode: ['read-write', 'telepathy'] } } } });
    expect(badValue.status).toBe(400);
    expect(badValue.body.issues).toEqual([expect.objectContaining({ field: 'matrix.axes.mode[1]', message: expect.stringMatching(/sendfile.*splice/) })]);

    const badAxis = await http(s.url, 'POST', '/api/reports', { body: { matrix: { ...TINY, axes: { colour: ['red'] } } } });
    expect(badAxis.status).toBe(400);
    expect(badAxis.body.issues[0]).toMatchObject({ field: 'matrix.axes.colour', message: expect.stringMatching(/unknown axis 'colour'; allowed: mode, path/) });

    const neither = await http(s.url, 'POST', '/api/reports', { body: {} });
    expect(neither.status).toBe(400);
    expect(neither.body.issues[0]).toMatchObject({ field: 'scenario', message: expect.stringMatching(/exactly one of "scenario" \(allowed: .*seed-comparison/) });
    const both = await http(s.url, 'POST', '/api/reports', { body: { scenario: 'test-small', matrix: TINY } });
    expect(both.status).toBe(400);
    const extra = await http(s.url, 'POST', '/api/reports', { body: { scenario: 'test-small', colour: 'red' } });
    expect(extra.status).toBe(400);
    expect(extra.body.issues[0]).toMatchObject({ field: 'colour', message: expect.stringMatching(/allowed: scenario, matrix, resume/) });
    const resume = await http(s.url, 'POST', '/api/reports', { body: { scenario: 'test-small', resume: true } });
    expect(resume.status).toBe(400);
    expect(resume.body.issues[0]).toMatchObject({ field: 'resume', message: expect.stringMatching(/no unfinished report of 'test-small'/) });
    const notJson = await http(s.url, 'POST', '/api/reports', { body: 'scenario=test-small', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notJson.status).toBe(415);

    expect((await http(s.url, 'GET', '/api/reports')).body.reports).toEqual([]);
  });

  let tinyId: string;
  it('a tiny inline matrix runs: 202, report frames on /live, then listed with links that serve its files', async () => {
    const c = client(s);
    await c.opened;
    const r = await http(s.url, 'POST', '/api/reports', { body: { matrix: TINY } });
    expect(r.status).toBe(202);
    const started: ReportRecord = r.body.report;
    expect(started).toMatchObject({ name: 'api-tiny', status: 'running', cells: 2, progress: { done: 0, total: 2 } });
    expect(started.id).toMatch(/^api-tiny-\d{8}-\d{6}$/);
    expect(r.headers.location).toBe(`/api/reports/${started.id}`);
    tinyId = started.id;

    await c.next(isReport('started', tinyId));
    const runStart = await c.next<ReportFrame>(isReport('run-start', tinyId));
    expect(runStart.report.progress).toMatchObject({ done: 0, total: 2, label: expect.stringMatching(/read-write|sendfile/), runId: expect.any(String) });
    const end = await c.next<ReportFrame>(isReport('ended', tinyId));
    expect(end.report).toMatchObject({ status: 'complete', runs: { planned: 2, done: 2, failed: 0, resumed: 0 }, finishedAt: expect.any(String) });
    const runEnds = c.got.filter(isReport('run-end', tinyId)) as ReportFrame[];
    expect(runEnds.map((f) => f.report.progress!.done)).toEqual([1, 2]);
    // Progress frames are throttled: never more than ~4 a second.
    const progress = c.got.filter(isReport('progress', tinyId));
    expect(progress.length).toBeLessThanOrEqual(2 + 4 * 10);
    c.ws.close();

    const list = await http(s.url, 'GET', '/api/reports');
    const rec: ReportRecord = list.body.reports.find((x: ReportRecord) => x.id === tinyId);
    expect(rec).toMatchObject({ name: 'api-tiny', status: 'complete', startedAt: expect.any(String), finishedAt: expect.any(String) });
    expect(rec.progress).toBeUndefined();
    const base = `/reports/${tinyId}/`;
    expect(rec.files).toEqual({ html: `${base}report.html`, md: `${base}report.md`, json: `${base}results.json`, csv: `${base}results.csv` });

    const html = await http(s.url, 'GET', rec.files.html!);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.text).toMatch(/<canvas/);
    expect(html.text).not.toMatch(/\b(?:https?|ftp|wss?):\/\//i);
    const csp = String(html.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-/);
    expect(csp).toMatch(/sandbox allow-scripts/);
    const md = await http(s.url, 'GET', rec.files.md!);
    expect(md.status).toBe(200);
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.text).toMatch(/read-write/);
    const json = await http(s.url, 'GET', rec.files.json!);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ status: 'complete', matrix: { name: 'api-tiny' } });
    expect(json.body.cells).toHaveLength(2);
    const csv = await http(s.url, 'GET', rec.files.csv!);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\n')).toHaveLength(1 + 2);
  });

  it('serves only the four report files: no other file, no traversal, no foreign Host or Origin', async () => {
    expect((await http(s.url, 'GET', `/reports/${tinyId}/report.html`)).status).toBe(200);
    for (const p of [
      `/reports/${tinyId}/matrix.json`,
      `/reports/${tinyId}/runs.jsonl`,
      `/reports/${tinyId}/.zcl-serve.json`,
      `/reports/${tinyId}/..%2F..%2F..%2Fetc%2Fpasswd`,
      `/reports/..%2F${tinyId}/report.html`,
      `/reports/${tinyId}%2F..%2F${tinyId}/report.html`,
      `/reports/nonexistent/report.html`,
      `/reports/${tinyId}/`,
    ])
      expect((await http(s.url, 'GET', p)).status, p).toBe(404);
    expect((await http(s.url, 'GET', `/reports/${tinyId}/report.html`, { headers: { host: 'evil.example:80' } })).status).toBe(403);
    expect((await http(s.url, 'GET', `/reports/${tinyId}/report.html`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await http(s.url, 'PUT', `/reports/${tinyId}/report.html`, { body: 'x' })).status).toBe(404);
    // Symbolic links are not followed: neither a linked file nor a linked directory.
    mkdirSync(join(s.reports.dir, 'linked'));
    symlinkSync('/etc/hostname', join(s.reports.dir, 'linked', 'results.csv'));
    symlinkSync(join(s.reports.dir, tinyId), join(s.reports.dir, 'linked-dir'));
    expect((await http(s.url, 'GET', '/reports/linked/results.csv')).status).toBe(404);
    expect((await http(s.url, 'GET', '/reports/linked-dir/report.html')).status).toBe(404);
    rmSync(join(s.reports.dir, 'linked'), { recursive: true });
    rmSync(join(s.reports.dir, 'linked-dir'));
  });

  it('runs and reports never overlap: 409 both ways; DELETE cancels a report and keeps what is done', async () => {
    const c = client(s);
    await c.opened;
    // A run is running: a report is refused.
    const run = await http(s.url, 'POST', '/api/runs', { body: SLOW_RUN });
    expect(run.status).toBe(202);
    const refused = await http(s.url, 'POST', '/api/reports', { body: { matrix: TINY } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/a run is running.*cannot start beside runs/);
    expect(refused.body.running).toBe(run.body.run.id);
    expect((await http(s.url, 'DELETE', `/api/runs/${run.body.run.id}`)).status).toBe(200);

    // A report is running: runs (HTTP and WebSocket) and a second report are refused.
    const rep = await http(s.url, 'POST', '/api/reports', { body: { matrix: SLOW_MATRIX } });
    expect(rep.status).toBe(202);
    const id: string = rep.body.report.id;
    const noRun = await http(s.url, 'POST', '/api/runs', { body: SLOW_RUN });
    expect(noRun.status).toBe(409);
    expect(noRun.body).toMatchObject({ error: expect.stringMatching(new RegExp(`report ${id} is running`)), report: id });
    c.ws.send(JSON.stringify({ type: 'start', spec: SLOW_RUN }));
    const wsErr = await c.next<Extract<ServerFrame, { type: 'error' }>>((f) => f.type === 'error');
    expect(wsErr.error).toMatch(/report .* is running/);
    const second = await http(s.url, 'POST', '/api/reports', { body: { scenario: 'test-small' } });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: expect.stringMatching(/one report at a time/), report: id });

    // The transfer in flight streams sample frames for the live charts, with the runId the report names.
    const rs = await c.next<ReportFrame>(isReport('run-start', id));
    const runId = rs.report.progress!.runId!;
    await c.next<SampleFrame>((f) => f.type === 'sample' && f.runId === runId && f.counters !== null && f.progress.bytes > 0);
    await c.next<ReportFrame>((f) => isReport('progress', id)(f) && ((f as ReportFrame).report.progress?.bytes ?? 0) > 0);
    // The hello of a client that connects now names the running report.
    const late = client(s);
    const hello = await late.next<Extract<ServerFrame, { type: 'hello' }>>((f) => f.type === 'hello');
    expect(hello.report?.id).toBe(id);
    late.ws.close();

    const del = await http(s.url, 'DELETE', `/api/reports/${id}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id, status: 'cancelled', error: expect.stringMatching(/cancelled/) });
    // The report of what was done is written (nothing finished: its cells are pending).
    expect(Object.keys(del.body.files).sort()).toEqual(['csv', 'html', 'json', 'md']);
    const json = await http(s.url, 'GET', del.body.files.json);
    expect(json.body.status).toBe('interrupted');
    const endFrame = await c.next<ReportFrame>(isReport('ended', id));
    expect(endFrame.report.status).toBe('cancelled');
    expect((await http(s.url, 'DELETE', `/api/reports/${id}`)).status).toBe(409);
    expect((await http(s.url, 'DELETE', '/api/reports/no-such-report')).status).toBe(404);

    // Runs may start again, and a report after them.
    const again = await http(s.url, 'POST', '/api/runs', { body: { mode: 'sendfile', sizeBytes: '1MiB' } });
    expect(again.status).toBe(202);
    c.ws.close();
    expect(ourNamespaces()).toEqual([]);
  });

  it('resume: true continues the newest unfinished report of that matrix, in its directory', async () => {
    const t0 = Date.now();
    while ((await http(s.url, 'GET', '/api/runs?limit=1')).body.runs[0]?.state !== 'finished') {
      if (Date.now() - t0 > 60_000) throw new Error('the run did not finish');
      await new Promise((res) => setTimeout(res, 50));
    }
    const list = (await http(s.url, 'GET', '/api/reports')).body.reports as ReportRecord[];
    const cancelled = list.find((r) => r.name === 'api-slow')!;
    const r = await http(s.url, 'POST', '/api/reports', { body: { matrix: { ...SLOW_MATRIX, base: { ...SLOW_MATRIX.base, sizeBytes: '1MiB', chunkBytes: '64KiB', path: 'loopback' } }, resume: true } });
    // Same name, other cells (smaller): it resumes that directory, and runs what is missing there.
    expect(r.status).toBe(202);
    expect(r.body.report.id).toBe(cancelled.id);
    const done = await ended(s, cancelled.id);
    expect(done).toMatchObject({ status: 'complete', runs: { planned: 6, done: 6 } });
  });

  it('a restart keeps the list (and finds reports that `zcl report` wrote)', async () => {
    const before = (await http(s.url, 'GET', '/api/reports')).body.reports as ReportRecord[];
    expect(before.length).toBe(2);
    // A directory written by the CLI: no server state in it, only the report.
    const { reportsDir } = { reportsDir: s.reports.dir };
    const s2 = await serve({ reportsDir });
    const after = (await http(s2.url, 'GET', '/api/reports')).body.reports as ReportRecord[];
    expect(after.map((r) => [r.id, r.name, r.status, r.startedAt])).toEqual(before.map((r) => [r.id, r.name, r.status, r.startedAt]));
    expect(after.find((r) => r.id === tinyId)!.files.html).toBe(`/reports/${tinyId}/report.html`);
    expect((await http(s2.url, 'GET', `/reports/${tinyId}/report.html`)).status).toBe(200);
    // A stray directory and a file are not reports.
    writeFileSync(join(reportsDir, 'notes.txt'), 'x');
    expect((await http(s2.url, 'GET', '/api/reports')).body.reports).toHaveLength(2);
  });
});

describe('reports off loopback', () => {
  it('the files need the token, like the API', async () => {
    const reportsDir = tempDir('reports');
    const s = await serve({ reportsDir, host: '0.0.0.0', probes: false });
    const base = `http://127.0.0.1:${s.port}/`;
    const auth = { authorization: `Bearer ${s.token}` };
    expect((await http(base, 'GET', '/api/reports')).status).toBe(401);
    const r = await http(base, 'POST', '/api/reports', { body: { matrix: { ...TINY, axes: { mode: ['sendfile'] } } }, headers: auth });
    expect(r.status).toBe(202);
    const done = await (async () => {
      for (;;) {
        const g = await http(base, 'GET', `/api/reports/${r.body.report.id}`, { headers: auth });
        if (g.body.status !== 'running') return g.body as ReportRecord;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    expect(done.status).toBe('complete');
    expect((await http(base, 'GET', done.files.html!)).status).toBe(401);
    expect((await http(base, 'GET', done.files.html!, { headers: auth })).status).toBe(200);
    expect((await http(base, 'GET', `${done.files.csv!}?token=${s.token}`)).status).toBe(200);
  });
});
