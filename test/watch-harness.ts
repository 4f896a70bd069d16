// The watch tests' real processes (test/watch-probes.test.ts for the libbpf
// engine, test/watch-bpftrace.test.ts for bpftrace): small Python senders and
// receivers over TCP, started before a watch and told to go after it, and the
// data file they send. Everything is killed and removed by cleanup().
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeEngine, RoleCounts } from '../server/probes/types.js';
import { openPath, type NetPath } from '../server/run/netpath.js';
import { KiB, MiB } from './helpers.js';

const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const SIZE = MiB + 4097; // small, and not a multiple of any chunk

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

export const children: ChildProcess[] = [];

/** A Python process (in a network namespace if given) and its next output lines. */
export function python(code: string, args: string[], netns?: string) {
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
export async function pair(mode: 'sendfile' | 'rw', opts: { fork?: boolean; path?: NetPath; v6?: boolean; cold?: boolean; linger?: boolean; file?: string } = {}) {
  const recv = python(RECEIVER, [opts.path?.sinkHost ?? '127.0.0.1'], opts.path?.sinkNetns);
  const port = Number(await recv.line('port'));
  const flag = (b?: boolean) => (b ? '1' : '0');
  const args = [mode, opts.path?.sinkHost ?? '127.0.0.1', String(port), opts.file ?? dataFile(), flag(opts.fork), flag(opts.v6), flag(opts.cold), flag(opts.linger)];
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

let dir = '';
let file = '';
/** The data file the senders send (made on first use). */
export function dataFile(): string {
  if (!file) {
    dir = mkdtempSync(join('/var/tmp', 'zcl-watch-test-'));
    file = join(dir, 'data');
    writeFileSync(file, randomBytes(SIZE));
  }
  return file;
}

/** Kills what is still running, removes the data file. */
export function cleanup(): void {
  children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = file = '';
}

/**
 * Watches `pids` with `engine`, runs the pairs to their end, and returns the watched
 * processes' counts, with `slack`: the transmit bytes the engine may have missed. A
 * transmit event the kernel skipped (a softirq program nesting in another BPF program
 * on the same CPU: bpftrace's classic tracepoints, see test/bpftrace.test.ts) hides
 * one packet of at most 64 KiB, and the engine counts those skips (missedEvents).
 */
export async function watched(engine: ProbeEngine, pids: number[], follow: boolean, go: () => Promise<unknown>): Promise<RoleCounts & { slack: number }> {
  await engine.watch!({ tgids: pids, follow });
  try {
    await go();
    const s = (await engine.final()).sender;
    return { ...s, slack: (engine.missedEvents ?? 0) * 65536 };
  } finally {
    await engine.end();
  }
}

/** What every engine's watch mode must count, exactly (inside a describe). */
export function watchGroundTruth(engine: ProbeEngine): void {
  const watched_ = (pids: number[], follow: boolean, go: () => Promise<unknown>) => watched(engine, pids, follow, go);
  it('(a) sendfile over loopback: the pages go by reference, the payload leaves on lo', async () => {
    const a = await pair('sendfile');
    const s = await watched_([a.pid], false, a.go);
    expect(s.counters.splice_ref_bytes).toBe(SIZE);
    expect(s.syscalls.sendfile).toBeGreaterThan(0);
    expect(s.counters.copy_user_to_socket_bytes).toBe(0);
    expect(s.counters.copy_file_to_user_bytes).toBe(0);
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE - s.slack);
    expect(s.counters.dev_xmit_bytes).toBeLessThanOrEqual(SIZE + s.counters.retransmit_bytes!);
    expect(s.counters.copy_linearize_bytes).toBe(0); // lo gathers
  });

  it('(b) read + send: the file is copied to user space and back into the socket', async () => {
    const b = await pair('rw');
    const s = await watched_([b.pid], false, b.go);
    expect(s.counters.copy_file_to_user_bytes).toBe(SIZE);
    expect(s.counters.copy_user_to_socket_bytes).toBe(SIZE);
    expect(s.counters.splice_ref_bytes).toBe(0);
    expect(s.syscalls.read).toBe(Math.ceil(SIZE / (64 * KiB)) + 1); // the last read returns 0 (end of file)
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE - s.slack);
  });

  it('(c) an unrelated process doing the same at the same time is not counted', async () => {
    const [mine, other] = [await pair('sendfile'), await pair('sendfile')];
    const [mineRw, otherRw] = [await pair('rw'), await pair('rw')];
    const s = await watched_([mine.pid, mineRw.pid], false, () => Promise.all([mine.go(), other.go(), mineRw.go(), otherRw.go()]));
    expect(s.counters.splice_ref_bytes).toBe(SIZE);
    expect(s.counters.copy_file_to_user_bytes).toBe(SIZE);
    expect(s.counters.copy_user_to_socket_bytes).toBe(SIZE);
    // Two files' payload leave: the watched sendfile's and the watched read + send's, not the others'.
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(2 * SIZE - s.slack);
    expect(s.counters.dev_xmit_bytes).toBeLessThanOrEqual(2 * SIZE + s.counters.retransmit_bytes!);
  });

  it('(d) follow: a child forked after the watch began is counted; without follow it is not', async () => {
    const followed = await pair('sendfile', { fork: true });
    const s = await watched_([followed.pid], true, followed.go);
    expect(s.counters.splice_ref_bytes).toBe(SIZE);
    expect(s.syscalls.sendfile).toBeGreaterThan(0);
    expect(s.counters.dev_xmit_bytes).toBeGreaterThanOrEqual(SIZE - s.slack);

    const unfollowed = await pair('sendfile', { fork: true });
    const u = await watched_([unfollowed.pid], false, unfollowed.go);
    expect(u.counters.splice_ref_bytes).toBe(0);
    expect(u.counters.dev_xmit_bytes).toBe(0);
    expect(u.syscalls.sendfile).toBeUndefined();
  });

  describe('(e) over veth without scatter-gather', () => {
    let path: NetPath;
    beforeAll(async () => {
      path = await openPath('veth-nosg');
    });
    afterAll(async () => path?.close());

    it('the linearizing copy at the device is attributed to the watched process', async () => {
      const mine = await pair('sendfile', { path });
      const s = await watched_([mine.pid], false, mine.go);
      expect(s.counters.splice_ref_bytes).toBe(SIZE);
      expect(s.counters.copy_linearize_bytes).toBeGreaterThanOrEqual(SIZE - s.slack);
      expect(s.counters.copy_linearize_bytes).toBeLessThanOrEqual(SIZE + s.counters.retransmit_bytes!);
      expect(s.counters.dev_xmit_bytes).toBe(s.counters.copy_linearize_bytes);
    });
  });
}
