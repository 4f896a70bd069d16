// The watch routes under /api: processes the lab did not start, and watches of them.
//   GET    /processes[?limit=200&q=TEXT]  {processes, total, truncated, limit}: running processes (kernel threads left
//                                        out) with their LISTEN and ESTABLISHED TCP connections, those with TCP sockets
//                                        first; at most `limit` (1 to 1000, default 200); q: only those whose pid, comm or
//                                        command line contains it. From /proc (core/proc-scan.ts).
//   POST   /watches                      {pids: [..]} or {comm: NAME}, optionally follow (default true): 201 {watch}
//                                        (200 {watch, joined: true} when the same processes are watched already).
//                                        400 bad request (issues name the field and the allowed values) or no such
//                                        process, 409 a run or report has the probes, 429 too many watches, 415 not JSON
//   GET    /watches                      {watches, limit}: the watches in progress, then the ended ones (newest first)
//   GET    /watches/:id                  the watch record
//   DELETE /watches/:id                  stops a watch (probes detached); answers with its record once it has ended.
//                                        404 unknown; an ended watch answers its record as it is
// A watch streams on /live to the clients that view it ({"type":"view","watch":ID}); it also ends when its
// processes have all exited, when the server closes, and when no client has viewed it for a grace period.
import express, { type Router } from 'express';
import { z } from 'zod';
import { InputError, MediaTypeError, NotFoundError } from '../core/errors.js';
import { listProcesses, type ProcessList } from '../core/proc-scan.js';
import { parseWatchRequest, type WatchRequest } from '../schema/watch-request.js';

/** What the routes need of the server's watches (live/watches.ts); the wiring (api/server.ts) gives it. */
export interface WatchService {
  readonly limit: number;
  list(): object[];
  get(id: string): object | undefined;
  /** Throws InputError (no such process), BusyError, TooManyError. */
  create(req: WatchRequest): Promise<{ watch: { id: string }; joined: boolean }>;
  /** Throws NotFoundError. */
  stop(id: string): Promise<object>;
}

export const PROCESSES_MAX = 1000;
const PROCESSES_QUERY = ['limit', 'q', 'token'];
const Limit = z
  .string()
  .regex(/^[1-9][0-9]{0,3}$/)
  .transform(Number)
  .pipe(z.number().max(PROCESSES_MAX))
  .default(200);
const Filter = z.string().max(100).optional();

function checkQuery(query: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  if (unknown.length)
    throw new InputError(unknown.slice(0, 5).map((k) => ({ field: k.slice(0, 40), message: `unknown query parameter; allowed: ${allowed.filter((a) => a !== 'token').join(', ')}` })), 'query');
}

export function watchRoutes(o: { watches: WatchService; processes?: (opts: { limit: number; filter?: string }) => ProcessList }): Router {
  const { watches } = o;
  const processes = o.processes ?? listProcesses;
  const r = express.Router();
  r.get('/processes', (req, res) => {
    const query = req.query as Record<string, unknown>;
    checkQuery(query, PROCESSES_QUERY);
    const limit = Limit.safeParse(query.limit);
    if (!limit.success) throw new InputError([{ field: 'limit', message: `must be a whole number from 1 to ${PROCESSES_MAX}, written in decimal digits` }], 'query');
    const q = Filter.safeParse(query.q);
    if (!q.success) throw new InputError([{ field: 'q', message: 'must be one text of at most 100 characters (matched against pid, comm and command line)' }], 'query');
    res.json(processes({ limit: limit.data, filter: q.data || undefined }));
  });
  r.get('/watches', (req, res) => {
    checkQuery(req.query as Record<string, unknown>, ['token']);
    res.json({ watches: watches.list(), limit: watches.limit });
  });
  r.get('/watches/:id', (req, res) => {
    const w = watches.get(req.params.id);
    if (!w) throw new NotFoundError(`no watch ${req.params.id}`);
    res.json(w);
  });
  r.post('/watches', async (req, res) => {
    if (!req.is('application/json')) throw new MediaTypeError('send the watch request as JSON (Content-Type: application/json): {"pids": [1234]} or {"comm": "nginx"}');
    const { watch, joined } = await watches.create(parseWatchRequest(req.body ?? {}));
    if (joined) res.status(200).json({ watch, joined });
    else res.status(201).location(`/api/watches/${watch.id}`).json({ watch });
  });
  r.delete('/watches/:id', async (req, res) => {
    res.json(await watches.stop(req.params.id));
  });
  return r;
}
