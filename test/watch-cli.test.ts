// zcl watch, end to end: the built CLI against real programs (apps/run), no mocks.
// Needs root and eBPF: where they are missing the tests fail, saying why (never skip).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../server/project.js';
import { alive, MiB } from './helpers.js';

const ZCL = join(ROOT, 'dist', 'server', 'cli', 'zcl.js');
const SIZE = 3 * MiB + 4097;
const started: ChildProcess[] = [];
let dir: string;
let file: string;

beforeAll(() => {
  expect(process.getuid?.(), 'zcl watch needs root (eBPF)').toBe(0);
  dir = mkdtempSync(join('/var/tmp', 'zcl-watch-cli-'));
  file = join(dir, 'data');
  writeFileSync(file, randomBytes(SIZE));
});
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A process with its output lines, awaitable. */
function proc(cmd: string, args: string[]) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  started.push(p);
  const out: string[] = [];
  const err: string[] = [];
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  createInterface({ input: p.stdout! }).on('line', (l) => (out.push(l), wake()));
  createInterface({ input: p.stderr! }).on('line', (l) => (err.push(l), wake()));
  const exited = new Promise<number | null>((r) => p.on('exit', (code, sig) => (wake(), r(code ?? (sig ? 128 : null)))));
  /** The first line (stdout or stderr) matching re. */
  const line = async (re: RegExp, ms = 30_000): Promise<string> => {
    const t = Date.now() + ms;
    for (;;) {
      const hit = [...out, ...err].find((l) => re.test(l));
      if (hit) return hit;
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`${cmd} exited before ${re}: ${[...out, ...err].join('\n')}`);
      if (Date.now() > t) throw new Error(`timed out waiting for ${re}: ${[...out, ...err].join('\n')}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  };
  return { p, out, err, exited, line };
}

/** An app server (apps/run APP 127.0.0.1 0 FILE): its pid and port. */
async function app(name: string) {
  const a = proc(join(ROOT, 'apps', 'run'), [name, '127.0.0.1', '0', file]);
  const port = Number((await a.line(/^listening \d+/, 60_000)).split(' ')[1]);
  return { ...a, port };
}

const zcl = (args: string[]) => proc(process.execPath, [ZCL, 'watch', ...args]);
const jsonLines = (out: string[]) => out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/** The BPF programs a process holds (their ids, from its fds' fdinfo). */
function progIds(pid: number): number[] {
  const ids: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.push(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return [...new Set(ids)];
}

/** Is the process gone (or a zombie its reaper has not collected yet)? Waits a little for a SIGTERM to land. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    let state: string | undefined;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    } catch {
      return true;
    }
    if (state === 'Z' || !alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Does the kernel still have a BPF program of that id? */
function progExists(id: number): boolean {
  try {
    execFileSync('bpftool', ['prog', 'show', 'id', String(id)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('zcl watch on real programs', () => {
  it('(a) python-sendfile by --pid: every byte by reference, sendfile, zero-copy', async () => {
    const server = await app('python-sendfile');
    const w = zcl(['--pid', String(server.p.pid), '--json', '--duration', '30']);
    await w.line(/^zcl watch: watching 1 process/);
    const client = proc('/usr/bin/python3', [join(ROOT, 'apps', 'client.py'), '127.0.0.1', String(server.port), '--expect', String(SIZE)]);
    expect(await client.exited).toBe(0);
    // The server exits after one connection: a --pid watch ends when its processes do.
    expect(await w.exited).toBe(0);
    const lines = jsonLines(w.out);
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ type: 'summary', reason: 'exited', engine: 'libbpf' });
    expect(summary.total.counters.splice_ref_bytes).toBe(SIZE);
    expect(summary.total.counters.copy_user_to_socket_bytes).toBe(0);
    expect(summary.total.syscalls.sendfile).toBeGreaterThan(0);
    const [row] = summary.processes;
    expect(row.verdict.summary).toBe('zero-copy');
    expect(row.verdict.paths).toContainEqual(expect.objectContaining({ path: 'sendfile', bytes: SIZE, byReference: true }));
    expect(row.verdict.findings).toEqual([]);
    // Interval lines: t on the session clock, deltas that add up to the totals.
    const intervals = lines.filter((l) => l.type === 'interval');
    for (const l of intervals) expect(l.t).toBeGreaterThan(0);
    expect(intervals.reduce((a, l) => a + l.interval.counters.splice_ref_bytes, 0)).toBeLessThanOrEqual(SIZE);
  }, 90_000);

  it('(b) nginx-copy by --pid of its wrapper: the worker (a child) is followed; read-then-write', async () => {
    const server = await app('nginx-copy');
    const w = zcl(['--pid', String(server.p.pid), '--json', '--duration', '30']);
    await w.line(/^zcl watch: watching 3 process/); // the wrapper, nginx's master and its worker
    const body = execFileSync('curl', ['-s', '-D', '-', '-o', join(dir, 'got'), `http://127.0.0.1:${server.port}/x`], { encoding: 'utf8' });
    const header = Buffer.byteLength(body);
    expect(readFileSync(join(dir, 'got')).length).toBe(SIZE);
    expect(await w.exited).toBe(0); // nginx-copy stops after one request; so does the watch
    const summary = jsonLines(w.out).at(-1);
    expect(summary.reason).toBe('exited');
    expect(summary.total.counters.copy_file_to_user_bytes).toBe(SIZE);
    expect(summary.total.counters.copy_user_to_socket_bytes).toBe(SIZE + header);
    expect(summary.total.syscalls.pread64).toBeGreaterThan(0);
    // One row per process (the wrapper, nginx's master and its worker): the worker moved the bytes.
    expect(summary.processes.length).toBe(3);
    const row = summary.processes.find((r: { counters: { copy_file_to_user_bytes: number } }) => r.counters.copy_file_to_user_bytes === SIZE);
    expect(row.comm).toBe('nginx');
    expect(row.verdict.summary).toBe('copies 2.00 per byte');
    expect(row.verdict.findings.map((f: { code: string }) => f.code)).toEqual(['read-then-write']);
    expect(row.verdict.findings[0].evidence).toMatchObject({ copy_file_to_user_bytes: SIZE, copy_user_to_socket_bytes: SIZE + header });
  }, 90_000);

  it.each(['libbpf', 'bpftrace'])('(c) -- COMMAND, %s engine: the command runs only once watched; the watch ends when it exits, with its exit code', async (engine) => {
    const script = `
import os, socket, sys
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
f = os.open(sys.argv[1], os.O_RDONLY); n = 0
while True:
    b = os.read(f, 65536)
    if not b: break
    c.sendall(b)
    while n < os.lseek(f, 0, os.SEEK_CUR): n += len(s.recv(1 << 20))
print('sent', n); sys.exit(3)
`;
    const w = zcl(['--json', '--engine', engine, '--', '/usr/bin/python3', '-c', script, file]);
    expect(await w.exited).toBe(0);
    const summary = jsonLines(w.out).at(-1);
    expect(summary).toMatchObject({ type: 'summary', reason: 'command-exited', engine, command: { exitCode: 3, signal: null, stdout: `sent ${SIZE}\n` } });
    expect(summary.targets).toMatchObject({ kind: 'command', commandPid: expect.any(Number) });
    // Python's start-up (its .pyc files) happens under the watch too: the file's bytes and a little more.
    expect(summary.total.counters.copy_file_to_user_bytes).toBeGreaterThanOrEqual(SIZE);
    expect(summary.total.counters.copy_file_to_user_bytes).toBeLessThan(SIZE + 4 * MiB);
    expect(summary.total.counters.copy_user_to_socket_bytes).toBe(SIZE);
    // The same process receives: its receive copy is counted, and left out of the copies per byte sent.
    expect(summary.total.counters.copy_socket_to_user_bytes).toBe(SIZE);
    const [row] = summary.processes;
    expect(row.verdict.copiesPerByte).toBeGreaterThanOrEqual(2); // and the start-up's reads on top
    expect(row.verdict.summary).toMatch(/^copies 2\.\d\d per byte$/);
    expect(row.verdict.findings.map((f: { code: string }) => f.code)).toEqual(['read-then-write']);
    expect(w.err.join('\n')).toContain(`sent ${SIZE}`); // the command's output, passed on to stderr
  }, 90_000);

  it('(d) bad input exits 2 and names the option and the allowed values, starting nothing', async () => {
    const cases: [string[], RegExp][] = [
      [[], /target: nothing to watch: give one of --pid N\[,M\], --comm NAME, --cgroup PATH, or -- COMMAND/],
      [['--pid', '1', '--comm', 'nginx'], /target: one kind of target at a time, not --pid and --comm/],
      [['--pid', '1', '--interval', '0'], /--interval: expected seconds from 0.1 to 3600/],
      [['--pid', '1', '--sort', 'nosuch'], /--sort: 'nosuch' is not a sort key; allowed: bytes, copies, syscalls, pid/],
      [['--pid', 'abc'], /--pid: expected process ids separated by commas/],
      [['--pid', '1', '--count', '1.5'], /--count: expected a whole number/],
      [['--pid', '1', '--engine', 'dtrace'], /--engine: no probe engine 'dtrace'; allowed: libbpf, bpftrace/],
      [['--pid', '4194303'], /--pid: no running process 4194303/],
      [['--comm', 'no-such-comm-x'], /--comm: no running process has the comm 'no-such-comm-x'/],
      [['--cgroup', 'no/such/cgroup'], /--cgroup: no cgroup 'no\/such\/cgroup'/],
      [['--cgroup', '../../../proc'], /--cgroup: '..\/..\/..\/proc' is not under \/sys\/fs\/cgroup/],
    ];
    await Promise.all(
      cases.map(async ([args, re]) => {
        const w = zcl(args);
        expect(await w.exited, args.join(' ')).toBe(2);
        expect(w.err.join('\n'), args.join(' ')).toMatch(re);
        expect(w.out).toEqual([]);
      }),
    );
  }, 90_000);

  it('(e) Ctrl-C mid-watch: summary printed, exit 130, the BPF programs gone with zcl, the command killed', async () => {
    const w = zcl(['--interval', '0.2', '--', '/bin/sh', '-c', 'sleep 600 & sleep 600; wait']);
    await w.line(/^zcl watch: watching/);
    await w.line(/^zcl watch {2}t=/); // a refresh: running
    const ids = progIds(w.p.pid!);
    expect(ids.length).toBeGreaterThan(0);
    const tree = execFileSync('ps', ['-o', 'pid=', '--ppid', String(w.p.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    const shPid = tree[0];
    const sleeps = execFileSync('ps', ['-o', 'pid=', '--ppid', String(shPid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    expect(sleeps.length).toBe(2);
    w.p.kill('SIGINT');
    expect(await w.exited).toBe(130);
    const text = w.out.join('\n');
    expect(text).toMatch(/zcl watch: summary after [\d.]+ s \(interrupted\)/);
    expect(text).toMatch(/command \(pid \d+\) killed by SIGTERM/);
    for (const pid of [shPid, ...sleeps]) expect(await gone(pid), `pid ${pid} left running`).toBe(true);
    expect(ids.filter(progExists)).toEqual([]);
  }, 90_000);

  it('(f) --comm: a process that appears later is added by the re-scan; --count ends it', async () => {
    const comm = `zclw${process.pid % 100000}`;
    // comm is the executable's name, not argv[0]: copy sleep under the comm's name.
    const bin = join(dir, comm);
    execFileSync('cp', ['/bin/sleep', bin]);
    const first = proc(bin, ['60']);
    await new Promise((r) => setTimeout(r, 100));
    const w = zcl(['--comm', comm, '--count', '4', '--json']);
    await w.line(/^zcl watch: watching 1 process/);
    const second = proc(bin, ['60']);
    expect(await w.exited).toBe(0);
    const summary = jsonLines(w.out).at(-1);
    expect(summary.reason).toBe('stopped');
    expect(summary.everWatched).toEqual(expect.arrayContaining([first.p.pid, second.p.pid]));
    first.p.kill('SIGKILL');
    second.p.kill('SIGKILL');
  }, 90_000);
  it('(g) --listen: GET /metrics while watching a started command; the scrape\'s totals equal the watch\'s JSON totals', async () => {
    // The command sends the file, prints its pid, then blocks in one syscall until SIGUSR1: its counts stand still.
    const script = `
import os, signal, socket, sys
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
f = os.open(sys.argv[1], os.O_RDONLY); n = 0
while True:
    b = os.read(f, 65536)
    if not b: break
    c.sendall(b)
    while n < os.lseek(f, 0, os.SEEK_CUR): n += len(s.recv(1 << 20))
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
print('pid', os.getpid(), flush=True)
signal.sigwait([signal.SIGUSR1])
`;
    const w = zcl(['--listen', '127.0.0.1:0', '--json', '--interval', '0.2', '--', '/usr/bin/python3', '-c', script, file]);
    const url = (await w.line(/^zcl watch: Prometheus metrics at /)).split(' at ')[1].split(' ')[0];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const pid = Number((await w.line(/^pid \d+$/)).split(' ')[1]);
    type Totals = { counters: Record<string, number | null>; syscalls: Record<string, number> };
    const intervals = () => jsonLines(w.out).filter((l) => l.type === 'interval') as { total: Totals }[];
    const next = async (after: number) => {
      for (let i = 0; i < 100 && intervals().length <= after; i++) await new Promise((r) => setTimeout(r, 100));
      expect(intervals().length, 'no interval line came').toBeGreaterThan(after);
      return intervals()[after].total;
    };
    /** Sums of the scrape per family (and its first label when it tells counters apart), over every process. */
    const scrape = async () => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const sums = new Map<string, number>();
      for (const line of (await res.text()).split('\n')) {
        const m = /^(zcl_\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
        if (!m) continue;
        const first = /^(path|kind|syscall)="([^"]*)"/.exec(m[2] ?? '');
        const key = first ? `${m[1]}{${first[1]}=${first[2]}}` : m[1];
        sums.set(key, (sums.get(key) ?? 0) + Number(m[3]));
      }
      return sums;
    };
    // Once two interval lines around a scrape agree, nothing moved meanwhile: the scrape must say the same.
    let compared = false;
    for (let attempt = 0; attempt < 20 && !compared; attempt++) {
      const before = await next(intervals().length);
      const sums = await scrape();
      const after = await next(intervals().length);
      if (JSON.stringify(before) !== JSON.stringify(after)) continue;
      const c = after.counters;
      expect(c.copy_user_to_socket_bytes).toBe(SIZE);
      const expected: Record<string, number> = {
        'zcl_copied_bytes_total{path=file_to_user}': c.copy_file_to_user_bytes!,
        'zcl_copied_bytes_total{path=user_to_socket}': c.copy_user_to_socket_bytes!,
        'zcl_copied_bytes_total{path=socket_to_user}': c.copy_socket_to_user_bytes!,
        'zcl_by_reference_bytes_total{path=splice}': c.splice_ref_bytes!,
        'zcl_by_reference_bytes_total{path=zerocopy}': c.zerocopy_bytes!,
        'zcl_context_switches_total{kind=voluntary}': c.ctx_switches_voluntary!,
        'zcl_context_switches_total{kind=involuntary}': c.ctx_switches_involuntary!,
        'zcl_page_faults_total': c.page_faults!,
        'zcl_device_transmit_bytes_total': c.dev_xmit_bytes!,
      };
      for (const [name, n] of Object.entries(after.syscalls)) expected[`zcl_syscalls_total{syscall=${name}}`] = n;
      const got = Object.fromEntries(Object.keys(expected).map((k) => [k, sums.get(k) ?? null]));
      expect(got).toEqual(expected);
      // Every syscall, named or not: the scrape's sum is the watch's syscalls counter.
      const allSyscalls = [...sums].filter(([k]) => k.startsWith('zcl_syscalls_total{')).reduce((a, [, v]) => a + v, 0);
      expect(allSyscalls).toBe(c.syscalls);
      compared = true;
    }
    expect(compared, 'the counts never stood still between two interval lines').toBe(true);
    process.kill(pid, 'SIGUSR1');
    expect(await w.exited).toBe(0);
    const summary = jsonLines(w.out).at(-1);
    expect(summary).toMatchObject({ type: 'summary', reason: 'command-exited', command: { exitCode: 0 } });
    expect(summary.total.counters.copy_user_to_socket_bytes).toBe(SIZE);
  }, 90_000);
});
