// node dist/bench/watch-cost.js [--calls 2000000] [--reps 7] [--cpu 0]
// What watching costs everyone else: a process that is NOT watched, calling
// getppid() in a loop (one syscall: sys_enter + sys_exit fire, nothing else),
// ns per call with the probes not attached, attached but idle (a lab run's
// config, no run), and attached in watch mode (watching another process, with
// follow), plus the loop itself watched (what a watched process pays per
// syscall). Each rep runs every attached condition once, in rotating order;
// "not attached" is measured before loading and again after closing the probes.
// The anchors (ebpf_exporter's benchmark): tracepoint +15-35 ns, fentry +24-42 ns per event.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Command } from 'commander';
import { max, median, min } from 'simple-statistics';
import { addon } from '../server/native.js';
import { libbpfEngine } from '../server/probes/select.js';

const o = new Command('bench:watch-cost')
  .option('--calls <n>', 'getppid calls per measurement', '2000000')
  .option('--reps <n>', 'measurements per condition', '7')
  .option('--cpu <n>', 'pin the loop to this CPU (taskset); -1: no pinning', '0')
  .parse()
  .opts();

// The loop: waits for a line on stdin (so it can be watched before it starts), then
// times `calls` raw getppid syscalls and prints the ns per call.
const LOOP_C = `
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  char line[8];
  printf("ready\\n"); fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.2f\\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}`;

const dir = mkdtempSync(join(tmpdir(), 'zcl-watch-cost-'));
const loopBin = join(dir, 'getppid-loop');
writeFileSync(`${loopBin}.c`, LOOP_C);
execFileSync('cc', ['-O2', '-o', loopBin, `${loopBin}.c`]);

/** Starts the loop, lets `before(pid)` run (e.g. watch it), then times it. */
async function measure(before?: (pid: number) => Promise<void>): Promise<number> {
  const cmd = Number(o.cpu) >= 0 ? ['taskset', '-c', String(o.cpu), loopBin] : [loopBin];
  const p: ChildProcess = spawn(cmd[0], [...cmd.slice(1), String(o.calls)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve) => p.stdout!.on('data', (d) => { out += d; if (out.includes('ready\n')) resolve(); }));
  const exited = new Promise<number | null>((resolve) => p.on('exit', resolve));
  await ready;
  if (before) await before(p.pid!);
  p.stdin!.write('go\n');
  if ((await exited) !== 0) throw new Error(`the loop failed: ${out}`);
  return Number(out.split('\n')[1]);
}

type Condition = { name: string; setup?: (loopPid: number) => Promise<void>; teardown?: () => Promise<void> };

async function main(): Promise<void> {
  const reps = Number(o.reps);
  const results = new Map<string, number[]>();
  const record = (name: string, v: number) => results.set(name, [...(results.get(name) ?? []), v]);
  process.stderr.write(`${o.calls} getppid calls per measurement, ${reps} reps${Number(o.cpu) >= 0 ? `, loop on CPU ${o.cpu}` : ''}\n`);

  for (let i = 0; i < reps; i++) record('not attached (before loading)', await measure());

  const engine = libbpfEngine();
  // Someone to watch who is not the loop: a sleeping process.
  const other = spawn('sleep', ['3600'], { stdio: 'ignore' });
  const conditions: Condition[] = [
    { name: 'attached, idle (lab-run config, no run)' },
    {
      name: 'attached, watch mode, loop not watched',
      setup: async () => void (await engine.watch!({ tgids: [other.pid!], follow: true })),
      teardown: () => engine.end(),
    },
    {
      name: 'attached, watch mode, the loop watched',
      setup: async (pid) => void (await engine.watch!({ tgids: [other.pid!, pid], follow: true })),
      teardown: () => engine.end(),
    },
  ];
  for (let i = 0; i < reps; i++)
    for (let k = 0; k < conditions.length; k++) {
      const c = conditions[(i + k) % conditions.length]; // rotate the order so drift spreads evenly
      const ns = await measure(c.setup);
      await c.teardown?.();
      record(c.name, ns);
    }
  other.kill('SIGKILL');
  addon().probes.close();
  for (let i = 0; i < reps; i++) record('not attached (after closing)', await measure());

  const base = median([...results.get('not attached (before loading)')!, ...results.get('not attached (after closing)')!]);
  const t = new Table({ head: ['condition', 'ns/call median', 'min', 'max', '+ns vs not attached', 'ratio'], style: { head: [], border: [] } });
  for (const [name, xs] of results) {
    const m = median(xs);
    t.push([name, m.toFixed(1), min(xs).toFixed(1), max(xs).toFixed(1), (m - base).toFixed(1), (m / base).toFixed(3)]);
  }
  process.stdout.write(`\ngetppid() loop, ${o.calls} calls x ${reps} reps per condition; not attached = median of both not-attached rows (${base.toFixed(1)} ns)\n${t.toString()}\n`);
  process.stdout.write('anchors (ebpf_exporter): tracepoint +15-35 ns, fentry +24-42 ns per event; a syscall fires two (sys_enter, sys_exit)\n');
}

main()
  .catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
