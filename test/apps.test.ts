// The app scenarios' real programs (apps/, issue 13): each serves a file over
// loopback to one client, the bytes arrive intact, and — under strace — the
// syscalls that move the file's bytes are the ones apps/GROUND-TRUTH.md wrote
// down (which calls, bytes each, chunk caps, the HTTP header bytes). Nothing is
// left behind: every app is stopped and every temp dir removed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../server/project.js';
import { alive, KiB, ODD_SIZE } from './helpers.js';

const RUN = join(ROOT, 'apps', 'run');
const TRACE = 'trace=network,read,write,pread64,readv,writev,sendfile,splice,mmap,sendmsg,sendto,io_uring_enter';
type App = 'java-transferto' | 'java-stream' | 'netty-fileregion' | 'nginx-sendfile' | 'nginx-copy' | 'python-sendfile' | 'node-http';
const HTTP: App[] = ['nginx-sendfile', 'nginx-copy', 'node-http'];

let dir = '';
let file = '';
let sha = '';
const size = ODD_SIZE;
const started = new Set<ChildProcess>();
const nginxDirs = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('zcl-nginx-')));
let nginxBefore = new Set<string>();

beforeAll(() => {
  dir = mkdtempSync('/var/tmp/zcl-apps-test-');
  file = join(dir, 'data.bin');
  const data = randomBytes(size);
  writeFileSync(file, data);
  sha = createHash('sha256').update(data).digest('hex');
  nginxBefore = nginxDirs();
});

/** Stops what is still running (SIGTERM lets the nginx wrapper stop nginx and remove its prefix), then removes the data. */
afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  const deadline = Date.now() + 10_000;
  while ([...started].some((p) => p.exitCode === null && p.signalCode === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const p of started) if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Running {
  proc: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Starts an app (under strace when a log path is given) and waits for its `listening PORT` line. */
async function start(app: App, args: string[], straceLog?: string): Promise<Running> {
  const cmd = straceLog ? ['strace', '-f', '-yy', '-e', TRACE, '-o', straceLog, RUN] : [RUN];
  // Its own process group: whatever it leaves can be found and killed by the group.
  const proc = spawn(cmd[0], [...cmd.slice(1), app, '127.0.0.1', '0', file, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(proc);
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${app} did not say 'listening' within 30 s: ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /^listening (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => reject(new Error(`${app} exited ${code} before listening: ${err}`)));
  });
  return { proc, port, exited, stderr: () => err };
}

/** Connects, sends `request` if any, reads to EOF. */
function fetchRaw(port: number, request?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => request && s.write(request));
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.setTimeout(30_000, () => s.destroy(new Error('no EOF within 30 s')));
  });
}

/** The body, checked against the file; and the HTTP header bytes (0 for raw TCP). */
async function fetchAndCheck(app: App, port: number): Promise<number> {
  const http = HTTP.includes(app);
  const got = await fetchRaw(port, http ? 'GET /data HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' : undefined);
  const headerBytes = http ? got.indexOf('\r\n\r\n') + 4 : 0;
  if (http) expect(got.subarray(0, headerBytes).toString()).toMatch(new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*Content-Length: ${size}\\r\\n`, 'i'));
  const body = got.subarray(headerBytes);
  expect(body.length).toBe(size);
  expect(createHash('sha256').update(body).digest('hex')).toBe(sha);
  return headerBytes;
}

interface Calls {
  calls: number;
  bytes: number;
  sizes: Record<string, number>;
  errors: Record<string, number>;
}

/** apps/strace-summary.py's totals, keyed `syscall where` with TCPv6 counted as TCP (the JDK's sockets are dual-stack). */
function summary(log: string): Map<string, Calls> {
  const r = spawnSync('/usr/bin/python3', [join(ROOT, 'apps', 'strace-summary.py'), log, file, '--json'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const m = new Map<string, Calls>();
  for (const [k, v] of Object.entries((JSON.parse(r.stdout) as { syscalls: Record<string, Calls> }).syscalls)) {
    const key = k.replace(/TCPv6/g, 'TCP');
    const prev = m.get(key);
    if (!prev) m.set(key, v);
    else m.set(key, { calls: prev.calls + v.calls, bytes: prev.bytes + v.bytes, sizes: { ...prev.sizes, ...v.sizes }, errors: { ...prev.errors, ...v.errors } });
  }
  return m;
}
const bytes = (s: Map<string, Calls>, key: string) => s.get(key)?.bytes ?? 0;
const maxSize = (s: Map<string, Calls>, key: string) => Math.max(...Object.keys(s.get(key)?.sizes ?? {}).map(Number));
/** Bytes the app put on the TCP socket, whatever call it used. */
const toSocket = (s: Map<string, Calls>) => ['write TCP', 'writev TCP', 'sendto TCP', 'sendmsg TCP', 'sendfile data->TCP'].reduce((n, k) => n + bytes(s, k), 0);

/** The ground truth of apps/GROUND-TRUTH.md, per app, for a file of `size` bytes and `headers` HTTP header bytes. */
const truth: Record<App, { args?: string[]; check: (s: Map<string, Calls>, headers: number) => void }> = {
  'java-transferto': {
    check: (s) => {
      expect(bytes(s, 'sendfile data->TCP')).toBe(size);
      expect(bytes(s, 'read data') + bytes(s, 'pread64 data') + bytes(s, 'write TCP')).toBe(0);
      expect(toSocket(s)).toBe(size);
    },
  },
  'java-stream': {
    args: ['--chunk', String(64 * KiB)],
    check: (s) => {
      expect(bytes(s, 'read data')).toBe(size);
      expect(s.get('read data')!.calls).toBe(Math.ceil(size / (64 * KiB)) + 1); // + the read that returns 0 (EOF)
      expect(bytes(s, 'write TCP')).toBe(size);
      expect(maxSize(s, 'write TCP')).toBe(64 * KiB);
      expect(s.has('sendfile data->TCP')).toBe(false);
    },
  },
  'netty-fileregion': {
    check: (s) => {
      expect(bytes(s, 'sendfile data->TCP')).toBe(size);
      expect(toSocket(s)).toBe(size);
      expect(bytes(s, 'read data') + bytes(s, 'pread64 data')).toBe(0);
    },
  },
  'nginx-sendfile': {
    check: (s, headers) => {
      expect(bytes(s, 'sendfile data->TCP')).toBe(size);
      expect(maxSize(s, 'sendfile data->TCP')).toBeLessThanOrEqual(2 * 1024 * KiB); // sendfile_max_chunk 2m
      expect(bytes(s, 'writev TCP')).toBe(headers); // the header, alone, before the first sendfile
      expect(bytes(s, 'pread64 data') + bytes(s, 'read data')).toBe(0);
    },
  },
  'nginx-copy': {
    check: (s, headers) => {
      expect(bytes(s, 'pread64 data')).toBe(size);
      expect(maxSize(s, 'pread64 data')).toBe(32 * KiB); // output_buffers 2 32k
      expect(bytes(s, 'writev TCP')).toBe(size + headers);
      expect(toSocket(s)).toBe(size + headers);
      expect(s.has('sendfile data->TCP')).toBe(false);
    },
  },
  'python-sendfile': {
    check: (s) => {
      expect(bytes(s, 'sendfile data->TCP')).toBe(size);
      expect(toSocket(s)).toBe(size);
      expect(bytes(s, 'read data')).toBe(0);
    },
  },
  'node-http': {
    check: (s, headers) => {
      expect(bytes(s, 'read data')).toBe(size);
      expect(maxSize(s, 'read data')).toBe(64 * KiB); // fs.ReadStream's highWaterMark
      expect(bytes(s, 'write TCP') + bytes(s, 'writev TCP')).toBe(size + headers);
      expect(toSocket(s)).toBe(size + headers);
      expect(s.has('sendfile data->TCP')).toBe(false);
    },
  },
};

describe('apps: the real programs of the app scenarios', () => {
  it.each(Object.keys(truth) as App[])('%s serves the file intact, moving its bytes with the syscalls of GROUND-TRUTH.md', async (app) => {
    const log = join(dir, `${app}.strace`);
    const a = await start(app, truth[app].args ?? [], log);
    const headers = await fetchAndCheck(app, a.port);
    expect(await a.exited).toBe(0); // one connection served, then it exits on its own
    truth[app].check(summary(log), headers);
    if (HTTP.includes(app)) expect(headers).toBeGreaterThan(100);
  });

  it('netty-fileregion --transport epoll: Debian ships the epoll classes without their JNI library, and the app says so', async () => {
    const r = spawnSync(RUN, ['netty-fileregion', '127.0.0.1', '0', file, '--transport', 'epoll'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/epoll transport is not available: .*UnsatisfiedLinkError.*netty_transport_native_epoll/);
  });

  it('--keep serves one connection after another until SIGTERM', async () => {
    const a = await start('python-sendfile', ['--keep']);
    await fetchAndCheck('python-sendfile', a.port);
    await fetchAndCheck('python-sendfile', a.port);
    a.proc.kill('SIGTERM');
    await a.exited;
  });

  it('a wrong argument is named, with the usage', () => {
    const r = spawnSync(RUN, ['nginx-copy', '127.0.0.1', '99999', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/PORT must be 0-65535, not '99999'/);
    const u = spawnSync(RUN, ['kafka'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown app 'kafka' \(allowed: java-transferto,/);
  });

  it('left nothing behind: no app process, no nginx prefix', async () => {
    for (const p of started) {
      if (p.exitCode === null && p.signalCode === null) await new Promise((r) => p.once('exit', r));
      // Nothing else of its process group (nginx's master and worker, the JVM) is alive either.
      expect(alive(-p.pid!)).toBe(false);
    }
    expect([...nginxDirs()].filter((d) => !nginxBefore.has(d))).toEqual([]);
  });
});
