// npm run bench:live -- [--clients 50] [--runs 3] [--mode read-write] [--path veth-nosg] [--size 1GiB] [--chunk 4KiB]
// The live stream under load: a real `zcl serve` process, N WebSocket clients
// during real transfers. Measures the server's CPU, the frame latency from the
// tick (the server reading the maps) to each client, every client's frame
// rate, and the server's memory over time. The peer, measured in the same
// run: the same transfer watched by one client.
// Targets: p95 latency < 50 ms, every client >= 9 frames/s, memory flat.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Command } from 'commander';
import { quantile } from 'simple-statistics';
import WebSocket from 'ws';
import { DIST } from '../server/project.js';
import type { RunFrame, SampleFrame, ServerFrame } from '../server/live/frames.js';

const o = new Command('bench:live')
  .option('--clients <n>', 'WebSocket clients watching each run', '50')
  .option('--runs <n>', 'transfers with all clients (memory is compared across them)', '3')
  .option('--mode <mode>', 'transfer mode', 'read-write')
  .option('--path <path>', 'network path', 'veth-nosg')
  .option('--size <size>', 'bytes per transfer (a few seconds of transfer)', '1GiB')
  .option('--chunk <size>', 'bytes per syscall', '4KiB')
  .parse()
  .opts();

const CLK_TCK = 100;
const resultsDir = mkdtempSync(join(tmpdir(), 'zcl-bench-live-'));
const now = () => performance.timeOrigin + performance.now();

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
function procStats(pid: number): { cpu: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpu, rssMiB: rss ? Number(rss[1]) / 1024 : NaN };
}

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  // The bench's runs go to a results directory of their own, not the lab's history.
  const child = spawn(process.execPath, [join(DIST, 'server', 'cli', 'zcl.js'), 'serve', '--port', '0', '--results', resultsDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /is live: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`zcl serve exited ${code}: ${out}`)));
  });
  return { child, url };
}

interface Watcher { ws: WebSocket; frames: { seq: number; latencyMs: number; at: number; runId: string }[]; events: RunFrame[] }

function watch(url: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + 'live');
    const w: Watcher = { ws, frames: [], events: [] };
    ws.on('message', (d) => {
      const at = now();
      const f = JSON.parse(d.toString()) as ServerFrame;
      if (f.type === 'sample') w.frames.push({ seq: f.seq, latencyMs: at - (f as SampleFrame).wall, at, runId: f.runId });
      else if (f.type === 'run') w.events.push(f);
      else if (f.type === 'hello') resolve(w);
    });
    ws.on('error', reject);
  });
}

async function transfer(url: string, watchers: Watcher[], pid: number, rss: { t: number; rssMiB: number }[]) {
  const res = await fetch(url + 'api/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: o.mode, path: o.path, sizeBytes: o.size, chunkBytes: o.chunk }),
  });
  if (res.status !== 202) throw new Error(`POST /api/runs: ${res.status} ${await res.text()}`);
  const { run } = (await res.json()) as { run: { id: string } };
  const before = procStats(pid);
  const t0 = now();
  const poll = setInterval(() => rss.push({ t: (now() - t0) / 1000, rssMiB: procStats(pid).rssMiB }), 250);
  // Wait for the end on the first watcher.
  const end = await new Promise<RunFrame>((resolve) => {
    const check = setInterval(() => {
      const e = watchers[0].events.find((x) => x.run.id === run.id && ['finished', 'failed', 'cancelled'].includes(x.event));
      if (e) {
        clearInterval(check);
        resolve(e);
      }
    }, 20);
  });
  clearInterval(poll);
  const after = procStats(pid);
  if (end.event !== 'finished') throw new Error(`the run ${end.event}: ${end.run.error?.message}`);
  const wall = (now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 200)); // frames in flight
  const perClient = watchers.map((w) => {
    const fs = w.frames.filter((f) => f.runId === run.id);
    const span = fs.length > 1 ? (fs.at(-1)!.at - fs[0].at) / 1000 : 0;
    let gaps = 0;
    for (let i = 1; i < fs.length; i++) gaps += fs[i].seq - fs[i - 1].seq - 1;
    return { n: fs.length, rate: span ? (fs.length - 1) / span : 0, gaps, latencies: fs.map((f) => f.latencyMs) };
  });
  const lat = perClient.flatMap((c) => c.latencies).sort((a, b) => a - b);
  return {
    id: run.id,
    seconds: end.run.result!.wallSeconds,
    throughput: end.run.result!.throughputMiBps,
    serverCpuPct: ((after.cpu - before.cpu) / wall) * 100,
    rssAfter: after.rssMiB,
    frames: perClient.reduce((a, c) => a + c.n, 0),
    minRate: Math.min(...perClient.map((c) => c.rate)),
    gaps: perClient.reduce((a, c) => a + c.gaps, 0),
    p50: quantile(lat, 0.5),
    p95: quantile(lat, 0.95),
    max: lat.at(-1)!,
  };
}

async function main(): Promise<void> {
  const { child, url } = await startServer();
  const pid = child.pid!;
  const rss: { t: number; rssMiB: number }[] = [];
  const watchers: Watcher[] = [];
  try {
    process.stderr.write(`bench:live: server ${url} (pid ${pid}); warm-up run (the data file is made once)\n`);
    watchers.push(await watch(url));
    await transfer(url, watchers, pid, []);
    const rssStart = procStats(pid).rssMiB;
    process.stderr.write('bench:live: peer: 1 client\n');
    const peer = await transfer(url, watchers, pid, rss);
    const n = Number(o.clients);
    while (watchers.length < n) watchers.push(await watch(url));
    const rows = [];
    for (let i = 0; i < Number(o.runs); i++) {
      process.stderr.write(`bench:live: ${n} clients, run ${i + 1}/${o.runs}\n`);
      rows.push(await transfer(url, watchers, pid, rss));
    }
    const t = new Table({
      head: ['clients', 'transfer s', 'MiB/s', 'server CPU %', 'frames', 'min frames/s per client', 'gaps', 'latency p50 ms', 'p95 ms', 'max ms', 'server RSS after, MiB'],
      style: { head: [], border: [] },
    });
    const row = (c: number, r: typeof peer) => [c, r.seconds.toFixed(2), r.throughput.toFixed(0), r.serverCpuPct.toFixed(1), r.frames, r.minRate.toFixed(2), r.gaps, r.p50.toFixed(2), r.p95.toFixed(2), r.max.toFixed(1), r.rssAfter.toFixed(1)];
    t.push(row(1, peer));
    for (const r of rows) t.push(row(n, r));
    process.stdout.write(`\n${o.mode} over ${o.path}, ${o.size} in ${o.chunk} chunks; server: zcl serve (pid ${pid}), CPU from /proc (server process only)\n${t.toString()}\n`);
    const worst = { p95: Math.max(...rows.map((r) => r.p95)), rate: Math.min(...rows.map((r) => r.minRate)) };
    const cpu = rows.reduce((a, r) => a + r.serverCpuPct, 0) / rows.length;
    const rssEnd = procStats(pid).rssMiB;
    const maxRss = Math.max(...rss.map((x) => x.rssMiB));
    process.stdout.write(
      `server CPU with ${n} clients vs 1: ${cpu.toFixed(1)}% vs ${peer.serverCpuPct.toFixed(1)}% (ratio ${(cpu / peer.serverCpuPct).toFixed(2)})\n` +
        `server RSS: ${rssStart.toFixed(1)} MiB after warm-up, ${rssEnd.toFixed(1)} MiB at the end, max ${maxRss.toFixed(1)} MiB during the runs; after each ${n}-client run: ${rows.map((r) => r.rssAfter.toFixed(1)).join(', ')} MiB\n` +
        `targets: p95 < 50 ms: ${worst.p95.toFixed(2)} ms ${worst.p95 < 50 ? 'ok' : 'MISSED'}; every client >= 9 frames/s: min ${worst.rate.toFixed(2)} ${worst.rate >= 9 ? 'ok' : 'MISSED'}; ` +
        `memory flat (last run's RSS within 10% of the first's): ${rows.at(-1)!.rssAfter <= rows[0].rssAfter * 1.1 ? 'ok' : 'MISSED'}\n`,
    );
  } finally {
    for (const w of watchers) w.ws.terminate();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(resultsDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:live: ${(e as Error).message}\n`);
  process.exit(1);
});
