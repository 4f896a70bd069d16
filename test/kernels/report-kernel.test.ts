// zcl report --kernel: one command runs a tiny matrix on this machine and in
// Debian's 6.1 kernel under qemu, writes a report for each and the
// kernel-by-kernel table; zcl diff then sets the two reports side by side.
// Small on purpose (two cells of 1 MiB, one run each): under TCG the boot and
// each run take seconds. No skipping: without qemu or the kernel package it fails.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportDiff } from '../../server/report/diff.js';
import { DIST, ROOT } from '../../server/project.js';

const KERNEL = 'debian-6.1-cloud';
const ZCL = join(DIST, 'server', 'cli', 'zcl.js');

function zcl(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [ZCL, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => p.kill('SIGINT'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

/** qemu processes running now (none may be left by the command). */
const qemus = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('qemu-system') && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    });

let dir: string;
let report: Awaited<ReturnType<typeof zcl>>;

beforeAll(async () => {
  dir = mkdtempSync(join('/var/tmp', 'zcl-report-kernel-'));
  const matrix = join(dir, 'tiny.json');
  writeFileSync(matrix, JSON.stringify({ name: 'tiny-kernels', base: { path: 'loopback', sizeBytes: '1MiB', cache: 'warm' }, axes: { mode: ['read-write', 'sendfile'] }, repetitions: 1, warmup: 0 }));
  report = await zcl(['report', matrix, '--kernel', `host,${KERNEL}`, '--out', join(dir, 'out')], 900_000);
  console.info(`zcl report --kernel host,${KERNEL}: ${report.seconds.toFixed(0)} s`);
}, 960_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`zcl report --kernel host,${KERNEL}, then zcl diff`, () => {
  it('writes a report per kernel and prints the kernel-by-kernel table, with progress per phase', () => {
    expect(report.code, report.err).toBe(0);
    for (const phase of [/\[debian-6\.1-cloud\] fetching kernel/, /\[debian-6\.1-cloud\] building initramfs for 6\.1\./, /\[debian-6\.1-cloud\] booting linux-image-6\.1\./, /\[debian-6\.1-cloud\] running 2 cells in the guest/, /\[debian-6\.1-cloud\] copying results\.json back/, /\[debian-6\.1-cloud\] \[2\/2\] sendfile rep 1: /])
      expect(report.err).toMatch(phase);
    for (const k of ['host', KERNEL]) for (const f of ['report.md', 'report.html', 'results.json', 'results.csv']) expect(existsSync(join(dir, 'out', k, f)), `${k}/${f}`).toBe(true);
    expect(existsSync(join(dir, 'out', 'kernels.md'))).toBe(true);
    expect(report.out).toMatch(/^cell\s+figure\s+unit\s+host\s+debian-6\.1-cloud$/m);
    // Each cell's first row: a figure equal on both kernels is left out, and a 1 MiB sendfile's sender
    // CPU can read 0 on both (under the rusage tick; CI 2026-12-01), so which figure leads may vary.
    expect(report.out).toMatch(/^read-write\s+(sender|sink|throughput)\b/m);
    expect(report.out).toMatch(/^sendfile\s+(sender|sink|throughput)\b/m);
    const guest = JSON.parse(readFileSync(join(dir, 'out', KERNEL, 'results.json'), 'utf8'));
    expect(guest.environment.kernel.release).toMatch(/^6\.1\./);
    expect(guest.cells.map((c: { status: string }) => c.status)).toEqual(['done', 'done']);
    expect(qemus()).toEqual([]);
  });

  it('zcl diff of the host report against the 6.1 one: both cells matched, the exact copies the same on both kernels', async () => {
    const r = await zcl(['diff', join(dir, 'out', 'host'), join(dir, 'out', KERNEL), '--json'], 60_000);
    expect(r.code, r.err).toBe(0);
    const d = JSON.parse(r.out) as ReportDiff;
    expect(d.a.kernel).toBe(release());
    expect(d.b.kernel).toMatch(/^6\.1\./);
    expect(d.cells.map((c) => c.label).sort()).toEqual(['read-write', 'sendfile']);
    expect(d.onlyA).toEqual([]);
    expect(d.onlyB).toEqual([]);
    for (const c of d.cells) {
      const copies = c.measures.find((m) => m.role === 'sender' && m.figure === 'cpu_copy_bytes')!;
      expect(copies.verdict, c.label).toBe('same');
    }
    const t = await zcl(['diff', join(dir, 'out', 'host'), join(dir, 'out', KERNEL)], 60_000);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^read-write\s+(sender|sink|throughput)\b/m);
    expect(t.out).toMatch(/^sendfile\s+(sender|sink|throughput)\b/m);
    expect(t.out).toContain('2 cells matched');
  });
});
