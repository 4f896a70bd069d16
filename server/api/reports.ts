// The report routes under /api, and a report's files under /reports.
//   GET    /reports          {scenarios: [{name, file, description, runs, ...}], reports: [{id, name, status,
//                            startedAt, finishedAt?, files: {html, md, json, csv} (URLs), error?, progress?}]}:
//                            this server's and every report directory under the reports directory
//   GET    /reports/:id      one report
//   POST   /reports          {scenario: "<scenarios/X.json's X>"} or {matrix: {...inline matrix...}}, optionally
//                            resume: true (the newest unfinished report of that matrix) or a report id.
//                            202 {report}: started. 400 issues name the field (a JSON path inside the matrix:
//                            matrix.axes.mode[2]) and the allowed values; 409 while a run is running or queued
//                            ({running, queued}) or another report runs ({report}); 415 not JSON
//   DELETE /reports/:id      cancels the running report; answers when its run in flight has cleaned up and the
//                            report of the runs done is written. 404 unknown, 409 with the report when it ended
//                            otherwise than cancelled (before, or meanwhile), or another process runs it
//   GET    /reports/:id/{report.html,report.md,results.json,results.csv}   (outside /api)
//                            a report's files, read-only, with the same access rules as the API
// Errors are thrown (core/errors.ts) and answered by the one error handler (api/errors.ts).
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, readFileSync } from 'node:fs';
import express, { type Router } from 'express';
import { MediaTypeError, NotFoundError } from '../core/errors.js';
import type { ReportRecord } from '../report/record.js';
import type { ReportRequest } from '../report/request.js';
import type { ScenarioInfo } from '../report/scenarios.js';
import { requireAccess, type Access } from './access.js';

/** What the routes need of the server's reports (live/reports.ts); the wiring (api/server.ts) gives it. */
export interface ReportService {
  scenarios(): ScenarioInfo[];
  list(): ReportRecord[];
  /** Throws NotFoundError. */
  find(id: string): ReportRecord;
  /** Throws InputError naming the field. */
  parseRequest(body: unknown): ReportRequest;
  /** Throws BusyError. */
  start(req: ReportRequest): ReportRecord;
  /** Throws NotFoundError, ConflictError. */
  cancel(id: string): Promise<ReportRecord>;
  /** A report file a client may read, opened; the caller closes the fd. */
  openFile(id: string, file: string): { fd: number; size: number } | undefined;
}

export function reportRoutes(reports: ReportService): Router {
  const r = express.Router();
  r.get('/reports', (_req, res) => {
    res.json({ scenarios: reports.scenarios(), reports: reports.list() });
  });
  r.get('/reports/:id', (req, res) => {
    res.json(reports.find(req.params.id));
  });
  r.post('/reports', (req, res) => {
    if (!req.is('application/json'))
      throw new MediaTypeError('send the request as JSON (Content-Type: application/json): {"scenario": "<name>"} or {"matrix": {...}}');
    const report = reports.start(reports.parseRequest(req.body));
    res.status(202).location(`/api/reports/${encodeURIComponent(report.id)}`).json({ report });
  });
  r.delete('/reports/:id', async (req, res) => {
    res.json(await reports.cancel(req.params.id));
  });
  return r;
}

const FILE_TYPES: Record<string, string> = {
  'report.html': 'text/html; charset=utf-8',
  'report.md': 'text/markdown; charset=utf-8',
  'results.json': 'application/json; charset=utf-8',
  'results.csv': 'text/csv; charset=utf-8',
};

/**
 * A report's four files, read-only, with the API's access rules. report.html
 * runs its own inline scripts only (by hash), in a sandbox (an opaque origin:
 * it cannot call the API with the page's cookie), and fetches nothing.
 */
export function reportFileRoutes(reports: Pick<ReportService, 'openFile'>, access: Access, log: (line: string) => void): Router {
  const r = express.Router();
  r.get('/reports/:id/:file', requireAccess(access, 'text'), (req, res) => {
    const { id, file } = req.params as { id: string; file: string };
    // Opened once, without following links, and refused when the file has other
    // names (a hard link to a file elsewhere): what is checked is what is served.
    const opened = reports.openFile(id, file);
    if (!opened) throw new NotFoundError(`no such report file; a report's files are ${Object.keys(FILE_TYPES).join(', ')} under /reports/<id>/ (ids: GET /api/reports)`);
    res.set('Content-Type', FILE_TYPES[file]);
    if (file === 'report.html') {
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
      log(`report file ${id}/${file}: ${e.message}`);
      res.destroy();
    });
    if (opened.size === 0) {
      stream.destroy();
      res.end();
    } else stream.pipe(res);
  });
  return r;
}
