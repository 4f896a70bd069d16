// The verdict rules (server/probes/verdict.ts) on constructed counters: they are
// pure, so each rule is checked on the numbers that must trigger it and on the
// nearest that must not. test/watch-cli.test.ts checks them on real programs.
import { describe, expect, it } from 'vitest';
import { libbpfEngine } from '../server/probes/select.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { runTransfer } from '../server/session/session.js';
import { COUNTER_NAMES } from '../server/probes/schema.generated.js';
import type { Counters } from '../server/probes/types.js';
import { connectionVerdict, copiesPerByte, mapsTlsLibrary, sendPaths, verdict } from '../server/probes/verdict.js';
import { derive, perByteText, zerocopyCopiedExtra } from '../server/probes/derive.js';
import { textbookRow } from '../server/probes/textbook.js';
import type { ProbeResult } from '../server/probes/types.js';

const MiB = 2 ** 20;
const zero = (): Counters => Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Counters;
const counters = (c: Partial<Counters>): Counters => ({ ...zero(), ...c });
const codes = (v: { findings: { code: string }[] }) => v.findings.map((f) => f.code);

describe('verdicts', () => {
  it('sendfile: zero-copy, the sendfile path with its bytes, no finding', () => {
    const v = verdict(counters({ splice_ref_bytes: 16 * MiB, copy_user_to_socket_bytes: 262 }), { sendfile: 22, writev: 1 });
    expect(v.kind).toBe('zero-copy');
    expect(v.summary).toBe('zero-copy');
    expect(v.paths.map((p) => [p.path, p.bytes])).toEqual([['write', 262], ['sendfile', 16 * MiB]]);
    expect(v.findings).toEqual([]);
  });

  it('read + write: copies 2 per byte, read-then-write with the evidence', () => {
    const v = verdict(counters({ copy_file_to_user_bytes: 16 * MiB, copy_user_to_socket_bytes: 16 * MiB + 262 }), { pread64: 512, writev: 512 });
    expect(v.summary).toBe('copies 2.00 per byte');
    expect(codes(v)).toEqual(['read-then-write']);
    expect(v.findings[0].evidence).toMatchObject({ copy_file_to_user_bytes: 16 * MiB, copy_user_to_socket_bytes: 16 * MiB + 262 });
    expect(v.findings[0].message).toMatch(/sendfile/);
  });

  it('read-then-write names the files when the engine has file rows', () => {
    const v = verdict(counters({ copy_file_to_user_bytes: MiB, copy_user_to_socket_bytes: MiB }), { read: 17, write: 16 }, {
      files: [{ tgid: 1, dev: '8:1', ino: 12, path: '/srv/a.bin', counters: { copy_file_to_user_bytes: MiB, splice_ref_bytes: 0, block_read_bytes: 0 } }],
    });
    expect(v.findings[0].message).toContain('/srv/a.bin');
  });

  it('userspace-tls: a TLS library mapped and socket bytes a TLS overhead above the file bytes; an inference, said so', () => {
    const c = counters({ copy_file_to_user_bytes: 16 * MiB, copy_user_to_socket_bytes: 16 * MiB + 1024 * 22 });
    const v = verdict(c, { read: 256, write: 1024 }, { tlsLibrary: true });
    expect(codes(v)).toEqual(['userspace-tls']);
    expect(v.findings[0].inference).toBe(true);
    expect(v.findings[0].message).toMatch(/inference/);
    // The same bytes without a TLS library: read-then-write.
    expect(codes(verdict(c, { read: 256, write: 1024 }))).toEqual(['read-then-write']);
    // A TLS library mapped but the bytes equal (+ an HTTP header): plain copying (nginx links libssl whether or not it serves TLS).
    expect(codes(verdict(counters({ copy_file_to_user_bytes: 16 * MiB, copy_user_to_socket_bytes: 16 * MiB + 262 }), {}, { tlsLibrary: true }))).toEqual(['read-then-write']);
  });

  it('no-gather: linearized bytes at the device, even for sendfile', () => {
    const v = verdict(counters({ splice_ref_bytes: 4 * MiB, copy_linearize_bytes: 4 * MiB, dev_xmit_bytes: 4 * MiB }), { sendfile: 2 });
    expect(v.summary).toBe('copies 1.00 per byte');
    expect(codes(v)).toEqual(['no-gather']);
    expect(v.findings[0].evidence).toMatchObject({ copy_linearize_bytes: 4 * MiB, dev_xmit_bytes: 4 * MiB });
  });

  it('zerocopy-copied: MSG_ZEROCOPY completions the kernel marked copied', () => {
    const v = verdict(counters({ zerocopy_bytes: 8 * MiB, zerocopy_copied_bytes: 8 * MiB }), { sendmsg: 64 });
    expect(v.paths.map((p) => p.path)).toEqual(['msg-zerocopy']);
    expect(codes(v)).toEqual(['zerocopy-copied']);
    expect(v.summary).toBe('copies 1.00 per byte');
  });

  it('zerocopy-copied over a device without scatter-gather: the marked bytes already linearized count once, and the text never says 0.00 of a copy', () => {
    // Measured (zcl run --mode msg-zerocopy --path veth-nosg --size 64MiB): linearize 1.00 per byte, 236 of 512 completions marked copied.
    const c = counters({ zerocopy_bytes: 64 * MiB, copy_linearize_bytes: 64 * MiB, dev_xmit_bytes: 64 * MiB + 10496, zerocopy_copied_bytes: 30932992 });
    expect(zerocopyCopiedExtra(c)).toBe(10496);
    const v = verdict(c, { sendmsg: 512, recvmsg: 300 });
    expect(v.summary).toBe('copies 1.00 per byte');
    expect(codes(v)).toEqual(['no-gather', 'zerocopy-copied']);
    expect(v.findings[1].message).toMatch(/10\.3 KiB of 64 MiB .* copied by the kernel anyway.*; 29 MiB more were marked copied but had been copied linear at transmit already/);
    // No transmit beyond the linearized bytes: no zerocopy-copied finding at all, the copy is the linearization.
    expect(codes(verdict({ ...c, dev_xmit_bytes: 64 * MiB }, { sendmsg: 512 }))).toEqual(['no-gather']);
    // With scatter-gather (nothing linearized) the mark is the copy, in full.
    expect(zerocopyCopiedExtra(counters({ zerocopy_copied_bytes: 8 * MiB, dev_xmit_bytes: 8 * MiB }))).toBe(8 * MiB);
    expect(zerocopyCopiedExtra(counters({ zerocopy_copied_bytes: null }))).toBeNull();
  });

  it('the seeds\' verdict on MSG_ZEROCOPY over veth-nosg: 1 copy per byte however many sends were marked, and no "0.00 per byte" of a copy', () => {
    const run = (zcc: number, copied: number) => {
      const c = counters({ zerocopy_bytes: 64 * MiB, copy_linearize_bytes: 64 * MiB, dev_xmit_bytes: 64 * MiB, zerocopy_copied_bytes: zcc, syscalls: 1024 });
      const role = { counters: c, syscalls: { sendmsg: 512, recvmsg: 512 } };
      const probes = { status: 'ok' as const, engine: 'libbpf', sender: { ...role, derived: derive(role, 64 * MiB, 512) } } as unknown as ProbeResult;
      return textbookRow({ mode: 'msg-zerocopy', bytes: 64 * MiB, device: { name: 'v', scatterGather: false }, zerocopy: { sends: 512, completions: 512, copiedCompletions: copied, copiedBytes: zcc } }, probes);
    };
    // The four runs of issue 14 (1.63, 1.51, 1.00, 1.24 copies per byte before): 1.00 each now.
    for (const [zcc, copied] of [[0.63, 323], [0.51, 261], [0, 0], [0.24, 123]] as const) {
      const row = run(Math.round(zcc * 64 * MiB), copied);
      expect(row.measured.cpuCopies).toBe(1);
      expect(row.reason).toMatch(/copy_linearize_bytes = 1\.00 per byte/);
      expect(row.reason).not.toMatch(/copied after all/);
      if (zcc) expect(row.reason).toMatch(new RegExp(`marked ${zcc.toFixed(2)} per byte of the sends copied \\(SO_EE_CODE_ZEROCOPY_COPIED \\(${copied} of 512 completions\\)\\) although those bytes had been copied linear at transmit already`));
      else expect(row.reason).not.toMatch(/SO_EE_CODE_ZEROCOPY_COPIED/);
    }
    // A handful of copied bytes reads as what it is, never "0.00 per byte".
    expect(run(4096, 1).reason).toMatch(/marked 0\.000061 per byte of the sends copied/);
    expect(run(4096, 1).reason).not.toMatch(/0\.00 per byte/);
    expect(perByteText(0.0039)).toBe('0.0039');
    expect(perByteText(0)).toBe('0.00');
  });

  it('small-sends: below 16 KiB per send over enough sends, not over a few', () => {
    expect(codes(verdict(counters({ copy_user_to_socket_bytes: 4096 * 1000 }), { write: 1000 }))).toEqual(['small-sends']);
    expect(codes(verdict(counters({ copy_user_to_socket_bytes: 4096 * 10 }), { write: 10 }))).toEqual([]);
    expect(codes(verdict(counters({ copy_user_to_socket_bytes: 65536 * 1000 }), { write: 1000 }))).toEqual([]);
  });

  it('no sends seen; unmeasured when the kernel has no source', () => {
    expect(verdict(counters({ copy_file_to_user_bytes: MiB }), { read: 16 }).summary).toBe('no sends seen');
    expect(verdict(counters({ splice_ref_bytes: null }), {}).kind).toBe('unmeasured');
    expect(copiesPerByte(counters({}))).toBeNull();
  });

  it('splice and sendfile share the by-reference counter: the path says which were called', () => {
    expect(sendPaths(counters({ splice_ref_bytes: MiB }), { splice: 32 })[0].path).toBe('splice');
    expect(sendPaths(counters({ splice_ref_bytes: MiB }), { splice: 32, sendfile: 1 })[0].path).toBe('sendfile+splice');
  });

  it('per connection', () => {
    const v = connectionVerdict({ copy_user_to_socket_bytes: 0, splice_ref_bytes: MiB, zerocopy_bytes: 0, dev_xmit_bytes: MiB, copy_linearize_bytes: MiB, retransmit_bytes: 0 });
    expect(v.summary).toMatch(/copies 1.00 per byte/);
    expect(codes(v)).toEqual(['no-gather']);
  });

  it('reads TLS libraries from a maps text', () => {
    expect(mapsTlsLibrary('7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libssl.so.3\n')).toBe(true);
    expect(mapsTlsLibrary('7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n')).toBe(false);
  });
});

describe('MSG_ZEROCOPY over veth-nosg, a real run', () => {
  it('counts the linearization once whatever share of sends the kernel marks copied, and says both figures without contradiction', async () => {
    const SIZE = 8 * MiB;
    const r = await runTransfer(parseRunSpec({ mode: 'msg-zerocopy', path: 'veth-nosg', sizeBytes: SIZE, chunkBytes: 128 * 1024 }), { probes: { engine: libbpfEngine() } });
    const c = r.probes!.sender!.counters;
    // The engine's completions and the probe's agree on what the kernel marked copied.
    expect(c.zerocopy_copied_bytes).toBe(r.zerocopy!.copiedBytes);
    expect(c.copy_linearize_bytes!).toBeGreaterThanOrEqual(SIZE * 0.99);
    const extra = zerocopyCopiedExtra(c)!;
    // At most what the device sent beyond the linearized bytes (retransmits): no second copy of the same bytes.
    expect(extra).toBeLessThanOrEqual(Math.max(0, c.dev_xmit_bytes! - c.copy_linearize_bytes!));
    expect(r.probes!.sender!.derived.cpu_copy_bytes).toBe(c.copy_linearize_bytes! + extra);
    expect(r.textbook!.measured.cpuCopies!).toBeLessThan(1 + (c.retransmit_bytes! + 0.01 * SIZE) / SIZE);
    const reason = r.textbook!.reason!;
    // the linearized bytes per byte as the counters say: 1.00, or a little more when packets were retransmitted (each copied linear again)
    const said = /copy_linearize_bytes = (\d+\.\d\d) per byte/.exec(reason);
    expect(said, reason).not.toBeNull();
    expect(Math.abs(Number(said![1]) - c.copy_linearize_bytes! / SIZE)).toBeLessThanOrEqual(0.006);
    expect(reason).not.toMatch(/ 0\.00 per byte/);
    if (c.zerocopy_copied_bytes! > extra) expect(reason).toContain(`(SO_EE_CODE_ZEROCOPY_COPIED (${r.zerocopy!.copiedCompletions} of ${r.zerocopy!.completions} completions))`);
    else expect(reason).not.toMatch(/marked .* per byte of the sends copied/);
  }, 60_000);
});

