// Reads what bpf/zcl.bt prints with `bpftrace -f json -B line`: one JSON object
// per line, e.g. {"type": "printf", "data": "zcl batch 7 begin\n"} and
// {"type": "map", "data": {"@syscalls": {"0": 812, "1": 95}}}. A batch is the
// maps between "zcl batch N begin" and "zcl batch N end" (N, or "final" in END);
// it counts only once its end line arrives, so a batch cut short (lost events, a
// crash, a torn line) is dropped whole, never half-read. Lines arrive in chunks
// that may split them anywhere.
import { COUNTER_NAMES, PROBE_SYSCALLS, ROLES } from './schema.generated.js';
import type { Counters, Snapshot } from './types.js';

export type StreamEvent =
  | { kind: 'attached'; text: string }
  | { kind: 'batch'; seq: string; maps: Record<string, unknown> }
  /** A line that is not part of the protocol: kept for error messages. */
  | { kind: 'noise'; line: string; why: string }
  | { kind: 'lost'; events: number };

const BEGIN = /^zcl batch (\d+|final) begin\n?$/;
const END = /^zcl batch (\d+|final) end\n?$/;
const ATTACHED = /^zcl attached\b.*\n?$/;

export class BpftraceStream {
  private partial = '';
  private open: { seq: string; maps: Record<string, unknown> } | undefined;

  constructor(private readonly emit: (e: StreamEvent) => void) {}

  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** The stream ended: a last line without its newline is torn. */
  end(): void {
    if (this.partial) this.emit({ kind: 'noise', line: this.partial, why: 'the last line has no end' });
    this.partial = '';
    if (this.open) this.emit({ kind: 'noise', line: `zcl batch ${this.open.seq} begin`, why: 'the batch never ended' });
    this.open = undefined;
  }

  private line(line: string): void {
    if (!line.trim()) return;
    let msg: { type?: unknown; data?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      return this.emit({ kind: 'noise', line, why: 'not JSON' });
    }
    if (!msg || typeof msg !== 'object') return this.emit({ kind: 'noise', line, why: 'not a JSON object' });
    if (msg.type === 'printf' && typeof msg.data === 'string') {
      const data = msg.data;
      let m: RegExpExecArray | null;
      if (ATTACHED.test(data)) return this.emit({ kind: 'attached', text: data.trim() });
      if ((m = BEGIN.exec(data))) {
        if (this.open) this.emit({ kind: 'noise', line: `zcl batch ${this.open.seq} begin`, why: 'the batch never ended' });
        this.open = { seq: m[1], maps: {} };
        return;
      }
      if ((m = END.exec(data))) {
        const open = this.open;
        this.open = undefined;
        if (!open || open.seq !== m[1]) return this.emit({ kind: 'noise', line, why: 'a batch end without its begin' });
        return this.emit({ kind: 'batch', seq: open.seq, maps: open.maps });
      }
      return this.emit({ kind: 'noise', line, why: 'an unexpected printf' });
    }
    if (msg.type === 'map' && msg.data && typeof msg.data === 'object') {
      // Outside a batch: bpftrace printing every map as it exits. Not ours.
      if (this.open) Object.assign(this.open.maps, msg.data);
      return;
    }
    if (msg.type === 'lost_events') {
      const n = Number((msg.data as { events?: unknown } | undefined)?.events);
      return this.emit({ kind: 'lost', events: Number.isFinite(n) ? n : 0 });
    }
    if (msg.type === 'attached_probes') return;
    this.emit({ kind: 'noise', line, why: `an unexpected message type ${JSON.stringify(msg.type)}` });
  }
}

const count = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${what} is ${JSON.stringify(v)}, not a count`);
  return v;
};

/**
 * A batch's maps as a Snapshot: counter maps keyed by role index (ROLES order),
 * @syscalls_by_name keyed "role,name". A missing map or key is 0 (bpftrace prints
 * no empty map); a counter the kernel gives no source is null whatever was printed.
 * Throws on a value that is not a count.
 */
export function snapshotOf(maps: Record<string, unknown>, available: ReadonlySet<string>): Snapshot {
  const out = {} as Snapshot;
  ROLES.forEach((role) => (out[role] = { counters: {} as Counters, syscalls: {} }));
  for (const name of COUNTER_NAMES) {
    const m = maps[`@${name}`];
    if (m !== undefined && (typeof m !== 'object' || m === null)) throw new Error(`@${name} is ${JSON.stringify(m)}, not a map keyed by role`);
    ROLES.forEach((role, r) => {
      out[role].counters[name] = available.has(name) ? count((m as Record<string, unknown> | undefined)?.[String(r)] ?? 0, `@${name}[${r}]`) : null;
    });
  }
  const byName = maps['@syscalls_by_name'];
  if (byName !== undefined) {
    if (typeof byName !== 'object' || byName === null) throw new Error('@syscalls_by_name is not a map');
    for (const [key, v] of Object.entries(byName)) {
      const [r, name] = key.split(',');
      const role = ROLES[Number(r)];
      if (!role || !(PROBE_SYSCALLS as readonly string[]).includes(name)) throw new Error(`@syscalls_by_name has an unknown key ${JSON.stringify(key)}`);
      const n = count(v, `@syscalls_by_name[${key}]`);
      if (n) out[role].syscalls[name] = n;
    }
  }
  // In the schema's order, like the libbpf engine's.
  for (const role of ROLES) {
    const s = out[role].syscalls;
    out[role].syscalls = Object.fromEntries(PROBE_SYSCALLS.filter((n) => s[n]).map((n) => [n, s[n]]));
  }
  return out;
}
