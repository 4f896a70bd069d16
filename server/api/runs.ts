// The run routes under /api: the run form and the machine, and the runs.
//   GET    /capabilities[?refresh=1]  kernel, probe engine, tier, programs, counter sources, what is missing + fix
//   GET    /modes                     the run form (from the input schema), catalog, limits, defaults, diagram and charts
//   POST   /runs                      a RunSpec (omitted fields: defaults): 202 {run, position}; queued (position 0:
//                                     started at once). One run at a time, the others in a FIFO queue of at most 8.
//                                     400 bad spec (issues name the field and the allowed values), 409 queue full
//                                     ({running, queued}) or a report running ({report}), 415 not JSON
//   GET    /runs[?limit=50]          {runs}: waiting, running, then finished/failed/cancelled, newest first
//                                     (this server's, origin 'dashboard'; zcl run's in the results directory, 'cli';
//                                     the reports' runs, 'report', read-only), the directories rescanned at each call
//   GET    /runs/:id                  the run record (with its RunResult when finished); a run whose server stopped
//                                     during it is found by the next server as 'interrupted'
//   DELETE /runs/:id                  cancels a waiting or running run; answers when it has cleaned up. 404 unknown,
//                                     409 with the run when it ended otherwise than cancelled (before, or meanwhile)
// Errors are thrown (core/errors.ts) and answered by the one error handler (api/errors.ts).
import express, { type Router } from 'express';
import { z } from 'zod';
import { InputError, MediaTypeError, NotFoundError } from '../core/errors.js';
import { parseRunSpec, type RunSpec } from '../schema/run-spec.js';
import type { Capabilities } from '../session/capabilities.js';
import { modesDocument } from './modes.js';
import { GLOSSARY, MESSAGES, NAMES } from '../view/messages.js';

/** What the routes need of the server's runner (live/runner.ts); the wiring (api/server.ts) gives it. */
export interface RunService {
  list(limit: number): unknown[];
  get(id: string): object | undefined;
  /** Throws InputError, QueueFullError, BusyError. */
  submit(spec: RunSpec): { run: { id: string }; position: number };
  /** Throws NotFoundError, ConflictError. */
  cancel(id: string): Promise<object>;
}

// ?limit= is a decimal whole number as written (not 0x10, 1e2, " 5", limit[]=1 or limit twice); ?token= is the access token.
const RUNS_QUERY = ['limit', 'token'];
const Limit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/)
  .transform(Number)
  .pipe(z.number().max(500))
  .default(50);

export function runRoutes(o: { runner: RunService; capabilities(refresh: boolean): Promise<Capabilities> }): Router {
  const { runner } = o;
  const r = express.Router();
  r.get('/capabilities', async (req, res) => {
    res.json(await o.capabilities(req.query.refresh === '1'));
  });
  r.get('/modes', (_req, res) => {
    res.json(modesDocument());
  });
  // The message catalogue of the dashboard (and the report): key -> {en, zh}.
  r.get('/messages', (_req, res) => {
    res.json({ messages: MESSAGES, glossary: GLOSSARY, names: NAMES });
  });
  r.get('/runs', (req, res) => {
    const query = req.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((k) => !RUNS_QUERY.includes(k));
    if (unknown.length)
      throw new InputError(unknown.slice(0, 5).map((k) => ({ field: k.slice(0, 40), message: 'unknown query parameter; allowed: limit' })), 'query');
    const limit = Limit.safeParse(query.limit);
    if (!limit.success) throw new InputError([{ field: 'limit', message: 'must be a whole number from 1 to 500, written in decimal digits' }], 'query');
    res.json({ runs: runner.list(limit.data) });
  });
  r.get('/runs/:id', (req, res) => {
    const run = runner.get(req.params.id);
    if (!run) throw new NotFoundError(`no run ${req.params.id}`);
    res.json(run);
  });
  r.post('/runs', (req, res) => {
    if (!req.is('application/json')) throw new MediaTypeError('send the run spec as JSON (Content-Type: application/json)');
    const spec = parseRunSpec(req.body ?? {}, 'run spec');
    // submit makes the session, whose constructor runs the privilege check (InputError: 400).
    const { run, position } = runner.submit(spec);
    res.status(202).location(`/api/runs/${run.id}`).json({ run, position });
  });
  r.delete('/runs/:id', async (req, res) => {
    res.json(await runner.cancel(req.params.id));
  });
  return r;
}
