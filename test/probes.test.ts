// Ground truth: the probes' counts equal what the engine did and what the file
// is, for every mode on every path, with a size that is not a multiple of the
// chunk. Exact wherever the kernel allows; each tolerance says why.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DIST } from '../server/project.js';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { tlsModuleLoaded } from '../server/core/ktls.js';
import { LAB_MODE_NAMES, MODE_NAMES, MODES, PATH_NAMES, type ModeName, type PathName } from '../scenarios/catalog.js';
import { addon } from '../server/native.js';
import { COUNTER_KINDS, COUNTERS, PROBE_SYSCALLS, ROLES } from '../server/probes/schema.generated.js';
import { libbpfEngine } from '../server/probes/select.js';
import { runTransfer } from '../server/session/session.js';
import type { RunResult } from '../server/run/result.js';
import { parseRunSpec, type RunSpecInput } from '../server/schema/run-spec.js';
import { CHUNK, coldSize, ODD_SIZE } from './helpers.js';
import { expectGroundTruth } from './ground-truth.js';

// Fails (never skips) where eBPF cannot load: the error says what is missing.
const engine = libbpfEngine();
const run = (spec: RunSpecInput) => runTransfer(parseRunSpec({ sizeBytes: ODD_SIZE, chunkBytes: CHUNK, ...spec }), { probes: { engine } });

// The lab's own modes (the app modes: test/app-modes.test.ts).
const cells: [ModeName, PathName][] = LAB_MODE_NAMES.flatMap((m) => {
  const only = (MODES[m] as { path?: PathName }).path;
  return (only ? [only] : PATH_NAMES).map((p) => [m, p] as [ModeName, PathName]);
});

describe('probes, tracepoint tier', () => {
  it('measures the counters of server/probes/schema.generated.ts: the addon compiled the same bpf/counters.h', () => {
    expect(addon().probes.schema).toEqual({ counters: COUNTERS, kinds: COUNTER_KINDS, syscalls: PROBE_SYSCALLS, roles: ROLES });
  });

  it('attaches every program and has a source for every counter on this kernel', () => {
    const caps = engine.capabilities();
    expect(caps.programs.filter((p) => !p.attached)).toEqual([]);
    // kTLS encryption is measured in the tls module: without it loaded (this host has none) null with the reason.
    const noTls = !tlsModuleLoaded();
    expect(caps.counters.filter((c) => !c.available).map((c) => c.name)).toEqual(noTls ? ['copy_encrypt_bytes'] : []);
    if (noTls) expect(caps.counters.find((c) => c.name === 'copy_encrypt_bytes')!.missing).toMatch(/^no tracepoint marks kTLS encryption, and fexit on the tls module's tls_sw_sendmsg needs the module loaded/);
  });

  it.each(cells)('%s over %s: counts equal the engine and the file', async (mode, path) => {
    expectGroundTruth(await run({ mode, path }));
  });

  it('read-write over veth-nosg costs three copies, and the textbook verdict says why', async () => {
    const r = await run({ mode: 'read-write', path: 'veth-nosg' });
    expect(r.textbook!.measured.cpuCopies).toBeGreaterThanOrEqual(3);
    expect(r.textbook!.verdict).toBe('differs');
    expect(r.textbook!.reason).toMatch(/scatter-gather off/);
  });

  it('sendfile over veth matches the textbook: zero copies, two mode switches per chunk', async () => {
    const r = await run({ mode: 'sendfile', path: 'veth' });
    expect(r.textbook).toMatchObject({ verdict: 'matches', measured: { cpuCopies: 0, modeSwitchesPerChunk: 2 } });
  });

  it('the discard sink makes no receive copy', async () => {
    const r = await run({ mode: 'sendfile', sink: 'discard' });
    expect(r.probes!.sink!.counters.copy_socket_to_user_bytes).toBe(0);
    expect(r.receiver.bytes).toBe(ODD_SIZE);
  });

  it('the copy sink makes the receive copy of every byte and checks only the count', async () => {
    const r = await run({ mode: 'sendfile', sink: 'copy' });
    expect(r.probes!.sink!.counters.copy_socket_to_user_bytes).toBe(ODD_SIZE);
    expect(r.receiver.bytes).toBe(ODD_SIZE);
    expect(r.receiver.checksumOk).toBeNull();
  });

  // Zero-copy on the receive side (issue 15, part 3): the same ground truth, on the sink's role.
  it.each(['loopback', 'veth'] as PathName[])('the splice sink over %s: no receive copy, its splices counted', async (path) => {
    const r = await run({ mode: 'sendfile', sink: 'splice', path });
    expectGroundTruth(r);
    expect(r.receiver.bytes).toBe(ODD_SIZE);
    expect(r.receiver.checksumOk).toBeNull();
    expect(r.probes!.sink!.counters.copy_socket_to_user_bytes).toBe(0);
    expect(r.probes!.sink!.derived.cpu_copy_bytes).toBe(0);
  });

  it.each(['loopback', 'veth'] as PathName[])('the zerocopy-receive sink over %s maps what msg-zerocopy sent: mapped + copied = the file', async (path) => {
    const r = await run({ mode: 'msg-zerocopy', sink: 'zerocopy-receive', path });
    expectGroundTruth(r);
    const z = r.receiver.zerocopyReceive!;
    // The kernel copies MSG_ZEROCOPY sends into fresh order-0 pages on local delivery
    // (skb_copy_ubufs), whole pages from offset 0: most of them map. Loopback's MSS is
    // the listener's 4096 + 12 (each segment whole pages), veth's 1448 (the MTU's).
    expect(z.mappedBytes).toBeGreaterThan((path === 'loopback' ? 0.9 : 0.5) * ODD_SIZE);
    expect(r.probes!.sink!.counters.zerocopy_receive_bytes).toBe(z.mappedBytes);
  });

  it('the zerocopy-receive sink maps nothing a copying sender sent (compound pages): every byte copied, and counted so', async () => {
    const r = await run({ mode: 'read-write', sink: 'zerocopy-receive' });
    expectGroundTruth(r);
    expect(r.receiver.zerocopyReceive!.mappedBytes).toBe(0);
    expect(r.probes!.sink!.counters.copy_socket_to_user_bytes).toBe(ODD_SIZE);
  });

  it('a cold file is read from the disk: block_read_bytes covers every page', async () => {
    const r = await run({ mode: 'read-write', cache: 'cold', sizeBytes: coldSize(2) });
    expect(r.file.pagesCachedBefore).toBe(0);
    // The page cache fills whole pages, so every page of the file came from the disk once. More is
    // possible only if memory pressure evicted a page before the sender read it (read again, counted again).
    const read = r.probes!.sender!.counters.block_read_bytes!;
    expect(read).toBeGreaterThanOrEqual(r.file.pages * 4096);
    expect(read).toBeLessThanOrEqual(2 * r.file.pages * 4096);
  });
});

describe('probes, isolation', () => {
  let noise: ChildProcess[] = [];
  beforeAll(async () => {
    // Another process reading files and writing TCP on loopback, the whole time.
    const script = `
      const fs = require('fs'), net = require('net');
      const srv = net.createServer((s) => s.resume()).listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        const buf = Buffer.alloc(65536);
        const loop = () => { fs.readFileSync(process.execPath); c.write(buf, () => setImmediate(loop)); };
        loop();
      });`;
    noise = [spawn(process.execPath, ['-e', script], { stdio: 'ignore' })];
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(() => noise.forEach((p) => p.kill('SIGKILL')));

  it('a concurrent noisy process changes none of the run\'s counts', async () => {
    const r = await run({ mode: 'read-write' });
    const s = r.probes!.sender!;
    expect(s.counters.copy_file_to_user_bytes).toBe(ODD_SIZE);
    expect(s.counters.copy_user_to_socket_bytes).toBe(ODD_SIZE);
    expect(s.counters.dev_xmit_bytes).toBeLessThanOrEqual(ODD_SIZE + s.counters.retransmit_bytes!);
    expect(s.syscalls).toEqual({ read: r.chunks, write: r.chunks });
    expect(r.probes!.sink!.counters.copy_socket_to_user_bytes).toBe(ODD_SIZE);
  });
});

describe('probes, raw_tp fallback', () => {
  // The raw_tp twins serve kernels without BTF-typed tracepoints; force them here
  // (in a fresh process: the probes load once per process) and expect the same counts.
  const zcl = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(DIST, 'server', 'cli', 'zcl.js'), 'run', '--json', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ZCL_PROBES_RAW_TP: '1' },
    });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as RunResult;
  };

  it.each([
    ['read-write', 'veth-nosg'],
    ['sendfile', 'loopback'],
  ])('%s over %s counts the same through raw_tp', (mode, path) => {
    const r = zcl(['--mode', mode, '--path', path, '--size', String(ODD_SIZE), '--chunk', String(CHUNK)]);
    expect(r.probes!.sources!.copy_user_to_socket_bytes).toMatch(/^raw_tp\//);
    const s = r.probes!.sender!.counters;
    if (mode === 'read-write') {
      expect(s.copy_file_to_user_bytes).toBe(ODD_SIZE);
      expect(s.copy_user_to_socket_bytes).toBe(ODD_SIZE);
      expect(s.copy_linearize_bytes).toBeGreaterThanOrEqual(ODD_SIZE);
    } else {
      expect(s.splice_ref_bytes).toBe(ODD_SIZE);
      expect(r.probes!.sender!.derived.cpu_copy_bytes).toBe(0);
    }
    expect(r.probes!.sender!.syscalls).toEqual(r.sender.syscalls.read ? { read: r.chunks, write: r.chunks } : { sendfile: r.chunks });
    expect(r.probes!.sink!.counters.copy_socket_to_user_bytes).toBe(ODD_SIZE);
  });
});
