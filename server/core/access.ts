// Who may use the API, the WebSocket and /metrics (zcl serve, zcl watch --listen).
// - Bound to loopback without a token: only requests whose Host is a loopback
//   name (a page on another site that rebinds its DNS name to 127.0.0.1 sends
//   its own name as Host and is refused).
// - Any other bind address needs a token (given with --token, or generated and
//   printed), on every API call and WebSocket: `Authorization: Bearer T`, the
//   `zcl_token` cookie (set when the page is opened as /?token=T), or `?token=T`.
// - A request from a browser page of another origin (an Origin header that is
//   not http(s)://<the Host header>, compared whole: scheme, no userinfo, host,
//   port) is refused: WebSocket upgrades and API calls.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';

export const COOKIE = 'zcl_token';

export function isLoopbackHost(host: string): boolean {
  // An IPv6 address in brackets, both or neither: `[::1` is no host at all.
  if (host.startsWith('[') !== host.endsWith(']')) return false;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

/**
 * The host name of a Host header ("127.0.0.1:8080" -> "127.0.0.1", "[::1]:80"
 * -> "::1"), or undefined when it is not one: an IPv6 address without its
 * brackets or with one of them, a port that is not 1 to 5 digits, anything else.
 */
export function hostName(hostHeader: string): string | undefined {
  const m = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(hostHeader) ?? /^([^:[\]]+)(?::\d{1,5})?$/.exec(hostHeader);
  return m ? m[1] : undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class Access {
  private readonly tokenDigest?: Buffer;

  constructor(readonly token: string | undefined) {
    if (token !== undefined) this.tokenDigest = digest(token);
  }

  get tokenRequired(): boolean {
    return this.tokenDigest !== undefined;
  }

  tokenMatches(candidate: string | undefined): boolean {
    if (!this.tokenDigest || candidate === undefined) return false;
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  /** Checks a request to /api or /live; undefined when it may pass. */
  check(req: IncomingMessage): { status: number; error: string } | undefined {
    const host = req.headers.host ?? '';
    const name = hostName(host);
    if (!this.tokenRequired && (name === undefined || !isLoopbackHost(name)))
      return { status: 403, error: `Host '${host}' is not allowed: this server listens on loopback only; open it as http://127.0.0.1:PORT/` };
    const origin = req.headers.origin;
    if (origin === 'null') return { status: 403, error: 'requests from opaque origins are refused' };
    if (origin !== undefined && !sameOrigin(origin, host)) return { status: 403, error: `requests from pages of another origin (${origin.slice(0, 200)}) are refused` };
    if (this.tokenRequired && !this.tokenMatches(tokenOf(req)))
      return { status: 401, error: 'this server needs its token: open the URL `zcl serve` printed (…/?token=…), or send Authorization: Bearer TOKEN' };
    return undefined;
  }
}

/** A percent-decoded value, or undefined when it is not valid percent-encoded UTF-8. */
function decoded(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * The token a request carries (Bearer header, cookie, ?token=), or undefined.
 * Never throws: a malformed cookie or query (bad percent-encoding, a URL that
 * cannot be parsed) carries no token.
 */
export function tokenOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = req.headers.cookie;
  if (cookie)
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k !== COOKIE) continue;
      const t = decoded(v.join('='));
      if (t !== undefined) return t;
    }
  try {
    return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  } catch {
    return undefined;
  }
}

// What a browser sends as Origin: scheme://host[:port], nothing else (no
// userinfo, path, query or fragment).
const ORIGIN = /^(https?):\/\/([^/?#@\\\s]+)$/i;
// A Host header: host[:port], nothing else.
const HOST = /^[^/?#@\\\s]+$/;

/**
 * Is an Origin header the origin of a page served by this Host? Only http and
 * https origins without userinfo; host names compared without case, ports
 * compared with the scheme's default port filled in (http://h and
 * http://h:80 are one origin).
 */
export function sameOrigin(origin: string, host: string): boolean {
  const m = ORIGIN.exec(origin);
  if (!m || !HOST.test(host)) return false;
  const scheme = m[1].toLowerCase();
  try {
    const o = new URL(origin);
    const h = new URL(`${scheme}://${host}`);
    if (o.username || o.password || h.username || h.password || o.pathname !== '/' || h.pathname !== '/') return false;
    return o.host === h.host;
  } catch {
    return false;
  }
}

/**
 * The access check as express middleware (the API, report files): a request
 * that may not pass is answered here, as JSON or text, with the status the
 * check gives (401 with WWW-Authenticate, 403). Answers are never cached.
 */
export function requireAccess(access: Access, answer: 'json' | 'text'): RequestHandler {
  return (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    const denied = access.check(req);
    if (!denied) return next();
    if (denied.status === 401) res.set('WWW-Authenticate', 'Bearer realm="zerocopy-lab"');
    if (answer === 'json') res.status(denied.status).json({ error: denied.error });
    else res.status(denied.status).type('text').send(denied.error);
  };
}
