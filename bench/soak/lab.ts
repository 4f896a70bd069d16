// The soak's handles on the lab: `zcl` processes it starts (runs, servers) and
// raw HTTP (any bytes, any header) against a server on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DIST } from '../../server/project.js';
import { alive, type Scope } from './leftovers.js';

export const ZCL = join(DIST, 'server', 'cli', 'zcl.js');

export interface Zcl {
  proc: ChildProcess;
  pid: number;
  /** Resolves with the exit code (null: killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** Starts `node dist/server/cli/zcl.js ARGS` with the soak's ZCL_HOME. */
export function zcl(scope: Scope, args: string[], extraEnv: Record<string, string> = {}): Zcl {
  const proc = spawn(process.execPath, [ZCL, ...args], {
    env: { ...process.env, ZCL_HOME: scope.home, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`cannot start zcl ${args.join(' ')}`);
  scope.started.add(proc.pid);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-64_000)));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-64_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
    proc.on('error', () => resolve({ code: null, signal: null }));
  });
  return { proc, pid: proc.pid, exited, stdout: () => out, stderr: () => err };
}

/** Waits for an exit, up to `ms`; undefined when it did not exit in time. */
export async function exitWithin(z: Zcl, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([z.exited, new Promise<undefined>((res) => (t = setTimeout(() => res(undefined), ms)))]);
  clearTimeout(t);
  return r;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Server {
  zcl: Zcl;
  pid: number;
  port: number;
  base: string;
  token?: string;
}

/** `zcl serve --port 0 --results DIR` (and --token T); resolves when it prints its URL. */
export async function startServer(scope: Scope, resultsDir: string, token?: string): Promise<Server> {
  const z = zcl(scope, ['serve', '--port', '0', '--host', '127.0.0.1', '--results', resultsDir, ...(token ? ['--token', token] : [])]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /is live: http:\/\/127\.0\.0\.1:(\d+)\//.exec(z.stdout());
    if (m) {
      const port = Number(m[1]);
      scope.servers.add(z.pid);
      void z.exited.then(() => scope.servers.delete(z.pid));
      return { zcl: z, pid: z.pid, port, base: `http://127.0.0.1:${port}`, token };
    }
    if (!alive(z.pid) || Date.now() > deadline) {
      z.proc.kill('SIGKILL');
      throw new Error(`zcl serve did not start: ${z.stderr().slice(-2000)}`);
    }
    await sleep(50);
  }
}

/** Stops a server: SIGTERM, then SIGKILL after `ms`. Resolves whether it stopped gracefully. */
export async function stopServer(s: Server, ms = 15_000): Promise<boolean> {
  if (!alive(s.pid)) return false;
  s.zcl.proc.kill('SIGTERM');
  if (await exitWithin(s.zcl, ms)) return true;
  s.zcl.proc.kill('SIGKILL');
  await exitWithin(s.zcl, 5000);
  return false;
}

export interface RawRes {
  /** 0: no answer (connection closed, reset or timed out). */
  status: number;
  headers: Record<string, string>;
  text: string;
  json?: any;
  timedOut?: boolean;
  error?: string;
}

/**
 * One HTTP/1.1 request written byte for byte on a fresh connection (Connection:
 * close), so odd paths, header bytes and bodies reach the server as given.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  o: { headers?: [string, string][]; body?: Buffer | string; timeoutMs?: number; chunked?: boolean } = {},
): Promise<RawRes> {
  const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body, 'utf8');
  const given = o.headers ?? [];
  const has = (k: string) => headers.some(([h]) => h.toLowerCase() === k);
  const headers: [string, string][] = [...(given.some(([h]) => h.toLowerCase() === 'host') ? [] : [['Host', `127.0.0.1:${port}`] as [string, string]]), ['Connection', 'close'], ...given];
  if (body !== undefined && !o.chunked && !has('content-length')) headers.push(['Content-Length', String(body.length)]);
  if (o.chunked) headers.push(['Transfer-Encoding', 'chunked']);
  const head = Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`, 'latin1');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const sock = connect(port, '127.0.0.1');
    const finish = (extra: Partial<RawRes> = {}) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...parse(Buffer.concat(chunks)), ...extra });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), o.timeoutMs ?? 10_000);
    sock.on('connect', () => {
      sock.write(head);
      if (body !== undefined) {
        if (o.chunked) sock.write(Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]));
        else sock.write(body);
      }
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    sock.on('error', (e) => finish({ error: e.message }));
  });
}

function parse(buf: Buffer): RawRes {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0) return { status: 0, headers: {}, text: buf.toString('utf8') };
  const lines = buf.subarray(0, i).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const k = l.indexOf(':');
    if (k > 0) headers[l.slice(0, k).trim().toLowerCase()] = l.slice(k + 1).trim();
  }
  let bodyBuf = buf.subarray(i + 4);
  if (headers['transfer-encoding']?.includes('chunked')) bodyBuf = dechunk(bodyBuf);
  const text = bodyBuf.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status, headers, text, json };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let p = 0;
  for (;;) {
    const e = b.indexOf('\r\n', p);
    if (e < 0) break;
    const n = parseInt(b.subarray(p, e).toString('latin1'), 16);
    if (!n) break;
    out.push(b.subarray(e + 2, e + 2 + n));
    p = e + 2 + n + 2;
  }
  return Buffer.concat(out);
}

/** A JSON API call (the ordinary way, for the soak's own bookkeeping). */
export async function api(s: Server, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<RawRes> {
  const headers: [string, string][] = [];
  if (s.token) headers.push(['Authorization', `Bearer ${s.token}`]);
  if (body !== undefined) headers.push(['Content-Type', 'application/json']);
  return rawRequest(s.port, method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs });
}

/** Does the server still answer (GET /api/modes 200 within the time)? */
export async function answers(s: Server, timeoutMs = 5000): Promise<boolean> {
  if (!alive(s.pid)) return false;
  const r = await api(s, 'GET', '/api/modes', undefined, timeoutMs);
  return r.status === 200;
}

const FINAL = new Set(['finished', 'failed', 'cancelled', 'interrupted']);
export const isFinal = (state: unknown) => typeof state === 'string' && FINAL.has(state);

/** Waits until the server has no run running or queued (GET /api/runs). */
export async function waitIdle(s: Server, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = await api(s, 'GET', '/api/runs?limit=500', undefined, 5000);
    if (r.status === 200 && Array.isArray(r.json?.runs) && r.json.runs.every((x: { state: string }) => isFinal(x.state))) return true;
    await sleep(200);
  }
  return false;
}
