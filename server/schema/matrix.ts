// Scenario matrix files (scenarios/*.json): a base RunSpec, axes over RunSpec
// fields whose cross product makes the cells, repetitions and warmup runs.
// Every value is validated by the one RunSpec schema (run-spec.ts): an axis
// value by the schema of its field, every cell as a whole RunSpec. Errors name
// the JSON path in the file (e.g. `axes.mode[2]`) and the allowed values.
//
// Beyond the issue's shape {name, description, base, axes, repetitions, warmup},
// two optional lists, as in GitHub Actions matrices:
//   "exclude": [{field: value, ...}]  leaves out the cells of the cross product that match every field given;
//   "include": [{field: value, ...}]  adds cells (the entry over base) after the cross product.
// A cell of the cross product that is not a valid RunSpec (sendfile-nogather
// on a path with scatter-gather, a chunk larger than the file) is an error that
// says which combination, and how to leave it out.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEPTH_PATH_KEEP, depthMessage, jsonProblem, MAX_JSON_DEPTH, textDepthExceeded } from './json-guard.js';
import { InputError, RUN_SPEC_FIELDS, RunSpecSchema, type RunSpec } from './run-spec.js';

/** The RunSpec fields, from the schema itself (an `engine` field added there appears here). */
const FIELD_SCHEMAS = RunSpecSchema.out.shape as Record<string, z.ZodType>;
export { RUN_SPEC_FIELDS };

export const MATRIX_LIMITS = { maxRepetitions: 1000, maxWarmup: 100, maxCells: 10_000, maxRuns: 100_000 } as const;
const MATRIX_KEYS = ['name', 'description', 'base', 'axes', 'include', 'exclude', 'repetitions', 'warmup'] as const;
export const MATRIX_DEFAULTS = { description: '', repetitions: 3, warmup: 1 } as const;

type Path = (string | number)[];
type Issue = { field: string; message: string };

/** `axes.mode[2]`, `base.sizeBytes`, `include[0].path`. */
export function jsonPath(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(root)';
}

/** The values a RunSpec field allows, said for an error message. */
export function allowedValues(field: string): string {
  let s = FIELD_SCHEMAS[field] as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (s.def.type === 'default' || s.def.type === 'optional') s = s.def.innerType as typeof s;
  if (s.def.type === 'enum') return (s as unknown as z.ZodEnum).options.join(', ');
  // Other fields (sizes) say what they allow when given something they do not.
  const r = FIELD_SCHEMAS[field].safeParse('?');
  const m = r.success ? '' : r.error.issues[0].message;
  return m.replace(/^'\?' is not a size; write /, '');
}

export interface MatrixCell {
  /** Stable across runs of the same spec (a hash of it): how --resume finds what is done. */
  id: string;
  index: number;
  spec: RunSpec;
  /** The values of the matrix's axes in this cell (from an `include` entry: the fields it sets). */
  axes: Partial<RunSpec>;
  /** Where the cell came from: 'axes' or `include[i]`. */
  from: string;
}

export interface Matrix {
  name: string;
  description: string;
  /** As written in the file (validated field by field). */
  base: Record<string, unknown>;
  axes: Record<string, unknown[]>;
  include: Record<string, unknown>[];
  exclude: Record<string, unknown>[];
  repetitions: number;
  warmup: number;
  /** The cells, in run order within a round. */
  cells: MatrixCell[];
  /** Where it was read from, for reports. */
  source?: string;
}

export type MatrixInput = Omit<Matrix, 'cells' | 'source' | 'description' | 'include' | 'exclude' | 'repetitions' | 'warmup' | 'base'> &
  Partial<Pick<Matrix, 'description' | 'include' | 'exclude' | 'repetitions' | 'warmup' | 'base'>>;

const fieldsObject = z.record(z.string(), z.unknown(), { error: 'must be an object of RunSpec fields, e.g. {"mode": "sendfile"}' });

/** The file's shape; the values inside base/axes/include/exclude are checked against the RunSpec schema in `checkCells`. */
export const MatrixFileSchema = z
  .object({
    name: z
      .string({ error: 'must be a string: letters, digits, ".", "_", "-" (it names the report)' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'allowed: 1 to 64 letters, digits, ".", "_", "-", starting with a letter or digit (it names the report)' }),
    description: z.string({ error: 'must be a string' }).default(MATRIX_DEFAULTS.description),
    base: fieldsObject.default({}),
    axes: z.record(z.string(), z.array(z.unknown(), { error: 'must be a list of values, e.g. ["read-write", "sendfile"]' }), {
      error: 'must be an object: {RunSpec field: [values]}',
    }),
    include: z.array(fieldsObject, { error: 'must be a list of objects of RunSpec fields' }).default([]),
    exclude: z.array(fieldsObject, { error: 'must be a list of objects of axis fields' }).default([]),
    repetitions: z
      .number({ error: `must be a whole number; allowed: 1 to ${MATRIX_LIMITS.maxRepetitions}` })
      .int({ error: `must be a whole number; allowed: 1 to ${MATRIX_LIMITS.maxRepetitions}` })
      .min(1, { error: `allowed: 1 to ${MATRIX_LIMITS.maxRepetitions}` })
      .max(MATRIX_LIMITS.maxRepetitions, { error: `allowed: 1 to ${MATRIX_LIMITS.maxRepetitions}` })
      .default(MATRIX_DEFAULTS.repetitions),
    warmup: z
      .number({ error: `must be a whole number; allowed: 0 to ${MATRIX_LIMITS.maxWarmup}` })
      .int({ error: `must be a whole number; allowed: 0 to ${MATRIX_LIMITS.maxWarmup}` })
      .min(0, { error: `allowed: 0 to ${MATRIX_LIMITS.maxWarmup}` })
      .max(MATRIX_LIMITS.maxWarmup, { error: `allowed: 0 to ${MATRIX_LIMITS.maxWarmup}` })
      .default(MATRIX_DEFAULTS.warmup),
  })
  .strict();

/** Checks one field's value with the RunSpec schema of that field; returns its normalized value. */
function checkField(field: string, value: unknown, path: Path, issues: Issue[], fieldsAllowed: readonly string[] = RUN_SPEC_FIELDS, what = 'field'): { ok: boolean; value?: unknown } {
  if (!fieldsAllowed.includes(field)) {
    issues.push({ field: jsonPath(path), message: `unknown ${what} '${field}'; allowed: ${fieldsAllowed.join(', ') || '(none: the matrix has no axes)'}` });
    return { ok: false };
  }
  if (value === undefined || value === null) {
    issues.push({ field: jsonPath(path), message: `needs a value; allowed: ${allowedValues(field)}` });
    return { ok: false };
  }
  const r = FIELD_SCHEMAS[field].safeParse(value);
  if (!r.success) {
    for (const iss of r.error.issues) {
      const m = iss.message.includes('allowed') ? iss.message : `${iss.message}; allowed: ${allowedValues(field)}`;
      issues.push({ field: jsonPath([...path, ...iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p))]), message: m });
    }
    return { ok: false };
  }
  return { ok: true, value: r.data };
}

function checkFields(obj: Record<string, unknown>, path: Path, issues: Issue[], fieldsAllowed?: readonly string[], what?: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let ok = true;
  for (const [k, v] of Object.entries(obj)) {
    const r = checkField(k, v, [...path, k], issues, fieldsAllowed, what);
    if (r.ok) out[k] = r.value;
    else ok = false;
  }
  return ok ? out : undefined;
}

const canonical = (spec: Record<string, unknown>) =>
  JSON.stringify(Object.fromEntries(Object.keys(spec).sort().map((k) => [k, spec[k]])));

export function cellId(spec: RunSpec): string {
  return createHash('sha256').update(canonical(spec as unknown as Record<string, unknown>)).digest('hex').slice(0, 12);
}

const describe = (o: Record<string, unknown>) => JSON.stringify(o).replace(/,/g, ', ').replace(/:/g, ': ');

/**
 * Validates a matrix (parsed JSON) and expands its cells. Throws InputError with
 * one issue per problem (JSON path + message with the allowed values); `source`
 * names the file in the message.
 */
export function parseMatrix(input: unknown, source = 'matrix'): Matrix {
  guardMatrix(input, source);
  const shape = MatrixFileSchema.safeParse(input);
  if (!shape.success) {
    throw new InputError(
      shape.error.issues.map((iss) => {
        const path = iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        let message = iss.message;
        if (iss.code === 'unrecognized_keys') message = `unknown field(s) ${iss.keys.map((k) => `'${k}'`).join(', ')}; allowed: ${MATRIX_KEYS.join(', ')}`;
        if (iss.code === 'invalid_type' && valueAt(input, path) === undefined) message = `is required; ${message}`;
        return { field: jsonPath(path), message };
      }),
      source,
    );
  }
  const m = shape.data;
  checkSize(m, source);
  const issues: Issue[] = [];

  const base = checkFields(m.base, ['base'], issues);
  const axisNames = Object.keys(m.axes);
  const axes: Record<string, unknown[]> = {};
  for (const [field, values] of Object.entries(m.axes)) {
    if (!RUN_SPEC_FIELDS.includes(field as keyof RunSpec)) {
      issues.push({ field: jsonPath(['axes', field]), message: `unknown axis '${field}'; allowed: ${RUN_SPEC_FIELDS.join(', ')} (the RunSpec fields)` });
      continue;
    }
    if (!values.length) {
      issues.push({ field: jsonPath(['axes', field]), message: `is empty; give at least one value; allowed: ${allowedValues(field)}` });
      continue;
    }
    const seen = new Map<string, number>();
    const normalized: unknown[] = [];
    values.forEach((v, i) => {
      const r = checkField(field, v, ['axes', field, i], issues);
      if (!r.ok) return;
      const key = JSON.stringify(r.value);
      if (seen.has(key)) issues.push({ field: jsonPath(['axes', field, i]), message: `repeats axes.${field}[${seen.get(key)}] (${JSON.stringify(v)}); each value once` });
      else seen.set(key, i);
      normalized.push(r.value);
    });
    axes[field] = normalized;
    if (base && field in base)
      issues.push({ field: jsonPath(['base', field]), message: `is also an axis; set it in base or in axes, not both` });
  }
  const exclude = m.exclude.map((e, i) => {
    if (!Object.keys(e).length) issues.push({ field: jsonPath(['exclude', i]), message: `is empty: it would leave out every cell; name axis values, e.g. {"mode": "sendfile-nogather", "path": "veth"}` });
    return checkFields(e, ['exclude', i], issues, axisNames, 'axis');
  });
  const include = m.include.map((e, i) => {
    if (!Object.keys(e).length) issues.push({ field: jsonPath(['include', i]), message: `is empty; give the fields that make this cell, e.g. {"mode": "sendfile-nogather", "path": "veth-nosg"}` });
    return checkFields(e, ['include', i], issues);
  });
  if (!axisNames.length && !m.include.length)
    issues.push({ field: 'axes', message: `has no axes and there is no include list: no cells to run; add an axis, e.g. "mode": ["read-write", "sendfile"]; allowed axes: ${RUN_SPEC_FIELDS.join(', ')}` });
  if (issues.length || !base) throw new InputError(dedupe(issues), source);

  // The cross product, first axis slowest; then the include entries.
  let combos: Record<string, unknown>[] = axisNames.length ? [{}] : [];
  for (const field of axisNames) combos = combos.flatMap((c) => axes[field].map((v) => ({ ...c, [field]: v })));
  const excluded = (c: Record<string, unknown>) =>
    exclude.some((e) => e && Object.entries(e).every(([k, v]) => JSON.stringify(c[k]) === JSON.stringify(v)));

  const cells: MatrixCell[] = [];
  const byId = new Map<string, string>();
  const add = (values: Record<string, unknown>, from: string, where: (field: string) => Path) => {
    const raw = { ...m.base, ...values };
    const r = RunSpecSchema.safeParse({ ...base, ...values });
    if (!r.success) {
      for (const iss of r.error.issues) {
        const field = String(iss.path[0] ?? '');
        const path = field ? where(field) : [];
        const hint =
          from === 'axes'
            ? `; in the cell ${describe(values)}: leave it out with "exclude": [${describe(values)}], or list the valid combinations under "include"`
            : '';
        issues.push({ field: jsonPath(path.length ? path : [from]), message: `${iss.message}${hint}` });
      }
      return;
    }
    const spec = r.data as RunSpec;
    const id = cellId(spec);
    if (byId.has(id)) {
      issues.push({ field: from, message: `makes the same run as ${byId.get(id)} (${describe(raw)}); each cell once` });
      return;
    }
    byId.set(id, from === 'axes' ? `the axes cell ${describe(values)}` : from);
    const axesValues: Partial<RunSpec> = {};
    for (const k of Object.keys(values)) (axesValues as Record<string, unknown>)[k] = (spec as unknown as Record<string, unknown>)[k];
    cells.push({ id, index: cells.length, spec, axes: axesValues, from });
  };
  for (const c of combos) {
    if (excluded(c)) continue;
    add(c, 'axes', (field) =>
      field in c ? ['axes', field, axes[field].findIndex((v) => JSON.stringify(v) === JSON.stringify(c[field]))] : field in base ? ['base', field] : ['axes'],
    );
  }
  include.forEach((e, i) => {
    if (!e) return;
    add(e, `include[${i}]`, (field) => (field in e ? ['include', i, field] : field in base ? ['base', field] : ['include', i]));
  });
  if (!issues.length && !cells.length)
    issues.push({ field: 'exclude', message: 'leaves out every cell of the axes: nothing to run' });
  if (cells.length > MATRIX_LIMITS.maxCells)
    issues.push({ field: 'axes', message: `make ${cells.length} cells; allowed: at most ${MATRIX_LIMITS.maxCells}` });
  const runs = cells.length * (m.repetitions + m.warmup);
  if (runs > MATRIX_LIMITS.maxRuns)
    issues.push({ field: 'repetitions', message: `${cells.length} cells x (${m.repetitions} repetitions + ${m.warmup} warmup) = ${runs} runs; allowed: at most ${MATRIX_LIMITS.maxRuns}` });
  if (issues.length) throw new InputError(dedupe(issues), source);

  return {
    name: m.name,
    description: m.description,
    base: m.base,
    axes: m.axes,
    include: m.include,
    exclude: m.exclude,
    repetitions: m.repetitions,
    warmup: m.warmup,
    cells,
  };
}

/**
 * Before the schema: a matrix nested deeper than MAX_JSON_DEPTH (the schema's
 * checks and messages recurse), and a prototype key anywhere (`__proto__` in
 * base, axes, include or exclude would be dropped by the record schema, the
 * matrix run as if it were not there), each refused naming where.
 */
function guardMatrix(input: unknown, source: string): void {
  const p = jsonProblem(input);
  if (!p) return;
  if (p.kind === 'depth') {
    const field = jsonPath(p.path.slice(0, DEPTH_PATH_KEEP)) + (p.path.length > DEPTH_PATH_KEEP ? '…' : '');
    throw new InputError([{ field, message: depthMessage(MAX_JSON_DEPTH) }], source);
  }
  const where = p.path.slice(0, -1);
  const axes = (input as { axes?: unknown }).axes;
  const axisNames = axes && typeof axes === 'object' && !Array.isArray(axes) ? Object.keys(axes).filter((k) => RUN_SPEC_FIELDS.includes(k as keyof RunSpec)) : [];
  const [top] = where;
  const allowed =
    where.length === 0
      ? `allowed: ${MATRIX_KEYS.join(', ')}`
      : where.length === 1 && (top === 'base' || top === 'axes')
        ? `allowed: ${RUN_SPEC_FIELDS.join(', ')}`
        : where.length === 2 && top === 'include'
          ? `allowed: ${RUN_SPEC_FIELDS.join(', ')}`
          : where.length === 2 && top === 'exclude'
            ? `allowed: ${axisNames.join(', ') || '(none: the matrix has no axes)'}`
            : 'a prototype key is never a field';
  const what = where.length === 1 && top === 'axes' ? 'axis' : 'field';
  throw new InputError([{ field: jsonPath(p.path), message: `unknown ${what} '${p.key}'; ${allowed}` }], source);
}

/**
 * Refuses a matrix past the limits from the lengths of its lists alone, before
 * any cell is built (a 2 KB matrix can name millions of cells): the cross
 * product of the axes plus the include entries, counted before exclude (which
 * can only be applied cell by cell). Runs (cells x (repetitions + warmup)) are
 * checked here too when nothing is excluded; with exclude, after the cells are
 * built (then at most maxCells of them).
 */
function checkSize(m: z.infer<typeof MatrixFileSchema>, source: string): void {
  const lengths = Object.values(m.axes).map((v) => v.length);
  const product = lengths.length ? lengths.reduce((a, n) => a * n, 1) : 0;
  const cells = product + m.include.length;
  const count = (n: number) => (Number.isSafeInteger(n) ? String(n) : `about ${n.toPrecision(3)}`);
  const how = [lengths.length ? lengths.join(' x ') : '', m.include.length ? `${m.include.length} include` : ''].filter(Boolean).join(' + ');
  if (cells > MATRIX_LIMITS.maxCells)
    throw new InputError(
      [{ field: 'axes', message: `make ${count(cells)} cells (${how}${m.exclude.length ? ', before exclude' : ''}); allowed: at most ${MATRIX_LIMITS.maxCells}` }],
      source,
    );
  const runs = cells * (m.repetitions + m.warmup);
  if (!m.exclude.length && runs > MATRIX_LIMITS.maxRuns)
    throw new InputError(
      [{ field: 'repetitions', message: `${cells} cells x (${m.repetitions} repetitions + ${m.warmup} warmup) = ${runs} runs; allowed: at most ${MATRIX_LIMITS.maxRuns}` }],
      source,
    );
}

function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/**
 * Where a JSON text first breaks the grammar (an offset), or undefined when
 * it does not; JSON.parse's messages say it only in some Node versions.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  // It recurses per level: past this depth it says where that depth is reached.
  let depth = 0;
  const MAX_DEPTH = 1000;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const str = () => {
    i++;
    for (;;) {
      if (i >= text.length) fail();
      const c = text[i];
      if (c === '"') return void i++;
      if (c < ' ') fail();
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? '')) i++;
        else fail();
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    if (depth >= MAX_DEPTH) fail();
    depth++;
    try {
      one();
    } finally {
      depth--;
    }
  };
  const one = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return str();
    if (c === 't') return lit('true');
    if (c === 'f') return lit('false');
    if (c === 'n') return lit('null');
    return number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return undefined;
  } catch (e) {
    if (typeof e === 'number') return e;
    throw e;
  }
}

const MAX_ISSUES = 20;
function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  const out = issues.filter((i) => {
    const k = `${i.field}\n${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (out.length <= MAX_ISSUES) return out;
  return [...out.slice(0, MAX_ISSUES), { field: '...', message: `and ${out.length - MAX_ISSUES} more problems` }];
}

/** Reads, parses and validates a matrix file; every failure is an InputError naming the file. */
export function loadMatrixFile(file: string): Matrix {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError([{ field: '(file)', message: `cannot read it: ${(e as Error).message}` }], file);
  }
  // A UTF-8 byte-order mark (some editors write one) is not JSON: skip it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  else if (text.startsWith('\ufffd\ufffd') && /^\ufffd\ufffd.?\0/su.test(text))
    throw new InputError([{ field: '(file)', message: 'starts with a UTF-16 byte-order mark: matrix files are UTF-8; save it as UTF-8' }], file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // (Finding where it breaks recurses per level: not past the depth limit.)
    const deep = textDepthExceeded(text);
    if (deep !== undefined) throw new InputError([{ field: '(json)', message: `not valid JSON: it ${depthMessage(MAX_JSON_DEPTH, lineColumn(text, deep))}` }], file);
    const msg = (e as Error).message.replace(/\s+/g, ' ');
    const pos = jsonErrorOffset(text) ?? Number(/position (\d+)/.exec(msg)?.[1] ?? NaN);
    const where = Number.isFinite(pos) ? lineColumn(text, pos) : '';
    throw new InputError([{ field: '(json)', message: `not valid JSON${where}: ${msg}` }], file);
  }
  return { ...parseMatrix(json, file), source: file };
}

/** ` (line L, column C)` of an offset in a text. */
function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, pos);
  let line = 1;
  for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) line++;
  return ` (line ${line}, column ${pos - before.lastIndexOf('\n')})`;
}

/** The number of runs a matrix makes (warmup included). */
export function plannedRuns(m: Pick<Matrix, 'cells' | 'repetitions' | 'warmup'>): number {
  return m.cells.length * (m.repetitions + m.warmup);
}
