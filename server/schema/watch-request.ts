// The one input schema for a watch request (POST /api/watches): the processes
// to watch, by pid or by command name, and whether their children count too.
// Its errors name the field and the allowed values. Whether the processes run
// is checked by the caller, against /proc (core/proc-scan.ts).
import { z } from 'zod';
import { InputError, type Issue } from '../core/errors.js';
import { jsonProblem } from './json-guard.js';

export const WATCH_REQUEST_FIELDS = ['pids', 'comm', 'follow'] as const;
/** Processes named in one request at most (the kernel side watches more once follow adds children). */
export const MAX_WATCH_PIDS = 64;
/** A comm is at most 15 characters (the kernel's TASK_COMM_LEN, 16 with its NUL). */
export const COMM_MAX = 15;
/** The kernel's pid_max limit (2^22). */
const PID_MAX = 4194304;

const Pid = z
  .number({ error: (i) => `${JSON.stringify(i.input)?.slice(0, 40) ?? 'nothing'} is not a pid; allowed: whole numbers from 1 to ${PID_MAX}` })
  .int({ error: (i) => `${i.input} is not a pid; allowed: whole numbers from 1 to ${PID_MAX}` })
  .min(1, { error: (i) => `${i.input} is not a pid; allowed: whole numbers from 1 to ${PID_MAX}` })
  .max(PID_MAX, { error: (i) => `${i.input} is not a pid; allowed: whole numbers from 1 to ${PID_MAX}` });

export const WatchRequestSchema = z
  .object(
    {
      /** Processes by pid (a thread id names its process). */
      pids: z
        .array(Pid, { error: `must be a list of pids, e.g. [1234]; allowed: 1 to ${MAX_WATCH_PIDS} whole numbers` })
        .min(1, { error: `must name at least one process; allowed: 1 to ${MAX_WATCH_PIDS} pids` })
        .max(MAX_WATCH_PIDS, { error: `names too many processes; allowed: 1 to ${MAX_WATCH_PIDS} pids` })
        .optional(),
      /** Every process whose comm is exactly this (as `pgrep -x`), found when the watch starts. */
      comm: z
        .string({ error: `must be a command name (the comm /proc/PID/comm shows), 1 to ${COMM_MAX} characters` })
        .min(1, { error: `must not be empty; allowed: a command name of 1 to ${COMM_MAX} characters` })
        .max(COMM_MAX, { error: `is longer than a comm can be; allowed: 1 to ${COMM_MAX} characters (the kernel keeps 15)` })
        .regex(/^[^\0/\n]*$/, { error: 'must not contain NUL, / or a newline; allowed: a command name as /proc/PID/comm shows it' })
        .optional(),
      /** Their children too: those running at the start and those forked later (default true). */
      follow: z.boolean({ error: 'must be true or false (count the children the processes start)' }).default(true),
    },
    { error: 'must be a JSON object: {"pids": [1234]} or {"comm": "nginx"}, optionally with "follow": true|false' },
  )
  .strict()
  .superRefine((b, ctx) => {
    if ((b.pids === undefined) === (b.comm === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [b.pids === undefined ? 'pids' : 'comm'],
        message: 'give exactly one of "pids" (a list of process ids, e.g. [1234]) or "comm" (a command name, e.g. "nginx")',
      });
  });

export type WatchRequest = z.output<typeof WatchRequestSchema>;

/** Validates a watch request; throws InputError ('watch request') naming the field and the allowed values. */
export function parseWatchRequest(body: unknown): WatchRequest {
  const p = jsonProblem(body, 4);
  if (p)
    throw new InputError(
      [{ field: p.path.length ? p.path.join('.') : '(body)', message: p.kind === 'depth' ? 'nests too deep; allowed: {"pids": [1234]} or {"comm": "nginx"}' : `unknown field '${p.key}'; allowed: ${WATCH_REQUEST_FIELDS.join(', ')}` }],
      'watch request',
    );
  const r = WatchRequestSchema.safeParse(body);
  if (r.success) return { ...r.data, ...(r.data.pids ? { pids: [...new Set(r.data.pids)] } : {}) };
  const issues: Issue[] = r.error.issues.map((iss) =>
    iss.code === 'unrecognized_keys'
      ? { field: iss.keys[0], message: `unknown field(s) ${iss.keys.map((k) => `'${k}'`).join(', ')}; allowed: ${WATCH_REQUEST_FIELDS.join(', ')}` }
      : { field: iss.path.length ? iss.path.join('.') : '(body)', message: iss.message },
  );
  throw new InputError(issues, 'watch request');
}
