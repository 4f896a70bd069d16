// DELETE answers what really happened (issue 11, item 9): a run or a report
// that ends otherwise than cancelled after the cancel (a run past its last byte
// finishes) is a 409 with its record, not a 200. The transfer here is the real
// one with the cancel signal withheld: a run that cannot be stopped any more.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type LabServer } from '../server/api/server.js';
import type { ServerFrame } from '../server/live/frames.js';
import { Session, type SessionOptions } from '../server/session/session.js';
import type { RunSpec } from '../server/schema/run-spec.js';
import { labHome } from '../server/project.js';
import { ourNamespaces } from './helpers.js';
import { http } from './http.js';

const tempDir = (what: string) => mkdtempSync(join(labHome(), `${what}-cancel-outcome-`));
const servers: LabServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  expect(ourNamespaces()).toEqual([]);
});

/** The real transfer, deaf to the cancel: it always runs to its end. */
const uncancellable = (spec: RunSpec, o: SessionOptions) => new Session(spec, { ...o, signal: undefined });

async function serve(): Promise<LabServer> {
  const s = await startServer({ port: 0, probes: false, resultsDir: tempDir('results'), reportsDir: tempDir('reports'), session: uncancellable });
  servers.push(s);
  return s;
}

const SMALL = { mode: 'sendfile', path: 'loopback', sizeBytes: '1MiB' };

describe('DELETE answers what happened', () => {
  it('a run that finishes although cancelled: 409 with the finished record (HTTP and WebSocket)', async () => {
    const s = await serve();
    const a = await http(s.url, 'POST', '/api/runs', { body: SMALL });
    expect(a.status).toBe(202);
    const d = await http(s.url, 'DELETE', `/api/runs/${a.body.run.id}`);
    expect(d.body.run?.state ?? d.body.state).toBe('finished');
    expect(d.status, d.text).toBe(409);
    expect(d.body.error).toMatch(/ended finished: it was not cancelled/);
    expect((await http(s.url, 'GET', `/api/runs/${a.body.run.id}`)).body.state).toBe('finished');

    // The WebSocket's cancel says the same.
    const ws = new WebSocket(s.url.replace('http', 'ws') + 'live');
    const frames: ServerFrame[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.once('open', r));
    const b = await http(s.url, 'POST', '/api/runs', { body: SMALL });
    ws.send(JSON.stringify({ type: 'cancel', id: b.body.run.id }));
    for (let i = 0; i < 300 && !frames.some((f) => f.type === 'error'); i++) await new Promise((r) => setTimeout(r, 50));
    ws.close();
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ error: expect.stringMatching(/ended finished: it was not cancelled/) });
  });

  it('a queued run cancelled is cancelled: 200', async () => {
    const s = await serve();
    const a = await http(s.url, 'POST', '/api/runs', { body: SMALL });
    const b = await http(s.url, 'POST', '/api/runs', { body: SMALL });
    expect(b.body.position).toBe(1);
    const d = await http(s.url, 'DELETE', `/api/runs/${b.body.run.id}`);
    expect(d.status).toBe(200);
    expect(d.body.state).toBe('cancelled');
    await s.runner.whenSettled(a.body.run.id);
  });

  it('a report whose last run finishes although cancelled: 409 with the complete report', async () => {
    const s = await serve();
    const matrix = { name: 'cancel-outcome', base: { path: 'loopback', sizeBytes: '1MiB' }, axes: { mode: ['sendfile'] }, repetitions: 1, warmup: 0 };
    const r = await http(s.url, 'POST', '/api/reports', { body: { matrix } });
    expect(r.status, r.text).toBe(202);
    const d = await http(s.url, 'DELETE', `/api/reports/${r.body.report.id}`);
    expect(d.body.report?.status ?? d.body.status).toBe('complete');
    expect(d.status, d.text).toBe(409);
    expect(d.body.error).toMatch(/ended complete: it was not cancelled/);
  });
});
