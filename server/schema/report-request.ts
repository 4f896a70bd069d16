// The one input schema for a report request (POST /api/reports): a shipped
// scenario by name or an inline matrix, and optionally `resume`. Its errors
// name the field and the allowed values; the matrix inside is validated by the
// matrix schema (schema/matrix.ts), the names against what exists by
// report/request.ts.
import { z } from 'zod';
import { InputError, type Issue } from '../core/errors.js';

export const REPORT_REQUEST_FIELDS = ['scenario', 'matrix', 'resume'] as const;

/** The request's schema; `scenarios` are the shipped scenario names its messages offer. */
export function reportRequestSchema(scenarios: readonly string[]) {
  const names = scenarios.join(', ');
  return z
    .object(
      {
        /** scenarios/<scenario>.json */
        scenario: z.string({ error: `must be the name of a shipped scenario; allowed: ${names}` }).optional(),
        /** An inline matrix (its own schema validates it). */
        matrix: z.unknown().optional(),
        /** true: the newest unfinished report of the matrix; a string: that report's id; false: a new report. */
        resume: z.union([z.boolean(), z.string()], { error: 'must be true, false or a report id (GET /api/reports lists them)' }).optional(),
      },
      { error: 'must be a JSON object: {"scenario": "<name>"} or {"matrix": {...}}, optionally with "resume"' },
    )
    .strict()
    .superRefine((b, ctx) => {
      if ((b.scenario === undefined) === (b.matrix === undefined))
        ctx.addIssue({
          code: 'custom',
          path: [b.scenario === undefined ? 'scenario' : 'matrix'],
          message: `give exactly one of "scenario" (allowed: ${names}) or "matrix" (an inline matrix: {name, base, axes, repetitions, warmup})`,
        });
    });
}

export type ReportRequestBody = z.output<ReturnType<typeof reportRequestSchema>>;

/** Validates the request's shape; throws InputError ('report request') naming the field: unknown fields first. */
export function parseReportRequestBody(body: unknown, scenarios: readonly string[]): ReportRequestBody {
  const r = reportRequestSchema(scenarios).safeParse(body);
  if (r.success) return r.data;
  const issues: Issue[] = r.error.issues
    .map((iss) =>
      iss.code === 'unrecognized_keys'
        ? { field: iss.keys[0], message: `unknown field(s) ${iss.keys.map((k) => `'${k}'`).join(', ')}; allowed: ${REPORT_REQUEST_FIELDS.join(', ')}` }
        : { field: iss.path.length ? iss.path.join('.') : '(body)', message: iss.message },
    )
    .sort((a, b) => Number(!REPORT_REQUEST_FIELDS.includes(b.field as never)) - Number(!REPORT_REQUEST_FIELDS.includes(a.field as never)));
  throw new InputError(issues, 'report request');
}
