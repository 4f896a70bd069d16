// The libbpf engine: the addon's probe host (native/probes, bpf/zcl_probes.bpf.c).
import { addon } from '../native.js';
import { COUNTER_NAMES, PROBE_SYSCALLS, ROLES } from './schema.generated.js';
import type { Counters, ProbeCapabilities, ProbeEngine, ProbeTarget, Snapshot, WatchTarget } from './types.js';

export class LibbpfEngine implements ProbeEngine {
  readonly name = 'libbpf';
  private caps: ProbeCapabilities;
  private available: boolean[];

  /** Loads and attaches (once per process); throws an Error with code EPROBES and the reason. */
  constructor() {
    const open = addon().probes.open();
    this.caps = { engine: this.name, ...open } as ProbeCapabilities;
    this.available = COUNTER_NAMES.map((n) => this.caps.counters.find((c) => c.name === n)?.available ?? false);
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
    return addon().probes.watch({ tgids: t.tgids, follow: t.follow });
  }

  async watchAdd(pids: number[]): Promise<number[]> {
    return addon().probes.watchAdd(pids);
  }

  watched(): number[] {
    return addon().probes.watched();
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
