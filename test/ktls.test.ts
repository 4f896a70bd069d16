// kTLS on this host (issue 15, part 2): whether the kernel can do it is read from
// the kernel itself (tcp_available_ulp, the installed modules), and where it
// cannot the ktls-* modes are refused with that reason through the error
// registry, before any setup. Where it can (CI's kernels may), the same test
// runs the modes instead: nothing here skips. The modes' counts are checked
// where the kernel has tls: test/kernels/ktls.test.ts (Debian 6.1 and 6.12 in QEMU).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KTLS_MODE_NAMES, LAB_MODE_NAMES, modeInfo } from '../scenarios/catalog.js';
import { ERRORS, KernelUnsupportedError } from '../server/core/errors.js';
import { readTlsStat, tlsSupport } from '../server/core/ktls.js';
import { DIST } from '../server/project.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { runTransfer } from '../server/session/session.js';
import { derive } from '../server/probes/derive.js';
import { verdict } from '../server/probes/verdict.js';
import { COUNTER_NAMES } from '../server/probes/schema.generated.js';
import type { Counters } from '../server/probes/types.js';

const zcl = join(DIST, 'server', 'cli', 'zcl.js');
const MiB = 2 ** 20;

describe('kTLS support, read from the kernel', () => {
  it('the tls ULP registered, or its module installed: yes; otherwise no, naming what the kernel lists', () => {
    expect(tlsSupport('mptcp tls\n', '/nonexistent')).toMatchObject({ ok: true, detail: expect.stringMatching(/tls ULP is registered/) });
    const none = tlsSupport('mptcp\n', '/nonexistent');
    expect(none.ok).toBe(false);
    expect(!none.ok && none.reason).toMatch(/tcp_available_ulp lists mptcp, not tls, and no tls\.ko is installed in \/nonexistent \(/);
    // Debian's 6.12: the module installed (xz), not yet loaded: the first TCP_ULP "tls" loads it.
    const dir = mkdtempSync(join(tmpdir(), 'zcl-ktls-'));
    try {
      writeFileSync(join(dir, 'modules.dep'), 'kernel/drivers/net/veth.ko.xz:\nkernel/net/tls/tls.ko.xz:\n');
      expect(tlsSupport('mptcp\n', dir)).toMatchObject({ ok: true, detail: expect.stringMatching(/tls module is installed .* loads on first use/) });
      writeFileSync(join(dir, 'modules.dep'), 'kernel/drivers/net/veth.ko.xz:\nkernel/net/tls/tlsfoo.ko.xz:\n');
      expect(tlsSupport('mptcp\n', dir).ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('/proc/net/tls_stat parses into counters by name (TlsTxSw, TlsTxDevice, ...); missing: null', () => {
    expect(readTlsStat('TlsCurrTxSw                     \t0\nTlsTxSw                         \t1\nTlsTxDevice                     \t0\n')).toEqual({ TlsCurrTxSw: 0, TlsTxSw: 1, TlsTxDevice: 0 });
    expect(readTlsStat(undefined)).toBeNull();
  });

  it('the catalog: two kTLS modes, out of the `lab` group, each with its textbook pass count', () => {
    expect(KTLS_MODE_NAMES).toEqual(['ktls-write', 'ktls-sendfile']);
    for (const m of KTLS_MODE_NAMES) expect(LAB_MODE_NAMES).not.toContain(m);
    expect(modeInfo('ktls-write').textbook).toMatchObject({ cpuCopies: 2, modeSwitchesPerChunk: 4 });
    expect(modeInfo('ktls-sendfile').textbook).toMatchObject({ cpuCopies: 1, modeSwitchesPerChunk: 2 });
    expect(ERRORS.ZCL_KERNEL_UNSUPPORTED).toMatchObject({ status: 422, exit: 1 });
  });

  it('a discard sink is refused for kTLS (nothing to decrypt into), naming the allowed sinks', () => {
    expect(() => parseRunSpec({ mode: 'ktls-sendfile', sink: 'discard' })).toThrow(/sink: mode ktls-sendfile is received with kTLS \(TLS_RX\), .*allowed sinks: read, copy; got 'discard'/);
  });
});

describe('kTLS in the verdict and the derived figures', () => {
  const counters = (c: Partial<Counters>): Counters => ({ ...(Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Counters), ...c });
  it('the encryption is a CPU pass of the sender; without a source it is null for a kTLS sender, 0 for the others', () => {
    const role = (c: Partial<Counters>) => ({ counters: counters(c), syscalls: { sendfile: 8 } });
    expect(derive(role({ copy_encrypt_bytes: 4 * MiB, splice_ref_bytes: 4 * MiB + 256 * 22 }), 4 * MiB, 8, { encrypts: true }).cpu_copies_per_byte).toBe(1);
    expect(derive(role({ copy_encrypt_bytes: null }), 4 * MiB, 8, { encrypts: true }).cpu_copy_bytes).toBeNull();
    expect(derive(role({ copy_encrypt_bytes: null }), 4 * MiB, 8).cpu_copy_bytes).toBe(0);
  });

  it('the send path is the kTLS records, and the finding says what TLS costs', () => {
    const v = verdict(counters({ copy_encrypt_bytes: 4 * MiB, splice_ref_bytes: 4 * MiB + 256 * 22 }), { sendfile: 64 });
    expect(v.paths.map((p) => p.path)).toEqual(['ktls']);
    expect(v.findings.map((f) => f.code)).toEqual(['ktls-encrypt']);
    expect(v.findings[0].message).toMatch(/^kernel TLS encrypted 4\.0 MiB: .*one CPU pass per byte, even with sendfile/);
    expect(v.kind).toBe('copies');
  });
});

describe('kTLS modes on this host', () => {
  const tls = tlsSupport();

  it(tls.ok ? 'the kernel has tls: ktls-write and ktls-sendfile run, the sink decrypts the file' : 'the kernel has no tls: both modes are refused with the reason, before any setup', async () => {
    for (const mode of KTLS_MODE_NAMES) {
      const spec = parseRunSpec({ mode, sizeBytes: MiB + 4097, chunkBytes: 64 * 1024 });
      if (tls.ok) {
        const r = await runTransfer(spec, { probes: undefined });
        expect(r.receiver.checksumOk).toBe(true);
        expect(r.tls).toMatchObject({ version: 'TLS 1.3', cipher: 'AES-GCM-128' });
        expect(r.tls!.stat!.TlsTxSw).toBeGreaterThanOrEqual(1);
        continue;
      }
      const netnsBefore = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
      const t0 = performance.now();
      const err = await runTransfer(spec, { probes: undefined }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KernelUnsupportedError);
      const e = err as KernelUnsupportedError;
      expect(e.code).toBe('ZCL_KERNEL_UNSUPPORTED');
      expect(e.message).toBe(`mode ${mode} needs kernel TLS and this kernel cannot do it: ${tls.reason}`);
      expect(e.message).toMatch(/tcp_available_ulp lists /);
      // Before any setup: no data file work, no path, no child (well under the time a sink takes to start).
      expect(performance.now() - t0).toBeLessThan(200);
      expect(existsSync('/run/netns') ? readdirSync('/run/netns') : []).toEqual(netnsBefore);
    }
  });

  it(tls.ok ? 'zcl doctor says kTLS runs' : 'zcl run refuses with the registry\'s exit code and the reason; zcl doctor says why (not fatal)', () => {
    const doctor = JSON.parse(spawnSync(process.execPath, [zcl, 'doctor', '--json'], { encoding: 'utf8' }).stdout);
    const check = doctor.checks.find((c: { check: string }) => c.check === 'kTLS');
    if (tls.ok) {
      expect(check).toMatchObject({ ok: true });
      return;
    }
    expect(check).toMatchObject({ ok: false, detail: `ktls-write, ktls-sendfile are refused: ${tls.reason}` });
    expect(check.fatal).toBeUndefined();
    const r = spawnSync(process.execPath, [zcl, 'run', '--mode', 'ktls-sendfile', '--size', '1MiB'], { encoding: 'utf8' });
    expect(r.status).toBe(ERRORS.ZCL_KERNEL_UNSUPPORTED.exit);
    expect(r.stderr).toContain(`mode ktls-sendfile needs kernel TLS and this kernel cannot do it: ${tls.reason}`);
  });
});
