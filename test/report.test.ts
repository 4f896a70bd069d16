// zcl report end to end: a small matrix with real transfers and probes, every
// output parsed and checked (CSV, JSON against the schema, self-contained
// HTML rendered in Chromium, Markdown); Ctrl-C and --resume; a failed cell.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTER_NAMES, ROLES } from '../server/probes/schema.generated.js';
import { probeSetup } from '../server/probes/select.js';
import { DIST, ROOT } from '../server/project.js';
import { runMatrix } from '../server/session/matrix.js';
import { ResultsFileSchema, type ResultsFile } from '../server/report/schema.js';
import { readRuns } from '../server/report/store.js';
import { availableParallelism } from 'node:os';
import { spreadOf } from '../server/report/model.js';
import { SPREAD_LIMIT, stat } from '../server/report/stats.js';
import { SPREAD_RULE } from '../server/report/tables.js';
import type { RunResult } from '../server/run/result.js';
import { csvColumns } from '../server/report/write-data.js';
import { runTransfer, startRun } from '../server/session/session.js';
import { KernelUnsupportedError } from '../server/core/errors.js';
import { loadMatrixFile, parseMatrix, RUN_SPEC_FIELDS } from '../server/schema/matrix.js';

const zclPath = join(DIST, 'server', 'cli', 'zcl.js');
const zcl = (args: string[]) => {
  const r = spawnSync(process.execPath, [zclPath, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const SMALL = join(ROOT, 'scenarios', 'test-small.json');

/** RFC 4180, enough for our own files. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

/** Every URL-ish thing in an HTML file: absolute addresses anywhere, and the targets of src= and href=. */
function externalRefs(html: string): string[] {
  const found = [...html.matchAll(/\b(?:https?|ftp|wss?):\/\/[^\s"'<>)]*/gi)].map((m) => m[0]);
  // Attributes that load or link something, in the markup (scripts left out: their code is no markup).
  const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, '$1$2');
  for (const m of markup.matchAll(/\s(?:src|href|xlink:href|action|poster|srcset|data)\s*=\s*["']?([^"'\s>]*)/gi)) if (!m[1].startsWith('#')) found.push(m[0]);
  for (const m of markup.matchAll(/url\(\s*["']?([^"')]*)/gi)) if (!m[1].startsWith('#')) found.push(m[0]);
  if (/<(?:link|iframe|object|embed|img|base)\b/i.test(markup)) found.push('an element that loads a resource');
  for (const m of markup.matchAll(/<script\b[^>]*\ssrc=/gi)) found.push(m[0]);
  return found;
}

describe('zcl report: a small matrix end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zcl-report-'));
  const out = join(dir, 'out');
  let first: ReturnType<typeof zcl>;
  const matrix = loadMatrixFile(SMALL);
  const runs = matrix.cells.length * matrix.repetitions;
  beforeAll(() => {
    first = zcl(['report', SMALL, '--out', out]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every cell, interleaved, warmup first, with progress on stderr', () => {
    expect(first.code, first.err).toBe(0);
    expect(matrix.cells.length).toBe(4);
    expect(matrix.repetitions).toBe(2);
    const lines = first.err.split('\n').filter((l) => /^\[\s*\d+\/\d+\]/.test(l));
    const total = matrix.cells.length * (matrix.repetitions + matrix.warmup);
    expect(lines).toHaveLength(total);
    expect(lines[total - 1]).toMatch(new RegExp(`^\\[${total}/${total}\\] `));
    expect(lines.every((l) => /\(ETA \d+:\d\d\)$/.test(l))).toBe(true);
    // Round by round: all warmups, then rep 1 of every cell, then rep 2.
    const order = lines.map((l) => / (warmup \d|rep \d):/.exec(l)![1]);
    expect(order).toEqual([...Array(4).fill('warmup 1'), ...Array(4).fill('rep 1'), ...Array(4).fill('rep 2')]);
    expect(first.out).toMatch(/^done: 12 of 12 runs/m);
    const recorded = readRuns(out);
    expect(recorded).toHaveLength(total);
    expect(recorded.filter((r) => r.warmup)).toHaveLength(matrix.cells.length);
  });

  it('results.json validates against the schema and holds every raw RunResult with the environment', () => {
    const json = ResultsFileSchema.parse(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))) as ResultsFile;
    expect(json.status).toBe('complete');
    expect(json.cells).toHaveLength(4);
    expect(json.totals).toMatchObject({ cells: 4, runsPlanned: runs, runsOk: runs, runsFailed: 0 });
    for (const c of json.cells) {
      expect(c.status).toBe('done');
      expect(c.runs.map((r) => r.rep)).toEqual([1, 2]);
      for (const r of c.runs) {
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        expect(r.result.probes?.status).toBe('ok');
        expect(r.result.mode).toBe(c.spec.mode);
        expect(r.result.chunkBytes).toBe(c.spec.chunkBytes);
      }
      expect(c.summary.n).toBe(2);
      expect(c.summary.throughputMiBps!.min).toBeLessThanOrEqual(c.summary.throughputMiBps!.median);
    }
    const e = json.environment;
    expect(e.kernel.release).toMatch(/^\d+\.\d+/);
    expect(e.probes).toEqual([expect.objectContaining({ status: 'ok', engine: 'libbpf', tier: expect.any(String) })]);
    expect(Object.keys(e.probes[0].sources!)).toEqual([...COUNTER_NAMES]);
    expect(e.cpu.model.length).toBeGreaterThan(0);
    expect(e.versions.node).toBe(process.versions.node);
    expect(e.versions.libbpf).toMatch(/^\d+\.\d+/);
    expect(e.versions.clang).toMatch(/^\d+\./);
    expect(e.versions).toHaveProperty('bpftrace');
  });

  it('every run records the machine during it; each cell its steal and other work, and a spread flag exactly where max/min passes the limit', () => {
    const json = ResultsFileSchema.parse(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))) as ResultsFile;
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const results: RunResult[] = [];
    for (const c of json.cells) {
      for (const r of c.runs) {
        if (!r.ok) continue;
        results.push(r.result as RunResult);
        const m = r.result.machine!;
        expect(m.cpus).toBe(availableParallelism());
        expect(m.steal).toBeGreaterThanOrEqual(0);
        expect(m.steal).toBeLessThanOrEqual(1);
        expect(m.otherCpus).toBeGreaterThanOrEqual(0);
        expect(m.otherCpus).toBeLessThanOrEqual(m.cpus);
        // The window is the transfer: within the run's own start and end.
        expect(m.seconds).toBeGreaterThanOrEqual(r.result.wallSeconds * 0.9);
        expect(m.seconds).toBeLessThanOrEqual((Date.parse(r.result.finishedAt) - Date.parse(r.result.startedAt)) / 1000 + 0.05);
        // Busy time covers the run's own sender and sink CPU (ticks: 2 of 100 Hz per CPU of slack).
        const own = r.result.sender.cpuUserSeconds + r.result.sender.cpuSysSeconds + r.result.receiver.cpuUserSeconds + r.result.receiver.cpuSysSeconds;
        expect(m.busy * m.cpus * m.seconds + 0.02 * m.cpus).toBeGreaterThanOrEqual(own);
      }
      expect(c.summary.steal!.n).toBe(2);
      expect(c.summary.otherCpus!.n).toBe(2);
      const ratio = (s: { min: number; max: number } | null) => (!s || !(s.max > 0) ? 1 : s.min > 0 ? s.max / s.min : Infinity);
      const wide = ratio(c.summary.cpuSecondsPerGiB) > SPREAD_LIMIT || ratio(c.summary.throughputMiBps) > SPREAD_LIMIT;
      expect(c.summary.spread !== null, c.label).toBe(wide);
      if (wide) {
        expect(c.summary.spread!.reason).toMatch(/^wide spread: (sender CPU|throughput) /);
        expect(md).toContain(`- **${c.label}**: ${c.summary.spread!.reason}.`);
      }
    }
    expect(md).toMatch(/\| machine: steal % \| machine: other work, CPUs \| spread \|$/m);
    expect(md).toContain(SPREAD_RULE);
    expect(html).toContain('machine: steal %');
    // The same rule on these real runs with one made slow and busy: flagged, saying how wide and why.
    const cell = results.filter((r) => r.mode === results[0].mode && r.chunkBytes === results[0].chunkBytes);
    // (2 MiB runs can take less CPU than the clock resolves: the figures are set, the rest is the runs'.)
    const busy = { ...cell[1], sender: { ...cell[1].sender, cpuSecondsPerGiB: 1.5 }, machine: { ...cell[1].machine!, steal: 0.38 } };
    const runs = [{ rep: 1, result: { ...cell[0], sender: { ...cell[0].sender, cpuSecondsPerGiB: 0.5 }, machine: { ...cell[0].machine!, steal: 0, otherCpus: 0 } } }, { rep: 2, result: busy }];
    const s = spreadOf(runs, { cpuSecondsPerGiB: stat(runs.map((r) => r.result.sender.cpuSecondsPerGiB)), throughputMiBps: stat(runs.map((r) => r.result.throughputMiBps)) });
    expect(s!.reason).toMatch(/^wide spread: sender CPU \d+\.\d\d–\d+\.\d\d s\/GiB \(3\.0×\).* the busiest run 2: 38% steal/);
    expect(spreadOf(runs.map((r) => ({ ...r, result: { ...r.result, sender: cell[0].sender, throughputMiBps: cell[0].throughputMiBps } })), { cpuSecondsPerGiB: stat([1, 1.4]), throughputMiBps: stat([100, 120]) })).toBeNull();
    // A run whose CPU the clock did not resolve (0) beside one it did: wide, said as such.
    expect(spreadOf(runs, { cpuSecondsPerGiB: stat([0, 0.3]), throughputMiBps: stat([100, 120]) })!.reason).toMatch(/^wide spread: sender CPU 0\.00–0\.30 s\/GiB \(from 0\)/);
  });

  it('results.csv has one row per run and a column per counter per role, plus the spec fields', () => {
    const rows = parseCsv(readFileSync(join(out, 'results.csv'), 'utf8'));
    const [header, ...body] = rows;
    expect(header).toEqual(csvColumns());
    for (const f of RUN_SPEC_FIELDS) expect(header).toContain(f);
    for (const role of ROLES) for (const c of COUNTER_NAMES) expect(header).toContain(`${role}_${c}`);
    expect(header).toEqual(expect.arrayContaining(['throughput_mibps', 'sender_cpu_s_per_gib', 'verdict']));
    expect(body).toHaveLength(runs);
    const col = (name: string) => header.indexOf(name);
    for (const r of body) {
      expect(r).toHaveLength(header.length);
      expect(r[col('status')]).toBe('ok');
      expect(Number(r[col('sizeBytes')])).toBe(2 * 2 ** 20);
      expect(Number(r[col('throughput_mibps')])).toBeGreaterThan(0);
      expect(Number(r[col('sender_syscalls')])).toBeGreaterThan(0);
      expect(Number(r[col('sink_copy_socket_to_user_bytes')])).toBe(2 * 2 ** 20);
    }
    const rw = body.filter((r) => r[col('mode')] === 'read-write');
    expect(rw).toHaveLength(4);
    for (const r of rw) expect(Number(r[col('sender_copy_file_to_user_bytes')])).toBe(2 * 2 ** 20);
  });

  it('report.md has the seeds\' table with a verdict per cell, the medians with min-max, and the environment', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^# test-small$/m);
    expect(md).toMatch(/^\*\*Complete: 8 runs \(4 cells × 2 repetitions\), all ok; 1 warmup run per cell before them, discarded\.\*\*/m);
    expect(md).toContain("## The seeds' table, measured");
    expect(md).toMatch(/^\| mode \| chunk \| program \| CPU copies per byte: seeds \| measured \| mode switches per chunk: seeds \| measured \|.*\| verdict \|$/m);
    for (const [mode, copies, switches] of [['read-write', 2, 4], ['sendfile', 0, 2]] as const)
      for (const chunk of ['16 KiB', '128 KiB'])
        expect(md).toMatch(new RegExp(`^\\| ${mode} \\| ${chunk} \\| the lab's native engine \\(C\\+\\+, native/engine\\) \\| ${copies} \\| ${copies}\\.00 \\| ${switches} \\| ${switches}\\.00 \\| .* \\| matches \\|$`, 'm'));
    expect(md).toContain('### Where the measurement differs from the seeds, and why');
    expect(md).toContain('## Results per cell');
    expect(md).toMatch(/^\| read-write \| 16 KiB \| 2 of 2 \| \d+/m);
    expect(md).toContain('## Environment');
    expect(md).toMatch(/^- \*\*kernel\*\*: \d+\.\d+/m);
    expect(md).toMatch(/^- \*\*probes\*\*: libbpf \(\w+ tier, \d+ of \d+ counters have a source\)$/m);
    expect(md).not.toMatch(/NaN|undefined|\[object/);
  });

  it('report.md reads sendfile against read-write (the catalog\'s pair): the medians\' ratios per chunk and the crossover (issue 15)', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const json = ResultsFileSchema.parse(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
    expect(md).toContain('## Each mode against its baseline');
    expect(md).toContain('### sendfile against read-write');
    expect(md).not.toContain('encrypt (kTLS)');
    expect(md).toContain('What sendfile saves over read() + write(): the copies through user space.');
    const cell = (mode: string, chunk: number) => json.cells.find((c) => c.spec.mode === mode && c.spec.chunkBytes === chunk)!.summary;
    for (const [chunk, text] of [[16384, '16 KiB'], [131072, '128 KiB']] as const) {
      const a = cell('sendfile', chunk);
      const b = cell('read-write', chunk);
      const row = md.split('\n').find((l) => l.startsWith(`| ${text} | `) && l.includes(' | 0.00 | 2.00 | '))!;
      expect(row, md).toBeDefined();
      const ratio = (x: number, y: number) => (y > 0 ? `×${(x / y).toFixed(2)}` : '–'); // CPU can round to 0 on 2 MiB
      expect(row).toContain(` | ${ratio(a.throughputMiBps!.median, b.throughputMiBps!.median)} | `);
      expect(row).toContain(` | ${ratio(a.cpuSecondsPerGiB!.median, b.cpuSecondsPerGiB!.median)} | `);
      expect(row).toMatch(/ \| (throughput (ahead|behind|level \(ranges overlap\))); (CPU (cheaper|dearer|level \(ranges overlap\))) \|$/);
    }
    // Two chunk sizes: one line on throughput, and one on CPU where both sizes have a CPU ratio
    // (2 MiB runs can measure 0 CPU seconds, below the clock's tick: no ratio then).
    expect(md).toMatch(/^- sendfile is (not )?ahead in throughput (at|from) /m);
    const cpuRatios = [16384, 131072].filter((chunk) => cell('read-write', chunk).cpuSecondsPerGiB!.median > 0).length;
    if (cpuRatios === 2) expect(md).toMatch(/^- sendfile is (not )?cheaper in sender CPU per GiB (at|from) /m);
    else expect(md).not.toMatch(/^- sendfile is (not )?cheaper in sender CPU per GiB/m);
    expect(md).toMatch(/^- The runs' ranges are apart at \d of 2 chunk sizes in throughput and \d of 2 in sender CPU;/m);
  });

  it('report.html is self-contained: its charts and diagrams, no external URL', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(externalRefs(html)).toEqual([]);
    expect(html).not.toMatch(/https?:/i);
    for (const id of ['chart-copies', 'chart-events', 'chart-throughput', 'chart-cpu', 'chart-sweep-chunkBytes-throughput', 'chart-sweep-chunkBytes-cpu'])
      expect(html).toContain(`<canvas id="${id}"`);
    expect(html.match(/<svg class="flow"/g)).toHaveLength(2);
    expect(html).toContain('Chart.js v');
    expect(html).toContain('<script type="application/json" id="zcl-chart-data">');
    expect(html).toMatch(/<td class="verdict matches">matches<\/td>/);
  });

  it('report.html draws every chart in headless Chromium, offline', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const canvases = (html.match(/<canvas id=/g) ?? []).length;
    const r = spawnSync(
      '/usr/bin/chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--proxy-server=127.0.0.1:9', `--user-data-dir=${join(dir, 'chromium')}`, '--dump-dom', `file://${join(out, 'report.html')}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const body = /<body[^>]*>/.exec(r.stdout)?.[0];
    expect(body).toBe(`<body data-charts-rendered="${canvases}">`);
  });

  it('report.html at 1180 px: every table fits or scrolls inside the page, its right edge reachable (issue 14, item 8)', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
      await page.goto(`file://${join(out, 'report.html')}`);
      const tables = await page.$$eval('table', (ts) =>
        ts.map((t) => {
          const wrap = t.parentElement!;
          const r = wrap.getBoundingClientRect();
          const before = wrap.scrollLeft;
          wrap.scrollLeft = wrap.scrollWidth;
          const reached = wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1;
          wrap.scrollLeft = before;
          return { wrap: wrap.className, right: r.right, fits: t.scrollWidth <= wrap.clientWidth + 1, scrolls: getComputedStyle(wrap).overflowX === 'auto', reached };
        }),
      );
      expect(tables.length).toBeGreaterThan(3);
      for (const t of tables) {
        expect(t.wrap).toBe('table-wrap');
        expect(t.right).toBeLessThanOrEqual(1180);
        expect(t.fits || (t.scrolls && t.reached), JSON.stringify(t)).toBe(true);
      }
      // and the page itself does not overflow sideways
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1180);
      // the per-mode diagrams as the dashboard's: the syscalls line under the boxes (item 9)
      expect(await page.$$eval('svg.flow [data-line=syscalls]', (ls) => ls.map((l) => l.textContent))).toEqual([
        expect.stringMatching(/^read\(\) × [\d,]+ \+ write\(\) × [\d,]+ = 4 mode switches per chunk \([\d,]+ chunks; 2 per syscall; textbook 4\), the run nearest the median$/),
        expect.stringMatching(/^sendfile\(\) × [\d,]+ = 2 mode switches per chunk \([\d,]+ chunks; 2 per syscall; textbook 2\), the run nearest the median$/),
      ]);
      if (process.env.ZCL_SCREENSHOTS) await page.screenshot({ path: join(process.env.ZCL_SCREENSHOTS, 'report-1180.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('--resume with every run done runs nothing and rewrites the report; without it the directory is refused', () => {
    const before = readRuns(out).length;
    const again = zcl(['report', SMALL, '--out', out, '--resume']);
    expect(again.code, again.err).toBe(0);
    // one count of runs (the plan's, warmups included): 4 cells x (2 + 1 warmup), all kept
    expect(again.out).toMatch(/^done: 12 of 12 runs \(12 kept from before\)/m);
    expect(readRuns(out)).toHaveLength(before);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Complete: 8 runs/);
    const refused = zcl(['report', SMALL, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--out: .* has the runs of an earlier report .*add --resume to continue it, or --fresh to start over/);
    expect(readRuns(out)).toHaveLength(before);
  });
});

describe('zcl report: Ctrl-C keeps what is done, --resume finishes it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zcl-report-int-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops cleanly with exit 130, writes a partial report, and resumes', async () => {
    const file = join(dir, 'm.json');
    const m = JSON.parse(readFileSync(SMALL, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...m, name: 'interrupt', repetitions: 3 }));
    const out = join(dir, 'out');
    const child = spawn(process.execPath, [zclPath, 'report', file, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d) => {
        err += d;
        if (/^\[\s*6\/16\]/m.test(err) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, err).toBe(130);
    expect(stdout).toMatch(/interrupted after \d+ of 16 runs.*--resume/);
    const done = readRuns(out);
    expect(done.length).toBeGreaterThanOrEqual(6);
    expect(done.length).toBeLessThan(16);
    expect(done.every((r) => r.ok)).toBe(true);
    const partial = ResultsFileSchema.parse(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
    expect(partial.status).toBe('interrupted');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Incomplete \(interrupted\).*\n\nTo finish it: `zcl report .* --resume`/);
    // One count, one definition (issue 14, item 8): the progress line's last, the summary and the report say the same runs done of 16.
    const n = Number(/interrupted after (\d+) of 16 runs/.exec(stdout)![1]);
    expect(n).toBe(done.length);
    expect([...err.matchAll(/^\[\s*(\d+)\/16\]/gm)].map((x) => Number(x[1])).pop()).toBe(n);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(`Incomplete (interrupted): ${n} of 16 runs done (4 cells × 3 repetitions + 1 warmup; measured: ${done.filter((r) => !r.warmup).length} of 12 repetitions ok)`);
    expect(existsSync(join(out, '.lock'))).toBe(false);

    const resumed = zcl(['report', file, '--out', out, '--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    // kept: the repetitions done before (the warmups of cells with runs to do are run again)
    expect(resumed.out).toMatch(new RegExp(`^done: 16 of 16 runs \\(${done.filter((r) => !r.warmup).length} kept from before\\)`, 'm'));
    const json = ResultsFileSchema.parse(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
    expect(json.status).toBe('complete');
    expect(json.totals.runsOk).toBe(12);
    for (const c of json.cells) expect(c.runs.map((r) => r.rep)).toEqual([1, 2, 3]);
  });
});

describe('runMatrix: a failed cell is recorded and the rest go on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zcl-report-fail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the error, skips that cell\'s other runs, reports it, and --resume retries it', async () => {
    const matrix = parseMatrix({ name: 'fails', base: { sizeBytes: '1MiB' }, axes: { mode: ['read-write', 'splice'] }, repetitions: 2, warmup: 1 }, 'inline');
    const outDir = join(dir, 'out');
    const probes = probeSetup(false);
    const events: string[] = [];
    const outcome = await runMatrix(matrix, {
      outDir,
      probes,
      onProgress: (p) => p.event === 'run-end' && events.push(`${p.cell!.spec.mode} ${p.warmup ? 'w' : 'r'}${p.rep} ${p.error ? 'failed' : 'ok'} ${p.done}/${p.total}`),
      startRun: (spec, o) => (spec.mode === 'splice' ? { result: Promise.reject(new Error('the splice engine broke')), on: () => () => true } : startRun(spec, o)),
    });
    expect(outcome.status).toBe('failed');
    // runs of the plan done, of all its runs: the failed cell's two runs are skipped, never done (the report says 4 of 6 too)
    expect(events).toEqual(['read-write w1 ok 1/6', 'splice w1 failed 2/6', 'read-write r1 ok 3/6', 'read-write r2 ok 4/6']);
    expect(outcome.failedCells).toEqual([{ id: matrix.cells[1].id, label: 'splice', error: 'warmup run 1: Error: the splice engine broke' }]);

    const json = ResultsFileSchema.parse(JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')));
    expect(json.status).toBe('failed');
    expect(json.cells.map((c) => c.status)).toEqual(['done', 'failed']);
    expect(json.cells[1].runs).toEqual([expect.objectContaining({ ok: false, warmup: true, error: { name: 'Error', message: 'the splice engine broke' } })]);
    const csv = parseCsv(readFileSync(join(outDir, 'results.csv'), 'utf8'));
    expect(csv).toHaveLength(1 + 3);
    const failedRow = csv.find((r) => r[csv[0].indexOf('status')] === 'failed')!;
    expect(failedRow[csv[0].indexOf('error')]).toBe('Error: the splice engine broke');
    expect(failedRow[csv[0].indexOf('mode')]).toBe('splice');
    const md = readFileSync(join(outDir, 'report.md'), 'utf8');
    expect(md).toMatch(/^## Failures$/m);
    expect(md).toMatch(/^\| splice \| warmup 1 \| Error: the splice engine broke \|$/m);
    expect(md).toMatch(/^\| read-write \| the lab's native engine \(C\+\+, native\/engine\) \| 2 \| – \| 4 \| – \| – \| – \| unmeasured \|$/m);
    expect(readFileSync(join(outDir, 'report.html'), 'utf8')).toContain('the splice engine broke');

    const retried = await runMatrix(matrix, { outDir, probes, resume: true });
    expect(retried.status).toBe('complete');
    // the plan's 6 runs all done; 3 kept (read-write's), the splice cell's 3 run now
    expect(retried.runs).toMatchObject({ planned: 6, done: 6, failed: 0, resumed: 3 });
    const after = ResultsFileSchema.parse(JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')));
    expect(after.cells.map((c) => [c.status, c.runs.length])).toEqual([['done', 2], ['done', 2]]);
  });
});

describe('runMatrix: a cell the kernel refuses is not a failure (issue 15: kTLS without the tls module)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zcl-report-refused-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the kernel\'s reason once, skips the cell\'s other runs, completes, and says so in every file', async () => {
    const matrix = parseMatrix({ name: 'refused', base: { sizeBytes: '1MiB' }, axes: { mode: ['read-write', 'ktls-write'] }, repetitions: 2, warmup: 1 }, 'inline');
    const outDir = join(dir, 'out');
    const events: string[] = [];
    const reason = 'the kernel 9.9 has no tls module (a test)';
    const outcome = await runMatrix(matrix, {
      outDir,
      probes: probeSetup(false),
      onProgress: (p) => p.event === 'run-end' && events.push(`${p.cell!.spec.mode} ${p.warmup ? 'w' : 'r'}${p.rep} ${p.refused ? 'refused' : p.error ? 'failed' : 'ok'}`),
      startRun: (spec, o) => (spec.mode === 'ktls-write' ? { result: Promise.reject(new KernelUnsupportedError('ktls-write', reason)), on: () => () => true } : startRun(spec, o)),
    });
    expect(outcome.status).toBe('complete');
    expect(events).toEqual(['read-write w1 ok', 'ktls-write w1 refused', 'read-write r1 ok', 'read-write r2 ok']);
    expect(outcome.failedCells).toEqual([]);
    expect(outcome.refusedCells).toEqual([{ id: matrix.cells[1].id, label: 'ktls-write', reason: `mode ktls-write needs kernel TLS and this kernel cannot do it: ${reason}` }]);
    const json = ResultsFileSchema.parse(JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')));
    expect(json.status).toBe('complete');
    expect(json.cells.map((c) => [c.status, c.refused])).toEqual([['done', undefined], ['refused', reason]]);
    expect(json.totals).toMatchObject({ cellsDone: 1, cellsFailed: 0, cellsRefused: 1 });
    const csv = parseCsv(readFileSync(join(outDir, 'results.csv'), 'utf8'));
    expect(csv.filter((r) => r[csv[0].indexOf('status')] === 'refused').map((r) => r[csv[0].indexOf('mode')])).toEqual(['ktls-write']);
    const md = readFileSync(join(outDir, 'report.md'), 'utf8');
    expect(md).toMatch(/^\*\*Complete: 2 runs \(2 cells × 2 repetitions\), all ok; 1 warmup run per cell before them, discarded\. 1 cell was refused by this kernel \(see "Refused on this kernel"\)\.\*\*/m);
    expect(md).not.toMatch(/^## Failures$/m);
    expect(md).toMatch(/^## Refused on this kernel$/m);
    expect(md).toContain(`| ktls-write | ${reason} |`);
    expect(md).toMatch(/^\| ktls-write \| .* \| refused on this kernel \|$/m);
    // The pair (ktls-write against read-write) is drawn, and says the kernel refused it.
    expect(md).toContain('### ktls-write against read-write');
    // The copies table has kTLS's encryption column when the matrix has a kTLS mode (test-small's has not).
    expect(md).toMatch(/^\| mode \| disk read \(DMA\) \|.*\| encrypt \(kTLS\) \|/m);
    expect(md).toContain('- Refused on this kernel: see "Refused on this kernel" for the reason.');
    expect(readFileSync(join(outDir, 'report.html'), 'utf8')).toContain('<h2 id="refused">Refused on this kernel</h2>');
  });
});
