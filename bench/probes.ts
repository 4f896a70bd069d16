// npm run bench:probes -- [--size 256MiB] [--chunks 4KiB,16KiB,64KiB,128KiB] [--pairs 3]
//   [--modes read-write,sendfile] [--engines libbpf,bpftrace] [--path loopback]
//   [--bystander-calls 500000] [--bystander-reps 5] [--skip transfers,events,bystander,memcpy] [--no-floor]
// What the probes cost, from one run:
// 1. the transfer with and without them: per mode, chunk size and engine, runs
//    in fresh processes (off, then each engine, in rotating order), the ratios
//    on/off taken per repetition (adjacent in time) and reported as median (min-max);
//    beside the engines, the floor (bench/lib/floor.ts: two empty programs on
//    raw_syscalls, the lab's probes off), the best ratio any probe there can reach;
// 2. each program's own cost per event (kernel.bpf_stats: run time / run count),
//    one libbpf run per mode;
// 3. what a bystander pays: a getppid() loop that is neither a role nor watched,
//    ns per call with the probes off, with empty programs on the same tracepoints
//    (the floor), loaded but idle, during a lab run and during a watch
//    (bench/watch-cost.ts measures, in its own processes);
// 4. one thread's memcpy bandwidth and the ceiling it implies per mode.
// The machine may be shared: only same-run ratios are comparable.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Command } from 'commander';
import { max, median, min } from 'simple-statistics';
import { addon } from '../server/native.js';
import { libbpfEngine } from '../server/probes/select.js';
import { DIST } from '../server/project.js';
import { runTransfer } from '../server/session/session.js';
import type { RunResult } from '../server/run/result.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { parseSize } from '../server/schema/units.js';
import { MEMCPY_NOTE, copyCeiling, memcpyMiBps } from './lib/memcpy.js';
import { buildFloor, holdFloor } from './lib/floor.js';

const o = new Command('bench:probes')
  .option('--size <size>', 'bytes per transfer', '256MiB')
  .option('--chunks <list>', 'bytes per syscall, comma-separated', '4KiB,16KiB,64KiB,128KiB')
  .option('--pairs <n>', 'repetitions per mode and chunk (each: off and every engine)', '3')
  .option('--modes <list>', 'modes to measure', 'read-write,sendfile')
  .option('--engines <list>', 'probe engines', 'libbpf,bpftrace')
  .option('--path <path>', 'network path', 'loopback')
  .option('--events-chunk <size>', 'chunk of the per-event cost runs', '16KiB')
  .option('--bystander-calls <n>', 'getppid calls per bystander measurement', '500000')
  .option('--bystander-reps <n>', 'bystander measurements per condition', '5')
  .option('--skip <list>', 'parts to skip: transfers, events, bystander, memcpy', '')
  .option('--no-floor', 'no transfers under the floor (two empty programs on raw_syscalls) in the rotation')
  .parse()
  .opts();

const skip = new Set(String(o.skip).split(',').filter(Boolean));
const chunks = String(o.chunks).split(',');
const engines = String(o.engines).split(',');
const modes = String(o.modes).split(',');
const spread = (xs: number[], d = 3) => (xs.length ? `${median(xs).toFixed(d)} (${min(xs).toFixed(d)}-${max(xs).toFixed(d)})` : '-');

function zclRun(mode: string, chunk: string, engine: string | null): RunResult {
  const args = [join(DIST, 'server', 'cli', 'zcl.js'), 'run', '--mode', mode, '--path', o.path, '--size', o.size, '--chunk', chunk, '--json'];
  if (engine) args.push('--engine', engine);
  else args.push('--no-probes');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zcl run ${args.slice(2).join(' ')} failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as RunResult;
  if (engine && res.probes?.status !== 'ok') throw new Error(`zcl run with ${engine}: probes ${res.probes?.status}`);
  return res;
}

const cpuPerGiB = (r: RunResult) => r.sender.cpuSecondsPerGiB;
const totalCpuPerGiB = (r: RunResult) =>
  ((r.sender.cpuUserSeconds + r.sender.cpuSysSeconds + r.receiver.cpuUserSeconds + r.receiver.cpuSysSeconds) * 2 ** 30) / r.bytes;

type Cell = { mode: string; chunk: string; off: RunResult[]; on: Map<string, RunResult[]> };

// The floor as a pseudo-engine: the transfer without the lab's probes, while two
// empty programs sit on raw_syscalls (bench/lib/floor.ts). Its ratio is the best
// any probe on those tracepoints can reach on this machine.
const FLOOR = 'floor';

/** Throughput, sender CPU and total CPU: on/off ratios per repetition. */
async function transfers(floorDir: string | null): Promise<Cell[]> {
  const cells: Cell[] = [];
  const all = floorDir ? [FLOOR, ...engines] : engines;
  for (const mode of modes)
    for (const chunk of chunks) {
      const cell: Cell = { mode, chunk, off: [], on: new Map(all.map((e) => [e, []])) };
      const order: (string | null)[] = [null, ...all];
      for (let i = 0; i < Number(o.pairs); i++) {
        for (let k = 0; k < order.length; k++) {
          const e = order[(i + k) % order.length]; // rotate who goes first: drift spreads over all
          const release = e === FLOOR ? await holdFloor(floorDir!) : null;
          let r: RunResult;
          try {
            r = zclRun(mode, chunk, e === FLOOR ? null : e);
          } finally {
            await release?.();
          }
          if (e) cell.on.get(e)!.push(r);
          else cell.off.push(r);
        }
        process.stderr.write(`${mode} ${chunk}: ${i + 1}/${o.pairs}\n`);
      }
      cells.push(cell);
    }
  return cells;
}

const hasFloor = (cells: Cell[]) => cells.some((c) => c.on.has(FLOOR));

function transferTable(cells: Cell[]): string {
  const t = new Table({
    head: ['mode', 'chunk', 'engine', 'MiB/s off', 'MiB/s on', 'throughput on/off', 'sender CPU on/off', 'total CPU on/off', 'target'],
    style: { head: [], border: [] },
  });
  const gaps: string[] = [];
  const ratios = (c: Cell, on: RunResult[]) => ({
    tr: on.map((r, i) => r.throughputMiBps / c.off[i].throughputMiBps),
    cr: on.map((r, i) => cpuPerGiB(r) / cpuPerGiB(c.off[i])),
    tc: on.map((r, i) => totalCpuPerGiB(r) / totalCpuPerGiB(c.off[i])),
  });
  for (const c of cells)
    for (const [engine, on] of c.on) {
      const { tr, cr, tc } = ratios(c, on);
      const bytes = parseSize(c.chunk)!;
      // >= 0.97 throughput and <= 1.05 CPU at 16 KiB; >= 0.99 at 64 KiB and above; none below 16 KiB.
      const want = bytes >= 64 * 1024 ? { t: 0.99, c: 1.01 } : bytes >= 16 * 1024 ? { t: 0.97, c: 1.05 } : null;
      const floor = c.on.get(FLOOR);
      const f = floor && engine !== FLOOR ? ratios(c, floor) : null;
      const atFloor = f ? ` (the floor alone: ${median(f.tr).toFixed(3)}, CPU ${median(f.cr).toFixed(3)})` : '';
      let verdict = 'no target';
      if (engine === FLOOR) verdict = 'empty programs on raw_syscalls: the best reachable here';
      else if (want) {
        const miss = [
          ...(median(tr) < want.t ? [`throughput ${median(tr).toFixed(3)} < ${want.t}`] : []),
          ...(median(cr) > want.c ? [`CPU ${median(cr).toFixed(3)} > ${want.c}`] : []),
        ];
        const ok = miss.length === 0;
        verdict = ok ? 'met' : `gap: ${miss.join(', ')}${atFloor}`;
        if (!ok) gaps.push(`${c.mode} ${c.chunk} ${engine}`);
      }
      t.push([c.mode, c.chunk, engine, median(c.off.map((r) => r.throughputMiBps)).toFixed(0), median(on.map((r) => r.throughputMiBps)).toFixed(0), spread(tr), spread(cr), spread(tc), verdict]);
    }
  return (
    `${t.toString()}\n` +
    'targets: throughput on/off >= 0.97 and sender CPU on/off <= 1.05 at 16 KiB; >= 0.99 (CPU <= 1.01) at 64 KiB and above\n' +
    (hasFloor(cells) ? `engine ${FLOOR}: no lab probes, two empty programs on raw_syscalls sys_enter/sys_exit (what attaching anything there costs every syscall on this machine); the engines' distance from it is their own cost\n` : '') +
    (gaps.length ? `not met (median of the per-repetition ratios): ${gaps.join(', ')}\n` : 'all targets met (medians)\n')
  );
}

/** Each program's cost per event during one libbpf run of each mode (in this process). */
async function events(bystanderNs: Map<string, number>): Promise<string> {
  const engine = libbpfEngine();
  if (!addon().probes.enableStats()) throw new Error('cannot enable kernel.bpf_stats');
  let out = '';
  for (const mode of modes) {
    const before = new Map(addon().probes.stats().map((s) => [s.name, s]));
    const r = await runTransfer(parseRunSpec({ mode, path: o.path, sizeBytes: o.size, chunkBytes: o.eventsChunk }), { probes: { engine } });
    // The run's own syscalls (both roles): the sys_enter/sys_exit events that were not a bystander's.
    const own = r.probes?.status === 'ok' ? (r.probes.sender?.counters.syscalls ?? 0) + (r.probes.sink?.counters.syscalls ?? 0) : 0;
    const t = new Table({ head: [`${mode}, ${o.eventsChunk}: program`, 'events', 'ns per event (all)', "the run's processes' events", 'ns per event, theirs (est.)', 'theirs above an empty program'], style: { head: [], border: [] } });
    for (const s of addon().probes.stats()) {
      const b = before.get(s.name);
      const n = s.runCount - (b?.runCount ?? 0);
      if (n <= 0) continue;
      const total = s.runTimeNs - (b?.runTimeNs ?? 0);
      const by = bystanderNs.get(s.name.replace(/^\w+\//, ''));
      const theirs = /sys_(enter|exit)$/.test(s.name) && own > 0 && own <= n && by !== undefined ? (total - (n - own) * by) / own : null;
      const empty = bystanderNs.get(`floor/${s.name.replace(/^\w+\//, '')}`);
      const above = theirs !== null && empty !== undefined ? `${(theirs - empty).toFixed(0)}${/sys_enter$/.test(s.name) ? (theirs - empty <= 70 ? ' (met)' : ` (gap +${(theirs - empty - 70).toFixed(0)})`) : ''}` : '';
      t.push([s.name, n, (total / n).toFixed(0), /sys_(enter|exit)$/.test(s.name) ? own : '', theirs === null ? '' : theirs.toFixed(0), above]);
    }
    out += `${t.toString()}\n`;
  }
  return (
    'each program\'s own cost per event during one run (kernel.bpf_stats: run time / run count; every process\'s events, ' +
    'the ones filtered out included; the stats\' own clock reads are in it). For sys_enter/sys_exit, the run\'s processes\' share is estimated: ' +
    '(run time - other events x the bystander\'s ns per event from the bystander pass) / their events; above an empty program: ' +
    'minus what an empty program on the same tracepoint shows in bpf_stats (the floor\'s bpf_stats pass: the stats\' clock reads and the dispatch)\n' +
    out +
    'targets (2x the ebpf_exporter anchors for a tracepoint): sys_enter <= 70 ns for a process of the run, <= 20 ns for one that is not ' +
    '(both read above an empty program; a bystander\'s is in the bystander pass: lab run row against the floor row)\n'
  );
}

type Bystander = { calls: number; reps: number; conditions: { name: string; hold: string; median: number; min: number; max: number; plusNs: number }[]; stats: { condition: string; program: string; events: number; ns: number }[] };

/** The bystander's cost per syscall (bench/watch-cost.ts --json, in its own processes). */
function bystander(byNs: Map<string, number>): string {
  const args = [join(DIST, 'bench', 'watch-cost.js'), '--json', '--transfer-mib', '0', '--calls', String(o.bystanderCalls), '--reps', String(o.bystanderReps)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench:watch-cost failed: ${r.stderr}`);
  const b = JSON.parse(r.stdout.trim().split('\n').pop()!) as Bystander;
  const t = new Table({ head: ['condition', 'ns/call median (min-max)', '+ns vs off', 'target <= +20 ns'], style: { head: [], border: [] } });
  const floor = b.conditions.find((c) => c.hold === 'floor');
  for (const c of b.conditions) {
    const target = c.hold === 'run' || c.hold === 'watch' || c.hold === 'idle' ? (c.plusNs <= 20 ? 'met' : `gap +${(c.plusNs - 20).toFixed(0)} ns${floor ? ` (floor +${floor.plusNs.toFixed(0)})` : ''}`) : '';
    t.push([c.name, `${c.median.toFixed(0)} (${c.min.toFixed(0)}-${c.max.toFixed(0)})`, c.plusNs.toFixed(0), target]);
  }
  const s = new Table({ head: ['condition (bpf_stats pass)', 'program', 'events', 'ns per event', 'above an empty program'], style: { head: [], border: [] } });
  const suffix = (name: string) => name.replace(/^[\w]+\//, '');
  for (const x of b.stats) {
    const empty = b.stats.find((y) => y.program.startsWith('floor/') && suffix(y.program) === suffix(x.program));
    const above = x.program.startsWith('floor/') || !empty || !x.events ? '' : (x.ns - empty.ns).toFixed(1);
    s.push([x.condition, x.program, x.events, x.ns.toFixed(1), above]);
  }
  for (const x of b.stats.filter((y) => y.condition.startsWith('lab run'))) byNs.set(x.program.replace(/^\w+\//, ''), x.ns);
  for (const x of b.stats.filter((y) => y.program.startsWith('floor/'))) byNs.set(x.program, x.ns);
  return (
    `a bystander: getppid() in a loop (sys_enter + sys_exit fire, nothing else), ${b.calls} calls x ${b.reps} reps per condition, rotating order\n` +
    `${t.toString()}\n` +
    'the floor is what any program on raw_syscalls costs every syscall of the machine here (the kernel\'s slow syscall path and the BPF dispatch); ' +
    'the run and watch rows minus the floor are what the programs themselves add\n' +
    `${s.toString()}\n`
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const parts: string[] = [`bench:probes: ${o.size} per transfer over ${o.path}, ${o.pairs} repetitions, ratios on/off per repetition: median (min-max); the machine may be shared (noisy)\n`];
  let cells: Cell[] = [];
  if (!skip.has('transfers')) {
    const floorDir = o.floor ? mkdtempSync(join(tmpdir(), 'zcl-bench-floor-')) : null;
    try {
      if (floorDir) buildFloor(floorDir);
      cells = await transfers(floorDir);
    } finally {
      if (floorDir) rmSync(floorDir, { recursive: true, force: true });
    }
    parts.push(transferTable(cells));
  }
  const byNs = new Map<string, number>();
  if (!skip.has('bystander')) parts.push(bystander(byNs));
  if (!skip.has('memcpy')) {
    const m = memcpyMiBps();
    const t = new Table({ head: ['mode', 'sender CPU copies per byte (textbook)', 'ceiling MiB/s', 'best MiB/s (off)', 'of the ceiling'], style: { head: [], border: [] } });
    for (const mode of modes) {
      const c = cells.filter((x) => x.mode === mode);
      const copies = c.flatMap((x) => [...x.on.values()].flat()).find((r) => r.textbook)?.textbook?.expected.cpuCopies;
      const best = c.length ? Math.max(...c.map((x) => median(x.off.map((r) => r.throughputMiBps)))) : null;
      const ceiling = copies === undefined ? null : copyCeiling(m.median, copies);
      t.push([mode, copies ?? '?', ceiling ? ceiling.toFixed(0) : 'none', best ? best.toFixed(0) : '-', ceiling && best ? (best / ceiling).toFixed(2) : '-']);
    }
    parts.push(`memcpy, one thread: ${m.median.toFixed(0)} MiB/s (${m.min.toFixed(0)}-${m.max.toFixed(0)})\n${t.toString()}\n${MEMCPY_NOTE}\n`);
  }
  if (!skip.has('events')) parts.push(await events(byNs));
  parts.push(`(${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  process.stdout.write(parts.join('\n'));
}

main().catch((e) => {
  process.stderr.write(`bench:probes: ${(e as Error).message}\n`);
  process.exit(1);
});
