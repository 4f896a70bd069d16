// The lab's HTTP server: the dashboard (static files, chart.js from
// node_modules: no CDN), the JSON API and the WebSocket /live.
//
// API (JSON; errors are {error, issues?: [{field, message}]}):
//   GET    /api/capabilities[?refresh=1]  kernel, probe engine, tier, programs, counter sources, what is missing + fix
//   GET    /api/modes                     the run form (from the input schema), catalog, limits, defaults, diagram and charts
//   POST   /api/runs                      a RunSpec (mode, path, sink, sizeBytes, chunkBytes, cache; omitted: defaults)
//                                         202 {run, position}: queued (position 0: started at once). One run at a time;
//                                         the others wait in a FIFO queue of at most 8. 400 bad spec (issues name the
//                                         field and the allowed values), 409 queue full, 413 body over 16 KiB, 415 not JSON
//   GET    /api/runs[?limit=50]          {runs}: waiting, running, then finished/failed/cancelled, newest first
//   GET    /api/runs/:id                  the run record (with its RunResult when finished). A run whose server
//                                         stopped during it (crash, kill -9) is found by the next server on the
//                                         same results directory as state 'interrupted', with an error saying so
//   DELETE /api/runs/:id                  cancels a waiting or running run; answers when it has cleaned up.
//                                         404 unknown, 409 with the record when it ended otherwise than cancelled
//                                         (before, or meanwhile: a run past its last byte finishes)
//   GET    /api/reports                   {scenarios: [{name, file, description, runs, ...}], reports: [{id, name, status,
//                                         startedAt, finishedAt?, files: {html, md, json, csv} (URLs), error?, progress?}]}
//                                         reports: this server's and every report directory under $ZCL_HOME/reports
//   GET    /api/reports/:id               one report
//   POST   /api/reports                   {scenario: "<scenarios/X.json's X>"} or {matrix: {...inline matrix...}},
//                                         optionally resume: true (the newest unfinished report of that matrix) or a
//                                         report id. 202 {report}: started. 400 issues name the field (JSON path inside
//                                         the matrix: matrix.axes.mode[2]) and the allowed values
//   DELETE /api/reports/:id               cancels the running report; answers when its run in flight has cleaned up
//                                         and the report of the runs done is written. 404 unknown, 409 with the
//                                         report when it ended otherwise than cancelled (before, or meanwhile)
//   GET    /reports/:id/{report.html,report.md,results.json,results.csv}
//                                         a report's files, read-only, with the same access rules as the API
//
// Runs and reports never overlap (one process, shared probes, one machine to
// measure): one report at a time, and POST /api/reports answers 409 while a
// run is running or queued; POST /api/runs (and the WebSocket's start) answer
// 409 while a report runs. Report progress streams on /live as 'report' frames.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, readFileSync } from 'node:fs';
import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { privilegeProblems } from '../core/machine.js';
import { probeSetup, type ProbeSetup } from '../probes/select.js';
import { labDir, ROOT } from '../project.js';
import { ENGINE_NAMES, ENGINES, type EngineName } from '../../scenarios/catalog.js';
import { DEFAULT_ENGINE, InputError, parseRunSpec } from '../schema/run-spec.js';
import type { HelloFrame } from '../live/frames.js';
import { LiveHub, type HubOptions } from '../live/hub.js';
import { ReportBusyError, ReportManager } from '../live/reports.js';
import { BusyError, QueueFullError, Runner, SAMPLE_HZ } from '../live/runner.js';
import { ResultStore } from '../live/store.js';
import type { SessionFactory } from '../live/runner.js';
import type { SessionOptions } from '../session/session.js';
import type { RunSpec } from '../schema/run-spec.js';
import { Access, COOKIE, isLoopbackHost } from './access.js';
import { capabilities, type Capabilities } from '../session/capabilities.js';
import { modesDocument } from './modes.js';

export const BODY_LIMIT = '16kb';

export interface ServeOptions {
  host?: string;
  /** 0: an ephemeral port. */
  port?: number;
  /** Required on every API call and WebSocket; generated when the host is not loopback and none is given. */
  token?: string;
  /** The probes runs get (default: the engine each spec names, loaded on first use; false: none; a setup: that one for every run). */
  probes?: boolean | ProbeSetup;
  resultsDir?: string;
  /** Where reports are written and found (default: $ZCL_HOME/reports). */
  reportsDir?: string;
  /** The shipped scenario matrices (default: the project's scenarios/). */
  scenariosDir?: string;
  maxQueued?: number;
  hub?: HubOptions;
  log?(line: string): void;
  /** Stands in for `new Session` in runs and reports (tests). */
  session?: SessionFactory;
}

export interface LabServer {
  url: string;
  /** URLs a person can open (with the token when there is one). */
  urls: string[];
  token?: string;
  host: string;
  port: number;
  runner: Runner;
  reports: ReportManager;
  hub: LiveHub;
  http: Server;
  close(): Promise<void>;
}

const DASHBOARD = join(ROOT, 'dashboard');

/**
 * What an error thrown while answering a request may tell the client: its 4xx
 * status and message when the error says it is the client's and its message
 * shows nothing of the server (no path), else 500 and a generic message; a
 * 5xx is logged with its stack.
 */
function httpError(err: unknown, req: Request, log: (line: string) => void): { status: number; message: string } {
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown; stack?: unknown };
  const s = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (s >= 400 && s < 500) {
    const m = typeof e.message === 'string' ? e.message : '';
    const safe = e.expose !== false && m && m.length < 300 && !/[/\\]|\n/.test(m.replace(/^Failed to decode param '[^']*'$/, 'x'));
    return { status: s, message: safe ? m : (STATUS_CODES[s] ?? 'bad request') };
  }
  log(`error answering ${req.method} ${req.originalUrl.slice(0, 200)}: ${typeof e.stack === 'string' ? e.stack : String(e.message ?? err)}`);
  return { status: 500, message: 'internal error (the server logged it)' };
}

function vendorDir(specifier: string): string {
  return dirname(fileURLToPath(import.meta.resolve(specifier)));
}

/** The dashboard page, and a CSP that allows its inline import map (by hash) and nothing from elsewhere. */
function page(): { html: string; csp: string } {
  const html = readFileSync(join(DASHBOARD, 'index.html'), 'utf8');
  const hashes = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`,
  );
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
  return { html, csp };
}

export async function startServer(o: ServeOptions = {}): Promise<LabServer> {
  const host = o.host ?? '127.0.0.1';
  const log = o.log ?? (() => undefined);
  let token = o.token;
  if (token === undefined && !isLoopbackHost(host)) token = (await import('node:crypto')).randomBytes(24).toString('base64url');
  const access = new Access(token);
  const fixed = typeof o.probes === 'object' ? o.probes : undefined;
  const setupFor = (engine: EngineName): ProbeSetup => fixed ?? probeSetup(o.probes !== false, engine);
  const first = setupFor(DEFAULT_ENGINE);
  if ('absent' in first) log(`probes (${DEFAULT_ENGINE}) ${first.absent.status}: ${first.absent.reason}`);

  let caps: Promise<Capabilities> | undefined;
  const getCaps = (refresh = false) => {
    if (!caps || refresh)
      caps = capabilities(
        [DEFAULT_ENGINE, ...ENGINE_NAMES.filter((e) => e !== DEFAULT_ENGINE)].map((name) => ({ name, summary: ENGINES[name].summary, setup: setupFor(name) })),
      );
    return caps;
  };

  const store = new ResultStore(o.resultsDir ?? labDir('results'));
  let hub!: LiveHub;
  let reports!: ReportManager;
  const runner = new Runner({
    store,
    probes: (spec) => setupFor(spec.engine),
    maxQueued: o.maxQueued,
    session: o.session,
    broadcast: (d, k) => hub.broadcast(d, k),
    // Runs and reports share the probes and the machine: no run starts while a report runs.
    busy: () => {
      const r = reports.current;
      return r ? `report ${r.id} is running: runs cannot start until it ends (the probes and the machine are shared); wait for it, or cancel it (DELETE /api/reports/${r.id})` : undefined;
    },
    log,
  });
  reports = new ReportManager({
    dir: o.reportsDir ?? labDir('reports'),
    scenariosDir: o.scenariosDir ?? join(ROOT, 'scenarios'),
    probes: (spec) => setupFor(spec.engine),
    busy: () =>
      runner.idle
        ? undefined
        : `a run is ${runner.current ? 'running' : 'queued'}${runner.queued.length ? ` (${runner.queued.length} waiting)` : ''}: a report cannot start beside runs (the probes and the machine are shared); wait until they end, or cancel them`,
    broadcast: (d, k) => hub.broadcast(d, k),
    log,
    ...(o.session
      ? {
          startRun: (spec: RunSpec, opts: SessionOptions) => {
            const session = o.session!(spec, opts);
            session.start();
            return session;
          },
        }
      : {}),
  });
  const loaded = runner.load();
  for (const s of loaded.skipped) log(`results: skipped ${s.file}: ${s.reason}`);
  for (const r of loaded.interrupted) log(`results: run ${r.id} was running when its server stopped: marked interrupted`);
  const hello = async (): Promise<HelloFrame> => ({
    type: 'hello',
    capabilities: await getCaps(),
    current: runner.current ?? null,
    report: reports.current ?? null,
    queue: runner.queued,
    recent: runner.recent(20),
    sampleHz: SAMPLE_HZ,
  });
  hub = new LiveHub(() => runner, hello, o.hub);

  const { html, csp } = page();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
    next();
  });

  // The page. Opened as /?token=T it stores the token in a same-site cookie and drops it from the address bar.
  app.get(['/', '/index.html'], (req, res) => {
    const t = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (t !== undefined && access.tokenMatches(t)) {
      res.cookie(COOKIE, t, { httpOnly: true, sameSite: 'strict', path: '/' });
      res.redirect(303, '/');
      return;
    }
    res.set({ 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' }).type('html').send(html);
  });
  const staticOpts = { index: false, fallthrough: true, maxAge: 0 };
  app.use('/vendor/chart.js', express.static(vendorDir('chart.js'), staticOpts));
  app.use('/vendor/@kurkle/color', express.static(vendorDir('@kurkle/color'), staticOpts));
  app.use(express.static(DASHBOARD, { ...staticOpts, dotfiles: 'ignore' }));

  const api = express.Router();
  api.use((req, res, next) => {
    res.set('Cache-Control', 'no-store');
    const denied = access.check(req);
    if (denied) {
      if (denied.status === 401) res.set('WWW-Authenticate', 'Bearer realm="zerocopy-lab"');
      res.status(denied.status).json({ error: denied.error });
      return;
    }
    next();
  });
  api.use(express.json({ limit: BODY_LIMIT }));

  api.get('/capabilities', async (req, res) => {
    res.json(await getCaps(req.query.refresh === '1'));
  });
  api.get('/modes', (_req, res) => {
    res.json(modesDocument());
  });
  // ?limit= is a decimal whole number as written (not 0x10, 1e2, " 5", limit[]=1 or limit twice); ?token= is the access token.
  const RUNS_QUERY = ['limit', 'token'];
  const Limit = z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/)
    .transform(Number)
    .pipe(z.number().max(500))
    .default(50);
  api.get('/runs', (req, res) => {
    const query = req.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((k) => !RUNS_QUERY.includes(k));
    if (unknown.length) {
      res.status(400).json({ error: 'invalid query', issues: unknown.slice(0, 5).map((k) => ({ field: k.slice(0, 40), message: `unknown query parameter; allowed: limit` })) });
      return;
    }
    const limit = Limit.safeParse(query.limit);
    if (!limit.success) {
      res.status(400).json({ error: 'invalid query', issues: [{ field: 'limit', message: 'must be a whole number from 1 to 500, written in decimal digits' }] });
      return;
    }
    res.json({ runs: runner.list(limit.data) });
  });
  api.get('/runs/:id', (req, res) => {
    const r = runner.get(req.params.id);
    if (!r) res.status(404).json({ error: `no run ${req.params.id}` });
    else res.json(r);
  });
  api.post('/runs', (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'send the run spec as JSON (Content-Type: application/json)' });
      return;
    }
    try {
      const spec = parseRunSpec(req.body ?? {}, 'run spec');
      const problems = privilegeProblems(spec);
      if (problems.length) throw new InputError(problems.map((message) => ({ field: 'path', message })), 'run spec');
      const { run, position } = runner.submit(spec);
      res.status(202).location(`/api/runs/${run.id}`).json({ run, position });
    } catch (e) {
      if (e instanceof InputError) res.status(400).json({ error: 'invalid run spec', issues: e.issues });
      else if (e instanceof QueueFullError) res.status(409).json({ error: e.message, running: e.running, queued: e.queued });
      else if (e instanceof BusyError) res.status(409).json({ error: e.message, report: reports.current?.id });
      else throw e;
    }
  });
  api.delete('/runs/:id', async (req, res) => {
    const outcome = await runner.cancel(req.params.id);
    if (outcome === 'unknown') res.status(404).json({ error: `no run ${req.params.id}` });
    else if (outcome === 'final') {
      const run = runner.get(req.params.id);
      res.status(409).json({ error: `run ${req.params.id} has ended ${run?.state ?? ''}: it was not cancelled`.replace(' :', ':'), run });
    }
    else res.json(runner.get(req.params.id));
  });

  api.get('/reports', (_req, res) => {
    res.json({ scenarios: reports.scenarios(), reports: reports.list() });
  });
  api.get('/reports/:id', (req, res) => {
    const r = reports.get(req.params.id);
    if (!r) res.status(404).json({ error: `no report ${req.params.id}` });
    else res.json(r);
  });
  api.post('/reports', (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'send the request as JSON (Content-Type: application/json): {"scenario": "<name>"} or {"matrix": {...}}' });
      return;
    }
    try {
      const report = reports.start(reports.parseRequest(req.body));
      res.status(202).location(`/api/reports/${encodeURIComponent(report.id)}`).json({ report });
    } catch (e) {
      if (e instanceof InputError) res.status(400).json({ error: 'invalid report request', issues: e.issues });
      else if (e instanceof ReportBusyError)
        res.status(409).json({ error: e.message, ...(e.report ? { report: e.report } : { running: runner.current?.id ?? null, queued: runner.queued.length }) });
      else throw e;
    }
  });
  api.delete('/reports/:id', async (req, res) => {
    const outcome = await reports.cancel(req.params.id);
    if (outcome === 'unknown') res.status(404).json({ error: `no report ${req.params.id}` });
    else if (outcome === 'final') {
      const report = reports.get(req.params.id);
      res.status(409).json({ error: `report ${req.params.id} has ended ${report?.status ?? ''}: it was not cancelled`.replace(' :', ':'), report });
    }
    else if (outcome === 'external') res.status(409).json({ error: `report ${req.params.id} is being run by another process (zcl report); stop it there (Ctrl-C)` });
    else res.json(reports.get(req.params.id));
  });
  api.use((req, res) => {
    res.status(404).json({ error: `no API route ${req.method} ${req.originalUrl}` });
  });
  api.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') res.status(413).json({ error: `the body is larger than ${BODY_LIMIT}` });
    else if (err.type === 'entity.parse.failed') res.status(400).json({ error: 'the body is not valid JSON', issues: [{ field: '(body)', message: err.message }] });
    else {
      const e = httpError(err, _req, log);
      res.status(e.status).json({ error: e.message });
    }
  });
  app.use('/api', api);

  // A report's four files, read-only, with the API's access rules. report.html
  // runs its own inline scripts only (by hash), in a sandbox (an opaque origin:
  // it cannot call the API with the page's cookie), and fetches nothing.
  const FILE_TYPES: Record<string, string> = {
    'report.html': 'text/html; charset=utf-8',
    'report.md': 'text/markdown; charset=utf-8',
    'results.json': 'application/json; charset=utf-8',
    'results.csv': 'text/csv; charset=utf-8',
  };
  app.get('/reports/:id/:file', (req, res) => {
    res.set('Cache-Control', 'no-store');
    const denied = access.check(req);
    if (denied) {
      if (denied.status === 401) res.set('WWW-Authenticate', 'Bearer realm="zerocopy-lab"');
      res.status(denied.status).type('text').send(denied.error);
      return;
    }
    // Opened once, without following links, and refused when the file has other
    // names (a hard link to a file elsewhere): what is checked is what is served.
    const opened = reports.openFile(req.params.id, req.params.file);
    if (!opened) {
      res.status(404).type('text').send(`no such report file; a report's files are ${Object.keys(FILE_TYPES).join(', ')} under /reports/<id>/ (ids: GET /api/reports)`);
      return;
    }
    res.set('Content-Type', FILE_TYPES[req.params.file]);
    if (req.params.file === 'report.html') {
      let html: string;
      try {
        html = readFileSync(opened.fd, 'utf8');
      } finally {
        closeSync(opened.fd);
      }
      // Every inline script that runs (JSON data blocks do not), allowed by its hash.
      const hashes = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
        .filter((m) => !/\btype\s*=\s*["']?application\/json/i.test(m[1]))
        .map((m) => `'sha256-${createHash('sha256').update(m[2]).digest('base64')}'`);
      res.set(
        'Content-Security-Policy',
        [`default-src 'none'`, `script-src ${hashes.join(' ') || "'none'"}`, `style-src 'unsafe-inline'`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`, `frame-ancestors 'none'`, `sandbox allow-scripts`].join('; '),
      );
      res.send(html);
      return;
    }
    res.set('Content-Security-Policy', "default-src 'none'; sandbox");
    res.set('Content-Length', String(opened.size));
    if (req.method === 'HEAD') {
      closeSync(opened.fd);
      res.end();
      return;
    }
    const stream = createReadStream('', { fd: opened.fd, autoClose: true, start: 0, end: Math.max(0, opened.size - 1) });
    stream.on('error', (e) => {
      log(`report file ${req.params.id}/${req.params.file}: ${e.message}`);
      res.destroy();
    });
    if (opened.size === 0) {
      stream.destroy();
      res.end();
    } else stream.pipe(res);
  });

  // Anything else: a plain 404, and every error an answer without the server's
  // insides (no stack, no file path): 4xx for the client's mistakes, else 500
  // with a generic message (the details go to the server's log).
  app.use((req, res) => {
    res.status(404).type('text').send('not found');
  });
  app.use((err: Error & { status?: number; statusCode?: number; expose?: boolean }, req: Request, res: Response, _next: NextFunction) => {
    const e = httpError(err, req, log);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.set('Cache-Control', 'no-store');
    if (req.path.startsWith('/api/')) res.status(e.status).json({ error: e.message });
    else res.status(e.status).type('text').send(e.message);
  });

  const http = createServer(app);
  http.headersTimeout = 20_000;
  http.requestTimeout = 60_000;
  // The raw upgrade event is outside express: whatever goes wrong in it is
  // caught here and answered (or the socket closed), never thrown to the process.
  http.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, msg: string) => {
      if (!socket.writable) return void socket.destroy();
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`);
    };
    socket.on('error', () => socket.destroy());
    try {
      let pathname: string;
      try {
        pathname = new URL(req.url ?? '/', 'http://x').pathname;
      } catch {
        return refuse(400, 'the request URL cannot be parsed; the WebSocket is at /live');
      }
      if (pathname !== '/live') return refuse(404, 'the WebSocket is at /live');
      const denied = access.check(req);
      if (denied) return refuse(denied.status, denied.error);
      hub.upgrade(req, socket, head);
    } catch (e) {
      log(`WebSocket upgrade error: ${(e as Error)?.stack ?? String(e)}`);
      try {
        refuse(500, 'internal error (logged by the server)');
      } catch {
        socket.destroy();
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 8080, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const fmt = (h: string) => `http://${h.includes(':') ? `[${h}]` : h}:${port}/`;
  const url = fmt(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const withToken = (u: string) => (token ? `${u}?token=${encodeURIComponent(token)}` : u);
  const hosts =
    host === '0.0.0.0' || host === '::'
      ? ['127.0.0.1', ...Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a!.address)]
      : [host];
  // Warm the capabilities so the first page load does not wait for the machine checks.
  void getCaps();

  let closing: Promise<void> | undefined;
  return {
    url,
    urls: hosts.map((h) => withToken(fmt(h))),
    token,
    host,
    port,
    runner,
    reports,
    hub,
    http,
    close() {
      closing ??= (async () => {
        await reports.close();
        await runner.close();
        await hub.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
