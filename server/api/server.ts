// The lab's HTTP server, wired: the runner, the reports and the live hub, the
// express app (the dashboard: api/static.ts; the JSON API: api/runs.ts and
// api/reports.ts; a report's files: api/reports.ts; access: api/access.ts; the
// one error handler: api/errors.ts), the WebSocket /live on upgrade, and close.
//
// API errors are {error, code, issues?: [{field, message}], ...}: the registry's
// (core/errors.ts), never a stack or a path. A body over 16 KiB is a 413.
//
// Runs and reports never overlap (one process, shared probes, one machine to
// measure): one report at a time, and POST /api/reports answers 409 while a
// run is running or queued; POST /api/runs (and the WebSocket's start) answer
// 409 while a report runs. Report progress streams on /live as 'report' frames.
import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { NotFoundError } from '../core/errors.js';
import { probeSetup, type ProbeSetup } from '../probes/select.js';
import { labDir, ROOT } from '../project.js';
import { ENGINE_NAMES, ENGINES, type EngineName } from '../../scenarios/catalog.js';
import { DEFAULT_ENGINE } from '../schema/run-spec.js';
import type { HelloFrame } from '../live/frames.js';
import { LiveHub, type HubOptions } from '../live/hub.js';
import { ReportManager } from '../live/reports.js';
import { Runner, SAMPLE_HZ, type SessionFactory } from '../live/runner.js';
import { ResultStore } from '../live/store.js';
import type { SessionOptions } from '../session/session.js';
import type { RunSpec } from '../schema/run-spec.js';
import { capabilities, type Capabilities } from '../session/capabilities.js';
import { Access, isLoopbackHost, requireAccess } from './access.js';
import { BODY_LIMIT, errorHandler } from './errors.js';
import { reportFileRoutes, reportRoutes } from './reports.js';
import { runRoutes } from './runs.js';
import { staticRoutes } from './static.js';
import { watchRoutes } from './watches.js';
import { WatchManager, watchSession, type WatchSessionFactory } from '../live/watches.js';
import { MetricsExporter } from '../metrics/exporter.js';
import { serveMetrics } from '../metrics/http.js';
import { Session } from '../session/session.js';

export { BODY_LIMIT };

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
  /** Stands in for `new WatchSession` in watches (tests). */
  watchSession?: WatchSessionFactory;
  /** Watches at once (default 1: the probe engine counts one set of processes). */
  maxWatches?: number;
  /** A watch no client views ends after this many ms (default 30 s). */
  watchGraceMs?: number;
  /** GET /metrics: processes with series of their own (default 100; the rest summed under comm="other"). */
  metricsMaxProcesses?: number;
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
  watches: WatchManager;
  hub: LiveHub;
  /** What GET /metrics exports: every run, report run and watch of this server. */
  metrics: MetricsExporter;
  http: Server;
  close(): Promise<void>;
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

  // GET /metrics counts every session this server starts: runs, the runs of reports, watches.
  const metrics = new MetricsExporter({ maxProcesses: o.metricsMaxProcesses });
  const makeSession: SessionFactory = (spec, opts) => {
    const s = o.session ? o.session(spec, opts) : new Session(spec, opts);
    metrics.attachRun(s);
    return s;
  };
  const makeWatch: WatchSessionFactory = (targets, opts) => {
    const s = (o.watchSession ?? watchSession)(targets, opts);
    metrics.attachWatch(s);
    return s;
  };
  const reportsDir = o.reportsDir ?? labDir('reports');
  // The runs list: this server's runs, `zcl run`'s (both in the results directory) and the reports' runs.
  const store = new ResultStore(o.resultsDir ?? labDir('results'), reportsDir);
  let hub!: LiveHub;
  let reports!: ReportManager;
  let watches!: WatchManager;
  const runner = new Runner({
    store,
    probes: (spec) => setupFor(spec.engine),
    maxQueued: o.maxQueued,
    session: makeSession,
    broadcast: (d, k) => hub.broadcast(d, k),
    // Runs and reports share the probes and the machine: no run starts while a report runs.
    report: () => reports.current?.id,
    watch: () => watches.holding?.id,
    log,
  });
  reports = new ReportManager({
    dir: reportsDir,
    scenariosDir: o.scenariosDir ?? join(ROOT, 'scenarios'),
    probes: (spec) => setupFor(spec.engine),
    runs: () => ({ running: runner.current?.id ?? null, queued: runner.queued.length }),
    watch: () => watches.holding?.id,
    broadcast: (d, k) => hub.broadcast(d, k),
    log,
    startRun: (spec: RunSpec, opts: SessionOptions) => {
      const session = makeSession(spec, opts);
      session.start();
      return session;
    },
  });
  watches = new WatchManager({
    // Watch mode is the libbpf engine's (bpftrace has none yet).
    probes: () => setupFor('libbpf'),
    session: makeWatch,
    busy: () => {
      const report = reports.current?.id;
      if (report) return `report ${report} is running: a watch cannot start until it ends (the probes count one thing at a time); wait for it, or cancel it (DELETE /api/reports/${report})`;
      const run = runner.current?.id;
      if (run || runner.queued.length)
        return `a run is ${run ? 'running' : 'queued'}: a watch cannot start beside runs (the probes count one thing at a time); wait until they end, or cancel them`;
      return undefined;
    },
    broadcast: (d, k) => hub.broadcast(d, k),
    maxWatches: o.maxWatches,
    graceMs: o.watchGraceMs,
    log,
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
    // without their samples (the overlay fetches the few it draws)
    recent: runner.recent(20).map(({ series: _series, ...r }) => r),
    sampleHz: SAMPLE_HZ,
    watches: watches.inProgress(),
  });
  hub = new LiveHub(() => runner, hello, { log, ...o.hub });
  hub.watches = watches;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
    next();
  });
  app.use(staticRoutes(access));
  // Prometheus' scrape: the API's access rules, the format the scraper asks for.
  app.get('/metrics', (req, res) => serveMetrics(metrics, access, req, res));
  const api = express.Router();
  api.use(requireAccess(access, 'json'));
  api.use(express.json({ limit: BODY_LIMIT }));
  api.use(runRoutes({ runner, capabilities: (refresh) => getCaps(refresh) }));
  api.use(reportRoutes(reports));
  api.use(watchRoutes({ watches }));
  api.use((req) => {
    throw new NotFoundError(`no API route ${req.method} ${req.originalUrl}`);
  });
  app.use('/api', api);
  app.use(reportFileRoutes(reports, access, log));
  // Anything else: a plain 404; every error answered by the one handler (JSON under /api, else text).
  app.use(() => {
    throw new NotFoundError('not found');
  });
  app.use(errorHandler(log));

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
  // Warm the capabilities so the first page load does not wait for the machine checks;
  // /metrics says which source measures each counter from then on.
  void getCaps().then(
    (c) => {
      if (c.probes.status === 'ok') metrics.setSources(c.probes.engine, c.probes.tier ?? '', Object.fromEntries(c.probes.counters.map((x) => [x.name, x.available ? x.source : null])));
    },
    () => undefined,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    urls: hosts.map((h) => withToken(fmt(h))),
    token,
    host,
    port,
    runner,
    reports,
    watches,
    hub,
    metrics,
    http,
    close() {
      closing ??= (async () => {
        await watches.close();
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
