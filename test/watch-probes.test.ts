// Watch mode, real eBPF: the probes count processes the lab did not start (here
// small Python senders, started before the watch and told to go after it), by
// tgid, with follow their children, and attribute transmit by the socket they
// sent on instead of the lab run's device and port. The ground truth every
// engine meets is in test/watch-harness.ts; the libbpf engine's own checks here.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libbpfEngine } from '../server/probes/select.js';
import { KiB } from './helpers.js';
import { children, cleanup, dataFile, pair, SIZE, watchGroundTruth } from './watch-harness.js';

// Fails (never skips) where eBPF cannot load: the error says what is missing.
const engine = libbpfEngine();

afterAll(cleanup);

describe('watch mode (libbpf)', () => {
  it('attaches the fork and exit programs and says what each counter counts when watching', () => {
    const caps = engine.capabilities();
    const attached = caps.programs.filter((p) => p.attached).map((p) => p.name);
    expect(attached).toEqual(expect.arrayContaining([expect.stringMatching(/sched_process_fork$/), expect.stringMatching(/sched_process_exit$/)]));
    const scope = Object.fromEntries(caps.counters.map((c) => [c.name, c.watch]));
    expect(scope.dev_xmit_bytes).toMatch(/no device filter/);
    expect(scope.copy_linearize_bytes).toMatch(/no device filter/);
    expect(scope.block_read_bytes).toMatch(/watched processes/);
  });

  it('rejects a process that is not running, with the field named', async () => {
    await expect(engine.watch!({ tgids: [4194304], follow: false })).rejects.toThrow(/^tgids: no running process 4194304/);
    await expect(engine.watch!({ tgids: [0], follow: false })).rejects.toThrow(/^tgids\[0\]/);
  });

  it('(d) follow: children running when the watch begins are found in /proc; an exited process leaves the map', async () => {
    const parent = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    children.push(parent);
    await new Promise((r) => setTimeout(r, 200));
    const tgids = await engine.watch!({ tgids: [parent.pid!], follow: true });
    try {
      expect(tgids.length).toBe(2); // sh and its sleep
      expect(engine.watched!().sort()).toEqual([...tgids].sort());
      const exited = new Promise((r) => parent.on('exit', r));
      process.kill(tgids.find((t) => t !== parent.pid)!, 'SIGKILL'); // the sleep: sh's wait returns, sh exits
      await exited;
      await new Promise((r) => setTimeout(r, 50));
      expect(engine.watched!()).toEqual([]);
    } finally {
      await engine.end();
    }
  });

  watchGroundTruth(engine);
});

// Watch mode's detail (LibbpfEngine.watchDetail): per process, per TCP connection
// and per file, each with its own counts.
describe('watch mode detail (libbpf): per process, connection and file', () => {
  const pageRound = (n: number) => Math.ceil(n / 4096) * 4096;
  let coldFile: string;
  beforeAll(() => {
    coldFile = join(dirname(dataFile()), 'cold');
    writeFileSync(coldFile, randomBytes(SIZE));
  });

  it('(f) two watched processes (sendfile; read + send over AF_INET6 to a v4-mapped address) each have their own rows; an unrelated one has none; exited ones keep their final counts', async () => {
    const a = await pair('sendfile', { linger: true });
    const b = await pair('rw', { linger: true, v6: true, cold: true, file: coldFile });
    const other = await pair('sendfile');
    await engine.watch!({ tgids: [a.pid, b.pid], follow: false });
    try {
      await Promise.all([a.go(), b.go(), other.go()]);
      const d = engine.watchDetail!();

      // Per process: their own counts, on the right counters.
      expect(d.processes.map((p) => p.tgid).sort()).toEqual([a.pid, b.pid].sort());
      const pa = d.processes.find((p) => p.tgid === a.pid)!;
      const pb = d.processes.find((p) => p.tgid === b.pid)!;
      for (const p of [pa, pb]) {
        expect(p.exited).toBe(false);
        expect(p.comm).toMatch(/^python/);
        expect(p.start).toBeGreaterThan(0);
      }
      expect(pa.counters.splice_ref_bytes).toBe(SIZE);
      expect(pa.counters.copy_user_to_socket_bytes).toBe(0);
      expect(pa.counters.copy_file_to_user_bytes).toBe(0);
      expect(pa.syscalls.sendfile).toBeGreaterThan(0);
      expect(pa.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE);
      expect(pb.counters.copy_file_to_user_bytes).toBe(SIZE);
      expect(pb.counters.copy_user_to_socket_bytes).toBe(SIZE);
      expect(pb.counters.splice_ref_bytes).toBe(0);
      expect(pb.syscalls.read).toBe(Math.ceil(SIZE / (64 * KiB)) + 1);
      expect(pb.syscalls.sendfile).toBeUndefined();
      expect(pb.counters.block_read_bytes).toBeGreaterThanOrEqual(SIZE); // its file was cold
      expect(pb.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE);
      // The processes' rows add up to the aggregate (nobody else counted).
      const agg = engine.read().sender.counters;
      for (const n of ['splice_ref_bytes', 'copy_file_to_user_bytes', 'copy_user_to_socket_bytes', 'dev_xmit_bytes'] as const)
        expect(pa.counters[n]! + pb.counters[n]!, n).toBe(agg[n]);

      // Per connection: the 4-tuple (the AF_INET6 socket's v4-mapped addresses shown as IPv4) and the bytes.
      expect(d.connections.map((c) => c.tgid).sort()).toEqual([a.pid, b.pid].sort());
      const ca = d.connections.find((c) => c.tgid === a.pid)!;
      const cb = d.connections.find((c) => c.tgid === b.pid)!;
      expect([ca.local, ca.remote]).toEqual([`127.0.0.1:${a.localPort}`, `127.0.0.1:${a.port}`]);
      expect([cb.local, cb.remote]).toEqual([`127.0.0.1:${b.localPort}`, `127.0.0.1:${b.port}`]);
      expect(ca.comm).toBe(pa.comm);
      expect(ca.counters.splice_ref_bytes).toBe(SIZE);
      expect(ca.counters.copy_user_to_socket_bytes).toBe(0);
      expect(ca.counters.dev_xmit_bytes).toBe(pa.counters.dev_xmit_bytes);
      expect(cb.counters.copy_user_to_socket_bytes).toBe(SIZE);
      expect(cb.counters.splice_ref_bytes).toBe(0);
      expect(cb.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE);
      expect(cb.counters.dev_xmit_bytes).toBeLessThanOrEqual(SIZE + cb.counters.retransmit_bytes!);
      expect(cb.counters.copy_linearize_bytes).toBe(0);
      for (const c of d.connections) expect(c.remote).not.toBe(`127.0.0.1:${other.port}`);

      // Per file: the path and the bytes, by how they left.
      expect(d.files.map((f) => f.tgid).sort()).toEqual([a.pid, b.pid].sort());
      const fa = d.files.find((f) => f.tgid === a.pid)!;
      const fb = d.files.find((f) => f.tgid === b.pid)!;
      const file = dataFile();
      const st = statSync(file);
      expect(fa.path).toBe(file);
      expect(fa.ino).toBe(st.ino);
      expect(fa.dev).toMatch(/^\d+:\d+$/);
      expect(fa.counters.splice_ref_bytes).toBe(SIZE);
      expect(fa.counters.copy_file_to_user_bytes).toBe(0);
      expect(fb.path).toBe(coldFile);
      expect(fb.counters.copy_file_to_user_bytes).toBe(SIZE);
      expect(fb.counters.splice_ref_bytes).toBe(0);
      expect(fb.counters.block_read_bytes).toBe(pb.counters.block_read_bytes);
      expect(fb.counters.block_read_bytes).toBeGreaterThanOrEqual(pageRound(SIZE));

      // They exit: reported exited, with the same final counts, now and after user space took them over.
      await Promise.all([a.exit(), b.exit()]);
      await new Promise((r) => setTimeout(r, 50));
      expect(engine.watched!()).toEqual([]);
      for (const wait of [0, 1200]) {
        await new Promise((r) => setTimeout(r, wait));
        const e = engine.watchDetail!();
        expect(e.processes.map((p) => [p.tgid, p.exited, p.comm, p.start])).toEqual(
          [pa, pb].sort((x, y) => x.tgid - y.tgid).map((p) => [p.tgid, true, p.comm, p.start]),
        );
        for (const p of [pa, pb]) {
          const q = e.processes.find((x) => x.tgid === p.tgid)!;
          for (const n of ['splice_ref_bytes', 'copy_file_to_user_bytes', 'copy_user_to_socket_bytes', 'block_read_bytes', 'dev_xmit_bytes'] as const)
            expect(q.counters[n], `${p.tgid} ${n} after ${wait} ms`).toBe(p.counters[n]);
          expect(q.syscalls).toEqual(p.syscalls);
        }
        expect(e.files.map((f) => [f.tgid, f.path, f.counters])).toEqual(
          [fa, fb].sort((x, y) => x.tgid - y.tgid).map((f) => [f.tgid, f.path, f.counters]),
        );
        expect(e.connections.map((c) => [c.tgid, c.comm, c.local, c.remote]).sort()).toEqual(
          [ca, cb].map((c) => [c.tgid, c.comm, c.local, c.remote]).sort(),
        );
      }
    } finally {
      await engine.end();
    }
  });

  it('(g) follow: a forked child gets its own row, from zero, with its own start time', async () => {
    const f = await pair('sendfile', { fork: true });
    await engine.watch!({ tgids: [f.pid], follow: true });
    try {
      await f.go();
      const d = engine.watchDetail!();
      expect(d.processes.length).toBe(2);
      const parent = d.processes.find((p) => p.tgid === f.pid)!;
      const child = d.processes.find((p) => p.tgid !== f.pid)!;
      expect(child.exited && parent.exited).toBe(true);
      expect(child.start).toBeGreaterThan(parent.start);
      expect(child.comm).toBe(parent.comm);
      expect(child.counters.splice_ref_bytes).toBe(SIZE);
      expect(parent.counters.splice_ref_bytes).toBe(0);
      expect(d.connections.map((c) => [c.tgid, c.local, c.counters.splice_ref_bytes])).toEqual([[child.tgid, `127.0.0.1:${f.localPort}`, SIZE]]);
      expect(d.files.map((x) => [x.tgid, x.counters.splice_ref_bytes])).toEqual([[child.tgid, SIZE]]);
    } finally {
      await engine.end();
    }
  });
});
