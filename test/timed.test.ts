// Timed and paced runs (issue 14, item 1): `duration` sends the file pass after
// pass until the time is up, `rate` paces the sender; the counters still equal
// what was moved, the sink checks every pass (and a cut last pass against the
// file's prefix), and a cancel during a paced wait is prompt and leaves nothing.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../server/core/errors.js';
import { addon, runLoop, type NativeSinkResult, type NativeTransferResult } from '../server/native.js';
import { libbpfEngine } from '../server/probes/select.js';
import { RunResultSchema } from '../server/report/schema.js';
import { ensureDataFile } from '../server/run/datafiles.js';
import type { RunPids } from '../server/run/orchestrate.js';
import { parseRunSpec, type RunSpecInput } from '../server/schema/run-spec.js';
import { runTransfer, type SessionEvent } from '../server/session/session.js';
import { startServer, type LabServer } from '../server/api/server.js';
import { labHome } from '../server/project.js';
import { expectGroundTruth } from './ground-truth.js';
import { alive, KiB, MiB, ourNamespaces, tempFilesInDataDir } from './helpers.js';
import { http } from './http.js';

const engine = libbpfEngine();
const run = (spec: RunSpecInput, onEvent?: (e: SessionEvent) => void) => runTransfer(parseRunSpec(spec), { probes: { engine }, onEvent });
/** A file that is not a multiple of the chunk: each pass ends with a short chunk. */
const SIZE = MiB + 4097;
const CHUNK = 64 * KiB;

afterAll(() => {
  expect(ourNamespaces()).toEqual([]);
  expect(tempFilesInDataDir()).toEqual([]);
});

describe('timed runs (duration)', () => {
  // Paced at 128 MiB/s (about 190 passes): at full speed on loopback, dev_xmit_bytes came out
  // short of the bytes moved in 2 of 5 timed runs, by whole 64 KiB GSO packets (65483 B each;
  // probes missed no event): a probe question of its own, not the timing's (see the report).
  it.each(['read-write', 'sendfile'] as const)('%s for 1.5 s: passes of the file, counters equal the bytes moved, every pass checked', async (mode) => {
    const r = await run({ mode, sizeBytes: SIZE, chunkBytes: CHUNK, duration: 1.5, rate: '128MiB/s' });
    expect(r.duration).toBe(1.5);
    expect(r.wallSeconds).toBeGreaterThanOrEqual(1.5);
    expect(r.wallSeconds).toBeLessThan(2.5);
    expect(r.passes).toBeGreaterThanOrEqual(2);
    expect(r.bytes).toBeLessThanOrEqual(1.5 * 128 * MiB);
    expect(r.bytes).toBe(r.passes * SIZE + r.tailBytes);
    expect(r.receiver.bytes).toBe(r.bytes);
    expect(r.receiver.checksumOk).toBe(true);
    const perPass = Math.ceil(SIZE / CHUNK);
    expect(r.chunks).toBe(r.passes * perPass + Math.ceil(r.tailBytes / CHUNK));
    // The engine's own counts: one read + write (or sendfile) per chunk; read-write rewinds with lseek per new pass.
    const passesBegun = r.passes + (r.tailBytes ? 1 : 0);
    const { clock_nanosleep: sleeps, ...calls } = r.sender.syscalls;
    expect(sleeps).toBeGreaterThan(0); // the pacing's waits, counted too
    if (mode === 'read-write') expect(calls).toEqual({ read: r.chunks, write: r.chunks, lseek: passesBegun - 1 });
    else expect(calls).toEqual({ sendfile: r.chunks });
    // The probes: every byte counter equals the bytes moved (ground truth), syscalls by name equal the engine's.
    expectGroundTruth(r);
    const s = r.probes!.sender!.counters;
    if (mode === 'read-write') expect([s.copy_file_to_user_bytes, s.copy_user_to_socket_bytes]).toEqual([r.bytes, r.bytes]);
    else expect(s.splice_ref_bytes).toBe(r.bytes);
    expect(r.probes!.sender!.syscalls[mode === 'read-write' ? 'read' : 'sendfile']).toBe(r.chunks);
    expect(r.textbook!.verdict).toBe('matches');
    // results.json takes it (bytes = passes x size + tail).
    expect(RunResultSchema.safeParse(JSON.parse(JSON.stringify(r))).success).toBe(true);
  });

  it('a last pass cut by the time is checked against the file prefix', async () => {
    // 1 s at 12 MiB/s of a 32 MiB file: no whole pass, about 12 MiB of the first.
    const r = await run({ mode: 'splice', sizeBytes: 32 * MiB, chunkBytes: 256 * KiB, duration: 1, rate: '12MiB/s' });
    expect(r.passes).toBe(0);
    expect(r.tailBytes).toBe(r.bytes);
    expect(r.bytes % (256 * KiB)).toBe(0);
    expect(r.bytes).toBeGreaterThan(8 * MiB);
    expect(r.bytes).toBeLessThanOrEqual(12 * MiB);
    expect(r.receiver.checksumOk).toBe(true);
    expectGroundTruth(r);
  });

  it('node-stream ends a timed run at a pass boundary', async () => {
    const r = await run({ mode: 'node-stream', sizeBytes: 4 * MiB, duration: 0.5 });
    expect(r.passes).toBeGreaterThanOrEqual(1);
    expect(r.tailBytes).toBe(0);
    expect(r.bytes).toBe(r.passes * 4 * MiB);
    expect(r.wallSeconds).toBeGreaterThanOrEqual(0.5);
    expect(r.receiver.checksumOk).toBe(true);
  });
});

describe('node-stream counts the file exactly (issue 14, item 8)', () => {
  // Node's V8 reads /proc/sys/vm/overcommit_memory (1 byte) as its heap grows, here about a second
  // into a 256 MiB pass: a read() of a regular file, once counted as one byte copied from the page
  // cache. Files of pseudo filesystems (proc, sysfs, cgroup, ...) are not data: not counted at all.
  it('a 256 MiB pass: file -> user and user -> socket equal the file, its pread64s one per chunk, read() only V8\'s of procfs (at most 2)', async () => {
    const size = 256 * MiB;
    const r = await run({ mode: 'node-stream', sizeBytes: size, chunkBytes: 128 * KiB });
    expect(r.bytes).toBe(size);
    const s = r.probes!.sender!;
    expect([s.counters.copy_file_to_user_bytes, s.counters.copy_user_to_socket_bytes]).toEqual([size, size]);
    // (V8's read() of /proc/sys/vm/overcommit_memory is still a read() syscall, counted as one when it
    // falls in the pass: only its byte is not data.)
    expect(s.syscalls.read ?? 0).toBeLessThanOrEqual(2);
    expect(s.syscalls.pread64).toBe(size / (128 * KiB));
    expectGroundTruth(r);
  });
});

describe('paced runs (rate)', () => {
  it('6 MiB at 4 MiB/s takes 1.5 s and its progress climbs steadily', async () => {
    const progress: { t: number; bytes: number }[] = [];
    const samples: { t: number; bytes: number }[] = [];
    const r = await run({ mode: 'read-write', sizeBytes: 6 * MiB, rate: '4MiB/s' }, (e) => {
      if (e.type === 'progress') progress.push({ t: e.t, bytes: e.bytes });
      if (e.type === 'sample') samples.push({ t: e.t, bytes: e.bytes });
    });
    expect(r.rate).toBe(4 * MiB);
    expect(r.bytes).toBe(6 * MiB);
    expect(r.wallSeconds).toBeGreaterThan(1.4);
    expect(r.wallSeconds).toBeLessThan(1.8);
    expect(r.pacedSeconds).toBeGreaterThan(1);
    expect(r.receiver.checksumOk).toBe(true);
    expectGroundTruth(r);
    // 10 a second, each a step of about 0.4 MiB: no sample jumps by more than a quarter of the file.
    expect(samples.length).toBeGreaterThanOrEqual(12);
    const steps = samples.slice(1).map((s, i) => s.bytes - samples[i].bytes);
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...steps)).toBeLessThan(1.5 * MiB);
    // Halfway through the time, about half the bytes (rate x t, within two chunks and a tick).
    const mid = progress.find((p) => p.t >= 0.75)!;
    expect(Math.abs(mid.bytes - 4 * MiB * mid.t)).toBeLessThan(2 * 128 * KiB + 0.4 * MiB);
  });

  it('a cancel during a paced wait stops the engine within 200 ms', async () => {
    const file = await ensureDataFile(MiB);
    const a = addon();
    const l = a.listen('127.0.0.1', 0);
    const sink = runLoop<NativeSinkResult>((cb) => a.startSink({ fd: l.fd, mode: 'discard', buffer: 64 * KiB }, cb));
    // 256 KiB chunks at 64 KiB/s: the first chunk waits 4 s for its tokens.
    const t = runLoop<NativeTransferResult>((cb) =>
      a.startTransfer({ mode: 'sendfile', file: file.path, size: MiB, chunk: 256 * KiB, host: '127.0.0.1', port: l.port, rate: 64 * KiB }, cb),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(t.handle.progress()).toBe(0);
    const t0 = performance.now();
    t.handle.cancel();
    const res = await t.done;
    expect(performance.now() - t0).toBeLessThan(200);
    expect(res.cancelled).toBe(true);
    expect(res.bytes).toBe(0);
    expect(res.syscalls.clock_nanosleep).toBeGreaterThan(0);
    await sink.done;
  });

  it('a cancelled paced run ends promptly and leaves nothing', async () => {
    const ac = new AbortController();
    let pids: RunPids | undefined;
    let cancelledAt = 0;
    const p = runTransfer(parseRunSpec({ mode: 'read-write', path: 'veth', sizeBytes: 8 * MiB, chunkBytes: 256 * KiB, rate: '64KiB/s' }), {
      probes: { engine },
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'phase' && e.targets) pids = e.targets.pids;
        if (e.type === 'sample' && e.t > 0.3 && !cancelledAt) {
          cancelledAt = performance.now();
          ac.abort();
        }
      },
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    // The run is over (children killed, the veth pair and namespaces deleted) soon after the cancel.
    expect(performance.now() - cancelledAt).toBeLessThan(1500);
    expect(alive(pids!.sender)).toBe(false);
    expect(alive(pids!.sink)).toBe(false);
    expect(ourNamespaces()).toEqual([]);
    expect(tempFilesInDataDir()).toEqual([]);
  });
});

describe('bad timed or paced input', () => {
  it.each([
    [{ duration: '2h' }, 'duration', /out of range; allowed: 0.1 s to 1 h/],
    [{ duration: 'soon' }, 'duration', /'soon' is not a duration/],
    [{ rate: 5 }, 'rate', /out of range; allowed: 1 KiB\/s to 64 GiB\/s/],
    [{ rate: '1KiB/s', sizeBytes: '1MiB', chunkBytes: '1MiB' }, 'rate', /too slow for chunks of 1 MiB/],
    [{ mode: 'nginx-copy', duration: 5 }, 'duration', /real program .* cannot time it/],
    [{ mode: 'java-transferto', rate: '1MiB/s' }, 'rate', /real program .* cannot pace it/],
  ])('%j is refused naming %s', (input, field, message) => {
    let err: unknown;
    try {
      parseRunSpec(input);
    } catch (e) {
      err = e;
    }
    expect((err as { issues: { field: string; message: string }[] }).issues).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it('0 means one pass and unlimited', () => {
    const s = parseRunSpec({ duration: 0, rate: '0' });
    expect(s.duration).toBeUndefined();
    expect(s.rate).toBeUndefined();
    expect(parseRunSpec({ duration: '500ms', rate: '50MiB/s' })).toMatchObject({ duration: 0.5, rate: 50 * MiB });
  });

  it('the API answers 400 naming the field', async () => {
    const s: LabServer = await startServer({
      port: 0, probes: false, resultsDir: mkdtempSync(join(labHome(), 'results-timed-')), reportsDir: mkdtempSync(join(labHome(), 'reports-timed-')),
    });
    try {
      const a = await http(s.url, 'POST', '/api/runs', { body: { mode: 'sendfile', rate: '3 per second' } });
      expect(a.status).toBe(400);
      expect(JSON.stringify(a.body)).toMatch(/rate.*'3 per second' is not a rate/);
      const b = await http(s.url, 'POST', '/api/runs', { body: { mode: 'node-http', duration: '10s' } });
      expect(b.status).toBe(400);
      expect(JSON.stringify(b.body)).toMatch(/duration.*cannot time it/);
    } finally {
      await s.close();
    }
  });
});
