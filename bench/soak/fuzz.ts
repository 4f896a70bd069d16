// Generated bad inputs for the HTTP API, the WebSocket /live and matrix files.
// Deterministic from a seed: the same seed gives the same inputs, so a failure
// can be replayed. Every case says what a correct answer is.
import { gzipSync } from 'node:zlib';

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** How a case must be answered. */
export type Expect =
  /** a 4xx with an error that says what is wrong (JSON {error} / text), never 5xx */
  | '4xx'
  /** anything but 5xx (an odd input the API may legitimately accept) */
  | 'no5xx';

export interface HttpCase {
  name: string;
  method: string;
  path: string;
  headers?: [string, string][];
  body?: Buffer | string;
  chunked?: boolean;
  expect: Expect;
  /** Which server: the one without a token, or the one with (--token). */
  server: 'open' | 'token';
  /** The answer may take long (a hostile body): wait this long before calling it a hang. */
  timeoutMs?: number;
  /** A word the error should contain (the field it names). */
  names?: string;
}

export interface WsCase {
  name: string;
  /** Frames to send after the hello (text, or binary when a Buffer). */
  frames: (string | Buffer)[];
  /** Upgrade headers (Cookie, Origin) and path. */
  headers?: Record<string, string>;
  path?: string;
  server: 'open' | 'token';
  /** 'upgrade4xx': the upgrade itself must be refused with a 4xx. 'answer': an error frame or a protocol close. */
  expect: 'upgrade4xx' | 'answer';
  names?: string;
}

export interface MatrixCase {
  name: string;
  /** File contents (a Buffer for bytes that are not UTF-8). */
  content: Buffer | string;
  /** A word stderr should contain (the field it names). */
  names?: string;
  timeoutMs?: number;
}

// Bad values for each RunSpec field: never valid, whatever the other fields are.
const BAD_ENUM: unknown[] = [123, '', 'x', null, true, false, [], {}, 'READ-WRITE', 'read-write\u0000', '%E0%A4%A', 'a'.repeat(3000), ['read-write'], { mode: 'sendfile' }, '__proto__', 'constructor', -0, 1e309 > 0 ? 'Infinity' : 0, '\ud800', '💥'];
const BAD_SIZE: unknown[] = [-1, 0, 1.5, 'abc', '1e400', 1e30, '99999TiB', true, [], {}, '', ' ', '1..5MiB', 'NaN', '-5MiB', null, 2 ** 64, '0x10', '65GiB', '1 GiB GiB', 'Infinity', '１MiB', Number.MAX_SAFE_INTEGER + 2];
export const FIELDS: Record<string, unknown[]> = {
  mode: BAD_ENUM,
  path: BAD_ENUM,
  sink: BAD_ENUM,
  cache: BAD_ENUM,
  engine: BAD_ENUM,
  sizeBytes: BAD_SIZE,
  chunkBytes: [...BAD_SIZE, '17MiB'],
};
const GOOD: Record<string, unknown> = { mode: 'read-write', path: 'loopback', sink: 'read', sizeBytes: '4MiB', chunkBytes: '64KiB', cache: 'warm', engine: 'libbpf' };

/** A run spec with one field bad (and others good, random), as JSON text. */
export function badSpec(r: () => number): { spec: Record<string, unknown>; field: string } {
  const field = pick(r, Object.keys(FIELDS));
  const spec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(GOOD)) if (r() < 0.5) spec[k] = v;
  spec[field] = pick(r, FIELDS[field]);
  if (spec[field] === undefined) spec[field] = 'x';
  return { spec, field };
}

/** Nested arrays, `depth` deep, as JSON text. */
export const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

const NON_UTF8 = Buffer.from([0x7b, 0x22, 0x6d, 0x6f, 0x64, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0xe0, 0xa4, 0x22, 0x7d]); // {"mode":"\xff\xfe\xc3(\xe0\xa4"}

/** The cells bomb (issue 11 item 4): a 3 KiB body whose axes multiply to millions of cells. */
export function cellsBomb(n = 300): Record<string, unknown> {
  const seq = (from: number) => Array.from({ length: n }, (_, i) => from + i);
  return { name: 'bomb', axes: { sizeBytes: seq(1 << 20), chunkBytes: seq(4096), mode: ['read-write', 'sendfile', 'splice', 'mmap-write'], sink: ['read', 'discard'], cache: ['warm', 'cold'] } };
}

const JSON_CT: [string, string] = ['Content-Type', 'application/json'];

/** HTTP cases: a fixed list of hostile ones, then `n` generated bad specs and ids. */
export function httpCases(n: number, seed: number, o: { bomb?: boolean } = {}): HttpCase[] {
  const r = rng(seed);
  const cases: HttpCase[] = [];
  const add = (c: Omit<HttpCase, 'server'> & { server?: HttpCase['server'] }) => cases.push({ server: 'open', ...c });
  const runs = (name: string, body: Buffer | string, headers: [string, string][] = [JSON_CT], expect: Expect = '4xx', extra: Partial<HttpCase> = {}) =>
    add({ name: `POST /api/runs ${name}`, method: 'POST', path: '/api/runs', headers, body, expect, ...extra });

  // Bodies: size, nesting, bytes, prototype keys, types.
  runs('body 20 KiB', JSON.stringify({ mode: 'read-write', pad: 'x'.repeat(20_000) }));
  runs('body 8 MiB', Buffer.alloc(8 << 20, 0x20), [JSON_CT], '4xx', { timeoutMs: 20_000 });
  runs('body 8 MiB chunked', Buffer.alloc(8 << 20, 0x5b), [JSON_CT], '4xx', { chunked: true, timeoutMs: 20_000 });
  runs('nested arrays 5000 deep', nested(5000));
  runs('nested objects 2000 deep', '{"a":'.repeat(2000) + '1' + '}'.repeat(2000));
  runs('nested 100k deep (over the limit)', nested(100_000));
  runs('nested spec value', JSON.stringify({ mode: JSON.parse(nested(500)) }), [JSON_CT], '4xx', { names: 'mode' });
  runs('non-UTF-8 bytes', NON_UTF8);
  runs('latin1 charset', Buffer.from('{"mode":"r\xe9ad"}', 'latin1'), [['Content-Type', 'application/json; charset=latin1']]);
  runs('utf-16 charset', Buffer.from('{"mode":"x"}', 'utf16le'), [['Content-Type', 'application/json; charset=utf-16']]);
  runs('bogus charset', '{"mode":"x"}', [['Content-Type', 'application/json; charset=%E0%A4%A']]);
  runs('BOM then JSON', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"mode":"nope"}')]));
  runs('UTF-16 BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"mode":"nope"}', 'utf16le')]));
  runs('__proto__ key', '{"__proto__":{"mode":"nope"}}');
  runs('__proto__ beside a field', '{"mode":"read-write","__proto__":{"sizeBytes":1}}');
  runs('constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}');
  runs('prototype key', '{"prototype":{"mode":"nope"}}');
  runs('toString key', '{"toString":"x","mode":"read-write"}');
  runs('hasOwnProperty key', '{"hasOwnProperty":1}');
  runs('duplicate keys', '{"mode":"read-write","mode":"nope"}', [JSON_CT], '4xx', { names: 'mode' });
  runs('empty body (the defaults)', '', [JSON_CT], 'no5xx');
  for (const b of ['[]', '[{"mode":"read-write"}]', '"read-write"', '123', 'null', 'true', ' ', '{', '{"mode":', '{"mode":"read-write"}garbage', 'NaN', '{\'mode\':1}', '{"mode":"read-write",}'])
    runs(`body ${JSON.stringify(b)}`, b);
  // Content types and encodings.
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', '', 'application/json\u0000', '*/*', 'application/*'])
    runs(`Content-Type ${JSON.stringify(ct)}`, '{"mode":"nope"}', ct === '' ? [] : [['Content-Type', ct]], ct.includes('\u0000') ? 'no5xx' : '4xx');
  runs('no Content-Type', '{"mode":"nope"}', []);
  runs('gzip that is not gzip', 'not gzip', [JSON_CT, ['Content-Encoding', 'gzip']]);
  runs('deflate that is not deflate', 'not deflate', [JSON_CT, ['Content-Encoding', 'deflate']]);
  runs('br that is not br', 'not br', [JSON_CT, ['Content-Encoding', 'br']]);
  runs('unknown encoding', '{"mode":"nope"}', [JSON_CT, ['Content-Encoding', 'x-zcl']]);
  runs('gzip bomb (10 MiB inflated)', gzipSync(Buffer.alloc(10 << 20, 0x20)), [JSON_CT, ['Content-Encoding', 'gzip']], '4xx', { timeoutMs: 20_000 });
  runs('gzip of a bad spec', gzipSync('{"mode":"nope"}'), [JSON_CT, ['Content-Encoding', 'gzip']]);
  runs('Content-Length larger than body', '{"mode":"nope"}', [JSON_CT, ['Content-Length', '100']], 'no5xx', { timeoutMs: 25_000 });
    // Refused by Node's HTTP parser (400, no body, connection closed): anything but 5xx.
  runs('Content-Length negative', '{}', [JSON_CT, ['Content-Length', '-1']], 'no5xx');
  runs('Content-Length and chunked', '{"mode":"nope"}', [JSON_CT, ['Content-Length', '5']], 'no5xx', { chunked: true });
  runs('two Content-Lengths', '{"mode":"nope"}', [JSON_CT, ['Content-Length', '15'], ['Content-Length', '16']], 'no5xx');

  // Cookies, tokens, origins: on the token server and the open one.
  const badCookies = ['zcl_token=%E0%A4%A', 'zcl_token=%', 'zcl_token=%zz', 'zcl_token=%00', 'zcl_token=' + 'A'.repeat(4000), 'zcl_token', '=;;=;zcl_token==', 'zcl_token=%E0%A4%A; zcl_token=x'];
  for (const c of badCookies) {
    for (const path of ['/api/modes', '/api/runs', '/api/capabilities', '/reports/x/report.md', '/reports/x/results.json'])
      add({ name: `GET ${path} Cookie ${c.slice(0, 30)}`, method: 'GET', path, headers: [['Cookie', c]], expect: '4xx', server: 'token' });
    add({ name: `GET /api/modes Cookie ${c.slice(0, 30)} (no token needed)`, method: 'GET', path: '/api/modes', headers: [['Cookie', c]], expect: 'no5xx' });
    add({ name: `DELETE /api/runs/x Cookie ${c.slice(0, 30)}`, method: 'DELETE', path: '/api/runs/x', headers: [['Cookie', c]], expect: '4xx', server: 'token' });
  }
  for (const auth of ['Bearer', 'Bearer ', 'Bearer %E0%A4%A', 'Basic Zm9vOmJhcg==', 'Bearer ' + 'x'.repeat(8000), 'bearer x'])
    add({ name: `GET /api/runs Authorization ${auth.slice(0, 20)}`, method: 'GET', path: '/api/runs', headers: [['Authorization', auth]], expect: '4xx', server: 'token' });
  for (const q of ['?token=%E0%A4%A', '?token=', '?token[]=x', '?token=a&token=b'])
    add({ name: `GET /api/modes${q} (token server)`, method: 'GET', path: `/api/modes${q}`, expect: '4xx', server: 'token' });
  for (const origin of ['http://evil.example', 'null', 'http://user@127.0.0.1', '%E0%A4%A', 'http://[::1', 'file://'])
    add({ name: `GET /api/runs Origin ${origin}`, method: 'GET', path: '/api/runs', headers: [['Origin', origin]], expect: origin === 'http://user@127.0.0.1' ? 'no5xx' : '4xx' });
  for (const host of ['evil.example', '', '127.0.0.1:1:2', '[::1', '%E0%A4%A'])
    add({ name: `GET /api/runs Host ${JSON.stringify(host)}`, method: 'GET', path: '/api/runs', headers: [['Host', host]], expect: '4xx' });

  // Odd ids and paths.
  const ids = ['%E0%A4%A', '%', '%zz', '%00', '..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc', 'x'.repeat(10_000), '__proto__', 'constructor', 'toString', 'hasOwnProperty', '00000000-0000-0000-0000-000000000000', '-1', '1e999', '%F0%9F%92%A5', '%C0%AF', 'a%0D%0ASet-Cookie:x=1', '*', '%3F', '%23'];
  for (const id of ids) {
    for (const [method, base] of [['GET', '/api/runs/'], ['DELETE', '/api/runs/'], ['GET', '/api/reports/'], ['DELETE', '/api/reports/']] as const)
      add({ name: `${method} ${base}${id.slice(0, 30)}`, method, path: base + id, expect: '4xx' });
    add({ name: `GET /reports/${id.slice(0, 30)}/report.md`, method: 'GET', path: `/reports/${id}/report.md`, expect: '4xx' });
    add({ name: `GET /reports/x/${id.slice(0, 30)}`, method: 'GET', path: `/reports/x/${id}`, expect: '4xx' });
  }
  for (const path of ['/api/%E0%A4%A', '/api/runs/a/b', '/api/../etc/passwd', '/api/runs/%2e%2e/%2e%2e', '//api//runs', '/api/runs/%00/x', '/reports/%2e%2e/%2e%2e/package.json', '/%E0%A4%A', '/vendor/chart.js/%2e%2e/%2e%2e/%2e%2e/package.json', '/' + 'a'.repeat(20_000)])
    add({ name: `GET ${path.slice(0, 40)}`, method: 'GET', path, expect: 'no5xx' });
  for (const q of ['limit[]=1', 'limit[__proto__]=1', 'limit[a]=1'])
    add({ name: `GET /api/runs?${q}`, method: 'GET', path: `/api/runs?${q}`, expect: 'no5xx' });
  for (const q of ['limit=abc', 'limit=0', 'limit=1e9', 'limit=1&limit=2', 'limit=-5', 'limit=%E0%A4%A', 'limit=' + '9'.repeat(400), 'limit=0x10'])
    add({ name: `GET /api/runs?${q.slice(0, 30)}`, method: 'GET', path: `/api/runs?${q}`, expect: '4xx', names: 'limit' });
  for (const q of ['refresh=%E0%A4%A', '__proto__[x]=1', 'constructor[prototype][x]=1', 'a=' + 'b'.repeat(8000), '%E0%A4%A=1', '&&&=&'])
    add({ name: `GET /api/capabilities?${q.slice(0, 30)}`, method: 'GET', path: `/api/capabilities?${q}`, expect: 'no5xx' });
  for (const method of ['PUT', 'PATCH', 'PROPFIND', 'TRACE', 'OPTIONS', 'X'])
    // OPTIONS may be answered (200 with Allow); an unknown method must not crash the server.
    add({ name: `${method} /api/runs`, method, path: '/api/runs', expect: method === 'X' || method === 'OPTIONS' ? 'no5xx' : '4xx' });

  // Reports: bad requests and bad inline matrices.
  const reports = (name: string, body: unknown, names?: string, extra: Partial<HttpCase> = {}) =>
    add({ name: `POST /api/reports ${name}`, method: 'POST', path: '/api/reports', headers: [JSON_CT], body: typeof body === 'string' ? body : JSON.stringify(body), expect: '4xx', names, ...extra });
  for (const s of ['../../etc/passwd', '..', '', 'x'.repeat(5000), '%E0%A4%A', '__proto__', 'constructor', 'nope', '/etc/passwd'])
    reports(`scenario ${JSON.stringify(s.slice(0, 20))}`, { scenario: s }, 'scenario');
  for (const v of [123, null, [], {}, true]) reports(`scenario ${JSON.stringify(v)}`, { scenario: v }, 'scenario');
  reports('scenario and matrix', { scenario: 'test-small', matrix: { name: 'x', axes: { mode: ['read-write'] } } });
  reports('no scenario nor matrix', {});
  reports('resume not a boolean or id', { scenario: 'test-small', resume: 123 }, 'resume');
  reports('__proto__ matrix', '{"matrix":{"__proto__":{"name":"x"},"axes":{"mode":["nope"]}}}');
  reports('matrix axes __proto__', '{"matrix":{"name":"x","axes":{"__proto__":["read-write"]}}}', 'axes');
  reports('matrix axes constructor', '{"matrix":{"name":"x","axes":{"constructor":["read-write"]}}}', 'axes');
  reports('matrix base __proto__', '{"matrix":{"name":"x","base":{"__proto__":{"mode":"nope"}},"axes":{"mode":["read-write"]},"repetitions":1,"warmup":0}}');
  reports('matrix include prototype', '{"matrix":{"name":"x","axes":{"mode":["read-write"]},"include":[{"__proto__":{}}],"repetitions":1,"warmup":0}}');
  reports('matrix deep nesting', `{"matrix":{"name":"x","axes":{"mode":${nested(3000)}}}}`, 'axes');
  reports('matrix huge repetitions', { matrix: { name: 'x', axes: { mode: ['read-write'] }, repetitions: 1e12 } }, 'repetitions');
  if (o.bomb) reports('matrix cells bomb (axes 300x300x4x2x2)', { matrix: cellsBomb() }, 'cells', { timeoutMs: 8000 });
  for (let i = 0; i < Math.ceil(n / 4); i++) {
    const { spec, field } = badSpec(r);
    const where = pick(r, ['base', 'axes', 'include'] as const);
    const matrix: Record<string, unknown> = { name: 'fuzz', axes: { mode: ['read-write'] }, repetitions: 1, warmup: 0 };
    if (where === 'base') matrix.base = spec;
    else if (where === 'axes') matrix.axes = { [field]: [spec[field]] };
    else matrix.include = [spec];
    reports(`matrix ${where}.${field}=${JSON.stringify(spec[field])?.slice(0, 20)}`, { matrix }, field);
  }
  for (const [k, v] of [['name', '../x'], ['name', ''], ['name', 123], ['name', 'a'.repeat(100)], ['repetitions', 0], ['repetitions', 1.5], ['warmup', -1], ['axes', []], ['axes', 'mode'], ['include', {}], ['exclude', 'x'], ['extra', 1]] as const)
    reports(`matrix ${k}=${JSON.stringify(v).slice(0, 20)}`, { matrix: { name: 'x', axes: { mode: ['read-write'] }, [k]: v } }, k === 'extra' ? undefined : k);

  // Generated bad run specs (one bad field each), on both servers' routes.
  for (let i = 0; i < n; i++) {
    const { spec, field } = badSpec(r);
    runs(`spec ${field}=${JSON.stringify(spec[field])?.slice(0, 24)}`, JSON.stringify(spec), [JSON_CT], '4xx', { names: field });
  }
  return cases;
}

/** WebSocket cases. */
export function wsCases(n: number, seed: number): WsCase[] {
  const r = rng(seed + 1);
  const cases: WsCase[] = [];
  const msg = (name: string, frames: (string | Buffer)[], names?: string) => cases.push({ name, frames, server: 'open', expect: 'answer', names });
  for (const t of ['not json', '', ' ', 'null', '[]', '{}', '123', '"start"', '{"type":"x"}', '{"type":null}', '{"type":["start"]}', '{"type":"start","spec":{},"extra":1}', '{"type":"cancel"}', '{"type":"cancel","id":123}', `{"type":"cancel","id":"${'x'.repeat(100)}"}`, '{"type":"cancel","id":"nope"}', '{"type":"cancel","id":"%E0%A4%A"}', '{"__proto__":{"type":"start"}}', '{"type":"start","__proto__":{"spec":{}}}', '{"type":"start","spec":{"__proto__":{"mode":"nope"}}}', '{"type":"start","spec":{"constructor":{"prototype":{}}}}', '{"type":"start","spec":[]}', '{"type":"start","spec":"read-write"}', '{"type":"start","spec":null}', '{"type":"start","spec":123}', nested(1000), '{"type":"start","spec":' + nested(1000) + '}'])
    msg(`text ${JSON.stringify(t).slice(0, 40)}`, [t]);
  msg('binary frame', [Buffer.from('{"type":"cancel","id":"x"}')]);
  msg('binary garbage', [Buffer.from([0, 1, 2, 0xff, 0xfe])]);
  msg('huge text frame (64 KiB)', ['{"type":"start","spec":{"mode":"' + 'x'.repeat(65_536) + '"}}']);
  msg('huge binary frame (1 MiB)', [Buffer.alloc(1 << 20, 1)]);
  msg('frame just over 4 KiB', ['{"type":"cancel","id":"' + 'y'.repeat(4100) + '"}']);
  msg('many messages (200 in a row)', Array.from({ length: 200 }, () => '{"type":"cancel","id":"nope"}'));
  for (let i = 0; i < n; i++) {
    const { spec, field } = badSpec(r);
    msg(`start spec ${field}=${JSON.stringify(spec[field])?.slice(0, 24)}`, [JSON.stringify({ type: 'start', spec })], field);
  }
  const up = (name: string, server: WsCase['server'], headers: Record<string, string>, path = '/live') => cases.push({ name, frames: [], headers, path, server, expect: 'upgrade4xx' });
  for (const c of ['zcl_token=%E0%A4%A', 'zcl_token=%', 'zcl_token=%zz', 'zcl_token=' + 'A'.repeat(4000)]) up(`upgrade Cookie ${c.slice(0, 24)} (token server)`, 'token', { Cookie: c });
  up('upgrade Authorization Bearer %E0%A4%A (token server)', 'token', { Authorization: 'Bearer %E0%A4%A' });
  up('upgrade ?token=%E0%A4%A (token server)', 'token', {}, '/live?token=%E0%A4%A');
  up('upgrade Origin evil', 'open', { Origin: 'http://evil.example' });
  up('upgrade Origin null', 'open', { Origin: 'null' });
  up('upgrade Origin %E0%A4%A', 'open', { Origin: '%E0%A4%A' });
  up('upgrade /livex', 'open', {}, '/livex');
  up('upgrade /%E0%A4%A', 'open', {}, '/%E0%A4%A');
  up('upgrade /live/../api', 'open', {}, '/live/../api');
  return cases;
}

/** Matrix files for `zcl report FILE --dry-run`: each must exit 2 naming what is wrong. */
export function matrixCases(n: number, seed: number, o: { bomb?: boolean } = {}): MatrixCase[] {
  const r = rng(seed + 2);
  const cases: MatrixCase[] = [];
  const add = (name: string, content: Buffer | string | object, names?: string, timeoutMs?: number) =>
    cases.push({ name, content: typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content), names, timeoutMs });
  add('empty file', '', 'json');
  add('not JSON', 'name: x', 'json');
  add('non-UTF-8 bytes', Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'name');
  add('UTF-16 file', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"name":"x","axes":{"mode":["nope"]}}', 'utf16le')]));
  add('UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"x","axes":{"mode":["nope"]}}')]));
  add('array', '[]');
  add('null', 'null');
  add('nested 100k deep', `{"name":"x","axes":{"mode":${nested(100_000)}}}`, 'axes');
  add('nested objects 50k deep', `{"name":"x","base":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)},"axes":{"mode":["read-write"]}}`, 'base');
  add('huge file (24 MiB description) and a bad mode', `{"name":"x","description":"${'d'.repeat(24 << 20)}","axes":{"mode":["nope"]}}`, 'mode', 30_000);
  add('__proto__ at the top', '{"__proto__":{"name":"x"},"axes":{"mode":["read-write"]}}', 'name');
  add('axes __proto__', '{"name":"x","axes":{"__proto__":["read-write"]}}', 'axes');
  add('axes constructor', '{"name":"x","axes":{"constructor":["read-write"]}}', 'constructor');
  add('base __proto__', '{"name":"x","base":{"__proto__":{"mode":"nope"}},"axes":{"mode":["read-write"]}}');
  add('base toString', '{"name":"x","base":{"toString":"x"},"axes":{"mode":["read-write"]}}', 'toString');
  add('include __proto__', '{"name":"x","axes":{"mode":["read-write"]},"include":[{"__proto__":{"mode":"nope"}}]}');
  add('exclude an unknown field', { name: 'x', axes: { mode: ['read-write'] }, exclude: [{ nope: 1 }] }, 'exclude');
  add('repetitions 1e12', { name: 'x', axes: { mode: ['read-write'] }, repetitions: 1e12 }, 'repetitions');
  add('name with a slash', { name: '../../etc', axes: { mode: ['read-write'] } }, 'name');
  add('axes empty list', { name: 'x', axes: { mode: [] } }, 'mode');
  add('sendfile-nogather on loopback', { name: 'x', base: { path: 'loopback' }, axes: { mode: ['sendfile-nogather'] } }, 'sendfile-nogather');
  add('chunk larger than size', { name: 'x', base: { sizeBytes: '1MiB' }, axes: { chunkBytes: ['4MiB'] } }, 'chunk');
  if (o.bomb) add('cells bomb (300x300x4x2x2 axes)', cellsBomb(), 'cells', 10_000);
  for (let i = 0; i < n; i++) {
    const { spec, field } = badSpec(r);
    const where = pick(r, ['base', 'axes', 'include'] as const);
    const m: Record<string, unknown> = { name: `fuzz-${i}`, axes: { mode: ['read-write'] }, repetitions: 1, warmup: 0 };
    if (where === 'base') m.base = spec;
    else if (where === 'axes') m.axes = { [field]: [spec[field]] };
    else m.include = [spec];
    add(`${where}.${field}=${JSON.stringify(spec[field])?.slice(0, 24)}`, m, field);
  }
  return cases;
}
