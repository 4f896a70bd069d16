// node dist/bench/watch-cost.js [--calls 2000000] [--reps 7] [--cpu 0] [--transfer-mib 64] [--json]
// What the probes cost everyone else: a process that is NOT watched, calling
// getppid() in a loop (one syscall: sys_enter + sys_exit fire, nothing else),
// ns per call with the probes not attached; with two empty programs on the
// same tracepoints (the floor: what attaching anything to raw_syscalls costs
// every syscall, whatever the program does); loaded but idle (no run: the
// syscall tracepoints are detached between runs); during a lab run of other
// processes (the loop is a bystander); and attached in watch mode (watching
// another process, with follow); plus the loop itself watched (what a watched
// process pays per syscall). --json prints the figures as one JSON line
// (bench:probes reads them). The probes load once per process, so each attached measurement
// gets a fresh holder process (this script with --hold) that loads them, sets
// the condition and keeps them until the loop is done; every rep runs all four
// conditions in rotating order, so the machine's drift spreads over all of them.
// Last, the watched process's own throughput: a file sent over loopback (read + write,
// and sendfile) with the probes not attached vs watching the sender, in pairs.
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
import { buildFloor, heldUntilStdinEnds, holdFloor } from './lib/floor.js';

const o = new Command('bench:watch-cost')
  .option('--calls <n>', 'getppid calls per measurement', '2000000')
  .option('--reps <n>', 'measurements per condition', '7')
  .option('--cpu <n>', 'pin the loop to this CPU (taskset); -1: no pinning', '0')
  .option('--transfer-mib <n>', 'the watched transfer: file size in MiB (sent 4 times per measurement); 0 skips it', '64')
  .option('--json', 'print the results as JSON (one line) instead of tables')
  .option('--no-stats-pass', 'skip the bpf_stats pass')
  .option('--hold <condition>', '(internal) load the probes, set the condition, hold them until stdin ends')
  .option('--watch <pids>', '(internal) with --hold: the tgids to watch')
  .option('--stats', '(internal) with --hold: enable kernel.bpf_stats, print the syscall programs\' ns per event at the end')
  .parse()
  .opts();

// The loop: waits for a line on stdin (so it can be watched before it starts), then
// times `calls` raw getppid syscalls and prints the ns per call. The same binary
// is the watched transfer: `recv` drains a loopback connection, `send` sends a
// file over it (read + write in 64 KiB, or sendfile) and prints MiB/s.
const LOOP_C = `
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <string.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
/* recv: listens on 127.0.0.1, says the port, drains one connection. */
static int recv_main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &al)) return 1;
  printf("port %d\\n", ntohs(a.sin_port)); fflush(stdout);
  int c = accept(l, 0, 0);
  static char buf[1 << 20];
  while (read(c, buf, sizeof buf) > 0) {}
  return 0;
}
/* send FILE PORT rw|sendfile REPS: connects, says ready, waits for a line, sends the file REPS times, prints MiB/s. */
static int send_main(char **argv) {
  int f = open(argv[2], O_RDONLY), reps = atoi(argv[5]), sf = !strcmp(argv[4], "sendfile");
  struct stat st; fstat(f, &st);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (connect(s, (struct sockaddr *)&a, sizeof a)) return 1;
  char line[8]; static char buf[65536];
  printf("ready\\n"); fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  double t0 = now();
  for (int r = 0; r < reps; r++) {
    off_t off = 0;
    if (sf) { while (off < st.st_size) { ssize_t n = sendfile(s, f, &off, 1 << 20); if (n <= 0) return 1; } }
    else {
      lseek(f, 0, SEEK_SET);
      for (;;) { ssize_t n = read(f, buf, sizeof buf); if (n <= 0) break; for (ssize_t w = 0; w < n;) { ssize_t k = write(s, buf + w, n - w); if (k <= 0) return 1; w += k; } }
    }
  }
  double t = now() - t0;
  close(s);
  printf("%.2f\\n", (double)st.st_size * reps / t / 1048576);
  return 0;
}
int main(int argc, char **argv) {
  if (!strcmp(argv[1], "recv")) return recv_main();
  if (!strcmp(argv[1], "send")) return send_main(argv);
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

// The loop's binary, compiled here (not in a holder process).
const dir = o.hold ? undefined : mkdtempSync(join(tmpdir(), 'zcl-watch-cost-'));
const loopBin = join(dir ?? '', 'getppid-loop');
if (dir) {
  try {
    writeFileSync(`${loopBin}.c`, LOOP_C);
    execFileSync('cc', ['-O2', '-o', loopBin, `${loopBin}.c`]);
    buildFloor(dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true }); // a failed compile leaves nothing behind
    throw e;
  }
}

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

/** --hold: loads the probes, sets the condition, says `attached`, holds until stdin ends. */
async function hold(): Promise<void> {
  const engine = libbpfEngine();
  if (o.stats && !addon().probes.enableStats()) throw new Error('cannot enable kernel.bpf_stats');
  const before = addon().probes.stats();
  const pids = String(o.watch).split(',').map(Number);
  // A lab run's config whose roles are other processes (the loop is a bystander).
  if (o.hold === 'run') await engine.begin({ senderPid: pids[0], sinkPid: pids[1] ?? pids[0], ifindex: 1, netnsInode: 0, sinkPort: 9, file: '' });
  else if (o.hold !== 'idle') await engine.watch!({ tgids: pids, follow: true });
  process.stdout.write('attached\n');
  process.stdin.resume();
  await new Promise((r) => process.stdin.on('end', r));
  if (o.stats) {
    const per = addon()
      .probes.stats()
      .filter((x) => /sys_(enter|exit)$/.test(x.name))
      .map((x) => {
        const b = before.find((y) => y.name === x.name)!;
        return { name: x.name, events: x.runCount - b.runCount, ns: (x.runTimeNs - b.runTimeNs) / Math.max(1, x.runCount - b.runCount) };
      });
    process.stdout.write(`stats ${JSON.stringify(per)}\n`);
  }
  await engine.end();
  addon().probes.close();
}

/** A holder process for one measurement (see hold()); the floor's is its own loader. */
async function holder(condition: string, watch: number[], stats = false): Promise<() => Promise<string>> {
  if (condition === 'floor') return holdFloor(dir!, stats);
  const args = [process.argv[1], '--hold', condition, '--watch', watch.join(',') || '0', ...(stats ? ['--stats'] : [])];
  return heldUntilStdinEnds(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] }), 'the probe holder');
}

/** The watched transfer: a receiver, then a sender (watched by `before`), timed; MiB/s. */
async function measureTransfer(file: string, mode: 'rw' | 'sendfile', before?: (pid: number) => Promise<void>): Promise<number> {
  const recv = spawn(loopBin, ['recv'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => { let out = ''; recv.stdout!.on('data', (d) => { out += d; const m = /port (\d+)/.exec(out); if (m) resolve(m[1]); }); });
  const cmd = Number(o.cpu) >= 0 ? ['taskset', '-c', String(o.cpu), loopBin] : [loopBin];
  const p = spawn(cmd[0], [...cmd.slice(1), 'send', file, port, mode, '4'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve) => p.stdout!.on('data', (d) => { out += d; if (out.includes('ready\n')) resolve(); }));
  const exited = new Promise<number | null>((resolve) => p.on('exit', resolve));
  await ready;
  if (before) await before(p.pid!);
  p.stdin!.write('go\n');
  const code = await exited;
  await new Promise((r) => (recv.exitCode !== null ? r(null) : recv.on('exit', r)));
  if (code !== 0) throw new Error(`the sender failed: ${out}`);
  return Number(out.split('\n')[1]);
}

/** Watched vs not: the transfer's throughput, reps of each in alternating order. */
async function transfers(reps: number): Promise<void> {
  const mib = Number(o.transferMib);
  if (!(mib > 0)) return;
  const file = join(dir!, 'data');
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${mib}`, 'status=none']);
  execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 }); // warm
  const t = new Table({ head: ['sender', 'MiB/s not attached (median, min-max)', 'MiB/s watched (median, min-max)', 'ratio watched/not (median of pairs)'], style: { head: [], border: [] } });
  for (const mode of ['rw', 'sendfile'] as const) {
    const off: number[] = [], on: number[] = [], ratios: number[] = [];
    for (let i = 0; i < reps; i++) {
      const pair: Record<string, number> = {};
      for (const watched of i % 2 ? [true, false] : [false, true]) {
        let release: (() => Promise<unknown>) | undefined;
        pair[String(watched)] = await measureTransfer(file, mode, watched ? async (pid) => { release = await holder('watch', [pid]); } : undefined);
        await release?.();
      }
      off.push(pair.false); on.push(pair.true); ratios.push(pair.true / pair.false);
    }
    const f = (xs: number[]) => `${median(xs).toFixed(0)} (${min(xs).toFixed(0)}-${max(xs).toFixed(0)})`;
    t.push([mode === 'rw' ? 'read + write, 64 KiB' : 'sendfile, 1 MiB', f(off), f(on), `${median(ratios).toFixed(3)} (${min(ratios).toFixed(3)}-${max(ratios).toFixed(3)})`]);
  }
  process.stdout.write(`\nthe watched process's own throughput: ${mib} MiB x 4 over loopback per measurement, ${reps} pairs, alternating order\n${t.toString()}\n`);
}

type Condition = { name: string; watch?: (loopPid: number) => number[]; hold?: string };

async function main(): Promise<void> {
  if (o.hold) return hold();
  const reps = Number(o.reps);
  // Someone to watch who is not the loop: a sleeping process.
  const other = spawn('sleep', ['3600'], { stdio: 'ignore' });
  const other2 = spawn('sleep', ['3600'], { stdio: 'ignore' });
  const conditions: Condition[] = [
    { name: 'not attached' },
    { name: 'floor: 2 empty programs on sys_enter/sys_exit', hold: 'floor' },
    { name: 'loaded, idle (no run: syscall tracepoints detached)', hold: 'idle' },
    { name: 'lab run of other processes (loop not a role)', hold: 'run', watch: () => [other.pid!, other2.pid!] },
    { name: 'attached, watch mode, loop not watched', hold: 'watch', watch: () => [other.pid!] },
    { name: 'attached, watch mode, the loop watched', hold: 'watch', watch: (pid) => [other.pid!, pid] },
  ];
  const results = new Map<string, number[]>(conditions.map((c) => [c.name, []]));
  process.stderr.write(`${o.calls} getppid calls per measurement, ${reps} reps${Number(o.cpu) >= 0 ? `, loop on CPU ${o.cpu}` : ''}\n`);
  try {
    for (let i = 0; i < reps; i++) {
      for (let k = 0; k < conditions.length; k++) {
        const c = conditions[(i + k) % conditions.length]; // rotate the order so drift spreads evenly
        let release: (() => Promise<unknown>) | undefined;
        const ns = await measure(async (pid) => {
          if (c.hold) release = await holder(c.hold, c.watch?.(pid) ?? []);
        });
        await release?.();
        results.get(c.name)!.push(ns);
      }
      process.stderr.write(`rep ${i + 1}/${reps}\n`);
    }
  } finally {
    other.kill('SIGKILL');
    other2.kill('SIGKILL');
  }

  const base = median(results.get('not attached')!);
  const rows = conditions.map((c) => {
    const xs = results.get(c.name)!;
    return { name: c.name, hold: c.hold ?? 'off', median: median(xs), min: min(xs), max: max(xs), plusNs: median(xs) - base };
  });
  if (!o.json) {
    const t = new Table({ head: ['condition', 'ns/call median', 'min', 'max', '+ns (median)', 'ratio (median)'], style: { head: [], border: [] } });
    for (const r of rows) t.push([r.name, r.median.toFixed(1), r.min.toFixed(1), r.max.toFixed(1), r.plusNs.toFixed(1), (r.median / base).toFixed(3)]);
    process.stdout.write(`\ngetppid() loop, ${o.calls} calls x ${reps} reps per condition, rotating order\n${t.toString()}\n`);
    process.stdout.write('anchors (ebpf_exporter): tracepoint +15-35 ns, fentry +24-42 ns per event; a syscall fires two (sys_enter, sys_exit)\n');
  }

  // The programs' own run time per event (kernel.bpf_stats, one loop per attached
  // condition): the part of the cost the BPF code decides, without the attach
  // trampoline and with less of the machine's drift. Stats add their own clock reads.
  const stats: { condition: string; program: string; events: number; ns: number }[] = [];
  if (o.statsPass) {
    const other3 = spawn('sleep', ['3600'], { stdio: 'ignore' });
    const other4 = spawn('sleep', ['3600'], { stdio: 'ignore' });
    const alive = (t: number) => (t === other.pid ? other3.pid! : t === other2.pid ? other4.pid! : t);
    try {
      for (const c of conditions.filter((x) => x.hold)) {
        let release: (() => Promise<string>) | undefined;
        await measure(async (pid) => {
          release = await holder(c.hold!, c.watch ? c.watch(pid).map(alive) : [], true);
        });
        const out = await release!();
        const per = JSON.parse(/^stats (.*)$/m.exec(out)![1]) as { name: string; events: number; ns: number }[];
        for (const x of per) stats.push({ condition: c.name, program: x.name, events: x.events, ns: x.ns });
      }
    } finally {
      other3.kill('SIGKILL');
      other4.kill('SIGKILL');
    }
    if (!o.json) {
      const st = new Table({ head: ['condition (bpf_stats pass)', 'program', 'events', 'ns per event'], style: { head: [], border: [] } });
      for (const x of stats) st.push([x.condition, x.program, x.events, x.ns.toFixed(1)]);
      process.stdout.write(`\nthe syscall programs' own cost per event, one ${o.calls}-call loop per condition (events: every process's)\n${st.toString()}\n`);
    }
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ calls: Number(o.calls), reps, conditions: rows, stats })}\n`);
  else await transfers(reps);
}

main()
  .catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(() => dir && rmSync(dir, { recursive: true, force: true }));
