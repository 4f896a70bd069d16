// The JSON API against a real listening server (ephemeral port) and real runs:
// validation names the field, one run at a time with a queue, cancel, history
// kept across restarts, token off loopback, foreign origins refused, probes
// that failed to load reported instead of crashing.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CACHE_NAMES, ENGINE_NAMES, MODE_NAMES, PATH_NAMES, SINK_NAMES } from '../scenarios/catalog.js';
import { startServer, type LabServer } from '../server/api/server.js';
import type { RunRecord } from '../server/live/frames.js';
import { COUNTER_NAMES } from '../server/probes/schema.generated.js';
import { probesAbsent } from '../server/probes/result.js';
import { labHome } from '../server/project.js';
import { alive, MiB, ourNamespaces } from './helpers.js';
import { http, wsOutcome } from './http.js';

const resultsDir = () => mkdtempSync(join(labHome(), 'results-api-'));
const servers: LabServer[] = [];
async function serve(o: Parameters<typeof startServer>[0] = {}): Promise<LabServer> {
  // A reports directory of its own too: the runs list has the reports' runs (none here).
  const s = await startServer({ port: 0, resultsDir: o.resultsDir ?? resultsDir(), reportsDir: o.reportsDir ?? mkdtempSync(join(labHome(), 'reports-api-')), ...o });
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  expect(ourNamespaces()).toEqual([]);
});


async function settled(s: LabServer, id: string, timeoutMs = 60_000): Promise<RunRecord> {
  const t0 = Date.now();
  for (;;) {
    const r = await http(s.url, 'GET', `/api/runs/${id}`);
    expect(r.status).toBe(200);
    if (['finished', 'failed', 'cancelled'].includes(r.body.state)) return r.body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${id} still ${r.body.state}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}


// Slow enough to watch and to interrupt: small chunks over the veth without scatter-gather.
const SLOW = { mode: 'read-write', path: 'veth-nosg', sizeBytes: '64MiB', chunkBytes: '4KiB' };

describe('API on loopback', () => {
  let s: LabServer;
  beforeAll(async () => {
    s = await serve();
  });

  it('binds 127.0.0.1 and needs no token there', () => {
    expect(s.host).toBe('127.0.0.1');
    expect(s.token).toBeUndefined();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('GET /api/modes: the form comes from the schema, the rest from the catalog', async () => {
    const r = await http(s.url, 'GET', '/api/modes');
    expect(r.status).toBe(200);
    const fields = Object.fromEntries(r.body.fields.map((f: { name: string }) => [f.name, f]));
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['mode', 'path', 'sink', 'sizeBytes', 'chunkBytes', 'cache', 'engine']));
    expect(fields.engine.values.map((v: { value: string }) => v.value)).toEqual(ENGINE_NAMES);
    expect(fields.engine.values[0].summary).toEqual(expect.any(String));
    expect(fields.mode.values.map((v: { value: string }) => v.value)).toEqual(MODE_NAMES);
    expect(fields.path.values.map((v: { value: string }) => v.value)).toEqual(PATH_NAMES);
    expect(fields.sink.values.map((v: { value: string }) => v.value)).toEqual(SINK_NAMES);
    expect(fields.cache.values.map((v: { value: string }) => v.value)).toEqual(CACHE_NAMES);
    expect(fields.mode.values[0].summary).toMatch(/read\(\)/);
    expect(fields.sizeBytes).toMatchObject({ kind: 'size', default: 256 * MiB });
    // timed and paced runs: their own kinds (not sizes), with unit and what empty means
    expect(fields.duration).toMatchObject({ kind: 'duration', unit: 's', label: 'duration', emptyText: '0: one pass of the file' });
    expect(fields.rate).toMatchObject({ kind: 'rate', unit: 'B/s', label: 'rate', emptyText: '0: unlimited' });
    expect(r.body.modes.find((m: { name: string }) => m.name === 'sendfile').textbook.cpuCopies).toBe(0);
    expect(r.body.limits.maxChunks).toBeGreaterThan(0);
    // The flow diagram: one per mode, each arrow showing a real counter, drawn in the mode's SVG.
    expect(Object.keys(r.body.flow.modes)).toEqual(MODE_NAMES);
    for (const m of Object.values(r.body.flow.modes) as { svg: string; arrows: { id: string; counter: string }[] }[]) {
      expect(m.arrows.length).toBeGreaterThan(0);
      for (const a of m.arrows) {
        expect(COUNTER_NAMES).toContain(a.counter);
        expect(m.svg).toContain(`data-arrow="${a.id}"`);
      }
    }
    expect(JSON.stringify(r.body)).not.toMatch(/https?:\/\//);
  });

  it('GET /api/capabilities: kernel, engine, tier, programs, counter sources', async () => {
    const r = await http(s.url, 'GET', '/api/capabilities');
    expect(r.status).toBe(200);
    expect(r.body.kernel).toBe(release());
    expect(r.body.probes).toMatchObject({ status: 'ok', engine: 'libbpf' });
    expect(r.body.probes.tier).toEqual(expect.any(String));
    expect(r.body.probes.programs.some((p: { attached: boolean }) => p.attached)).toBe(true);
    expect(r.body.probes.counters.map((c: { name: string }) => c.name)).toEqual([...COUNTER_NAMES]);
    for (const c of r.body.probes.counters) expect(c.available ? c.source : c.missing ?? 'none').toEqual(expect.any(String));
    expect(Array.isArray(r.body.missing)).toBe(true);
    expect(r.body.engines.map((e: { name: string }) => e.name)).toEqual(['libbpf', ...ENGINE_NAMES.filter((e) => e !== 'libbpf')]);
    expect(r.body.engines[0]).toMatchObject({ status: 'ok', tier: r.body.probes.tier });
  });

  it('the engine field picks the probe engine per run (bpftrace)', async () => {
    const r = await http(s.url, 'POST', '/api/runs', { body: { mode: 'read-write', sizeBytes: '2MiB', engine: 'bpftrace' } });
    expect(r.status).toBe(202);
    expect(r.body.run.spec.engine).toBe('bpftrace');
    const done = await settled(s, r.body.run.id);
    expect(done.state).toBe('finished');
    expect(done.result!.probes).toMatchObject({ status: 'ok', engine: 'bpftrace' });
    expect(done.result!.probes!.sender!.counters.copy_file_to_user_bytes).toBe(2 * MiB);
  });

  it.each([
    [{ mode: 'zero-copy-please' }, 'mode', /'zero-copy-please' is not allowed; allowed: read-write, .*node-stream/],
    [{ path: 'wifi' }, 'path', /allowed: loopback, veth, veth-nosg/],
    [{ sink: 'tee' }, 'sink', /allowed: read, discard, copy, splice, zerocopy-receive/],
    [{ cache: 'lukewarm' }, 'cache', /allowed: warm, cold/],
    [{ sizeBytes: '12 parsecs' }, 'sizeBytes', /not a size/],
    [{ sizeBytes: '128GiB' }, 'sizeBytes', /out of range; allowed: 1 B to 64 GiB/],
    [{ sizeBytes: '1MiB', chunkBytes: '2MiB' }, 'chunkBytes', /larger than sizeBytes/],
    [{ sizeBytes: '1GiB', chunkBytes: 1 }, 'chunkBytes', /at most 16777216/],
    [{ mode: 'sendfile-nogather', path: 'loopback' }, 'path', /runs on path veth-nosg/],
    [{ engine: 'dtrace' }, 'engine', /'dtrace' is not allowed; allowed: libbpf, bpftrace/],
    [{ mode: 'sendfile', turbo: true }, '(root)', /unknown field\(s\) 'turbo'; allowed: mode, path/],
  ])('POST /api/runs %j -> 400 naming %s', async (body, field, message) => {
    const r = await http(s.url, 'POST', '/api/runs', { body });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid run spec');
    expect(r.body.issues).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
  });

  it('POST /api/runs: not JSON, malformed JSON, an array, an oversized body', async () => {
    const before = s.runner.list(500).length;
    expect((await http(s.url, 'POST', '/api/runs', { body: 'mode=sendfile', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    const bad = await http(s.url, 'POST', '/api/runs', { body: '{"mode":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].field).toBe('(body)');
    const arr = await http(s.url, 'POST', '/api/runs', { body: [] });
    expect(arr.status).toBe(400);
    const big = await http(s.url, 'POST', '/api/runs', { body: { mode: 'sendfile', pad: 'x'.repeat(20_000) } });
    expect(big.status).toBe(413);
    expect(s.runner.list(500).length).toBe(before);
  });

  it('a run: 202 with its id, then the finished record with its RunResult, saved as a file', async () => {
    const r = await http(s.url, 'POST', '/api/runs', { body: { mode: 'sendfile', sizeBytes: '4MiB', chunkBytes: '64KiB' } });
    expect(r.status).toBe(202);
    expect(r.body.position).toBe(0);
    expect(r.headers.location).toBe(`/api/runs/${r.body.run.id}`);
    const done = await settled(s, r.body.run.id);
    expect(done.state).toBe('finished');
    expect(done.result).toMatchObject({ id: done.id, mode: 'sendfile', bytes: 4 * MiB });
    expect(done.result!.probes!.status).toBe('ok');
    expect(done.result!.textbook!.verdict).toEqual(expect.any(String));
    const file = join(s.runner.resultsDir, `${done.id}.json`);
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).result.bytes).toBe(4 * MiB);
    expect((await http(s.url, 'GET', '/api/runs/nope')).status).toBe(404);
    expect((await http(s.url, 'GET', '/api/runs?limit=0')).status).toBe(400);
  });

  it('concurrent starts: the first runs, the others queue in order; a queued run can be cancelled', async () => {
    // One after the other (each answered before the next is sent), while the first still runs.
    const a = await http(s.url, 'POST', '/api/runs', { body: SLOW });
    const b = await http(s.url, 'POST', '/api/runs', { body: { mode: 'splice', sizeBytes: '2MiB' } });
    const c = await http(s.url, 'POST', '/api/runs', { body: { mode: 'mmap-write', sizeBytes: '2MiB' } });
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect([a.body.position, b.body.position, c.body.position]).toEqual([0, 1, 2]);
    expect([a.body.run.state, b.body.run.state, c.body.run.state]).toEqual(['running', 'queued', 'queued']);
    const list = (await http(s.url, 'GET', '/api/runs')).body.runs.map((r: RunRecord) => r.id);
    expect(list.slice(0, 3)).toEqual([c.body.run.id, b.body.run.id, a.body.run.id]);
    const cancelled = await http(s.url, 'DELETE', `/api/runs/${c.body.run.id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(cancelled.body.startedAt).toBeUndefined();
    const ra = await settled(s, a.body.run.id);
    const rb = await settled(s, b.body.run.id);
    expect([ra.state, rb.state]).toEqual(['finished', 'finished']);
    expect(Date.parse(rb.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ra.endedAt!));
    expect((await http(s.url, 'DELETE', `/api/runs/${a.body.run.id}`)).status).toBe(409);
    expect((await http(s.url, 'DELETE', '/api/runs/nope')).status).toBe(404);
  });

  it('DELETE a running run cancels it and leaves no process or namespace', async () => {
    const r = await http(s.url, 'POST', '/api/runs', { body: { ...SLOW, sizeBytes: '256MiB' } });
    let moving = false;
    for (let i = 0; i < 400 && !moving; i++) {
      await new Promise((res) => setTimeout(res, 25));
      const cur = s.runner.current;
      moving = cur?.phase === 'running' && (cur.progress?.bytes ?? 0) > 0;
    }
    expect(moving).toBe(true);
    const d = await http(s.url, 'DELETE', `/api/runs/${r.body.run.id}`);
    expect(d.status).toBe(200);
    expect(d.body.state).toBe('cancelled');
    expect(s.runner.current).toBeUndefined();
    expect(ourNamespaces()).toEqual([]);
  });

  it('the queue has a limit: past it, 409', async () => {
    const q = await serve({ maxQueued: 1 });
    const a = await http(q.url, 'POST', '/api/runs', { body: SLOW });
    const b = await http(q.url, 'POST', '/api/runs', { body: { sizeBytes: '2MiB' } });
    const c = await http(q.url, 'POST', '/api/runs', { body: { sizeBytes: '2MiB' } });
    expect([a.status, b.status, c.status]).toEqual([202, 202, 409]);
    expect(c.body).toMatchObject({ running: a.body.run.id, queued: 1, error: expect.stringMatching(/already waiting/) });
    await settled(q, b.body.run.id);
  });

  it('a restart keeps the history (the results files are loaded at start)', async () => {
    const dir = resultsDir();
    const first = await serve({ resultsDir: dir });
    const r = await http(first.url, 'POST', '/api/runs', { body: { mode: 'read-write', sizeBytes: '2MiB' } });
    await settled(first, r.body.run.id);
    await first.close();
    const second = await serve({ resultsDir: dir });
    const list = await http(second.url, 'GET', '/api/runs');
    expect(list.body.runs.map((x: RunRecord) => [x.id, x.state])).toEqual([[r.body.run.id, 'finished']]);
    expect((await http(second.url, 'GET', `/api/runs/${r.body.run.id}`)).body.result.bytes).toBe(2 * MiB);
  });

  it('refuses other origins and Host names that are not loopback (DNS rebinding)', async () => {
    const live = s.url.replace('http', 'ws') + 'live';
    expect(await wsOutcome(live, { Origin: 'http://evil.example' })).toBe(403);
    expect(await wsOutcome(live, { Origin: s.url.slice(0, -1) })).toBe('open');
    expect(await wsOutcome(live)).toBe('open');
    const foreign = await http(s.url, 'POST', '/api/runs', { body: { sizeBytes: '2MiB' }, headers: { Origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect((await http(s.url, 'GET', '/api/modes', { headers: { Origin: 'null' } })).status).toBe(403);
    const rebound = await http(s.url, 'GET', '/api/runs', { headers: { Host: `evil.example:${s.port}` } });
    expect(rebound.status).toBe(403);
    expect(await wsOutcome(live, { Host: `evil.example:${s.port}` })).toBe(403);
    expect(await wsOutcome(s.url.replace('http', 'ws') + 'elsewhere')).toBe(404);
  });

  it('serves the dashboard and chart.js from node_modules, with a CSP that allows nothing from elsewhere', async () => {
    const page = await http(s.url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.body).not.toMatch(/https?:\/\//);
    const chart = await http(s.url, 'GET', '/vendor/chart.js/chart.js');
    expect(chart.status).toBe(200);
    expect(chart.headers['content-type']).toMatch(/javascript/);
    expect((await http(s.url, 'GET', '/vendor/@kurkle/color/color.esm.js')).status).toBe(200);
    expect((await http(s.url, 'GET', '/vendor/chart.js/../../../package.json')).status).toBe(404);
  });
});

describe('API off loopback', () => {
  it('a generated token is required on every API call and on the WebSocket', async () => {
    const s = await serve({ host: '0.0.0.0' });
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(s.urls[0]).toContain(`?token=${s.token}`);
    const base = `http://127.0.0.1:${s.port}/`;
    const no = await http(base, 'GET', '/api/modes');
    expect(no.status).toBe(401);
    expect(no.headers['www-authenticate']).toMatch(/Bearer/);
    expect((await http(base, 'GET', '/api/modes', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await http(base, 'POST', '/api/runs', { body: { sizeBytes: '2MiB' } })).status).toBe(401);
    expect((await http(base, 'GET', '/api/modes', { headers: { Authorization: `Bearer ${s.token}` } })).status).toBe(200);
    expect((await http(base, 'GET', `/api/runs?token=${s.token}`)).status).toBe(200);
    // Any Host name is fine with the token (a VM's forwarded port arrives as localhost or the VM's name).
    expect((await http(base, 'GET', '/api/modes', { headers: { Authorization: `Bearer ${s.token}`, Host: 'lab-vm:8080' } })).status).toBe(200);
    // The page itself is public; opened with the token it sets a same-site cookie and drops the token from the URL.
    expect((await http(base, 'GET', '/')).status).toBe(200);
    const login = await http(base, 'GET', `/?token=${s.token}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/');
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await http(base, 'GET', '/api/capabilities', { headers: { Cookie: cookie } })).status).toBe(200);
    const live = `ws://127.0.0.1:${s.port}/live`;
    expect(await wsOutcome(live)).toBe(401);
    expect(await wsOutcome(`${live}?token=wrong`)).toBe(401);
    expect(await wsOutcome(`${live}?token=${s.token}`)).toBe('open');
    expect(await wsOutcome(live, { Cookie: cookie })).toBe('open');
    expect(await wsOutcome(live, { Cookie: cookie, Origin: 'http://evil.example' })).toBe(403);
  });

  it('a given token is used as is', async () => {
    const token = 'a-token-of-the-users-own-choosing';
    const s = await serve({ host: '0.0.0.0', token });
    expect(s.token).toBe(token);
    const base = `http://127.0.0.1:${s.port}/`;
    expect((await http(base, 'GET', '/api/modes')).status).toBe(401);
    expect((await http(base, 'GET', '/api/modes', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});

describe('probes that cannot load', () => {
  it('the server still serves and runs, and says why there are no counters', async () => {
    const reason = 'simulated: the kernel refused the programs (EPERM)';
    const s = await serve({ probes: { absent: probesAbsent('unavailable', 'libbpf', reason) } });
    const caps = await http(s.url, 'GET', '/api/capabilities');
    expect(caps.status).toBe(200);
    expect(caps.body.probes).toMatchObject({ status: 'unavailable', reason });
    expect(caps.body.missing[0]).toMatchObject({ what: 'probes (libbpf)', detail: expect.stringContaining(reason), fix: expect.any(String) });
    const r = await http(s.url, 'POST', '/api/runs', { body: { mode: 'sendfile', sizeBytes: '2MiB' } });
    const done = await settled(s, r.body.run.id);
    expect(done.state).toBe('finished');
    expect(done.result!.probes).toMatchObject({ status: 'unavailable', reason });
    expect(done.result!.textbook!.verdict).toBe('unmeasured');
  });

  it('--no-probes: status off, and the server does not load them', async () => {
    const s = await serve({ probes: false });
    const caps = await http(s.url, 'GET', '/api/capabilities');
    expect(caps.body.probes.status).toBe('off');
    expect(caps.body.missing[0].fix).toMatch(/without --no-probes/);
  });
});

describe('children', () => {
  it('runs left no process behind', async () => {
    for (const s of servers)
      for (const r of s.runner.list(500)) {
        if (r.result) expect(alive(r.result.sender.pid)).toBe(false);
        if (r.result) expect(alive(r.result.receiver.pid)).toBe(false);
      }
  });
});
