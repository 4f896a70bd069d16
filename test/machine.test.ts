// The machine's condition during a run (issue 14, item 6): /proc/stat and
// /proc/loadavg read at the go and at the end (server/core/machine.ts), in every
// RunResult as `machine`. Checked against CPU time this process burns on purpose,
// and on a real run.
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuTimes, machineDuring, machineNoise, NOISY_OTHER_CPUS, NOISY_STEAL } from '../server/core/machine.js';
import { libbpfEngine } from '../server/probes/select.js';
import { RunResultSchema } from '../server/report/schema.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { runTransfer } from '../server/session/session.js';
import { MiB, ourNamespaces } from './helpers.js';

afterAll(() => expect(ourNamespaces()).toEqual([]));

/** Burns this process's CPU for `seconds` of CPU time; returns what it used (process.cpuUsage). */
function burn(seconds: number): number {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    const u = process.cpuUsage(start);
    if ((u.user + u.system) / 1e6 >= seconds) return (u.user + u.system) / 1e6 + (x < 0 ? 1 : 0);
  }
}

describe('machine load', () => {
  it('counts CPU burnt meanwhile as busy, and as other work unless it is the run\'s own', () => {
    const before = cpuTimes()!;
    const used = burn(0.4);
    const after = cpuTimes()!;
    expect(after.total).toBeGreaterThan(before.total);
    const all = machineDuring(before, after, 0)!;
    expect(all.cpus).toBe(availableParallelism());
    // /proc/stat counts in 100 Hz ticks: a few ticks of slack.
    const slack = 0.05;
    expect(all.busy * all.cpus * all.seconds + slack).toBeGreaterThanOrEqual(used);
    expect(all.otherCpus * all.seconds + slack).toBeGreaterThanOrEqual(used);
    // The same CPU said to be the run's own is taken out of the other work, and no more.
    const own = machineDuring(before, after, used)!;
    expect(own.otherCpus).toBeCloseTo(Math.max(0, all.otherCpus - used / all.seconds), 2);
    for (const m of [all, own]) {
      expect(m.steal).toBeGreaterThanOrEqual(0);
      expect(m.steal).toBeLessThanOrEqual(1);
      expect(m.otherCpus).toBeLessThanOrEqual(m.cpus);
      expect(m.load1.start).toBeGreaterThanOrEqual(0);
    }
  });

  it('calls a run noisy at the limits, with why', () => {
    const m = { cpus: 2, seconds: 2, steal: 0, busy: 0.5, otherCpus: 0, load1: { start: 1, end: 1 } };
    expect(machineNoise(m)).toBeNull();
    expect(machineNoise({ ...m, steal: NOISY_STEAL - 0.001, otherCpus: NOISY_OTHER_CPUS - 0.01 })).toBeNull();
    expect(machineNoise({ ...m, steal: 0.38 })).toBe('38% steal');
    expect(machineNoise({ ...m, otherCpus: 1.2 })).toBe('other work used 1.2 of 2 CPUs');
    expect(machineNoise(undefined)).toBeNull();
  });

  it('a real timed run carries the machine block over its transfer, valid against the results schema', async () => {
    const r = await runTransfer(parseRunSpec({ mode: 'read-write', path: 'loopback', sizeBytes: MiB, chunkBytes: 64 * 1024, duration: 0.3 }), { probes: { engine: libbpfEngine() } });
    const m = r.machine!;
    expect(m.cpus).toBe(availableParallelism());
    expect(m.seconds).toBeGreaterThanOrEqual(0.3);
    expect(m.seconds).toBeLessThan(r.wallSeconds + 2);
    const own = r.sender.cpuUserSeconds + r.sender.cpuSysSeconds + r.receiver.cpuUserSeconds + r.receiver.cpuSysSeconds;
    expect(m.busy * m.cpus * m.seconds + 0.02 * m.cpus).toBeGreaterThanOrEqual(own);
    expect(m.otherCpus).toBeLessThanOrEqual(m.cpus);
    expect(() => RunResultSchema.parse(r)).not.toThrow();
  });
});
