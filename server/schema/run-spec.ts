// The one input schema for a run: the CLI, the HTTP API, the WebSocket and the
// matrix files all validate with it, and its errors name the field and the
// allowed values.
import { z } from 'zod';
import {
  CACHE_NAMES, DEFAULTS, ENGINE_NAMES, LIMITS, MODE_NAMES, MODES, PATH_NAMES, SINK_NAMES, type EngineName, type ModeInfo,
} from '../../scenarios/catalog.js';
import { DEPTH_PATH_KEEP, depthMessage, jsonProblem, MAX_JSON_DEPTH } from './json-guard.js';
import { DURATION_SYNTAX, formatDuration, formatRate, formatSize, parseDuration, parseRate, parseSize, RATE_SYNTAX, SIZE_SYNTAX } from './units.js';
import { InputError } from '../core/errors.js';

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The allowed value a typo most likely meant: within 2 edits (or a third of its length), or the only one it starts. */
export function didYouMean(input: string, values: readonly string[]): string | undefined {
  const v = input.trim().toLowerCase();
  if (!v) return undefined;
  const scored = values.map((x) => ({ x, d: distance(v, x.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  if (best && best.d <= Math.max(2, Math.floor(v.length / 3)) && (scored.length < 2 || scored[1].d > best.d)) return best.x;
  const prefixed = values.filter((x) => x.toLowerCase().startsWith(v));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values as [T, ...T[]], {
    error: (iss) => {
      if (iss.input === undefined) return `is required; allowed: ${values.join(', ')}`;
      const guess = typeof iss.input === 'string' ? didYouMean(iss.input, values) : undefined;
      return `'${String(iss.input)}' is not allowed${guess ? ` (did you mean ${guess}?)` : ''}; allowed: ${values.join(', ')}`;
    },
  });

const size = (min: number, max: number) =>
  z.union([z.number(), z.string()], { error: `must be ${SIZE_SYNTAX}` }).transform((v, ctx) => {
    const n = parseSize(v);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a size; write ${SIZE_SYNTAX}` });
      return z.NEVER;
    }
    if (n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${formatSize(n)} is out of range; allowed: ${formatSize(min)} to ${formatSize(max)}` });
      return z.NEVER;
    }
    return n;
  });

// A timed run's length, in seconds; 0 (or absent): one pass of the file.
const duration = z
  .union([z.number(), z.string()], { error: `must be ${DURATION_SYNTAX}` })
  .transform((v, ctx) => {
    const n = parseDuration(v);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration; write ${DURATION_SYNTAX}` });
      return z.NEVER;
    }
    if (n === 0) return undefined;
    if (n < LIMITS.minDurationSeconds || n > LIMITS.maxDurationSeconds) {
      ctx.addIssue({ code: 'custom', message: `${formatDuration(n)} is out of range; allowed: ${formatDuration(LIMITS.minDurationSeconds)} to ${formatDuration(LIMITS.maxDurationSeconds)}, or 0 for one pass of the file` });
      return z.NEVER;
    }
    return n;
  })
  .optional();

// A paced run's cap, in bytes per second; 0 (or absent): unlimited.
const rate = z
  .union([z.number(), z.string()], { error: `must be ${RATE_SYNTAX}` })
  .transform((v, ctx) => {
    const n = parseRate(v);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a rate; write ${RATE_SYNTAX}` });
      return z.NEVER;
    }
    if (n === 0) return undefined;
    if (n < LIMITS.minRateBytesPerSecond || n > LIMITS.maxRateBytesPerSecond) {
      ctx.addIssue({ code: 'custom', message: `${formatRate(n)} is out of range; allowed: ${formatRate(LIMITS.minRateBytesPerSecond)} to ${formatRate(LIMITS.maxRateBytesPerSecond)}, or 0 for unlimited` });
      return z.NEVER;
    }
    return Math.round(n);
  })
  .optional();

// Defaults that depend on other fields: sendfile-nogather's path, and a chunk
// no larger than a small file.
// An app mode's chunk is its program's (catalog: app.chunk): taken from the
// size when the caller leaves it out; a different one given is refused below.
const withDependentDefaults = (v: unknown) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = { ...(v as Record<string, unknown>) };
  const app = typeof o.mode === 'string' ? (MODES as Record<string, ModeInfo>)[o.mode]?.app : undefined;
  if (app && o.chunkBytes === undefined) {
    const n = parseSize((o.sizeBytes ?? DEFAULTS.sizeBytes) as string | number);
    if (n !== undefined && n >= LIMITS.minSizeBytes && n <= LIMITS.maxSizeBytes) o.chunkBytes = Math.min(app.chunkBytes(n), APP_MAX_CHUNK);
  }
  if (o.path === undefined && typeof o.mode === 'string') {
    const needs = (MODES as Record<string, { path?: string }>)[o.mode]?.path;
    if (needs) o.path = needs;
  }
  if (o.chunkBytes === undefined && o.sizeBytes !== undefined) {
    const n = parseSize(o.sizeBytes as string | number);
    if (n !== undefined && n >= LIMITS.minChunkBytes && n < DEFAULTS.chunkBytes) o.chunkBytes = n;
  }
  return o;
};

/** The largest chunk a program fixes (JDK's transferTo: one sendfile of up to 0x7ffff000 B, Linux's per-call limit). */
const APP_MAX_CHUNK = 0x7ffff000;

/** The probe engine a run gets when the caller names none. */
export const DEFAULT_ENGINE: EngineName = DEFAULTS.engine;

const RunSpecObject = z
  .object({
    mode: oneOf(MODE_NAMES).default(DEFAULTS.mode),
    path: oneOf(PATH_NAMES).default(DEFAULTS.path),
    sink: oneOf(SINK_NAMES).default(DEFAULTS.sink),
    sizeBytes: size(LIMITS.minSizeBytes, LIMITS.maxSizeBytes).default(DEFAULTS.sizeBytes),
    // The lab's modes: up to LIMITS.maxChunkBytes (checked below); an app mode's is its program's (up to APP_MAX_CHUNK).
    chunkBytes: size(LIMITS.minChunkBytes, APP_MAX_CHUNK).default(DEFAULTS.chunkBytes),
    cache: oneOf(CACHE_NAMES).default(DEFAULTS.cache),
    /** The probe engine that measures the run (when probes are on). */
    engine: oneOf(ENGINE_NAMES).default(DEFAULTS.engine),
    /**
     * Seconds to keep sending (like iperf3 -t): the file is sent again and again, each pass
     * from offset 0, until the time is up (the chunk in flight finishes). Absent or 0: one pass.
     */
    duration,
    /** Bytes per second the sender may not exceed (paced chunk by chunk). Absent or 0: unlimited. */
    rate,
  })
  .strict();

export const RunSpecSchema = z.preprocess(withDependentDefaults, RunSpecObject).superRefine((s, ctx) => {
    const app = (MODES as Record<string, ModeInfo>)[s.mode]?.app;
    if (app)
      for (const f of ['duration', 'rate'] as const)
        if (s[f] !== undefined)
          ctx.addIssue({
            code: 'custom', path: [f],
            message: `mode ${s.mode} is a real program (${(MODES as Record<string, ModeInfo>)[s.mode].program}) that sends the file once at its own pace: the lab cannot ${f === 'duration' ? 'time' : 'pace'} it; leave ${f} out (allowed with the lab's modes: ${MODE_NAMES.filter((m) => !(MODES as Record<string, ModeInfo>)[m].app).join(', ')})`,
          });
    if (s.rate !== undefined && s.chunkBytes / s.rate > LIMITS.maxChunkSecondsAtRate)
      ctx.addIssue({
        code: 'custom', path: ['rate'],
        message: `${formatRate(s.rate)} is too slow for chunks of ${formatSize(s.chunkBytes)} (one chunk would take ${(s.chunkBytes / s.rate).toFixed(1)} s); allowed: at least ${formatRate(Math.ceil(s.chunkBytes / LIMITS.maxChunkSecondsAtRate))} for this chunk, or a smaller chunk`,
      });
    if (app) {
      const fixed = Math.min(app.chunkBytes(s.sizeBytes), APP_MAX_CHUNK);
      if (s.chunkBytes !== fixed)
        ctx.addIssue({
          code: 'custom', path: ['chunkBytes'],
          message: `mode ${s.mode} is a real program whose chunk is fixed by the program (${app.chunk}): leave chunkBytes out (for this size it is ${formatSize(fixed)}); got ${formatSize(s.chunkBytes)}`,
        });
      return;
    }
    if (s.chunkBytes > LIMITS.maxChunkBytes) {
      ctx.addIssue({
        code: 'custom', path: ['chunkBytes'],
        message: `${formatSize(s.chunkBytes)} is out of range; allowed: ${formatSize(LIMITS.minChunkBytes)} to ${formatSize(LIMITS.maxChunkBytes)}`,
      });
      return;
    }
    if (s.chunkBytes > s.sizeBytes)
      ctx.addIssue({
        code: 'custom', path: ['chunkBytes'],
        message: `${formatSize(s.chunkBytes)} is larger than sizeBytes (${formatSize(s.sizeBytes)}); allowed: ${formatSize(LIMITS.minChunkBytes)} to sizeBytes`,
      });
    const needs = (MODES[s.mode as keyof typeof MODES] as { path?: string }).path;
    if (needs && s.path !== needs)
      ctx.addIssue({
        code: 'custom', path: ['path'],
        message: `mode ${s.mode} runs on path ${needs} (its point is a device without scatter-gather); got '${s.path}'`,
      });
    // kTLS decrypts into the receiver's buffer: a sink that drops bytes unread (MSG_TRUNC) has nothing to decrypt into.
    if ((MODES as Record<string, ModeInfo>)[s.mode].kernelFeature === 'tls' && s.sink === 'discard')
      ctx.addIssue({
        code: 'custom', path: ['sink'],
        message: `mode ${s.mode} is received with kTLS (TLS_RX), which decrypts into the receiver's buffer; allowed sinks: read, copy; got 'discard'`,
      });
    if (Math.ceil(s.sizeBytes / s.chunkBytes) > LIMITS.maxChunks)
      ctx.addIssue({
        code: 'custom', path: ['chunkBytes'],
        message: `${formatSize(s.chunkBytes)} makes ${Math.ceil(s.sizeBytes / s.chunkBytes)} chunks; allowed: at most ${LIMITS.maxChunks} (at least ${formatSize(Math.ceil(s.sizeBytes / LIMITS.maxChunks))} for this size)`,
      });
  });

/**
 * The timed and paced fields for a form (the dashboard's, `GET /api/modes`): their unit,
 * bounds, syntax and what leaving them empty means. Both are optional: absent (or 0) is a
 * one-pass, unpaced run, and a result without them is one.
 */
export const TIMED_FIELDS = {
  duration: {
    kind: 'duration', unit: 's', min: LIMITS.minDurationSeconds, max: LIMITS.maxDurationSeconds, syntax: DURATION_SYNTAX,
    emptyText: '0: one pass of the file', label: 'duration', notFor: 'app modes (real programs send the file once)',
  },
  rate: {
    kind: 'rate', unit: 'B/s', min: LIMITS.minRateBytesPerSecond, max: LIMITS.maxRateBytesPerSecond, syntax: RATE_SYNTAX,
    emptyText: '0: unlimited', label: 'rate', notFor: 'app modes (real programs send at their own pace)',
  },
} as const;

export type RunSpecInput = z.input<typeof RunSpecObject>;
/** A validated run: inferred from the schema, never written out by hand. */
export type RunSpec = z.output<typeof RunSpecObject>;
/** The RunSpec's fields, in schema order: the one field list. */
export const RUN_SPEC_FIELDS = Object.keys(RunSpecObject.shape) as (keyof RunSpec & string)[];

export { InputError };

export function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): { field: string; message: string }[] {
  return error.issues.map((iss) => {
    let message = iss.message;
    if (iss.code === 'unrecognized_keys') message = `unknown field(s) ${iss.keys.map((k) => `'${k}'`).join(', ')}; allowed: ${Object.keys(RunSpecObject.shape).join(', ')}`;
    const path = [...prefix, ...iss.path];
    return { field: path.length ? path.join('.') : '(root)', message };
  });
}

export function parseRunSpec(input: unknown, source = 'run spec'): RunSpec {
  // Before the schema (its messages recurse into a value): nesting past the
  // depth limit, and prototype keys, each named where it is.
  const p = jsonProblem(input);
  if (p?.kind === 'depth') {
    const field = (p.path.slice(0, DEPTH_PATH_KEEP).join('.') || '(root)') + (p.path.length > DEPTH_PATH_KEEP ? '…' : '');
    throw new InputError([{ field, message: depthMessage(MAX_JSON_DEPTH) }], source);
  }
  if (p?.kind === 'prototype-key')
    throw new InputError(
      [{ field: p.path.join('.'), message: `unknown field '${p.key}'; ${p.path.length === 1 ? `allowed: ${RUN_SPEC_FIELDS.join(', ')}` : 'a prototype key is never a field'}` }],
      source,
    );
  const r = RunSpecSchema.safeParse(input);
  if (!r.success) throw new InputError(issuesOf(r.error), source);
  return r.data;
}

