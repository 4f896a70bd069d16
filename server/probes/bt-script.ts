// The bpftrace engine's script, planned for the running kernel: bpf/zcl.bt is
// cut into sections (`// @section NAME [needs: A, B]`); a section whose
// tracepoint, or a tracepoint field it reads, is missing from tracefs would
// not compile, so it is dropped before bpftrace starts, with every section
// that needs it, and a fallback section (bpf/zcl-fallbacks.bt, `instead of:`)
// takes its place where one exists. Counters that only dropped sections write
// are unavailable, with the reason; the others get their source named.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COUNTER_NAMES, type CounterName } from './schema.generated.js';

export interface ScriptSection {
  name: string;
  file: string;
  needs: string[];
  /** A fallback: used only in place of this section of the main script. */
  insteadOf?: string;
  text: string;
  /** Probe specs at the start of a line (tracepoint:cat:name, interval:..., BEGIN, END). */
  probes: string[];
  /** tracepoint "cat:name" -> the args fields its blocks read. */
  tracepoints: Map<string, Set<string>>;
  /** Maps assigned in the section. */
  writes: Set<string>;
}

export interface ParsedScript {
  file: string;
  preamble: string;
  sections: ScriptSection[];
}

const SECTION = /^\/\/ @section (\w+)(?: needs: ([\w, ]+?))?(?: instead of: (\w+))?\s*$/;
const PROBE_LINE = /^(tracepoint:\w+:\w+|interval:\w+:\d+|BEGIN|END)\b/;
/** A map assignment: `@name = ...` or `@name[...] = ...` at the start of a statement. */
const ASSIGN = /(?:^|[{;])\s*@(\w+)\s*(?:\[(?:[^[\]]|\[[^[\]]*\])*\])?\s*=(?!=)/gm;

export function parseScript(file: string, text = readFileSync(file, 'utf8')): ParsedScript {
  const lines = text.split('\n');
  const sections: ScriptSection[] = [];
  const preamble: string[] = [];
  let cur: { header: RegExpExecArray; lines: string[] } | undefined;
  const close = () => {
    if (!cur) return;
    const [, name, needs, insteadOf] = cur.header;
    const body = cur.lines.join('\n');
    if (sections.some((s) => s.name === name)) throw new Error(`${file}: section ${name} is defined twice`);
    sections.push({
      name,
      file,
      needs: needs ? needs.split(',').map((s) => s.trim()).filter(Boolean) : [],
      ...(insteadOf ? { insteadOf } : {}),
      text: body,
      probes: probesOf(cur.lines),
      tracepoints: tracepointsOf(cur.lines),
      writes: mapsWritten(body),
    });
  };
  for (const line of lines) {
    const m = SECTION.exec(line);
    if (m) {
      close();
      cur = { header: m, lines: [line] };
    } else if (cur) cur.lines.push(line);
    else preamble.push(line);
  }
  close();
  return { file, preamble: preamble.join('\n'), sections };
}

export function mapsWritten(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of stripComments(text).matchAll(ASSIGN)) out.add(m[1]);
  return out;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

function probesOf(lines: string[]): string[] {
  return lines.map((l) => PROBE_LINE.exec(l)?.[1]).filter((p): p is string => !!p);
}

/** Each tracepoint block (from its probe line to the `}` that closes it at column 0) and the args fields it reads. */
function tracepointsOf(lines: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let cur: Set<string> | undefined;
  for (const line of lines) {
    const m = /^tracepoint:(\w+:\w+)/.exec(line);
    if (m) {
      cur = out.get(m[1]) ?? new Set();
      out.set(m[1], cur);
    }
    if (cur) for (const f of stripComments(line).matchAll(/\bargs->(\w+)/g)) cur.add(f[1]);
    if (line === '}') cur = undefined;
  }
  return out;
}

/** What the running kernel offers: its tracepoints and their fields (tracefs). */
export interface KernelTracepoints {
  /** The fields of tracepoint "cat:name", or undefined when the kernel has no such tracepoint. */
  fields(tracepoint: string): Set<string> | undefined;
}

export function tracefsRoot(): string | undefined {
  for (const d of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) if (existsSync(join(d, 'events'))) return d;
  return undefined;
}

/**
 * The kernel's tracepoints as tracefs lists them. `hide` makes some look absent,
 * to test the dropping: "cat:name" hides a tracepoint, "cat:name.field" one field.
 */
export function kernelTracepoints(root: string, hide: string[] = []): KernelTracepoints {
  const cache = new Map<string, Set<string> | undefined>();
  return {
    fields(tp) {
      if (cache.has(tp)) return cache.get(tp);
      let fields: Set<string> | undefined;
      if (!hide.includes(tp)) {
        const [cat, name] = tp.split(':');
        try {
          const format = readFileSync(join(root, 'events', cat, name, 'format'), 'utf8');
          fields = new Set([...format.matchAll(/^\s*field:[^;]*?(\w+)(?:\[\w*\])?;/gm)].map((m) => m[1]));
          for (const h of hide) if (h.startsWith(`${tp}.`)) fields.delete(h.slice(tp.length + 1));
        } catch {
          fields = undefined;
        }
      }
      cache.set(tp, fields);
      return fields;
    },
  };
}

export interface CounterPlan {
  name: CounterName;
  available: boolean;
  source: string;
  missing?: string;
}

export interface ScriptPlan {
  /** The program bpftrace runs: the kept sections, in the script's order. */
  program: string;
  kept: string[];
  dropped: { section: string; reason: string }[];
  counters: CounterPlan[];
  /** Every tracepoint probe of the script: attached when its section is kept. */
  probes: { name: string; kept: boolean; reason?: string }[];
}

/** Why a section cannot compile on this kernel, if it cannot. */
function ownProblem(s: ScriptSection, kernel: KernelTracepoints): string | undefined {
  for (const [tp, used] of s.tracepoints) {
    const fields = kernel.fields(tp);
    if (!fields) return `the kernel has no tracepoint ${tp}`;
    const missing = [...used].filter((f) => !fields.has(f));
    if (missing.length) return `tracepoint ${tp} has no field ${missing.join(', ')}`;
  }
  return undefined;
}

export function planScript(main: ParsedScript, fallbacks: ParsedScript | undefined, kernel: KernelTracepoints): ScriptPlan {
  const byName = new Map<string, ScriptSection>();
  for (const s of [...main.sections, ...(fallbacks?.sections ?? [])]) {
    if (byName.has(s.name)) throw new Error(`section ${s.name} is defined in ${byName.get(s.name)!.file} and ${s.file}`);
    byName.set(s.name, s);
  }
  const reason = new Map<string, string>(); // dropped section -> why
  const kept = new Set<string>();
  const decide = (s: ScriptSection) => {
    const own = ownProblem(s, kernel);
    if (own) return reason.set(s.name, own);
    for (const n of s.needs) {
      if (!byName.has(n)) return reason.set(s.name, `it needs section ${n}, which the script does not define`);
      if (!kept.has(n)) return reason.set(s.name, `it needs section ${n}, which is dropped (${reason.get(n) ?? 'declared later'})`);
    }
    kept.add(s.name);
  };
  for (const s of main.sections) decide(s);
  const replacement = new Map<string, ScriptSection>();
  for (const f of fallbacks?.sections ?? []) {
    if (!f.insteadOf || kept.has(f.insteadOf) || replacement.has(f.insteadOf)) {
      reason.set(f.name, f.insteadOf && kept.has(f.insteadOf) ? `not needed: section ${f.insteadOf} runs` : 'no section to stand in for');
      continue;
    }
    decide(f);
    if (kept.has(f.name)) replacement.set(f.insteadOf, f);
  }

  const parts = [main.preamble];
  const keptSections: ScriptSection[] = [];
  for (const s of main.sections) {
    const use = kept.has(s.name) ? s : replacement.get(s.name);
    if (use) {
      parts.push(use.text);
      keptSections.push(use);
    } else parts.push(`// @section ${s.name}: dropped, ${reason.get(s.name)}\n`);
  }
  const written = new Set([...mapsWritten(main.preamble), ...keptSections.flatMap((s) => [...s.writes])]);
  // print() of a map nothing writes any more would not compile: it goes too.
  const program = parts
    .join('\n')
    .split('\n')
    .map((l) => {
      const m = /^(\s*)print\(@(\w+)\);\s*$/.exec(l);
      return m && !written.has(m[2]) ? `${m[1]}// print(@${m[2]}): not measured on this kernel` : l;
    })
    .join('\n');

  const sourceOf = (s: ScriptSection): string[] => {
    const seen: string[] = [];
    const visit = (x: ScriptSection) => {
      for (const n of x.needs) visit(byName.get(n)!);
      for (const p of x.probes) if (p.startsWith('tracepoint:') && !seen.includes(p)) seen.push(p);
    };
    visit(s);
    return seen;
  };
  const counters = COUNTER_NAMES.map((name): CounterPlan => {
    const writers = keptSections.filter((s) => s.writes.has(name));
    if (writers.length) return { name, available: true, source: 'bpftrace ' + [...new Set(writers.flatMap(sourceOf))].join(' + ') };
    const would = [...byName.values()].filter((s) => s.writes.has(name));
    const missing = would.length
      ? would.map((s) => `section ${s.name}: ${reason.get(s.name)}`).join('; ')
      : name === 'copy_encrypt_bytes'
        ? `no tracepoint marks kTLS encryption, and the bpftrace script (${main.file}) uses tracepoints only (the libbpf engine measures it with fexit on the tls module's tls_sw_sendmsg)`
        : `the bpftrace script (${main.file}) does not measure ${name}`;
    return { name, available: false, source: '', missing };
  });
  const probes: ScriptPlan['probes'] = [];
  for (const s of [...main.sections, ...(fallbacks?.sections ?? [])])
    for (const p of s.probes.filter((x) => x.startsWith('tracepoint:'))) {
      const isKept = keptSections.includes(s);
      const existing = probes.find((x) => x.name === p);
      if (existing) {
        if (isKept && !existing.kept) Object.assign(existing, { kept: true, reason: undefined });
        continue;
      }
      probes.push({ name: p, kept: isKept, ...(isKept ? {} : { reason: `section ${s.name}: ${reason.get(s.name)}` }) });
    }
  return {
    program,
    kept: keptSections.map((s) => s.name),
    dropped: [...main.sections, ...(fallbacks?.sections ?? [])]
      .filter((s) => !keptSections.includes(s) && !(s.insteadOf && kept.has(s.insteadOf)))
      .map((s) => ({ section: s.name, reason: reason.get(s.name) ?? '' })),
    counters,
    probes: probes.map((p) => (p.reason === undefined ? { name: p.name, kept: p.kept } : p)),
  };
}
