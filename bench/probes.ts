// npm run bench:probes -- [--size 1GiB] [--pairs 5] [--modes read-write,sendfile] [--path loopback]
// What the probes cost the transfer: the same run with and without them, in
// fresh processes, alternating, medians; plus the programs' own cost per event
// (kernel.bpf_stats: run time / run count per program).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Command } from 'commander';
import { median } from 'simple-statistics';
import { addon } from '../server/native.js';
import { libbpfEngine } from '../server/probes/select.js';
import { DIST } from '../server/project.js';
import { runTransfer } from '../server/session/session.js';
import type { RunResult } from '../server/run/result.js';
import { parseRunSpec } from '../server/schema/run-spec.js';

const o = new Command('bench:probes')
  .option('--size <size>', 'bytes per transfer', '1GiB')
  .option('--chunk <size>', 'bytes per syscall', '64KiB')
  .option('--pairs <n>', 'with/without pairs per mode', '5')
  .option('--modes <list>', 'modes to measure', 'read-write,sendfile')
  .option('--path <path>', 'network path', 'loopback')
  .parse()
  .opts();

function zclRun(mode: string, probes: boolean): RunResult {
  const args = [join(DIST, 'server', 'cli', 'zcl.js'), 'run', '--mode', mode, '--path', o.path, '--size', o.size, '--chunk', o.chunk, '--json'];
  if (!probes) args.push('--no-probes');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zcl run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as RunResult;
}

async function costPerEvent(mode: string): Promise<{ name: string; events: number; ns: number }[]> {
  const engine = libbpfEngine();
  if (!addon().probes.enableStats()) throw new Error('cannot enable kernel.bpf_stats');
  const before = new Map(addon().probes.stats().map((s) => [s.name, s]));
  await runTransfer(parseRunSpec({ mode, path: o.path, sizeBytes: o.size, chunkBytes: o.chunk }), { probes: { engine } });
  return addon()
    .probes.stats()
    .map((s) => {
      const b = before.get(s.name);
      const events = s.runCount - (b?.runCount ?? 0);
      return { name: s.name, events, ns: events ? (s.runTimeNs - (b?.runTimeNs ?? 0)) / events : 0 };
    })
    .filter((s) => s.events > 0);
}

async function main(): Promise<void> {
  const rows = new Table({
    head: ['mode', 'MiB/s without', 'MiB/s with', 'throughput ratio', 'CPU s/GiB without', 'CPU s/GiB with', 'CPU ratio'],
    style: { head: [], border: [] },
  });
  for (const mode of String(o.modes).split(',')) {
    const w: RunResult[] = [];
    const wo: RunResult[] = [];
    for (let i = 0; i < Number(o.pairs); i++) {
      // Alternate which goes first so drift spreads evenly.
      if (i % 2) {
        w.push(zclRun(mode, true));
        wo.push(zclRun(mode, false));
      } else {
        wo.push(zclRun(mode, false));
        w.push(zclRun(mode, true));
      }
      process.stderr.write(`${mode}: pair ${i + 1}/${o.pairs}\n`);
    }
    const t = (xs: RunResult[]) => median(xs.map((r) => r.throughputMiBps));
    const c = (xs: RunResult[]) => median(xs.map((r) => r.sender.cpuSecondsPerGiB));
    rows.push([mode, t(wo).toFixed(0), t(w).toFixed(0), (t(w) / t(wo)).toFixed(3), c(wo).toFixed(3), c(w).toFixed(3), (c(w) / c(wo)).toFixed(3)]);
  }
  process.stdout.write(`\n${o.size} per transfer over ${o.path}, chunk ${o.chunk}, ${o.pairs} alternating pairs, medians\n${rows.toString()}\n`);
  process.stdout.write('targets: throughput ratio >= 0.97, CPU ratio <= 1.03\n');
  for (const mode of String(o.modes).split(',')) {
    const costs = await costPerEvent(mode);
    const t = new Table({ head: [`${mode}: program`, 'events', 'ns per event'], style: { head: [], border: [] } });
    for (const c of costs) t.push([c.name, c.events, c.ns.toFixed(0)]);
    process.stdout.write(`\nprobe cost per event during one ${mode} run (kernel.bpf_stats; includes every process's events the programs filter out)\n${t.toString()}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench:probes: ${(e as Error).message}\n`);
  process.exit(1);
});
