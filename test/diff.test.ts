// zcl diff end to end: three small real reports (short runs on loopback, with
// the probes), compared with the built CLI. The same mode run twice keeps its
// exact figures (CPU copies, by-reference bytes per byte); read/write against
// sendfile (matched across the mode with --ignore mode) changes them; bad input
// exits 2 naming the file and the reason. Needs root and eBPF: fails otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge, type CellDiff, type MeasureDiff, type ReportDiff } from '../server/report/diff.js';
import { DIST, ROOT } from '../server/project.js';
import { writeReports } from '../server/report/write.js';
import { reportInputOf } from '../server/session/kernel-report.js';

const ZCL = join(DIST, 'server', 'cli', 'zcl.js');
const zcl = (args: string[]) => {
  const r = spawnSync(process.execPath, [ZCL, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** The same, without blocking: the bad-input cases run at once (each zcl starts in about 3 s as root: its sweeps). */
const zclAsync = (args: string[]) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const p = spawn(process.execPath, [ZCL, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });

let dir: string;
const report = (name: string, modes: string[]) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, base: { path: 'loopback', sizeBytes: '1MiB', cache: 'warm' }, axes: { mode: modes }, repetitions: 2, warmup: 0 }));
  const r = zcl(['report', file, '--out', join(dir, name)]);
  expect(r.code, r.err + r.out).toBe(0);
  return join(dir, name);
};
const diffJson = (args: string[]): ReportDiff => {
  const r = zcl(['diff', ...args, '--json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as ReportDiff;
};
const figure = (c: CellDiff, role: string, name: string): MeasureDiff => c.measures.find((m) => m.role === role && m.figure === name)!;

let both: string; // read-write and sendfile
let rw: string; // read-write alone, another run
let sf: string; // sendfile alone

beforeAll(() => {
  expect(process.getuid?.(), 'zcl report needs root (eBPF)').toBe(0);
  dir = mkdtempSync(join('/var/tmp', 'zcl-diff-test-'));
  both = report('both', ['read-write', 'sendfile']);
  rw = report('rw', ['read-write']);
  sf = report('sf', ['sendfile']);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('zcl diff', () => {
  it('the same mode run twice: matched, its exact figures the same; the cell only in A listed', () => {
    const d = diffJson([both, join(rw, 'results.json')]);
    expect(d.totals.matched).toBe(1);
    expect(d.onlyA.map((c) => c.label)).toEqual(['sendfile']);
    expect(d.onlyB).toEqual([]);
    const [c] = d.cells;
    expect(c.a.spec.mode).toBe('read-write');
    // read + write: every byte copied twice, on both sides, exactly.
    for (const [role, name, perMiB] of [['sender', 'cpu_copy_bytes', 2 * 2 ** 20], ['sender', 'copy_file_to_user_bytes', 2 ** 20], ['sender', 'copy_user_to_socket_bytes', 2 ** 20]] as const) {
      const m = figure(c, role, name);
      expect(m.exact).toBe(true);
      expect(m.a!.median).toBeGreaterThanOrEqual(perMiB);
      expect(m.a!.median).toBeLessThan(perMiB * 1.01);
      expect(m.verdict, `${role} ${name}`).toBe('same');
    }
    expect(figure(c, 'run', 'cpuSecondsPerGiB').a!.n).toBe(2);
    expect(figure(c, 'run', 'cpuSecondsPerGiB').exact).toBe(false);
  });

  it('read/write against sendfile (--ignore mode): the copies and the by-reference bytes changed, flagged; the files written', () => {
    const out = join(dir, 'diff-out');
    const d = diffJson([rw, sf, '--ignore', 'mode']);
    expect(d.ignored).toEqual(['mode']);
    expect(d.totals.matched).toBe(1);
    const [c] = d.cells;
    expect(c.label).toContain('read-write → sendfile');
    for (const name of ['cpu_copy_bytes', 'copy_file_to_user_bytes', 'copy_user_to_socket_bytes', 'splice_ref_bytes']) expect(figure(c, 'sender', name).verdict, name).toBe('changed');
    expect(figure(c, 'sender', 'cpu_copy_bytes').b!.median).toBe(0);
    expect(figure(c, 'sender', 'splice_ref_bytes').b!.median).toBeGreaterThanOrEqual(2 ** 20);
    // The receive side copies every byte once either way.
    expect(figure(c, 'sink', 'copy_socket_to_user_bytes').verdict).toBe('same');
    expect(d.totals.changedCells).toBe(1);

    const t = zcl(['diff', rw, sf, '--ignore', 'mode', '--out', out]);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/sender: CPU copies, all\s+per byte\s+2\.00\s+0\s+×0\s+CHANGED -100%/);
    expect(t.out).toContain('1 cell matched (ignoring mode); 1 with a change beyond noise');
    const md = readFileSync(join(out, 'diff.md'), 'utf8');
    expect(md).toContain('| read-write → sendfile | sender: by reference (sendfile, splice) | per byte | 0 | 1.00 |');
    const html = readFileSync(join(out, 'diff.html'), 'utf8');
    expect(html).toContain('<td class="verdict differs">CHANGED');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('bad input exits 2, naming the file and the reason', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'not.json'), 'nope');
    writeFileSync(join(bad, 'other.json'), JSON.stringify({ format: 'something/else@1' }));
    const old = JSON.parse(readFileSync(join(rw, 'results.json'), 'utf8'));
    writeFileSync(join(bad, 'old.json'), JSON.stringify({ ...old, format: 'zerocopy-lab/report-results@0' }));
    writeFileSync(join(bad, 'broken.json'), JSON.stringify({ ...old, cells: 'none' }));
    const cases: [string[], RegExp][] = [
      [[join(bad, 'nosuch'), rw], /nosuch: no such file or directory/],
      [[bad, rw], /bad: a directory without results\.json: not a report directory/],
      [[join(bad, 'not.json'), rw], /not\.json: not JSON/],
      [[rw, join(bad, 'other.json')], /other\.json: not a results file of zcl report: its format is "something\/else@1"/],
      [[rw, join(bad, 'old.json')], /old\.json: schema version mismatch: it is zerocopy-lab\/report-results@0, this zcl reads zerocopy-lab\/report-results@1/],
      [[rw, join(bad, 'broken.json')], /broken\.json: does not match the zerocopy-lab\/report-results@1 schema: cells:/],
      [[rw, sf], /no cell in common \(cells match on mode, .*\); A has read-write, B has sendfile; --ignore FIELD/],
      [[rw, sf, '--ignore', 'colour'], /--ignore: 'colour' is not a RunSpec field; allowed: mode, /],
      [[both, rw, '--ignore', 'mode'], /both\/results\.json: cells 'read-write' and 'sendfile' are the same once mode is ignored: the match is ambiguous/],
      [[rw], /missing required argument 'B'/],
    ];
    const results = await Promise.all(cases.map(([args]) => zclAsync(['diff', ...args])));
    cases.forEach(([args, re], i) => {
      expect(results[i].code, args.join(' ')).toBe(2);
      expect(results[i].err, args.join(' ')).toMatch(re);
      expect(results[i].out).toBe('');
    });
    expect(existsSync(join(dir, 'diff.md'))).toBe(false);
  });

  it('zcl report --kernel: bad names and options exit 2 listing the allowed values, starting nothing', async () => {
    const m = join(dir, 'rw.json');
    const cases: [string[], RegExp][] = [
      [['--kernel', 'debian-5.10'], /--kernel: 'debian-5\.10' is not a kernel the VM harness knows; allowed: host, debian-6\.1-cloud, debian-6\.1, debian-6\.12-cloud, debian-6\.12, or an exact linux-image-\.\.\.-amd64 package/],
      [['--kernel', 'host,host'], /--kernel: names host twice/],
      [['--kernel', ','], /--kernel: names no kernel; allowed: host, /],
      [['--kernel', 'host', '--resume'], /--resume: not with --kernel/],
      [['--kernel', 'host', '--vm-timeout', 'soon'], /--vm-timeout: must be a number of seconds above 0/],
    ];
    // An --out whose <name>/ holds a report already (here a stand-in results.json) is refused without --fresh.
    mkdirSync(join(dir, 'taken', 'host'), { recursive: true });
    writeFileSync(join(dir, 'taken', 'host', 'results.json'), '{}');
    cases.push([['--kernel', 'host', '--out', join(dir, 'taken')], /--out: .*taken\/host already has a report; add --fresh/]);
    const [help, ...results] = await Promise.all([zclAsync(['report', '--help']), ...cases.map(([args]) => zclAsync(['report', m, ...args]))]);
    cases.forEach(([args, re], i) => {
      expect(results[i].code, args.join(' ')).toBe(2);
      expect(results[i].err, args.join(' ')).toMatch(re);
    });
    expect(help.out.replace(/\s+/g, ' ')).toContain('--kernel <names> run the matrix on each of these kernels, comma-separated: host (this machine) or a Debian kernel booted under qemu (debian-6.1-cloud, debian-6.1, debian-6.12-cloud, debian-6.12)');
  });

  it('a results.json read back (as zcl report --kernel does with the guest\'s) writes the same report', () => {
    const original = JSON.parse(readFileSync(join(both, 'results.json'), 'utf8'));
    const again = join(dir, 'again');
    mkdirSync(again);
    writeReports(again, reportInputOf(original, 'the-matrix.json'));
    const copy = JSON.parse(readFileSync(join(again, 'results.json'), 'utf8'));
    expect(copy.matrix.source).toBe('the-matrix.json');
    const strip = (r: { generatedAt?: string; matrix: { source?: string } }) => ({ ...r, generatedAt: 0, matrix: { ...r.matrix, source: 0 } });
    expect(strip(copy)).toEqual(strip(original));
    expect(readFileSync(join(again, 'results.csv'), 'utf8')).toBe(readFileSync(join(both, 'results.csv'), 'utf8'));
  });

  it('the noise rule: exact figures to a tolerance, the others by range and size', () => {
    const s = (median: number, min = median, max = median, n = 3) => ({ median, min, max, n });
    const MiB = 2 ** 20;
    expect(judge(s(2 * MiB), s(2 * MiB + 500), true)).toBe('same'); // within 1024 bytes per MiB
    expect(judge(s(2 * MiB), s(2.03 * MiB), true)).toBe('changed'); // 1.5% > 1%
    expect(judge(s(0), s(5000), true)).toBe('changed');
    // An exact figure that spread in its own runs is judged by the range rule.
    expect(judge(s(MiB, 0.9 * MiB, 1.1 * MiB), s(1.05 * MiB, MiB, 1.2 * MiB), true)).toBe('same');
    expect(judge(s(1, 0.8, 1.2), s(1.15, 1.1, 1.3), false)).toBe('same'); // overlap
    expect(judge(s(1, 0.95, 1.05), s(1.08, 1.06, 1.1), false)).toBe('same'); // apart, but 8% < 10%
    expect(judge(s(1, 0.95, 1.05), s(1.3, 1.2, 1.4), false)).toBe('changed');
    expect(judge(null, s(1), false)).toBe('unmeasured');
  });
});
