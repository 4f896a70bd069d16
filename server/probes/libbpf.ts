// The libbpf engine: the addon's probe host (native/probes, bpf/zcl_probes.bpf.c).
import { addon } from '../native.js';
import { COUNTER_NAMES, PROBE_SYSCALLS, ROLES } from './schema.generated.js';
import type { CounterName } from './schema.generated.js';
import type { Counters, ProbeCapabilities, ProbeEngine, ProbeTarget, Snapshot, WatchDetail, WatchTarget } from './types.js';

export class LibbpfEngine implements ProbeEngine {
  readonly name = 'libbpf';
  private caps: ProbeCapabilities;
  private available: boolean[];
  private availableByName: Map<CounterName, boolean>;

  /** Loads and attaches (once per process); throws an Error with code EPROBES and the reason. */
  constructor() {
    const open = addon().probes.open();
    this.caps = { engine: this.name, ...open } as ProbeCapabilities;
    this.available = COUNTER_NAMES.map((n) => this.caps.counters.find((c) => c.name === n)?.available ?? false);
    this.availableByName = new Map(COUNTER_NAMES.map((n, i) => [n, this.available[i]]));
  }

  capabilities(): ProbeCapabilities {
    return this.caps;
  }

  async begin(t: ProbeTarget): Promise<void> {
    addon().probes.begin(t);
  }

  /** Watch mode: these processes (and with follow their children) count in the sender role. */
  async watch(t: WatchTarget): Promise<number[]> {
    this.missedEvents = undefined;
    return addon().probes.watch({ tgids: t.tgids, follow: t.follow, ...(t.sinkPid ? { sinkPid: t.sinkPid } : {}) });
  }

  async watchAdd(pids: number[]): Promise<number[]> {
    return addon().probes.watchAdd(pids);
  }

  watched(): number[] {
    return addon().probes.watched();
  }

  /** Watch mode, per process, connection and file (see ProbeEngine.watchDetail); unavailable counters null. */
  watchDetail(): WatchDetail {
    const d = addon().probes.watchDetail();
    const counters = <T>(raw: Record<string, number>): T => {
      const out: Record<string, number | null> = {};
      for (const [name, v] of Object.entries(raw)) out[name] = this.availableByName.get(name as CounterName) ? v : null;
      return out as T;
    };
    return {
      processes: d.processes.map((p) => ({ ...p, counters: counters<Counters>(p.counters) })),
      connections: d.connections.map((c) => ({ ...c, counters: counters<WatchDetail['connections'][number]['counters']>(c.counters) })),
      files: d.files.map((f) => ({ ...f, counters: counters<WatchDetail['files'][number]['counters']>(f.counters) })),
    };
  }

  read(): Snapshot {
    const { counters, syscalls } = addon().probes.read();
    const out = {} as Snapshot;
    ROLES.forEach((role, r) => {
      const c = {} as Counters;
      COUNTER_NAMES.forEach((name, i) => (c[name] = this.available[i] ? counters[r * COUNTER_NAMES.length + i] : null));
      const s: Record<string, number> = {};
      PROBE_SYSCALLS.forEach((name, i) => {
        const v = syscalls[r * PROBE_SYSCALLS.length + i];
        if (v) s[name] = v;
      });
      out[role] = { counters: c, syscalls: s };
    });
    return out;
  }

  /** Events the kernel skipped for these programs during the last run. */
  missedEvents?: number;

  async final(): Promise<Snapshot> {
    const s = this.read();
    this.missedEvents = addon().probes.missed();
    await this.end();
    return s;
  }

  async end(): Promise<void> {
    addon().probes.end();
  }
}
