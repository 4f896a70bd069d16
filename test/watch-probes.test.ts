// Watch mode, real eBPF: the probes count processes the lab did not start (here
// small Python senders, started before the watch and told to go after it), by
// tgid, with follow their children, and attribute transmit by the socket they
// sent on instead of the lab run's device and port.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libbpfEngine } from '../server/probes/select.js';
import type { RoleCounts } from '../server/probes/types.js';
import { openPath, type NetPath } from '../server/run/netpath.js';
import { KiB, MiB } from './helpers.js';

// Fails (never skips) where eBPF cannot load: the error says what is missing.
const engine = libbpfEngine();
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SIZE = MiB + 4097; // small, and not a multiple of any chunk

// Connects (AF_INET, or AF_INET6 to the v4-mapped address if asked) and opens
// the file (dropped from the page cache first if asked), says `ready <pid>
// <local port>`, waits for a line on stdin, then sends the file (sendfile, or
// read + send in 64 KiB chunks), in a forked child if asked; says `done`, and
// exits (after one more line on stdin if asked to linger). Nothing but the
// transfer happens after the go.
const SENDER = `
import os, socket, sys
mode, host, port, path, fork = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == '1'
v6, cold, linger = sys.argv[6] == '1', sys.argv[7] == '1', sys.argv[8] == '1'
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.connect(('::ffff:' + host, port))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((host, port))
f = open(path, 'rb', buffering=0)
if cold:
    os.fsync(f.fileno())
    os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
def send():
    if mode == 'sendfile':
        s.sendfile(f)
    else:
        while True:
            b = os.read(f.fileno(), 65536)
            if not b:
                break
            v = memoryview(b)
            while v:
                v = v[s.send(v):]
sys.stdout.write('ready %d %d\\n' % (os.getpid(), s.getsockname()[1])); sys.stdout.flush()
sys.stdin.readline()
if fork:
    child = os.fork()
    if child == 0:
        send()
        s.close()
        os._exit(0)
    os.waitpid(child, 0)
else:
    send()
s.close()
sys.stdout.write('done\\n'); sys.stdout.flush()
if linger:
    sys.stdin.readline()
`;

// Listens, says `port <n>`, reads one connection to its end, says `got <bytes>`.
const RECEIVER = `
import socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind((sys.argv[1], 0)); l.listen(1)
sys.stdout.write('port %d\\n' % l.getsockname()[1]); sys.stdout.flush()
c, _ = l.accept(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    n += len(b)
sys.stdout.write('got %d\\n' % n); sys.stdout.flush()
`;

const children: ChildProcess[] = [];

/** A Python process (in a network namespace if given) and its next output lines. */
function python(code: string, args: string[], netns?: string) {
  const cmd = netns ? ['ip', 'netns', 'exec', netns, PY] : [PY];
  const p = spawn(cmd[0], [...cmd.slice(1), '-c', code, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(p);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: p.stdout! }).on('line', (l) => {
    lines.push(l);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<void>((resolve) => p.on('exit', () => { waiters.splice(0).forEach((w) => w()); resolve(); }));
  /** The next line starting with `prefix`: its words after the prefix. */
  const line = async (prefix: string): Promise<string> => {
    for (;;) {
      const i = lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return lines.splice(i, 1)[0].slice(prefix.length).trim();
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`python exited (${p.exitCode ?? p.signalCode}) before '${prefix}'`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { p, line, exited };
}

/**
 * A receiver and a sender connected to it, the sender waiting for the go. v6: an
 * AF_INET6 socket to the v4-mapped address; cold: its file dropped from the page
 * cache; linger: the sender exits only at exit().
 */
async function pair(mode: 'sendfile' | 'rw', opts: { fork?: boolean; path?: NetPath; v6?: boolean; cold?: boolean; linger?: boolean; file?: string } = {}) {
  const recv = python(RECEIVER, [opts.path?.sinkHost ?? '127.0.0.1'], opts.path?.sinkNetns);
  const port = Number(await recv.line('port'));
  const flag = (b?: boolean) => (b ? '1' : '0');
  const args = [mode, opts.path?.sinkHost ?? '127.0.0.1', String(port), opts.file ?? file, flag(opts.fork), flag(opts.v6), flag(opts.cold), flag(opts.linger)];
  const send = python(SENDER, args, opts.path?.senderNetns);
  const [pid, localPort] = (await send.line('ready')).split(' ').map(Number);
  return {
    pid,
    /** The connection's ports: the sender's (local) and the receiver's. */
    localPort,
    port,
    /** Tells the sender to go; resolves when the receiver has every byte (and, unless it lingers, both exited). */
    go: async () => {
      send.p.stdin!.write('go\n');
      await send.line('done');
      expect(Number(await recv.line('got'))).toBe(SIZE);
      await Promise.all([opts.linger ? undefined : send.exited, recv.exited]);
    },
    /** A lingering sender: lets it exit. */
    exit: async () => {
      send.p.stdin!.write('exit\n');
      await send.exited;
    },
  };
}

/** Watches `pids`, runs the pairs to their end, and returns the watched processes' counts. */
async function watched(pids: number[], follow: boolean, go: () => Promise<unknown>): Promise<RoleCounts> {
  await engine.watch!({ tgids: pids, follow });
  try {
    await go();
    return (await engine.final()).sender;
  } finally {
    await engine.end();
  }
}

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join('/var/tmp', 'zcl-watch-test-'));
  file = join(dir, 'data');
  writeFileSync(file, randomBytes(SIZE));
});
afterAll(() => {
  children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  rmSync(dir, { recursive: true, force: true });
});

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

  it('(a) sendfile over loopback: the pages go by reference, the payload leaves on lo', async () => {
    const a = await pair('sendfile');
    const s = await watched([a.pid], false, a.go);
    expect(s.counters.splice_ref_bytes).toBe(SIZE);
    expect(s.syscalls.sendfile).toBeGreaterThan(0);
    expect(s.counters.copy_user_to_socket_bytes).toBe(0);
    expect(s.counters.copy_file_to_user_bytes).toBe(0);
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE);
    expect(s.counters.dev_xmit_bytes).toBeLessThanOrEqual(SIZE + s.counters.retransmit_bytes!);
    expect(s.counters.copy_linearize_bytes).toBe(0); // lo gathers
  });

  it('(b) read + send: the file is copied to user space and back into the socket', async () => {
    const b = await pair('rw');
    const s = await watched([b.pid], false, b.go);
    expect(s.counters.copy_file_to_user_bytes).toBe(SIZE);
    expect(s.counters.copy_user_to_socket_bytes).toBe(SIZE);
    expect(s.counters.splice_ref_bytes).toBe(0);
    expect(s.syscalls.read).toBe(Math.ceil(SIZE / (64 * KiB)) + 1); // the last read returns 0 (end of file)
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE);
  });

  it('(c) an unrelated process doing the same at the same time is not counted', async () => {
    const [mine, other] = [await pair('sendfile'), await pair('sendfile')];
    const [mineRw, otherRw] = [await pair('rw'), await pair('rw')];
    const s = await watched([mine.pid, mineRw.pid], false, () => Promise.all([mine.go(), other.go(), mineRw.go(), otherRw.go()]));
    expect(s.counters.splice_ref_bytes).toBe(SIZE);
    expect(s.counters.copy_file_to_user_bytes).toBe(SIZE);
    expect(s.counters.copy_user_to_socket_bytes).toBe(SIZE);
    // Two files' payload leave: the watched sendfile's and the watched read + send's, not the others'.
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(2 * SIZE);
    expect(s.counters.dev_xmit_bytes).toBeLessThanOrEqual(2 * SIZE + s.counters.retransmit_bytes!);
  });

  it('(d) follow: a child forked after the watch began is counted; without follow it is not', async () => {
    const followed = await pair('sendfile', { fork: true });
    const s = await watched([followed.pid], true, followed.go);
    expect(s.counters.splice_ref_bytes).toBe(SIZE);
    expect(s.syscalls.sendfile).toBeGreaterThan(0);
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE);

    const unfollowed = await pair('sendfile', { fork: true });
    const u = await watched([unfollowed.pid], false, unfollowed.go);
    expect(u.counters.splice_ref_bytes).toBe(0);
    expect(u.counters.dev_xmit_bytes).toBe(0);
    expect(u.syscalls.sendfile).toBeUndefined();
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

  describe('(e) over veth without scatter-gather', () => {
    let path: NetPath;
    beforeAll(async () => {
      path = await openPath('veth-nosg');
    });
    afterAll(async () => path?.close());

    it('the linearizing copy at the device is attributed to the watched process', async () => {
      const mine = await pair('sendfile', { path });
      const s = await watched([mine.pid], false, mine.go);
      expect(s.counters.splice_ref_bytes).toBe(SIZE);
      expect(s.counters.copy_linearize_bytes).toBeGreaterThanOrEqual(SIZE);
      expect(s.counters.copy_linearize_bytes).toBeLessThanOrEqual(SIZE + s.counters.retransmit_bytes!);
      expect(s.counters.dev_xmit_bytes).toBe(s.counters.copy_linearize_bytes);
    });
  });
});

// Watch mode's detail (LibbpfEngine.watchDetail): per process, per TCP connection
// and per file, each with its own counts.
describe('watch mode detail (libbpf): per process, connection and file', () => {
  const pageRound = (n: number) => Math.ceil(n / 4096) * 4096;
  let coldFile: string;
  beforeAll(() => {
    coldFile = join(dir, 'cold');
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
