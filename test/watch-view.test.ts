// The Watch view, real: a real server program (apps/run python-sendfile, which
// the test starts and the lab does not), found in the page's process list,
// watched with the real libbpf engine while a client fetches from it, its
// verdict (sendfile, zero-copy) in the page, stopped; then the probes watch
// nothing, no BPF program was added, and the program still runs (the lab does
// not own it; the test kills it). And the routes: validation, limits, the
// ends of a watch (stop, exit, no viewer, server close).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progsHeldBy } from '../bench/soak/leftovers.js';
import { startServer, type LabServer } from '../server/api/server.js';
import { libbpfEngine } from '../server/probes/select.js';
import { labHome, ROOT } from '../server/project.js';
import { alive, MiB } from './helpers.js';
import { http } from './http.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const engine = libbpfEngine(); // loaded before any baseline: its programs stay for the process's life
const dir = mkdtempSync(join(tmpdir(), 'zcl-watch-view-'));
const FILE = join(dir, 'data.bin');
const SIZE = 4 * MiB + 123;

let browser: Browser;
const servers: LabServer[] = [];
const procs: ChildProcess[] = [];

async function serve(o: Parameters<typeof startServer>[0] = {}): Promise<LabServer> {
  const s = await startServer({ port: 0, resultsDir: mkdtempSync(join(labHome(), 'results-watch-')), reportsDir: mkdtempSync(join(labHome(), 'reports-watch-')), ...o });
  servers.push(s);
  return s;
}

/** apps/run python-sendfile on loopback, serving FILE to every connection; its pid and port. */
async function sendfileServer(): Promise<{ pid: number; port: number; p: ChildProcess }> {
  const p = spawn(join(ROOT, 'apps/run'), ['python-sendfile', '127.0.0.1', '0', FILE, '--keep'], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(p);
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: p.stdout! }).on('line', (l) => {
      const m = /^listening (\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    p.on('exit', (c) => reject(new Error(`python-sendfile exited (${c}) before listening`)));
  });
  return { pid: p.pid!, port, p };
}

/** python3 apps/client.py HOST PORT --expect SIZE, to its end. */
function fetchOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn('/usr/bin/python3', [join(ROOT, 'apps/client.py'), '127.0.0.1', String(port), '--expect', String(SIZE)], { stdio: 'ignore' });
    c.on('exit', (code) => resolve(code));
  });
}

/** Something to watch that sends nothing but makes syscalls all the time (comm python3). */
async function ticker(): Promise<ChildProcess & { pid: number }> {
  const p = spawn('/usr/bin/python3', ['-c', 'import os, time\nwhile True:\n    os.getppid(); time.sleep(0.005)'], { stdio: 'ignore' });
  procs.push(p);
  return execd(p, 'python3');
}

/** Once the spawned process is the program (spawn returns before its exec). */
async function execd(p: ChildProcess, comm: string): Promise<ChildProcess & { pid: number }> {
  await expect.poll(() => {
    try {
      return readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  }).toBe(comm);
  return p as ChildProcess & { pid: number };
}

/** A sleep under a comm of its own (so no one else's process has it). */
const COMM = 'zclwv-sleep';
async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const p = spawn(join(dir, COMM), ['300'], { stdio: 'ignore' });
  procs.push(p);
  return execd(p, COMM);
}

/** Do the probes count now? (the watched processes' syscalls move; nothing moves once the watch is off) */
async function counting(): Promise<boolean> {
  const before = engine.read().sender.counters.syscalls;
  await new Promise((r) => setTimeout(r, 400));
  return engine.read().sender.counters.syscalls !== before;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(FILE, randomBytes(SIZE));
  copyFileSync('/usr/bin/sleep', join(dir, COMM));
  chmodSync(join(dir, COMM), 0o755);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function open(s: LabServer): Promise<{ page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const problems: string[] = [];
  const origin = new URL(s.url).origin;
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.origin !== origin && u.origin !== origin.replace('http', 'ws')) problems.push(`request elsewhere: ${r.url()}`);
  });
  await page.goto(s.url);
  return { page, problems };
}

describe('the Watch view', () => {
  it('finds a real sendfile server in the list, watches it while a client fetches, says zero-copy, stops; nothing left attached, the server still runs', async () => {
    const app = await sendfileServer();
    const s = await serve();
    const progs0 = new Set(progsHeldBy([process.pid]).map((p) => p.id));
    const { page, problems } = await open(s);
    await page.waitForSelector('#conn.open');

    // Keyboard: the Watch tab, the filter, the process's checkbox, the start button.
    await page.focus('#tab-watch');
    await page.keyboard.press('Enter');
    await page.focus('#w-filter');
    await page.keyboard.type(String(app.pid));
    const row = `#w-procs .proc[data-pid="${app.pid}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain(`listen 127.0.0.1:${app.port}`);
    expect(await page.textContent(row)).toMatch(/python3/);
    await page.focus(`#w-pick-${app.pid}`);
    await page.keyboard.press('Space');
    expect(await page.isChecked(`#w-pick-${app.pid}`)).toBe(true);
    await page.focus('#w-start');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#w-status[data-state=watching]');
    expect(await page.textContent('#w-status')).toMatch(new RegExp(`Watching python3 ${app.pid}`));

    // A client fetches the file, again and again, while the page watches.
    let fetching = true;
    const fetched: (number | null)[] = [];
    const loop = (async () => {
      while (fetching) {
        fetched.push(await fetchOnce(app.port));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    try {
      await page.waitForSelector('#w-verdict .verdict-line[data-kind=zero-copy]', { timeout: 30_000 });
      await page.waitForSelector('#w-paths li[data-path=sendfile]');
      await page.waitForFunction(() => Number((document.querySelector('[data-chart=watch-bytes] canvas') as HTMLCanvasElement).dataset.points) >= 10, null, { timeout: 30_000 });
      // Let the x axis span a few seconds of the watch.
      await page.waitForTimeout(3000);
    } finally {
      fetching = false;
      await loop;
    }
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((c) => c === 0)).toBe(true);
    const arrow = await page.$eval('#w-flow [data-arrow=splice-ref]', (g) => ({ bytes: Number(g.getAttribute('data-bytes')), idle: g.classList.contains('idle') }));
    expect(arrow.idle).toBe(false);
    expect(arrow.bytes).toBeGreaterThanOrEqual(SIZE);
    // Nothing was copied into the socket: that arrow is not drawn.
    expect(await page.$eval('#w-flow [data-arrow=user-to-socket]', (g) => g.classList.contains('idle'))).toBe(true);
    expect(await page.textContent('#w-verdict')).toMatch(/sendfile \(pages by reference\): \d/);
    expect(await page.textContent('#w-findings')).toMatch(/no "zero-copy lost" findings/);
    expect(await page.$eval('[data-chart=watch-syscalls] canvas', (c) => Number((c as HTMLCanvasElement).dataset.points))).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'watch-live.png'), fullPage: true });
    await (await page.$('#watch'))!.screenshot({ path: join(ARTIFACTS, 'watch-panel.png') });

    await page.click('#w-stop');
    await page.waitForSelector('#w-status[data-state=ended]');
    expect(await page.textContent('#w-status')).toMatch(/ended \(stopped\)/);
    const watches = (await http(s.url, 'GET', '/api/watches')).body.watches;
    expect(watches.map((w: { state: string; endReason: string }) => [w.state, w.endReason])).toEqual([['ended', 'stopped']]);
    // The probes count nothing any more (another fetch moves no counter), and the watch added no BPF program.
    const after = engine.read().sender.counters;
    expect(await fetchOnce(app.port)).toBe(0);
    expect(engine.read().sender.counters).toEqual(after);
    expect(progsHeldBy([process.pid]).filter((p) => !progs0.has(p.id))).toEqual([]);
    // The program is not ours: it still runs.
    expect(alive(app.pid)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'watch-stopped.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
    app.p.kill('SIGTERM');
  });
});

describe('the watch routes', () => {
  it('lists processes with their TCP connections, bounded, with validated queries and the API access rules', async () => {
    const app = await sendfileServer();
    const s = await serve();
    const r = await http(s.url, 'GET', `/api/processes?q=${app.pid}`);
    expect(r.status).toBe(200);
    const p = r.body.processes.find((x: { pid: number }) => x.pid === app.pid);
    expect(p.comm).toBe('python3');
    expect(p.tcp).toEqual([expect.objectContaining({ state: 'LISTEN', local: `127.0.0.1:${app.port}`, remote: '0.0.0.0:0' })]);
    const all = (await http(s.url, 'GET', '/api/processes?limit=2')).body;
    expect(all.processes).toHaveLength(2);
    expect(all.truncated).toBe(true);
    expect(all.total).toBeGreaterThan(2);
    // TCP first.
    expect(all.processes[0].tcp.length).toBeGreaterThan(0);
    for (const [q, field] of [['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=ten', 'limit'], ['bogus=1', 'bogus'], [`q=${'x'.repeat(101)}`, 'q']]) {
      const bad = await http(s.url, 'GET', `/api/processes?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.body.issues[0].field, q).toBe(field);
    }
    expect((await http(s.url, 'GET', '/api/processes', { headers: { Host: 'evil.example' } })).status).toBe(403);
    expect((await http(s.url, 'GET', '/api/processes', { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await http(s.url, 'POST', '/api/watches', { body: { pids: [app.pid] }, headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    app.p.kill('SIGTERM');
  });

  it('validates a watch request: errors name the field and the allowed values', async () => {
    const s = await serve();
    const cases: [unknown, string, RegExp][] = [
      [{}, 'pids', /exactly one of "pids".*or "comm"/],
      [{ pids: [1], comm: 'x' }, 'comm', /exactly one of/],
      [{ pids: [] }, 'pids', /at least one process/],
      [{ pids: [0] }, 'pids.0', /allowed: whole numbers from 1/],
      [{ pids: ['12'] }, 'pids.0', /not a pid/],
      [{ comm: 'a'.repeat(16) }, 'comm', /allowed: 1 to 15 characters/],
      [{ pids: [1], follow: 'yes' }, 'follow', /true or false/],
      [{ pids: [1], engine: 'x' }, 'engine', /allowed: pids, comm, follow/],
      [[1], '(body)', /must be a JSON object/],
      [{ pids: [4194303] }, 'pids.0', /no running process 4194303/],
      [{ pids: [process.pid] }, 'pids.0', /this server itself/],
      [{ comm: 'no-such-zcl' }, 'comm', /no running process has the comm 'no-such-zcl'/],
    ];
    for (const [body, field, msg] of cases) {
      const r = await http(s.url, 'POST', '/api/watches', { body: body as object });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('ZCL_INPUT');
      expect(r.body.issues[0].field, JSON.stringify(body)).toBe(field);
      expect(r.body.issues[0].message, JSON.stringify(body)).toMatch(msg);
    }
    expect((await http(s.url, 'POST', '/api/watches', { body: '{"pids":[1]}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await http(s.url, 'DELETE', '/api/watches/nope')).status).toBe(404);
    expect((await http(s.url, 'GET', '/api/watches/nope')).status).toBe(404);
    expect((await http(s.url, 'GET', '/api/watches')).body).toEqual({ watches: [], limit: 1 });
  });

  it('one watch at a time (429), the same processes join it, runs wait for it (409); stop detaches the probes', async () => {
    const a = await ticker();
    const b = await ticker();
    const s = await serve();
    const first = await http(s.url, 'POST', '/api/watches', { body: { pids: [a.pid] } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.watch.state, JSON.stringify(first.body)).toBe('watching');
    expect(first.headers.location).toBe(`/api/watches/${first.body.watch.id}`);
    expect(first.body.watch).toMatchObject({ state: 'watching', engine: 'libbpf', targets: [expect.objectContaining({ pid: a.pid, comm: 'python3' })] });
    expect(engine.watched!()).toEqual([a.pid]);
    expect(await counting()).toBe(true);
    const again = await http(s.url, 'POST', '/api/watches', { body: { pids: [a.pid] } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ joined: true, watch: { id: first.body.watch.id } });
    const other = await http(s.url, 'POST', '/api/watches', { body: { pids: [b.pid] } });
    expect(other.status).toBe(429);
    expect(other.body.code).toBe('ZCL_TOO_MANY_WATCHES');
    expect(other.body.error).toMatch(/one set of processes at a time.*DELETE \/api\/watches\//);
    const run = await http(s.url, 'POST', '/api/runs', { body: { sizeBytes: '1MiB' } });
    expect(run.status).toBe(409);
    expect(run.body).toMatchObject({ code: 'ZCL_BUSY', watch: first.body.watch.id });
    const report = await http(s.url, 'POST', '/api/reports', { body: { scenario: 'test-small' } });
    expect(report.status).toBe(409);
    const stopped = await http(s.url, 'DELETE', `/api/watches/${first.body.watch.id}`);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ state: 'ended', endReason: 'stopped' });
    expect(await counting()).toBe(false);
    // Ended: DELETE again answers the record as it is.
    expect((await http(s.url, 'DELETE', `/api/watches/${first.body.watch.id}`)).body.endReason).toBe('stopped');
    expect(alive(a.pid)).toBe(true);
  });

  it('ends when its processes exit, when no one views it for the grace period, and when the server closes', async () => {
    const s = await serve({ watchGraceMs: 400 });
    const a = await ticker();
    const w1 = (await http(s.url, 'POST', '/api/watches', { body: { pids: [a.pid] } })).body.watch;
    a.kill('SIGKILL');
    await expect.poll(() => s.watches.get(w1.id)?.endReason, { timeout: 10_000 }).toBe('exited');

    const b = await sleeper();
    const w2 = (await http(s.url, 'POST', '/api/watches', { body: { comm: COMM, follow: false } })).body.watch;
    expect(w2.targets.map((t: { pid: number }) => t.pid)).toEqual([b.pid]);
    await expect.poll(() => s.watches.get(w2.id)?.endReason, { timeout: 10_000 }).toBe('no-viewers');
    expect(alive(b.pid)).toBe(true);

    const c = await ticker();
    const s2 = await serve();
    const w3 = (await http(s2.url, 'POST', '/api/watches', { body: { pids: [c.pid] } })).body.watch;
    expect(await counting()).toBe(true);
    await s2.close();
    expect(s2.watches.get(w3.id)).toMatchObject({ state: 'ended', endReason: 'server-closing' });
    expect(await counting()).toBe(false);
    expect(alive(c.pid)).toBe(true);
  });
});
