// Writes server/probes/schema.generated.ts from the TEXT of bpf/counters.h (its
// X-macros, parsed here): TypeScript gets the counters (name, unit, kind, label,
// description, the probe points each needs), the syscalls counted by name and
// the roles from the one header, never retyped by hand, and without building
// the addon. The generated file is committed, so the TypeScript type-checks on
// a checkout with only `npm ci`; test/schema.test.ts checks it is current, and
// test/probes.test.ts that it equals what the addon exports (probes.schema).
//
//   node scripts/gen-schema.mjs          rewrite it if it changed (scripts/build.sh runs this)
//   node scripts/gen-schema.mjs --check  exit 1 if it is not current
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const HEADER = join(root, 'bpf', 'counters.h');
export const OUT = join(root, 'server', 'probes', 'schema.generated.ts');

/** The body of `#define NAME(X) ...` (continuation lines joined, comments removed). */
function macroBody(text, name) {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
  const m = new RegExp(`^[ \\t]*#define[ \\t]+${name}\\(X\\)((?:[^\\n]*\\\\\\n)*[^\\n]*)`, 'm').exec(src);
  if (!m) throw new Error(`bpf/counters.h: no #define ${name}(X)`);
  return m[1].replace(/\\\n/g, ' ');
}

/** A C token stream: string literals, identifiers, numbers, punctuation. */
function tokens(s, where) {
  const out = [];
  const re = /\s+|("(?:[^"\\\n]|\\.)*")|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|([(),])/y;
  while (re.lastIndex < s.length) {
    const at = re.lastIndex;
    const m = re.exec(s);
    if (!m) throw new Error(`bpf/counters.h: ${where}: cannot read ${JSON.stringify(s.slice(at, at + 40))}`);
    if (m[1]) out.push({ str: JSON.parse(m[1]) });
    else if (m[2]) out.push({ id: m[2] });
    else if (m[3]) out.push({ num: Number(m[3]) });
    else if (m[4]) out.push({ p: m[4] });
  }
  return out;
}

/** The X(...) entries of an X-macro: each an array of arguments (a string, identifier, number, or a parenthesized list of strings). */
function entries(text, name) {
  const t = tokens(macroBody(text, name), name);
  const list = [];
  let i = 0;
  const expect = (p) => {
    if (t[i]?.p !== p) throw new Error(`bpf/counters.h: ${name}: expected "${p}" at token ${i}`);
    i++;
  };
  const arg = () => {
    const tok = t[i];
    if (tok?.p === '(') {
      i++;
      const strs = [];
      while (t[i]?.p !== ')') {
        if (t[i]?.str === undefined) throw new Error(`bpf/counters.h: ${name}: a parenthesized list holds string literals only`);
        strs.push(t[i++].str);
        if (t[i]?.p === ',') i++;
      }
      i++;
      return strs;
    }
    // Adjacent string literals concatenate, as in C.
    if (tok?.str !== undefined) {
      let s = '';
      while (t[i]?.str !== undefined) s += t[i++].str;
      return s;
    }
    if (tok?.id !== undefined || tok?.num !== undefined) return t[i++].id ?? tok.num;
    throw new Error(`bpf/counters.h: ${name}: unexpected token ${JSON.stringify(tok)}`);
  };
  while (i < t.length) {
    if (t[i]?.id !== 'X') throw new Error(`bpf/counters.h: ${name}: expected X(...) at token ${i}`);
    i++;
    expect('(');
    const args = [arg()];
    while (t[i]?.p === ',') {
      i++;
      args.push(arg());
    }
    expect(')');
    list.push(args);
  }
  return list;
}

/** The schema bpf/counters.h defines, in the shape the addon exports as probes.schema. */
export function parseCountersHeader(text) {
  const kinds = entries(text, 'ZCL_KINDS').map(([k]) => k);
  const counters = entries(text, 'ZCL_COUNTERS').map((a) => {
    const [name, unit, kind, label, needs, description] = a;
    const ok =
      a.length === 6 && typeof name === 'string' && /^[a-z_]+$/.test(name) && typeof unit === 'string' && kinds.includes(kind) &&
      typeof label === 'string' && label && Array.isArray(needs) && needs.length && typeof description === 'string';
    if (!ok) throw new Error(`bpf/counters.h: ZCL_COUNTERS: X(name, unit, kind, label, (needs...), description) expected, kind one of ${kinds.join(', ')}; got ${JSON.stringify(a)}`);
    return { name, unit, kind, label, description, needs };
  });
  const syscalls = entries(text, 'ZCL_SYSCALLS').map(([name, nr]) => {
    if (typeof name !== 'string' || typeof nr !== 'number') throw new Error(`bpf/counters.h: ZCL_SYSCALLS: X(name, number) expected`);
    return name;
  });
  const roles = entries(text, 'ZCL_ROLES').map(([name]) => name);
  const families = entries(text, 'ZCL_METRIC_FAMILIES').map((a) => {
    const [name, unit, help] = a;
    if (a.length !== 3 || typeof name !== 'string' || !/^[a-z_]+$/.test(name) || typeof unit !== 'string' || typeof help !== 'string' || !help)
      throw new Error(`bpf/counters.h: ZCL_METRIC_FAMILIES: X("family", "unit", "help") expected; got ${JSON.stringify(a)}`);
    if (unit && !name.endsWith(`_${unit}`)) throw new Error(`bpf/counters.h: ZCL_METRIC_FAMILIES: ${name} must end in its unit, _${unit}`);
    return { name, unit, help };
  });
  const metrics = entries(text, 'ZCL_METRICS').map((a) => {
    const [counter, family, label, value] = a;
    const ok =
      a.length === 4 && counters.some((c) => c.name === counter) && families.some((f) => f.name === family) &&
      typeof label === 'string' && typeof value === 'string' && /^[a-z_]*$/.test(label) && (label === '') === (value === '');
    if (!ok) throw new Error(`bpf/counters.h: ZCL_METRICS: X(counter, "family", "label", "value") expected, a counter of ZCL_COUNTERS and a family of ZCL_METRIC_FAMILIES; got ${JSON.stringify(a)}`);
    return { counter, family, label, value };
  });
  return { counters, kinds, syscalls, roles, families, metrics };
}

/** The text of server/probes/schema.generated.ts for a parsed header. */
export function renderSchema(s) {
  return `// Generated by scripts/gen-schema.mjs from the text of bpf/counters.h. Do not edit: change the
// header and run \`node scripts/gen-schema.mjs\` (scripts/build.sh does). Committed, so the
// TypeScript type-checks without the native toolchain; test/schema.test.ts checks it is current.

/** What a counter's bytes or events are: a CPU copy, a device's DMA, pages passed by reference (no copy), or a count of events. */
export const COUNTER_KINDS = ${JSON.stringify(s.kinds)} as const;
export type CounterKind = (typeof COUNTER_KINDS)[number];

/** Every counter, in the header's order: its unit, kind, short label (tables, charts), description, and the probe points it needs. */
export const COUNTERS = [
${s.counters.map((c) => `  ${JSON.stringify(c)},
`).join('')}] as const;
export type Counter = (typeof COUNTERS)[number];
export const COUNTER_NAMES = ${JSON.stringify(s.counters.map((c) => c.name))} as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
/** The names of the counters of one kind. */
export type CounterOfKind<K extends CounterKind> = Extract<Counter, { kind: K }>['name'];

/** One counter's entry. */
export function counterInfo(name: CounterName): Counter {
  return COUNTERS.find((c) => c.name === name)!;
}

/** The counters of one kind, in the header's order. */
export function countersOfKind<K extends CounterKind>(kind: K): CounterOfKind<K>[] {
  return COUNTERS.filter((c) => c.kind === kind).map((c) => c.name) as CounterOfKind<K>[];
}

/** Syscalls the probes count by name (on data fds: regular files and TCP sockets). */
export const PROBE_SYSCALLS = ${JSON.stringify(s.syscalls)} as const;
export const ROLES = ${JSON.stringify(s.roles)} as const;
export type Role = (typeof ROLES)[number];

/** The metric families of GET /metrics (prefixed zcl_ there): the base unit their name ends in ("" for counts) and their help. */
export const METRIC_FAMILIES = [
${s.families.map((f) => `  ${JSON.stringify(f)},
`).join('')}] as const;
export type MetricFamilyName = (typeof METRIC_FAMILIES)[number]['name'];
/** Which family each counter is exported in, and the label (and its value) that tells it apart there ("": the family's only counter). */
export const COUNTER_METRICS: readonly { counter: CounterName; family: MetricFamilyName; label: string; value: string }[] = [
${s.metrics.map((m) => `  ${JSON.stringify(m)},
`).join('')}];
`;
}

export function generate() {
  return renderSchema(parseCountersHeader(readFileSync(HEADER, 'utf8')));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generate();
  const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : null;
  if (process.argv.includes('--check')) {
    if (current !== text) {
      console.error('server/probes/schema.generated.ts is not current with bpf/counters.h: run node scripts/gen-schema.mjs');
      process.exit(1);
    }
  } else if (current !== text) writeFileSync(OUT, text);
}
