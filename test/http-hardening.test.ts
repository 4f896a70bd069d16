// Bad input against the server (issue 11): a malformed cookie or URL is a 4xx,
// never a crash and never a stack trace or a file path sent to a client; a
// matrix of millions of cells is refused at once (400 naming the limit and the
// count) and the server goes on answering; an Origin is compared whole (scheme,
// userinfo, host and port); a hard link inside a report folder is not served.
// The crash tests run `zcl serve` as a child process, so a crash shows as its exit.
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type LabServer } from '../server/api/server.js';
import { MATRIX_LIMITS } from '../server/schema/matrix.js';
import { labHome, ROOT } from '../server/project.js';
import { http, type Res, wsOutcome } from './http.js';
import { serveChild, type ChildServer } from './serve-child.js';

const TOKEN = 'a-token-for-the-hardening-tests';
const BAD_COOKIE = 'zcl_token=%E0%A4%A';
const tempDir = (what: string) => mkdtempSync(join(labHome(), `${what}-hardening-`));


/** A raw request line and headers on a socket, for what node:http will not send (an upgrade to `//`); the status line's code. */
function rawRequest(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(head));
    let text = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => (text += d));
    const done = () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    sock.on('end', done);
    sock.on('error', done);
    sock.setTimeout(5000, () => sock.destroy());
    sock.on('close', done);
  });
}

/** Nothing of the server's insides in an answer: no stack frames, no file paths, no error class names. */
function expectNoInsides(r: Res | { text: string }, what: string) {
  expect(r.text, what).not.toMatch(/\n\s+at\s/);
  expect(r.text, what).not.toContain(ROOT);
  expect(r.text, what).not.toMatch(/node_modules|\/dist\/|\.js:\d+|URIError|TypeError/);
}

describe('a token-protected server in its own process', () => {
  let s: ChildServer;
  const auth = { authorization: `Bearer ${TOKEN}` };
  beforeAll(async () => {
    s = await serveChild(['--host', '0.0.0.0', '--token', TOKEN, '--no-probes', '--results', tempDir('results')], { ZCL_HOME: labHome() });
  });
  afterAll(async () => {
    await s?.stop();
  });
  const expectAlive = async () => {
    expect(s.alive(), `the server died; its stderr: ${s.stderr()}`).toBe(true);
    expect((await http(s.base, 'GET', '/api/modes', { headers: auth })).status).toBe(200);
  };

  it('a malformed token cookie on the WebSocket is a 401, and the server lives on', async () => {
    expect(await wsOutcome(`ws://127.0.0.1:${s.port}/live`, { cookie: BAD_COOKIE })).toBe(401);
    await expectAlive();
    // The same cookie beside a valid bearer token does not get in the way.
    expect(await wsOutcome(`ws://127.0.0.1:${s.port}/live`, { cookie: BAD_COOKIE, ...auth })).toBe('open');
    await expectAlive();
  });

  it('an upgrade whose URL cannot be parsed is a 4xx, and the server lives on', async () => {
    for (const target of ['//', '//%', '/live?token=%E0%A4%A']) {
      const r = await rawRequest(s.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      expect(r.status, `${target}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, target).toBeLessThan(500);
      expectNoInsides(r, target);
      await expectAlive();
    }
  });

  it('a malformed token cookie on the API and on report files is a 401 without a stack trace', async () => {
    for (const path of ['/api/runs', '/api/modes', '/reports/x/report.md', '/reports/x/report.html']) {
      const r = await http(s.base, 'GET', path, { headers: { cookie: BAD_COOKIE } });
      expect(r.status, `${path}: ${r.text}`).toBe(401);
      expectNoInsides(r, path);
    }
    // A malformed ?token= too.
    const q = await http(s.base, 'GET', '/api/runs?token=%E0%A4%A');
    expect(q.status).toBe(401);
    expectNoInsides(q, '?token=%E0%A4%A');
    await expectAlive();
  });

  it('malformed URLs anywhere are a 4xx without a stack trace or a path', async () => {
    for (const path of ['/%E0%A4%A', '/vendor/chart.js/%E0%A4%A', '/api/runs/%E0%A4%A', '/api/reports/%E0%A4%A', '/reports/%E0%A4%A/report.md', '/reports/x/%E0%A4%A', '/%2e%2e/%2e%2e/etc/passwd', '/index.html/%00']) {
      const r = await http(s.base, 'GET', path, { headers: auth });
      expect(r.status, `${path}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${path}: ${r.text}`).toBeLessThan(500);
      expectNoInsides(r, path);
    }
    const bad = await http(s.base, 'POST', '/api/runs', { body: '{"mode": ', headers: { ...auth, 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expectNoInsides(bad, 'bad JSON');
    await expectAlive();
  });

  it('a matrix of millions of cells is refused at once, naming the limit and the count; the server answers the next request', async () => {
    const matrix = {
      name: 'huge',
      axes: {
        sizeBytes: Array.from({ length: 300 }, (_, i) => 1048576 + i),
        chunkBytes: Array.from({ length: 300 }, (_, i) => 4096 + i),
        mode: ['read-write', 'mmap-write', 'sendfile', 'splice', 'node-stream'],
        path: ['loopback', 'veth'],
        sink: ['read', 'discard'],
        cache: ['warm', 'cold'],
        engine: ['libbpf', 'bpftrace'],
      },
      repetitions: 1,
      warmup: 0,
    };
    const body = JSON.stringify({ matrix });
    expect(body.length).toBeLessThan(16 * 1024);
    const cells = 300 * 300 * 5 * 2 * 2 * 2 * 2;
    const r = await http(s.base, 'POST', '/api/reports', { body, headers: { ...auth, 'content-type': 'application/json' } });
    expect(r.status, r.text).toBe(400);
    const text = JSON.stringify(r.body.issues);
    expect(text).toContain(String(cells));
    expect(text).toContain(String(MATRIX_LIMITS.maxCells));
    expect(r.body.issues[0].field).toMatch(/^matrix\.axes/);
    // Runs past the limit (cells within it): refused the same way, naming the count.
    const runs = await http(s.base, 'POST', '/api/reports', {
      body: { matrix: { name: 'many-runs', axes: { sizeBytes: Array.from({ length: 200 }, (_, i) => 1048576 + i) }, repetitions: 1000, warmup: 100 } },
      headers: auth,
    });
    expect(runs.status, runs.text).toBe(400);
    expect(JSON.stringify(runs.body.issues)).toContain(String(200 * 1100));
    expect(JSON.stringify(runs.body.issues)).toContain(String(MATRIX_LIMITS.maxRuns));
    await expectAlive();
    expect((await http(s.base, 'GET', '/api/reports', { headers: auth })).status).toBe(200);
  }, 30_000);
});

describe('origins and report files (in process)', () => {
  const servers: LabServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((x) => x.close()));
  });
  let s: LabServer;
  beforeAll(async () => {
    s = await startServer({ port: 0, probes: false, resultsDir: tempDir('results'), reportsDir: tempDir('reports') });
    servers.push(s);
  });

  it('an Origin is compared whole: userinfo, other schemes, other ports and odd forms are refused', async () => {
    const own = `127.0.0.1:${s.port}`;
    expect((await http(s.url, 'GET', '/api/modes', { headers: { origin: `http://${own}` } })).status).toBe(200);
    for (const origin of [
      `http://user@${own}`,
      `http://user:pw@${own}`,
      `ftp://${own}`,
      `file://${own}`,
      `ws://${own}`,
      `http://127.0.0.1:${s.port + 1}`,
      `http://127.0.0.1`,
      `http://${own}/path`,
      `http://${own}.evil.example`,
      `//${own}`,
      own,
      `http://${own}?x`,
      `http://${own}#x`,
    ]) {
      expect((await http(s.url, 'GET', '/api/modes', { headers: { origin } })).status, origin).toBe(403);
      expect(await wsOutcome(`ws://${own}/live`, { origin }), origin).toBe(403);
    }
    // The default port of the scheme, written or not, is the same origin.
    const s80 = { host: 'localhost' };
    expect((await http(s.url, 'GET', '/api/modes', { headers: { ...s80, origin: 'http://localhost:80' } })).status).toBe(200);
    expect((await http(s.url, 'GET', '/api/modes', { headers: { ...s80, origin: 'http://localhost' } })).status).toBe(200);
    // (https with the same host and port is let through: a TLS proxy in front of the lab serves the page as https.)
    expect((await http(s.url, 'GET', '/api/modes', { headers: { ...s80, origin: 'https://localhost' } })).status).toBe(200);
    expect((await http(s.url, 'GET', '/api/modes', { headers: { ...s80, origin: 'https://localhost:80' } })).status).toBe(403);
    // Names are compared without case, as browsers send them.
    expect((await http(s.url, 'GET', '/api/modes', { headers: { host: `LOCALHOST:${s.port}`, origin: `http://localhost:${s.port}` } })).status).toBe(200);
  });

  it('a hard link inside a report folder is not served (neither a data file nor report.html)', async () => {
    const dir = join(s.reports.dir, 'linked-hard');
    mkdirSync(dir);
    const outside = tempDir('secret');
    writeFileSync(join(outside, 'secret.txt'), 'the secret\n');
    linkSync(join(outside, 'secret.txt'), join(dir, 'results.csv'));
    linkSync(join(outside, 'secret.txt'), join(dir, 'report.html'));
    writeFileSync(join(dir, 'report.md'), '# a real report file\n');
    try {
      for (const f of ['results.csv', 'report.html']) {
        const r = await http(s.url, 'GET', `/reports/linked-hard/${f}`);
        expect(r.status, f).toBe(404);
        expect(r.text).not.toContain('the secret');
      }
      // A regular file in the same folder is served.
      const md = await http(s.url, 'GET', '/reports/linked-hard/report.md');
      expect(md.status).toBe(200);
      expect(md.text).toBe('# a real report file\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('strict parsing of requests (in process)', () => {
  let s: LabServer;
  beforeAll(async () => {
    s = await startServer({ port: 0, probes: false, resultsDir: tempDir('results'), reportsDir: tempDir('reports') });
  });
  afterAll(async () => {
    await s?.close();
  });
  const json = { 'content-type': 'application/json' };

  it('a Host that is not a host name is refused: `[::1` is not loopback, nor an unbracketed IPv6 address', async () => {
    for (const host of ['[::1', '::1]', '[::1:80', '::1', `127.0.0.1:1:2`, '[::1]:x', '127.0.0.1:123456', '[127.0.0.1'])
      expect((await http(s.url, 'GET', '/api/runs', { headers: { host } })).status, host).toBe(403);
    for (const host of ['[::1]', `[::1]:${s.port}`, '127.0.0.1', `127.0.0.1:${s.port}`, 'localhost', `LOCALHOST:${s.port}`])
      expect((await http(s.url, 'GET', '/api/runs', { headers: { host } })).status, host).toBe(200);
    expect(await wsOutcome(`ws://127.0.0.1:${s.port}/live`, { host: '[::1' })).toBe(403);
  });

  it('?limit= is a decimal whole number: 0x10, 1e1, " 5", limit[]=1 and unknown parameters are a 400 naming them', async () => {
    expect((await http(s.url, 'GET', '/api/runs?limit=16')).status).toBe(200);
    expect((await http(s.url, 'GET', '/api/runs?limit=500')).status).toBe(200);
    expect((await http(s.url, 'GET', '/api/runs')).status).toBe(200);
    for (const q of ['limit=0x10', 'limit=1e1', 'limit=%205', 'limit=016', 'limit=0b1', 'limit=16.0', 'limit=501', 'limit=', 'limit=1&limit=2', 'limit=%EF%BC%91']) {
      const r = await http(s.url, 'GET', `/api/runs?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.issues, q).toEqual([{ field: 'limit', message: expect.stringMatching(/decimal/) }]);
    }
    for (const [q, field] of [['limit[]=1', 'limit[]'], ['limit[a]=1', 'limit[a]'], ['limt=5', 'limt'], ['__proto__=1', '__proto__']]) {
      const r = await http(s.url, 'GET', `/api/runs?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.issues, q).toEqual([{ field, message: 'unknown query parameter; allowed: limit' }]);
    }
  });

  it('POST /api/reports: a prototype key in the matrix is a 400 naming it (it was dropped: 202, a report started)', async () => {
    for (const [body, field] of [
      ['{"matrix":{"name":"x","base":{"__proto__":{"mode":"nope"}},"axes":{"mode":["read-write"]},"repetitions":1,"warmup":0}}', 'matrix.base.__proto__'],
      ['{"matrix":{"name":"x","axes":{"__proto__":["read-write"],"mode":["read-write"]},"repetitions":1,"warmup":0}}', 'matrix.axes.__proto__'],
      ['{"matrix":{"name":"x","axes":{"mode":["read-write"]},"include":[{"__proto__":{}}],"repetitions":1,"warmup":0}}', 'matrix.include[0].__proto__'],
      ['{"matrix":{"name":"x","axes":{"mode":["read-write","sendfile"]},"exclude":[{"__proto__":{"mode":"sendfile"}}],"repetitions":1,"warmup":0}}', 'matrix.exclude[0].__proto__'],
      ['{"matrix":{"name":"x","axes":{"mode":["read-write"]},"base":{"constructor":{"prototype":{}}},"repetitions":1,"warmup":0}}', 'matrix.base.constructor'],
    ]) {
      const r = await http(s.url, 'POST', '/api/reports', { body, headers: json });
      expect(r.status, body).toBe(400);
      expect(r.body.issues, body).toEqual([{ field, message: expect.stringMatching(/^unknown (field|axis) '(__proto__|constructor)'; allowed: /) }]);
    }
    const top = await http(s.url, 'POST', '/api/reports', { body: '{"__proto__":{"scenario":"x"},"scenario":"test-small"}', headers: json });
    expect(top.status).toBe(400);
    expect(top.body.issues[0]).toMatchObject({ field: '__proto__' });
    expect(s.reports.current).toBeUndefined();
  });

  it('POST /api/reports and /api/runs: nesting past the depth limit is a 400 naming the limit, never a 500', async () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const r = await http(s.url, 'POST', '/api/reports', { body: `{"matrix":{"name":"x","axes":{"mode":${deep(5000)}}}}`, headers: json });
    expect(r.status).toBe(400);
    expect(r.body.issues).toEqual([{ field: 'matrix.axes.mode[0][0]…', message: expect.stringMatching(/more than 32 levels deep; allowed: at most 32 levels \(the depth limit\)/) }]);
    const run = await http(s.url, 'POST', '/api/runs', { body: `{"mode":${deep(8000)}}`, headers: json });
    expect(run.status).toBe(400);
    expect(run.body.issues).toEqual([{ field: 'mode.0.0.0…', message: expect.stringMatching(/the depth limit/) }]);
    expect(s.runner.idle).toBe(true);
  });
});
