// The API's one error handler. Routes throw registry errors (core/errors.ts)
// and never choose a status; the HTTP layer's own errors (a body over the
// limit, a body that is not JSON, a URL that does not decode) become registry
// errors here. Every answer is httpAnswer(e): the API's as JSON ({error, code,
// issues?, ...the error's extra fields}), anything else as text. No answer
// carries a stack or a path of ours: what is not a registry error is a 500
// with a generic message, logged here with its stack.
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request } from 'express';
import { httpAnswer, InputError, LabError, RequestError, TooLargeError } from '../core/errors.js';

/** The largest request body the API reads. */
export const BODY_LIMIT = '16kb';

/** An error of the HTTP layer (body-parser, express's router) as a registry error; any other error as it is. */
export function fromHttpLayer(err: unknown): unknown {
  if (err instanceof LabError) return err;
  const e = (err ?? {}) as { type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
  if (e.type === 'entity.too.large') return new TooLargeError(`the body is larger than ${BODY_LIMIT}`);
  if (e.type === 'entity.parse.failed')
    return new InputError([{ field: '(body)', message: String(e.message) }], 'body', 'the body is not valid JSON');
  const s = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (s < 400 || s >= 500) return err;
  // Its message, when it shows nothing of the server (no path, one short line).
  const m = typeof e.message === 'string' ? e.message : '';
  const safe = e.expose !== false && m && m.length < 300 && !/[/\\]|\n/.test(m.replace(/^Failed to decode param '[^']*'$/, 'x'));
  return new RequestError(safe ? m : (STATUS_CODES[s] ?? 'bad request'), s);
}

const isApi = (req: Request) => /^\/api(\/|$)/.test(req.path);

export function errorHandler(log: (line: string) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = fromHttpLayer(err);
    const { status, body } = httpAnswer(e);
    const what = `${req.method} ${req.originalUrl.slice(0, 200)}`;
    if (!(e instanceof LabError)) log(`error answering ${what}: ${(e as Error)?.stack ?? String(e)}`);
    else if (status >= 500) log(`error answering ${what}: ${e.message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.set('Cache-Control', 'no-store');
    if (isApi(req)) res.status(status).json(body);
    else res.status(status).type('text').send(body.error);
  };
}
