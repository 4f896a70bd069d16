// The metrics exporter: subscribes to observation sessions (lab runs and
// watches, DESIGN.md "Observation sessions") and keeps Prometheus counters of
// what their probes counted, for GET /metrics (metrics/http.ts).
//
// Counter semantics: every series only goes up for the life of the process. A
// finished session's final counts are added to a base; a session in flight adds
// its latest cumulative counts on top (each series held at the highest value it
// showed, so a scrape mid-run never goes backwards); when it ends, its final
// counts (or, failed or cancelled, the last it showed) join the base.
//
// Names come from the counter schema (bpf/counters.h: ZCL_METRICS and
// ZCL_METRIC_FAMILIES, via probes/schema.generated.ts), one place: zcl_ + the
// family, _total on the samples; help = the family's text + each member's
// description.
//
// Labels per process: role (sender, sink), comm, pid. Cardinality is bounded:
// the first `maxProcesses` (default 100) distinct (role, comm, pid) get series of
// their own for the exporter's life; every later process is summed into
// comm="other", pid="" of its role (so no series ever shrinks or moves), and
// zcl_exporter_folded_processes_total counts them.
import { readFileSync } from 'node:fs';
import { COUNTER_METRICS, COUNTERS, METRIC_FAMILIES, PROBE_SYSCALLS, type CounterName } from '../probes/schema.generated.js';
import type { RoleCounts, Snapshot, WatchDetail } from '../probes/types.js';
import type { SessionEvent } from '../session/session.js';
import type { WatchEvent } from '../session/watch.js';
import { render, type Family, type Format } from './exposition.js';

export const PREFIX = 'zcl_';
export const DEFAULT_MAX_PROCESSES = 100;
export const OTHER_COMM = 'other';

/** What the exporter needs of a session: its events. */
export interface Observable<E> {
  on(listener: (e: E) => void): () => void;
}

interface Series {
  family: string;
  labels: [string, string][];
  value: number;
}
type Values = Map<string, Series>;

const seriesKey = (family: string, labels: [string, string][]) => `${family}\0${labels.map(([k, v]) => `${k}=${v}`).join('\0')}`;

function add(to: Values, s: Series): void {
  const k = seriesKey(s.family, s.labels);
  const had = to.get(k);
  if (had) had.value += s.value;
  else to.set(k, { ...s, labels: s.labels });
}

/** The help of a family: its text, and what each labelled member counts (from the schema's descriptions). */
function familyHelp(name: string, text: string): string {
  const members = COUNTER_METRICS.filter((m) => m.family === name && m.label);
  if (!members.length) {
    const only = COUNTER_METRICS.find((m) => m.family === name);
    const c = COUNTERS.find((x) => x.name === only?.counter);
    return c ? `${text} (${c.description})` : text;
  }
  return `${text}: ${members.map((m) => `${m.label}=${m.value}: ${COUNTERS.find((c) => c.name === m.counter)!.description}`).join('; ')}`;
}

const SYSCALLS_HELP =
  'Syscalls entered (each is two user/kernel mode switches): by name for the transfer syscalls on data fds (regular files, TCP sockets); syscall="other": every other syscall, and those names on other fds (the family sums to every syscall)';

/** The families this exporter writes, in order (name without prefix, type, unit, help): what GET /metrics always lists. */
export const FAMILIES: Omit<Family, 'samples'>[] = [
  ...METRIC_FAMILIES.map((f) => ({ name: PREFIX + f.name, type: 'counter' as const, unit: f.unit, help: familyHelp(f.name, f.help) })),
  { name: `${PREFIX}syscalls`, type: 'counter', unit: '', help: SYSCALLS_HELP },
  { name: `${PREFIX}probe_missed_events`, type: 'counter', unit: '', help: 'Events the kernel skipped for the probe programs (e.g. a nested tracepoint): counts may miss their bytes; added when each session ends' },
  { name: `${PREFIX}probe_source`, type: 'info', unit: '', help: 'The probe source each counter is measured from on this kernel (source="none": unavailable), by engine and tier' },
  { name: `${PREFIX}sessions`, type: 'counter', unit: '', help: 'Observation sessions (lab runs, watches) that ended, by kind and outcome' },
  { name: `${PREFIX}exporter_folded_processes`, type: 'counter', unit: '', help: 'Processes whose counts were summed into comm="other" because the exporter already had series for its cap of processes' },
];

export interface ExporterOptions {
  /** Processes with series of their own (default 100); later ones are summed under comm="other". */
  maxProcesses?: number;
}

interface Live {
  values: Values;
}

export class MetricsExporter {
  readonly maxProcesses: number;
  private readonly base: Values = new Map();
  private readonly live = new Set<Live>();
  private readonly admitted = new Set<string>();
  private readonly folded = new Set<string>();
  private readonly sources = new Map<string, { engine: string; tier: string; sources: Record<string, string | null> }>();

  constructor(o: ExporterOptions = {}) {
    this.maxProcesses = o.maxProcesses ?? DEFAULT_MAX_PROCESSES;
  }

  /** The process labels a process gets: its own, or its role's "other" past the cap. */
  processLabels(role: string, comm: string, pid: number | string): [string, string][] {
    const k = `${role}\0${comm}\0${pid}`;
    if (!this.admitted.has(k)) {
      if (this.admitted.size < this.maxProcesses) this.admitted.add(k);
      else {
        this.folded.add(k);
        return [['role', role], ['comm', OTHER_COMM], ['pid', '']];
      }
    }
    return [['role', role], ['comm', comm], ['pid', String(pid)]];
  }

  /** Which source measures each counter (an engine's capabilities; the latest wins per engine). */
  setSources(engine: string, tier: string, sources: Record<string, string | null>): void {
    this.sources.set(engine, { engine, tier, sources });
  }

  /** The series of one process's cumulative counts, into `to`. */
  private countsInto(to: Values, counts: RoleCounts, proc: [string, string][]): void {
    for (const m of COUNTER_METRICS) {
      const v = counts.counters[m.counter as CounterName];
      if (v === null || v === undefined) continue;
      add(to, { family: PREFIX + m.family, labels: m.label ? [[m.label, m.value], ...proc] : proc, value: v });
    }
    let named = 0;
    for (const name of PROBE_SYSCALLS) {
      const v = counts.syscalls[name] ?? 0;
      named += v;
      add(to, { family: `${PREFIX}syscalls`, labels: [['syscall', name], ...proc], value: v });
    }
    const all = counts.counters.syscalls;
    if (all !== null && all !== undefined) add(to, { family: `${PREFIX}syscalls`, labels: [['syscall', 'other'], ...proc], value: Math.max(0, all - named) });
  }

  /** A session's latest values: each series held at its highest (cumulative counts never go down). */
  private update(l: Live, next: Values): void {
    for (const [k, s] of next) {
      const had = l.values.get(k);
      if (!had) l.values.set(k, s);
      else if (s.value > had.value) had.value = s.value;
    }
  }

  private commit(l: Live, kind: 'run' | 'watch', outcome: string, missed?: { engine: string; events: number }): void {
    this.live.delete(l);
    for (const s of l.values.values()) add(this.base, { ...s, labels: s.labels });
    add(this.base, { family: `${PREFIX}sessions`, labels: [['kind', kind], ['outcome', outcome]], value: 1 });
    if (missed) add(this.base, { family: `${PREFIX}probe_missed_events`, labels: [['engine', missed.engine]], value: missed.events });
  }

  /** Counts a lab run (session/session.ts): its sender and sink, from its samples, then its result. */
  attachRun(session: Observable<SessionEvent>): void {
    const l: Live = { values: new Map() };
    let procs: Record<string, [string, string][]> | undefined;
    const fromSnapshot = (snap: Pick<Snapshot, 'sender' | 'sink'>) => {
      if (!procs) return;
      const next: Values = new Map();
      for (const role of ['sender', 'sink'] as const) if (snap[role]) this.countsInto(next, snap[role], procs[role]);
      this.update(l, next);
    };
    const off = session.on((e) => {
      if (e.type === 'phase' && e.phase === 'running' && e.targets) {
        const t = e.targets;
        const pids = { sender: t.app?.pid ?? t.pids.sender, sink: t.pids.sink };
        procs = {
          sender: this.processLabels('sender', commOf(pids.sender) ?? 'sender', pids.sender),
          sink: this.processLabels('sink', commOf(pids.sink) ?? 'sink', pids.sink),
        };
        this.live.add(l);
      } else if (e.type === 'sample' && e.snapshot) fromSnapshot(e.snapshot);
      else if (e.type === 'end') {
        off();
        if (!procs) {
          add(this.base, { family: `${PREFIX}sessions`, labels: [['kind', 'run'], ['outcome', e.outcome]], value: 1 });
          return;
        }
        let missed: { engine: string; events: number } | undefined;
        if (e.outcome === 'finished') {
          const p = e.result.probes;
          if (p?.status === 'ok' && p.sender && p.sink) {
            fromSnapshot({ sender: p.sender, sink: p.sink });
            if (p.sources) this.setSources(p.engine, p.tier ?? '', p.sources);
            if (p.missedEvents !== undefined) missed = { engine: p.engine, events: p.missedEvents };
          }
        }
        this.commit(l, 'run', e.outcome, missed);
      }
    });
  }

  /** Counts a watch (session/watch.ts): per watched process when the engine keeps detail, else every watched process as one. */
  attachWatch(session: Observable<WatchEvent>): void {
    const l: Live = { values: new Map() };
    const names = new Map<number, [string, string][]>();
    const from = (snapshot: Snapshot, detail: WatchDetail | null) => {
      const next: Values = new Map();
      if (detail) {
        for (const p of detail.processes) {
          const key = p.tgid;
          if (!names.has(key)) names.set(key, this.processLabels('sender', p.comm || 'unknown', p.tgid));
          this.countsInto(next, p, names.get(key)!);
        }
      } else this.countsInto(next, snapshot.sender, this.processLabels('sender', 'watched', ''));
      this.update(l, next);
    };
    const off = session.on((e) => {
      if (e.type === 'phase' && e.phase === 'running') this.live.add(l);
      else if (e.type === 'sample') from(e.snapshot, e.detail);
      else if (e.type === 'end') {
        off();
        let missed: { engine: string; events: number } | undefined;
        if (e.outcome === 'finished') {
          from(e.summary.snapshot, e.summary.detail);
          if (e.summary.missedEvents !== undefined) missed = { engine: e.summary.engine, events: e.summary.missedEvents };
        }
        this.commit(l, 'watch', e.outcome, missed);
      }
    });
  }

  /** Every family with its samples now: the base plus the sessions in flight. */
  families(): Family[] {
    const all: Values = new Map();
    for (const s of this.base.values()) add(all, { ...s, labels: s.labels });
    for (const l of this.live) for (const s of l.values.values()) add(all, { ...s, labels: s.labels });
    const info: Series[] = [];
    for (const { engine, tier, sources } of this.sources.values())
      for (const [counter, source] of Object.entries(sources))
        info.push({ family: `${PREFIX}probe_source`, labels: [['engine', engine], ['counter', counter], ['source', source ?? 'none'], ['tier', tier]], value: 1 });
    const folded: Series = { family: `${PREFIX}exporter_folded_processes`, labels: [], value: this.folded.size };
    const list = [...all.values(), ...info, folded];
    return FAMILIES.map((f) => ({ ...f, samples: list.filter((s) => s.family === f.name).map((s) => ({ labels: s.labels, value: s.value })) }));
  }

  render(format: Format): string {
    return render(this.families(), format);
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '') || undefined;
  } catch {
    return undefined;
  }
}
