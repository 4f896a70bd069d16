// The one error registry (fastify's lib/errors.js is the model): every error the
// lab raises on purpose has a code, the HTTP status the API answers it with and
// the exit code the CLI ends with, here and nowhere else. The API's one error
// handler, the WebSocket's one mapper and the CLI's main() read them from the
// error itself (`httpAnswer`, `exitCodeOf`); no route maps errors by hand.
//
// Exit codes: 0 ok, 1 the run or command failed, 2 bad input (nothing was
// started), 130 interrupted (Ctrl-C).

export const ERRORS = {
  ZCL_INPUT: { status: 400, exit: 2, what: 'bad input: the issues name each field and the allowed values' },
  ZCL_REQUEST: { status: 400, exit: 2, what: 'a malformed request (URL, headers, body encoding): answered with the status the HTTP layer gave it' },
  ZCL_TOO_LARGE: { status: 413, exit: 2, what: 'the request body is over the limit' },
  ZCL_MEDIA_TYPE: { status: 415, exit: 2, what: 'the request body is not JSON' },
  ZCL_NOT_FOUND: { status: 404, exit: 2, what: 'no such run, report or route' },
  ZCL_CONFLICT: { status: 409, exit: 1, what: 'the state does not allow it (already ended, already running)' },
  ZCL_QUEUE_FULL: { status: 409, exit: 1, what: 'too many runs are waiting' },
  ZCL_BUSY: { status: 409, exit: 1, what: 'runs, reports and watches share the probes and the machine: one waits for the other' },
  ZCL_TOO_MANY_WATCHES: { status: 429, exit: 1, what: 'the server watches as many processes as it allows at once: stop a watch first' },
  ZCL_CANCELLED: { status: 409, exit: 130, what: 'the run was cancelled' },
  ZCL_STALLED: { status: 504, exit: 1, what: 'a run stopped moving and was ended' },
  ZCL_INTEGRITY: { status: 500, exit: 1, what: 'the bytes received differ from the file' },
  ZCL_CHILD: { status: 500, exit: 1, what: 'a sender or sink process failed' },
  ZCL_COMMAND: { status: 500, exit: 1, what: 'a system command (ip, ethtool) failed' },
  ZCL_DATA_DIR: { status: 507, exit: 1, what: 'not enough disk for the data file, or a bad ZCL_DATA_MAX' },
  ZCL_LOCK_TIMEOUT: { status: 503, exit: 1, what: 'another process held the data file too long' },
  ZCL_PROBES: { status: 500, exit: 1, what: 'the probe engine failed' },
  ZCL_KERNEL_UNSUPPORTED: { status: 422, exit: 1, what: 'the kernel lacks what the mode needs (kTLS: the tls module): refused before any setup, with the reason' },
  ZCL_KERNEL_VM: { status: 500, exit: 1, what: 'a kernel VM (zcl report --kernel) could not be prepared, booted or finish its command' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface Issue { field: string; message: string }

/** An error of the registry: its code says its HTTP status and exit code. */
export class LabError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly extra?: Record<string, unknown>) {
    super(message);
    this.name = 'LabError';
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}

/**
 * A validation failure, with one line per bad field. Clients are answered
 * `invalid <source>` (e.g. 'invalid run spec'), or `headline` when given.
 */
export class InputError extends LabError {
  constructor(readonly issues: Issue[], readonly source = 'input', readonly headline?: string) {
    super('ZCL_INPUT', `invalid ${source}:\n` + issues.map((i) => `  ${i.field}: ${i.message}`).join('\n'), { issues });
    this.name = 'InputError';
  }

  /** What a client is told (the issues go beside it). */
  get summary(): string {
    return this.headline ?? `invalid ${this.source}`;
  }
}

/** A request the HTTP layer could not take (a URL that does not decode, a body it cannot read): its 4xx status and a message without paths. */
export class RequestError extends LabError {
  constructor(message: string, private readonly httpStatus = 400) {
    super('ZCL_REQUEST', message);
    this.name = 'RequestError';
  }

  override get status(): number {
    return this.httpStatus;
  }
}

export class TooLargeError extends LabError {
  constructor(message: string) {
    super('ZCL_TOO_LARGE', message);
    this.name = 'TooLargeError';
  }
}

export class MediaTypeError extends LabError {
  constructor(message: string) {
    super('ZCL_MEDIA_TYPE', message);
    this.name = 'MediaTypeError';
  }
}

export class NotFoundError extends LabError {
  constructor(message: string) {
    super('ZCL_NOT_FOUND', message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends LabError {
  constructor(message: string, extra?: Record<string, unknown>) {
    super('ZCL_CONFLICT', message, extra);
    this.name = 'ConflictError';
  }
}

export class CancelledError extends LabError {
  constructor() {
    super('ZCL_CANCELLED', 'the run was cancelled');
    this.name = 'CancelledError';
  }
}

/** A run that stopped moving: it fails with what it was waiting for, instead of hanging. */
export class StallError extends LabError {
  constructor(message: string) {
    super('ZCL_STALLED', message);
    this.name = 'StallError';
  }
}

export class IntegrityError extends LabError {
  constructor(message: string) {
    super('ZCL_INTEGRITY', message);
    this.name = 'IntegrityError';
  }
}

export class ChildFailed extends LabError {
  constructor(readonly role: string, message: string, readonly syscall?: string, readonly errnoCode?: string) {
    super('ZCL_CHILD', message);
    this.name = 'ChildFailed';
  }
}

export class CommandError extends LabError {
  constructor(readonly command: string, readonly stderr: string) {
    super('ZCL_COMMAND', `${command} failed: ${stderr.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

/** Not enough disk, or a bad setting: says what and how much. */
export class DataDirError extends LabError {
  constructor(message: string) {
    super('ZCL_DATA_DIR', message);
    this.name = 'DataDirError';
  }
}

/** A lock wait that ran out: says who holds the file. */
export class LockTimeoutError extends LabError {
  constructor(message: string) {
    super('ZCL_LOCK_TIMEOUT', message);
    this.name = 'LockTimeoutError';
  }
}

export class QueueFullError extends LabError {
  constructor(readonly running: string | undefined, readonly queued: number) {
    super('ZCL_QUEUE_FULL', `${queued} runs are already waiting (the limit); wait for one to finish or cancel one`, { running, queued });
    this.name = 'QueueFullError';
  }
}

/** Refused because something else has the machine (a report while runs are queued, or the reverse). */
export class BusyError extends LabError {
  constructor(message: string, extra?: Record<string, unknown>) {
    super('ZCL_BUSY', message, extra);
    this.name = 'BusyError';
  }
}

/** A watch past the server's limit of watches at once: says the limit and the watches in progress. */
export class TooManyWatchesError extends LabError {
  constructor(message: string, extra?: Record<string, unknown>) {
    super('ZCL_TOO_MANY_WATCHES', message, extra);
    this.name = 'TooManyWatchesError';
  }
}

export class ProbeEngineError extends LabError {
  constructor(message: string) {
    super('ZCL_PROBES', message);
    this.name = 'ProbeEngineError';
  }
}

/** A mode this kernel cannot run (kTLS without the tls module): refused before any setup, the reason from the kernel itself. */
export class KernelUnsupportedError extends LabError {
  constructor(readonly mode: string, readonly reason: string) {
    super('ZCL_KERNEL_UNSUPPORTED', `mode ${mode} needs kernel TLS and this kernel cannot do it: ${reason}`, { mode, reason });
    this.name = 'KernelUnsupportedError';
  }
}

export type ErrorBody = { error: string; code: string; issues?: Issue[] } & Record<string, unknown>;

/**
 * What a client gets for an error (an HTTP answer, a WebSocket error frame):
 * its status, and a body without stack or paths of ours. A registry error says
 * its message and its extra fields (issues, the run or report it is about);
 * anything else is a 500 with a generic message (the caller logs the details).
 */
export function httpAnswer(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof LabError)
    return { status: e.status, body: { error: e instanceof InputError ? e.summary : e.message, ...(e.extra ?? {}), code: e.code } };
  return { status: 500, body: { error: 'internal error (the server logged it)', code: 'ZCL_INTERNAL' } };
}

/** The CLI's exit code for an error. */
export function exitCodeOf(e: unknown): number {
  return e instanceof LabError ? e.exitCode : 1;
}
