// GET /metrics: the exporter's exposition, in the format the scraper asks for,
// behind the API's access rules (core/access.ts: loopback Host without a token;
// off loopback, `Authorization: Bearer TOKEN`; no page of another origin).
// `zcl serve` mounts the handler on its app; `zcl watch --listen` starts
// listenMetrics, a server of /metrics only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Access, isLoopbackHost } from '../core/access.js';
import { CONTENT_TYPES, negotiate } from './exposition.js';
import type { MetricsExporter } from './exporter.js';

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(text);
}

/** Answers a request for /metrics (GET or HEAD), or refuses it as the API would. */
export function serveMetrics(exporter: MetricsExporter, access: Access, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'GET /metrics only\n', { Allow: 'GET, HEAD' });
  const denied = access.check(req);
  if (denied) return answer(res, denied.status, denied.error + '\n', denied.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="zerocopy-lab"' } : {});
  const format = negotiate(req.headers.accept);
  const body = exporter.render(format);
  res.writeHead(200, { 'Content-Type': CONTENT_TYPES[format], 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export interface MetricsListener {
  url: string;
  host: string;
  port: number;
  /** Generated when the address is not loopback and none was given. */
  token?: string;
  server: Server;
  close(): Promise<void>;
}

/** A server of /metrics only (zcl watch --listen). */
export async function listenMetrics(exporter: MetricsExporter, o: { host: string; port: number; token?: string }): Promise<MetricsListener> {
  let token = o.token;
  if (token === undefined && !isLoopbackHost(o.host)) token = (await import('node:crypto')).randomBytes(24).toString('base64url');
  const access = new Access(token);
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      return answer(res, 400, 'the request URL cannot be parsed\n');
    }
    if (path !== '/metrics') return answer(res, 404, 'not found: this server serves /metrics only\n');
    try {
      serveMetrics(exporter, access, req, res);
    } catch {
      if (!res.headersSent) answer(res, 500, 'internal error\n');
      else res.destroy();
    }
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const h = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  return {
    url: `http://${h.includes(':') ? `[${h}]` : h}:${port}/metrics`,
    host: o.host,
    port,
    token,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
