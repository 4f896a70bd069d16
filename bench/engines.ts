// npm run bench:engines -- [--size 1GiB] [--chunk 64KiB] [--rounds 5] [--modes read-write,sendfile] [--path loopback]
// What each probe engine costs the same transfer: no probes, libbpf, bpftrace,
// each run in a fresh `zcl run --json` process, the three in a rotating order
// in every round (so drift spreads evenly), medians; throughput and the
// sender's CPU seconds per GiB as ratios against no probes. Also the whole
// process's wall time: what starting the engine adds to a run (bpftrace
// compiles and attaches its script for every run; libbpf loads once per process).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Command } from 'commander';
import { median } from 'simple-statistics';
import { DIST } from '../server/project.js';
import type { RunResult } from '../server/run/result.js';

const o = new Command('bench:engines')
  .option('--size <size>', 'bytes per transfer', '1GiB')
  .option('--chunk <size>', 'bytes per syscall', '64KiB')
  .option('--rounds <n>', 'rounds (each runs every variant once)', '5')
  .option('--modes <list>', 'modes to measure', 'read-write,sendfile')
  .option('--path <path>', 'network path', 'loopback')
  .parse()
  .opts();

const VARIANTS = [
  { name: 'no probes', args: ['--no-probes'] },
  { name: 'libbpf', args: ['--engine', 'libbpf'] },
  { name: 'bpftrace', args: ['--engine', 'bpftrace'] },
] as const;

interface Sample { r: RunResult; processSeconds: number }

function zclRun(mode: string, args: readonly string[]): Sample {
  const argv = [join(DIST, 'server', 'cli', 'zcl.js'), 'run', '--mode', mode, '--path', o.path, '--size', o.size, '--chunk', o.chunk, '--json', ...args];
  const t0 = performance.now();
  const p = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  const processSeconds = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`zcl run ${args.join(' ')} failed: ${p.stderr}`);
  const r = JSON.parse(p.stdout) as RunResult;
  const wanted = args.includes('--no-probes') ? 'off' : 'ok';
  if (r.probes?.status !== wanted) throw new Error(`zcl run ${args.join(' ')}: probes ${r.probes?.status} (${r.probes?.reason ?? ''}), expected ${wanted}`);
  return { r, processSeconds };
}

function main(): void {
  const modes = String(o.modes).split(',');
  const rounds = Number(o.rounds);
  const table = new Table({
    head: ['mode', 'engine', 'MiB/s', 'throughput ratio', 'sender CPU s/GiB', 'CPU ratio', 'process wall s'],
    style: { head: [], border: [] },
  });
  for (const mode of modes) {
    const samples = new Map<string, Sample[]>(VARIANTS.map((v) => [v.name, []]));
    for (let i = 0; i < rounds; i++) {
      // Rotate the order: each variant goes first, second and third equally often.
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(i + k) % VARIANTS.length];
        samples.get(v.name)!.push(zclRun(mode, v.args));
      }
      process.stderr.write(`${mode}: round ${i + 1}/${rounds}\n`);
    }
    const tput = (xs: Sample[]) => median(xs.map((s) => s.r.throughputMiBps));
    const cpu = (xs: Sample[]) => median(xs.map((s) => s.r.sender.cpuSecondsPerGiB));
    const wall = (xs: Sample[]) => median(xs.map((s) => s.processSeconds));
    const base = samples.get('no probes')!;
    for (const v of VARIANTS) {
      const xs = samples.get(v.name)!;
      table.push([
        mode, v.name, tput(xs).toFixed(0), (tput(xs) / tput(base)).toFixed(3), cpu(xs).toFixed(3), (cpu(xs) / cpu(base)).toFixed(3), wall(xs).toFixed(2),
      ]);
    }
  }
  process.stdout.write(
    `\n${o.size} per transfer over ${o.path}, chunk ${o.chunk}, ${rounds} rounds (no probes, libbpf, bpftrace in rotating order), medians\n` +
      `${table.toString()}\n` +
      'ratios: against no probes in the same rounds (throughput: higher is better; CPU: lower is better).\n' +
      'process wall s: the whole zcl run process, setup included (bpftrace compiles and attaches per run).\n',
  );
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench:engines: ${(e as Error).message}\n`);
  process.exit(1);
}
