// A raw HTTP request for the API tests (node:http, so Host and Origin can be set):
// status, headers, the body parsed as JSON when it is JSON, and the text.
import WebSocket from 'ws';
import { request } from 'node:http';

/** A raw HTTP request (node:http, so Host and Origin can be set). */
export interface Res { status: number; headers: Record<string, string | string[] | undefined>; body: any; text: string }
export function http(base: string, method: string, path: string, o: { body?: string | object; headers?: Record<string, string> } = {}): Promise<Res> {
  const u = new URL(path, base);
  const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...(body !== undefined && typeof o.body === 'object' ? { 'content-type': 'application/json' } : {}), ...o.headers };
  return new Promise((resolve, reject) => {
    // A new connection each time (agent: false): Node's default agent keeps connections alive, and
    // a test that blocks its own event loop (spawnSync of zcl) for longer than the server's
    // keep-alive timeout then reuses a socket the server is closing: ECONNRESET (seen in CI).
    const req = request(u, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: json, text });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Outcome of a WebSocket upgrade: 'open', the HTTP status it was refused with, or `error: ...`. */
export function wsOutcome(url: string, headers: Record<string, string> = {}): Promise<'open' | number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', (e) => resolve(`error: ${e.message}`));
  });
}
