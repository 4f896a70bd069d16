// GET /api/modes: the run form, generated from the one input schema (its fields,
// their allowed values and defaults) and described from the catalog (a summary
// per value, the textbook per mode, the limits). A field added to RunSpecSchema
// shows up in the dashboard's form without a change here.
import { z } from 'zod';
import { CACHES, DEFAULTS, ENGINES, LIMITS, MODES, PATHS, SINKS, type ModeInfo } from '../../scenarios/catalog.js';
import { tlsSupport } from '../core/ktls.js';
import { COUNTERS, ROLES } from '../probes/schema.generated.js';
import { RunSpecSchema, TIMED_FIELDS } from '../schema/run-spec.js';
import { formatSize, SIZE_SYNTAX } from '../schema/units.js';
import { CHART_WINDOW_SECONDS, CHARTS, COPY_COUNTERS, WATCH_CHARTS } from '../view/charts.js';
import { flowDocument } from '../view/flow-svg.js';

export type FormField =
  | { name: string; kind: 'choice'; values: { value: string; summary?: string; program?: string }[]; default?: string }
  | { name: string; kind: 'size'; default?: number; defaultText?: string; min?: number; max?: number; syntax: string }
  | {
      /** A timed or paced run's field (TIMED_FIELDS): its unit, bounds, syntax, what empty means, and the modes it is not for. */
      name: string; kind: 'duration' | 'rate'; unit: string; min: number; max: number; syntax: string; emptyText: string; notFor: string;
    }
  | { name: string; kind: 'number' | 'text' | 'boolean'; default?: unknown };

/** Per-value descriptions for the fields the catalog describes. */
const DESCRIBED: Record<string, Record<string, { summary: string }>> = { mode: MODES, path: PATHS, sink: SINKS, cache: CACHES, engine: ENGINES };
const SIZE_LIMITS: Record<string, { min: number; max: number }> = {
  sizeBytes: { min: LIMITS.minSizeBytes, max: LIMITS.maxSizeBytes },
  chunkBytes: { min: LIMITS.minChunkBytes, max: LIMITS.maxChunkBytes },
};
const LABELS: Record<string, string> = { sizeBytes: 'size', chunkBytes: 'chunk', ...Object.fromEntries(Object.entries(TIMED_FIELDS).map(([k, v]) => [k, v.label])) };

type JsonProp = { enum?: unknown[]; type?: string | string[]; default?: unknown };

let cached: FormField[] | undefined;

/** The RunSpec's fields in schema order, as form fields. */
export function formFields(): FormField[] {
  if (cached) return cached;
  const js = z.toJSONSchema(RunSpecSchema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProp> };
  const defaults = DEFAULTS as Record<string, unknown>;
  cached = Object.entries(js.properties ?? {}).map(([name, p]): FormField => {
    const dflt = p.default ?? defaults[name];
    // duration and rate: described by the schema module's own metadata (their input is number | string, as a size's)
    const timed = (TIMED_FIELDS as Record<string, (typeof TIMED_FIELDS)[keyof typeof TIMED_FIELDS]>)[name];
    if (timed) return { name, kind: timed.kind, unit: timed.unit, min: timed.min, max: timed.max, syntax: timed.syntax, emptyText: timed.emptyText, notFor: timed.notFor };
    if (Array.isArray(p.enum))
      return {
        name,
        kind: 'choice',
        values: p.enum.map((v) => ({
          value: String(v),
          summary: DESCRIBED[name]?.[String(v)]?.summary,
          // modes: which program runs it (the lab's engine, Node, or a real program)
          ...(name === 'mode' ? { program: MODES[String(v) as keyof typeof MODES]?.program } : {}),
        })),
        default: dflt === undefined ? undefined : String(dflt),
      };
    const types = Array.isArray(p.type) ? p.type : [p.type];
    if (types.includes('number') && types.includes('string'))
      return {
        name,
        kind: 'size',
        default: typeof dflt === 'number' ? dflt : undefined,
        defaultText: typeof dflt === 'number' ? formatSize(dflt).replace(' ', '') : undefined,
        ...SIZE_LIMITS[name],
        syntax: SIZE_SYNTAX,
      };
    if (types.includes('boolean')) return { name, kind: 'boolean', default: dflt };
    if (types.includes('number') || types.includes('integer')) return { name, kind: 'number', default: dflt };
    return { name, kind: 'text', default: dflt };
  });
  return cached;
}

export function modesDocument() {
  return {
    fields: formFields().map((f) => ({ ...f, label: LABELS[f.name] ?? f.name })),
    // every mode with its program (app modes: the app's name, protocol and fixed chunk; functions dropped by JSON)
    // refused: why this kernel cannot run the mode (kTLS without the tls module), read now.
    modes: Object.entries(MODES).map(([name, m]) => {
      const t = (m as ModeInfo).kernelFeature === 'tls' ? tlsSupport() : undefined;
      return { name, ...m, ...(t && !t.ok ? { refused: `mode ${name} needs kernel TLS and this kernel cannot do it: ${t.reason}` } : {}) };
    }),
    paths: Object.entries(PATHS).map(([name, p]) => ({ name, ...p })),
    sinks: Object.entries(SINKS).map(([name, s]) => ({ name, ...s })),
    caches: Object.entries(CACHES).map(([name, c]) => ({ name, ...c })),
    engines: Object.entries(ENGINES).map(([name, e]) => ({ name, ...e })),
    limits: LIMITS,
    defaults: DEFAULTS,
    sizeSyntax: SIZE_SYNTAX,
    counters: COUNTERS,
    roles: ROLES,
    copyCounters: COPY_COUNTERS,
    flow: flowDocument(),
    charts: CHARTS,
    chartWindowSeconds: CHART_WINDOW_SECONDS,
    watchCharts: WATCH_CHARTS,
  };
}
