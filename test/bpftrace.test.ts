// The bpftrace engine: bpf/zcl.bt measures the shared counter schema, and
// measures it as the libbpf engine does. The cross-check runs both engines on
// the same run at once and compares every counter: exact wherever both see the
// same events, and each tolerance says why. Then what must never happen: a
// failed bpftrace passing unnoticed, a counter without a source reported as 0,
// a bpftrace left running.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModeName, PathName } from '../scenarios/catalog.js';
import { BPFTRACE_FALLBACKS, BPFTRACE_SCRIPT, BpftraceEngine, liveBpftracePids } from '../server/probes/bpftrace.js';
import { kernelTracepoints, parseScript, planScript, tracefsRoot } from '../server/probes/bt-script.js';
import { BpftraceStream, snapshotOf, type StreamEvent } from '../server/probes/bt-stream.js';
import { COUNTER_NAMES, COUNTERS, PROBE_SYSCALLS, ROLES } from '../server/probes/schema.generated.js';
import { libbpfEngine } from '../server/probes/select.js';
import type { ProbeTarget, Snapshot } from '../server/probes/types.js';
import { DIST, ROOT } from '../server/project.js';
import { CancelledError } from '../server/core/errors.js';
import { runTransfer } from '../server/session/session.js';
import type { ProbeEngine } from '../server/probes/types.js';
import type { RunResult } from '../server/run/result.js';
import { parseRunSpec, type RunSpecInput } from '../server/schema/run-spec.js';
import { alive, CHUNK, coldSize, MiB, ODD_SIZE } from './helpers.js';
import { probeTarget } from '../server/probes/result.js';

const script = readFileSync(BPFTRACE_SCRIPT, 'utf8');
const zcl = join(DIST, 'server', 'cli', 'zcl.js');
const scratch = mkdtempSync(join(tmpdir(), 'zcl-bt-'));

/** bpftrace processes started by this test run, found by the lab home they inherited. */
function ourBpftrace(): number[] {
  const home = `ZCL_HOME=${process.env.ZCL_HOME}`;
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'bpftrace' && readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(home);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}


const spec = (s: RunSpecInput) => parseRunSpec({ sizeBytes: ODD_SIZE, chunkBytes: CHUNK, ...s });

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  // Nothing of ours still running: not in this process, not from the CLI runs.
  expect(liveBpftracePids()).toEqual([]);
  expect(await until(() => ourBpftrace().length === 0, 10_000)).toBe(true);
});

describe('bpf/zcl.bt, the text', () => {
  const printed = (block: string) => [...block.matchAll(/^\s*print\(@(\w+)\);/gm)].map((m) => m[1]);
  const interval = /^interval:ms:100\n\{([\s\S]*?)^\}/m.exec(script)![1];
  const end = /^END\n\{([\s\S]*?)^\}/m.exec(script)![1];

  it('prints exactly the schema\'s counters, in its order, every 100 ms and at the end', () => {
    // All but kTLS encryption: no tracepoint marks it, so the script has no map for it (null with the reason, never 0).
    const measured = COUNTER_NAMES.filter((n) => n !== 'copy_encrypt_bytes');
    expect(printed(interval)).toEqual([...measured, 'syscalls_by_name']);
    expect(printed(end)).toEqual([...measured, 'syscalls_by_name']);
  });

  it('measures every counter in some section, and no map of that kind the schema lacks', () => {
    const main = parseScript(BPFTRACE_SCRIPT);
    const written = new Set(main.sections.flatMap((s) => [...s.writes]));
    for (const name of COUNTER_NAMES.filter((n) => n !== 'copy_encrypt_bytes')) expect(written, name).toContain(name);
    // Per-role counter maps are written `@name[$role]` or `@name[0]`; anything else is internal state.
    const counterLike = [...script.matchAll(/@(\w+)\[(?:\$role|0|pid == \$1 \? 0 : 1)\] = (?:count|sum)\(/g)].map((m) => m[1]);
    expect(new Set(counterLike)).toEqual(new Set(COUNTER_NAMES.filter((n) => n !== 'copy_encrypt_bytes')));
  });

  it('counts syscalls by name with the numbers and names of bpf/counters.h', () => {
    const header = readFileSync(join(ROOT, 'bpf', 'counters.h'), 'utf8');
    const list = /#define ZCL_SYSCALLS\(X\)([\s\S]*?)\n\n/.exec(header)![1];
    const fromHeader = [...list.matchAll(/X\((\w+), (\d+)\)/g)].map((m) => [m[1], Number(m[2])]);
    const fromScript = [...script.matchAll(/if \(\$id == (\d+)\) \{ \$name = "(\w+)"; \}/g)].map((m) => [m[2], Number(m[1])]);
    expect(fromScript).toEqual(fromHeader);
    expect(fromScript.map(([n]) => n)).toEqual([...PROBE_SYSCALLS]);
  });

  it('says, above every probe, which kernel path it watches', () => {
    for (const file of [BPFTRACE_SCRIPT, BPFTRACE_FALLBACKS]) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^(tracepoint:|interval:|BEGIN|END)/.test(line)) expect(lines[i - 1], `${file}:${i + 1} ${line}`).toMatch(/^\/\/ \S/);
      });
    }
  });
});

describe('planning the script for a kernel', () => {
  const root = tracefsRoot()!;
  const plan = (hide: string[]) => planScript(parseScript(BPFTRACE_SCRIPT), parseScript(BPFTRACE_FALLBACKS), kernelTracepoints(root, hide));

  it('keeps every section on this kernel', () => {
    const p = plan([]);
    expect(p.dropped).toEqual([]);
    // kTLS encryption has no tracepoint: null with the reason, never 0 (the libbpf engine measures it with fexit).
    expect(p.counters.filter((c) => !c.available).map((c) => [c.name, c.missing])).toEqual([['copy_encrypt_bytes', expect.stringMatching(/^no tracepoint marks kTLS encryption/)]]);
    expect(p.program).not.toMatch(/block_read_pages/);
  });

  it('drops a section whose tracepoint is missing, and the sections that need it; their counters are unavailable', () => {
    const p = plan(['tcp:tcp_sendmsg_locked']);
    expect(p.dropped.map((d) => d.section)).toEqual(['send', 'zerocopy_completions', 'uring_completions']);
    const gone = p.counters.filter((c) => !c.available).map((c) => c.name);
    expect(gone).toEqual(['copy_user_to_socket_bytes', 'splice_ref_bytes', 'zerocopy_bytes', 'zerocopy_copied_bytes', 'copy_encrypt_bytes']);
    expect(p.counters.find((c) => c.name === 'zerocopy_copied_bytes')!.missing).toMatch(/needs section send, which is dropped \(the kernel has no tracepoint tcp:tcp_sendmsg_locked\)/);
    // Their maps are neither written nor printed any more (bpftrace refuses an undefined map).
    expect(p.program).not.toMatch(/^\s*print\(@splice_ref_bytes\);/m);
    expect(p.program).not.toMatch(/tracepoint:tcp:tcp_sendmsg_locked/);
    expect(p.program).toMatch(/^\s*print\(@copy_file_to_user_bytes\);/m);
  });

  it('puts a fallback in place of a section whose tracepoint lacks a field', () => {
    const p = plan(['filemap:mm_filemap_add_to_page_cache.order']);
    expect(p.dropped).toEqual([{ section: 'block_read', reason: 'tracepoint filemap:mm_filemap_add_to_page_cache has no field order' }]);
    expect(p.kept).toContain('block_read_pages');
    expect(p.counters.find((c) => c.name === 'block_read_bytes')).toMatchObject({ available: true, source: 'bpftrace tracepoint:filemap:mm_filemap_add_to_page_cache' });
  });

  it('names the source of each counter', () => {
    const src = Object.fromEntries(plan([]).counters.map((c) => [c.name, c.source]));
    expect(src.copy_user_to_socket_bytes).toBe(
      'bpftrace tracepoint:raw_syscalls:sys_enter + tracepoint:raw_syscalls:sys_exit + tracepoint:tcp:tcp_sendmsg_locked + tracepoint:sock:sock_send_length',
    );
    expect(src.copy_linearize_bytes).toBe('bpftrace tracepoint:net:net_dev_start_xmit');
    expect(src.ctx_switches).toBe('bpftrace tracepoint:sched:sched_switch');
  });
});

describe('reading the stream', () => {
  const all = new Set<string>(COUNTER_NAMES);
  const lines = [
    '{"type": "attached_probes", "data": {"probes": 15}}',
    '{"type": "printf", "data": "zcl attached sender=1 sink=2\\n"}',
    '{"type": "printf", "data": "zcl batch 0 begin\\n"}',
    '{"type": "map", "data": {"@syscalls": {"0": 812, "1": 95}}}',
    '{"type": "map", "data": {"@syscalls_by_name": {"0,write": 49, "0,read": 49, "1,recvfrom": 30}}}',
    '{"type": "printf", "data": "zcl batch 0 end\\n"}',
    '{"type": "printf", "data": "zcl batch 1 begin\\n"}',
    '{"type": "map", "data": {"@syscalls": {"0": 900}}}',
  ];
  const collect = (chunks: string[]) => {
    const events: StreamEvent[] = [];
    const s = new BpftraceStream((e) => events.push(e));
    for (const c of chunks) s.push(c);
    s.end();
    return events;
  };

  it('takes a batch only when it ends, however the lines are cut', () => {
    const text = lines.join('\n') + '\n';
    const whole = collect([text]);
    for (let cut = 1; cut < text.length; cut += 7) expect(collect([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    expect(whole.filter((e) => e.kind === 'attached')).toHaveLength(1);
    const batches = whole.filter((e) => e.kind === 'batch');
    expect(batches).toHaveLength(1); // batch 1 never ended
    expect(whole.at(-1)).toMatchObject({ kind: 'noise', why: 'the batch never ended' });
    const snap = snapshotOf((batches[0] as { maps: Record<string, unknown> }).maps, all);
    expect(snap.sender.counters.syscalls).toBe(812);
    expect(snap.sink.counters.syscalls).toBe(95);
    expect(snap.sender.counters.copy_linearize_bytes).toBe(0); // not printed: an empty map
    expect(snap.sender.syscalls).toEqual({ read: 49, write: 49 }); // the schema's order
    expect(snap.sink.syscalls).toEqual({ recvfrom: 30 });
  });

  it('reports garbage as noise, and a counter without a source as null, never 0', () => {
    const events = collect(['not json\n{"type": "printf", "data": "hello\\n"}\n{"type": "printf", "data": "zcl batch 3 end\\n"}\n{"torn', '']);
    expect(events.map((e) => (e.kind === 'noise' ? e.why : e.kind))).toEqual([
      'not JSON', 'an unexpected printf', 'a batch end without its begin', 'the last line has no end',
    ]);
    const snap = snapshotOf({ '@syscalls': { 0: 5 } }, new Set(['syscalls']));
    expect(snap.sender.counters.syscalls).toBe(5);
    expect(snap.sender.counters.page_faults).toBeNull();
    expect(() => snapshotOf({ '@syscalls': { 0: -5 } }, all)).toThrow(/@syscalls\[0\] is -5, not a count/);
    expect(() => snapshotOf({ '@syscalls_by_name': { '0,ioctl': 1 } }, all)).toThrow(/unknown key/);
  });
});

describe('bpftrace engine on this kernel', () => {
  const bt = new BpftraceEngine(); // fails (never skips) where bpftrace cannot run, saying why
  const lib = libbpfEngine();

  it('has a source for every counter, all of them bpftrace tracepoints', () => {
    const caps = bt.capabilities();
    expect(caps).toMatchObject({ engine: 'bpftrace', tier: 'tracepoint' });
    expect(caps.counters.filter((c) => !c.available).map((c) => c.name)).toEqual(['copy_encrypt_bytes']);
    for (const c of caps.counters.filter((c) => c.available)) expect(c.source).toMatch(/^bpftrace tracepoint:\w+:\w+( \+ tracepoint:\w+:\w+)*$/);
    expect(caps.programs.filter((p) => !p.attached).map((p) => p.name)).toEqual([]);
  });

  /** The same run, counted by both engines at once. */
  async function both(s: RunSpecInput): Promise<{ r: RunResult; libbpf: Snapshot; bpftrace: Snapshot }> {
    let libbpf: Snapshot | undefined;
    let bpftrace: Snapshot | undefined;
    // One engine for the session that is both: bpftrace first (it takes a second
    // or more to attach), libbpf right after its BEGIN line; at the end libbpf's
    // counts (in memory) are read right after bpftrace's last event.
    const pair: ProbeEngine = {
      name: 'both',
      capabilities: () => bt.capabilities(),
      async begin(t) {
        await bt.begin(t);
        await lib.begin(t);
      },
      read: () => lib.read(),
      async final() {
        bpftrace = await bt.stop();
        libbpf = lib.read();
        await lib.end();
        return bpftrace!;
      },
      async end() {
        await bt.end().catch(() => undefined);
        await lib.end();
      },
    };
    const r = await runTransfer(spec(s), { probes: { engine: pair } });
    return { r, libbpf: libbpf!, bpftrace: bpftrace! };
  }

  // Counted by both on the same events: equal. Except:
  // - syscalls, ctx_switches*, page_faults count everything the two processes do,
  //   and the engines' windows differ at the edges by milliseconds: bpftrace counts
  //   from its BEGIN line, libbpf from a moment later; at the end bpftrace stops
  //   counting as it detaches, libbpf a moment later, while both processes sit
  //   idle waiting to be killed, or exiting (Node's exit is dozens of syscalls).
  //   Some of their housekeeping (timers, the IPC channel, the exit) may fall in
  //   between, never the transfer's: the transfer's syscalls by name must be equal.
  // - the transmit-side counters (dev_xmit, copy_linearize, retransmit) also fire
  //   in softirq context, and the kernel skips a classic tracepoint program that
  //   would nest in another BPF tracing program on the same CPU (bpf_prog_active:
  //   a softirq transmit arriving while a bpftrace syscall probe runs), where
  //   libbpf's raw tracepoints only skip their own program. The kernel counts the
  //   skipped events (recursion_misses); each hides at most one packet, of at
  //   most 64 KiB of payload. With no miss, they must be equal.
  const EDGE = 100;
  const edgeCounters = new Set(['syscalls', 'ctx_switches', 'ctx_switches_voluntary', 'ctx_switches_involuntary', 'page_faults']);
  const softirqCounters = new Set(['dev_xmit_bytes', 'copy_linearize_bytes', 'retransmit_bytes']);

  function expectAgree(libbpf: Snapshot, bpftrace: Snapshot, missed: number) {
    for (const role of ROLES) {
      expect({ role, syscalls: bpftrace[role].syscalls }).toEqual({ role, syscalls: libbpf[role].syscalls });
      for (const { name } of COUNTERS) {
        const a = libbpf[role].counters[name]!;
        const b = bpftrace[role].counters[name]!;
        const what = `${role} ${name}: libbpf ${a}, bpftrace ${b}, ${missed} events missed`;
        // kTLS encryption: bpftrace has no source (tracepoints only); libbpf has one where the tls module is loaded.
        if (name === 'copy_encrypt_bytes') {
          expect(b, what).toBeNull();
          continue;
        }
        expect(b, what).not.toBeNull();
        // An event the kernel skipped for bpftrace (a program nesting on the same CPU) is one count fewer.
        if (edgeCounters.has(name)) expect(Math.abs(b - a), what).toBeLessThanOrEqual(EDGE + missed);
        else if (softirqCounters.has(name)) {
          expect(b, what).toBeLessThanOrEqual(a);
          expect(a - b, what).toBeLessThanOrEqual(missed * 65536);
        } else expect(b, what).toBe(a);
      }
    }
  }

  const cells: [ModeName, PathName, 'warm' | 'cold'][] = [
    ['read-write', 'veth-nosg', 'warm'],
    ['sendfile', 'loopback', 'warm'],
    ['splice', 'veth', 'warm'],
    ['msg-zerocopy', 'loopback', 'warm'],
    ['mmap-write', 'loopback', 'warm'],
    ['node-stream', 'loopback', 'warm'],
    ['sendfile-nogather', 'veth-nosg', 'warm'],
    ['read-write', 'loopback', 'cold'],
    ['io_uring-send', 'loopback', 'warm'],
    ['io_uring-send-zc', 'veth', 'warm'],
    ['io_uring-splice', 'loopback', 'warm'],
  ];
  it.each(cells)('%s over %s, %s cache: both engines count the same', async (mode, path, cache) => {
    const { r, libbpf, bpftrace } = await both({ mode, path, cache, ...(cache === 'cold' ? { sizeBytes: coldSize(3) } : {}) });
    expectAgree(libbpf, bpftrace, bt.missedEvents);
    // And they count what happened (the libbpf suite checks the rest against the file and the engine).
    const s = bpftrace.sender.counters;
    const moved = ({ 'read-write': s.copy_user_to_socket_bytes, 'node-stream': s.copy_user_to_socket_bytes, 'mmap-write': s.copy_user_to_socket_bytes, sendfile: s.splice_ref_bytes, 'sendfile-nogather': s.splice_ref_bytes, splice: s.splice_ref_bytes, 'msg-zerocopy': s.zerocopy_bytes, 'io_uring-send': s.copy_user_to_socket_bytes, 'io_uring-send-zc': s.zerocopy_bytes, 'io_uring-splice': s.splice_ref_bytes } as Partial<Record<ModeName, number | null>>)[mode];
    expect(moved).toBe(r.sizeBytes);
    expect(bpftrace.sink.counters.copy_socket_to_user_bytes).toBe(r.sizeBytes);
    if (path === 'veth-nosg') expect(s.copy_linearize_bytes).toBeGreaterThanOrEqual(r.sizeBytes - bt.missedEvents * 65536); // see the softirq tolerance above
    if (mode === 'msg-zerocopy' || mode === 'io_uring-send-zc') expect(s.zerocopy_copied_bytes).toBe(r.zerocopy!.copiedBytes);
    if (r.uring) expect(s.uring_sqes).toBe(r.uring.sqes);
    if (cache === 'cold') expect(s.block_read_bytes).toBeGreaterThanOrEqual(r.file.pages * 4096);
    if (mode !== 'node-stream')
      for (const [name, n] of Object.entries(r.sender.syscalls)) if (name in bpftrace.sender.syscalls) expect({ name, n: bpftrace.sender.syscalls[name] }).toEqual({ name, n });
  });

  // Zero-copy on the receive side (issue 15, part 3): the sink's counters, by both engines.
  it.each([
    ['msg-zerocopy', 'zerocopy-receive'],
    ['sendfile', 'splice'],
  ] as [ModeName, 'zerocopy-receive' | 'splice'][])('%s to the %s sink over loopback: both engines count the same', async (mode, sink) => {
    const { r, libbpf, bpftrace } = await both({ mode, sink, path: 'loopback' });
    expectAgree(libbpf, bpftrace, bt.missedEvents);
    const k = bpftrace.sink.counters;
    if (sink === 'zerocopy-receive') {
      expect(k.zerocopy_receive_bytes).toBe(r.receiver.zerocopyReceive!.mappedBytes);
      expect(k.copy_socket_to_user_bytes).toBe(r.receiver.zerocopyReceive!.copiedBytes);
      expect(bpftrace.sink.syscalls.getsockopt).toBe(r.receiver.zerocopyReceive!.calls);
    } else {
      expect(k.copy_socket_to_user_bytes).toBe(0);
      expect(bpftrace.sink.syscalls.splice).toBe(r.receiver.socketSplices);
    }
  });

  it('zcl run --engine bpftrace: the result carries the engine, its sources and exact counts', () => {
    const r = spawnSync(process.execPath, [zcl, 'run', '--engine', 'bpftrace', '--mode', 'read-write', '--size', String(ODD_SIZE), '--chunk', String(CHUNK), '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout) as RunResult;
    expect(res.engine).toBe('bpftrace');
    expect(res.probes).toMatchObject({ status: 'ok', engine: 'bpftrace', tier: 'tracepoint' });
    expect(res.probes!.sources!.copy_file_to_user_bytes).toMatch(/^bpftrace tracepoint:raw_syscalls:sys_enter/);
    // The final counts (bpftrace's END), not the last 10 Hz batch: exact.
    const s = res.probes!.sender!;
    expect(s.counters.copy_file_to_user_bytes).toBe(ODD_SIZE);
    expect(s.counters.copy_user_to_socket_bytes).toBe(ODD_SIZE);
    expect(s.syscalls).toEqual({ read: res.chunks, write: res.chunks });
    expect(res.probes!.sink!.counters.copy_socket_to_user_bytes).toBe(ODD_SIZE);
    expect(res.textbook).toMatchObject({ verdict: 'matches', measured: { cpuCopies: 2, modeSwitchesPerChunk: 4 } });
  });

  it('the table shows the engine beside the tier', () => {
    const r = spawnSync(process.execPath, [zcl, 'run', '--engine', 'bpftrace', '--mode', 'splice', '--size', '1MiB', '--chunk', '64KiB'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/probes \(bpftrace, tracepoint\)/);
    expect(r.stdout).toMatch(/splice 32/);
  });

  it('a kernel without a tracepoint: its counters are unavailable (null), the rest still count', async () => {
    const partial = new BpftraceEngine({ hide: ['tcp:tcp_sendmsg_locked', 'filemap:mm_filemap_add_to_page_cache.order'] });
    const r = await runTransfer(spec({ mode: 'read-write', cache: 'cold', sizeBytes: coldSize(4) }), { probes: { engine: partial } });
    expect(r.probes).toMatchObject({ status: 'ok', engine: 'bpftrace', tier: 'tracepoint (partial)' });
    expect(r.probes!.sources!.copy_user_to_socket_bytes).toBeNull();
    const s = r.probes!.sender!.counters;
    expect(s.copy_user_to_socket_bytes).toBeNull();
    expect(s.zerocopy_copied_bytes).toBeNull();
    expect(r.probes!.sender!.derived.cpu_copy_bytes).toBeNull();
    expect(r.textbook!.verdict).toBe('unmeasured');
    expect(s.copy_file_to_user_bytes).toBe(r.sizeBytes);
    expect(r.probes!.sender!.syscalls).toEqual({ read: r.chunks, write: r.chunks });
    // The page-per-event fallback: every event counted, large folios as one page.
    expect(s.block_read_bytes).toBeGreaterThan(0);
    expect(s.block_read_bytes).toBeLessThanOrEqual(r.file.pages * 4096);
  });
});

describe('bpftrace engine failures', () => {
  const write = (name: string, text: string) => {
    const p = join(scratch, name);
    writeFileSync(p, text);
    return p;
  };
  const run = (engine: ProbeEngine, s: RunSpecInput = { mode: 'sendfile' }) => runTransfer(spec(s), { probes: { engine } });
  /** The engine, with a step of the test's before its begin() or its final(). */
  const withSteps = (engine: BpftraceEngine, steps: { beforeBegin?(): void; beforeFinal?(): Promise<void> }): ProbeEngine => ({
    name: engine.name,
    capabilities: () => engine.capabilities(),
    begin: (t) => (steps.beforeBegin?.(), engine.begin(t)),
    read: () => engine.read(),
    final: async () => (await steps.beforeFinal?.(), engine.final()),
    end: () => engine.end(),
  });

  it('a script that does not compile fails the run before it starts, with bpftrace\'s error', async () => {
    const engine = new BpftraceEngine({ script: write('broken.bt', 'BEGIN { printf("zcl attached\\n"); @x = no_such_function(); }\n') });
    await expect(run(engine)).rejects.toThrow(/the bpftrace probe engine failed: bpftrace exited with code 1 before it attached its probes; bpftrace said: .*no_such_function/);
    expect(engine.pid).toBeUndefined();
  });

  it('a bpftrace that exits early fails the run, saying so', async () => {
    const engine = new BpftraceEngine({ script: write('early.bt', '// @section base\n// says it attached, then leaves\nBEGIN { printf("zcl attached\\n"); exit(); }\n') });
    // Let it leave before the run ends (it would anyway; this makes it certain).
    const waits = withSteps(engine, { beforeFinal: async () => void (await until(() => engine.exited, 10_000)) });
    await expect(run(waits, { mode: 'sendfile' })).rejects.toThrow(/the bpftrace probe engine failed: bpftrace \(pid \d+\) exited with code 0 during the run, before its final counts/);
  });

  it('a bpftrace killed mid-run fails the run, saying so', async () => {
    const engine = new BpftraceEngine();
    let killed: number | undefined;
    const r = runTransfer(parseRunSpec({ mode: 'read-write', path: 'veth-nosg', sizeBytes: 32 * MiB, chunkBytes: 4096 }), {
      probes: { engine },
      onEvent: (e) => {
        if (e.type === 'progress' && e.bytes > 0 && killed === undefined && engine.pid) process.kill((killed = engine.pid), 'SIGKILL');
      },
    });
    // (A killed bpftrace takes a while to die: its exit detaches every probe. It may still be dying when the run ends.)
    await expect(r).rejects.toThrow(/the bpftrace probe engine failed: bpftrace \(pid \d+\) was killed by SIGKILL (during the run, before|without printing) its final counts/);
    expect(killed).toBeDefined();
    expect(alive(killed!)).toBe(false);
  });

  it('output that is not the protocol fails the run, quoting it', async () => {
    const engine = new BpftraceEngine({
      script: write('garbage.bt', [
        '// @section base', '// attached, then nonsense', 'BEGIN { printf("zcl attached\\n"); }',
        '// a final batch that never ends', 'END { printf("zcl batch final begin\\n"); printf("{oops\\n"); }', '',
      ].join('\n')),
    });
    await expect(run(engine)).rejects.toThrow(/exited with code 0 without printing its final counts; unexpected output: an unexpected printf: .*oops/);
  });

  it('counts that are not counts fail the run', async () => {
    const engine = new BpftraceEngine({
      script: write('negative.bt', [
        '// @section base', '// attached', 'BEGIN { printf("zcl attached\\n"); @syscalls[0] = -5; }',
        '// the final batch', 'END { printf("zcl batch final begin\\n"); print(@syscalls); printf("zcl batch final end\\n"); }', '',
      ].join('\n')),
    });
    await expect(run(engine)).rejects.toThrow(/bpftrace's final counts are malformed: @syscalls\[0\] is -5, not a count/);
  });

  it('zcl run with a broken script exits 1 and names the engine\'s failure', () => {
    const r = spawnSync(process.execPath, [zcl, 'run', '--engine', 'bpftrace', '--size', '1MiB'], {
      encoding: 'utf8',
      env: { ...process.env, ZCL_BPFTRACE_SCRIPT: write('cli-broken.bt', 'BEGIN { printf("zcl attached\\n"); exit(; }\n') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^zcl: the bpftrace probe engine failed: bpftrace exited with code 1 before it attached its probes; bpftrace said: /m);
  });

  it('--engine takes only the known engines', () => {
    const r = spawnSync(process.execPath, [zcl, 'run', '--engine', 'dtrace'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--engine: 'dtrace' is not allowed; allowed: libbpf, bpftrace/);
    expect(r.stdout).toBe('');
  });

  it('a run cancelled while bpftrace attaches leaves no bpftrace, and the next run counts', async () => {
    const engine = new BpftraceEngine();
    const ac = new AbortController();
    let pid: number | undefined;
    // Just before the engine's begin(): cancel while bpftrace compiles and attaches.
    const cancels = withSteps(engine, { beforeBegin: () => void setTimeout(() => ((pid = engine.pid), ac.abort()), 200) });
    await expect(runTransfer(spec({ mode: 'sendfile' }), { signal: ac.signal, probes: { engine: cancels } })).rejects.toBeInstanceOf(CancelledError);
    expect(pid).toBeGreaterThan(0);
    expect(await until(() => !alive(pid!) && engine.pid === undefined, 15_000)).toBe(true);
    const r = await runTransfer(spec({ mode: 'sendfile' }), { probes: { engine } });
    expect(r.probes!.sender!.counters.splice_ref_bytes).toBe(ODD_SIZE);
  });

  it('bpftrace dies with the process that started it', async () => {
    // A lab process killed with SIGKILL runs no exit handler: bpftrace must stop by itself.
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const { BpftraceEngine } = await import(${JSON.stringify(join(DIST, 'server', 'probes', 'bpftrace.js'))});
      const e = new BpftraceEngine();
      await e.begin({ senderPid: process.pid, sinkPid: process.pid, ifindex: 1, netnsInode: 1, sinkPort: 1, file: '' });
      console.log(e.pid);
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
      child.once('exit', (code) => reject(new Error(`the lab process exited (${code}) before bpftrace attached`)));
    });
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    expect(await until(() => !alive(pid), 15_000)).toBe(true);
  });
});
