// zcl report: runs a scenario matrix file and writes its report (Markdown,
// self-contained HTML, JSON, CSV) into a directory, with a progress bar.
import { existsSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { probeSetup } from '../probes/select.js';
import { labDir } from '../project.js';
import { duration, num } from '../report/format.js';
import { cellLabels } from '../report/model.js';
import { runMatrix, type MatrixProgress } from '../session/matrix.js';
import { readRuns, RUNS_FILE } from '../report/store.js';
import { loadMatrixFile, plannedRuns, type Matrix } from '../schema/matrix.js';
import { InputError, type RunSpec } from '../schema/run-spec.js';
import { formatSize } from '../schema/units.js';
import { abortOnSigint } from './progress.js';
import { privilegeProblemsOf } from '../core/machine.js';
import { diffReports, loadResults } from '../report/diff.js';
import { kernelTable, textTable, writeKernelTable } from '../report/write-diff.js';
import { REPORT_FILES } from '../report/write.js';
import { kernelNames, runMatrixInKernel } from '../session/kernel-report.js';

/** --kernel's name for this machine's own kernel (the matrix runs here, as without --kernel). */
const HOST = 'host';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('run a scenario matrix (scenarios/*.json) and write its report: report.md, report.html, results.json, results.csv')
    .argument('<matrix>', 'the matrix file, e.g. scenarios/seed-comparison.json')
    .option('--out <dir>', 'where the report goes (default: the lab\'s reports directory, in a folder named after the matrix)')
    .option('--resume', 'keep the runs already in --out and do only what is missing (failed runs are retried); with nothing missing, rewrites the report')
    .option('--fresh', 'start over even if --out has the runs of an earlier report (they are kept aside as runs.jsonl.<time>.old)')
    .option('--no-probes', 'do not load the eBPF probes (throughput and CPU only; the seeds\' table stays unmeasured)')
    .option('--dry-run', 'check the matrix and list its cells and runs; run nothing')
    .option('--kernel <names>', `run the matrix on each of these kernels, comma-separated: ${HOST} (this machine) or a Debian kernel booted under qemu (${kernelNamesText()}); one report per kernel in <out>/<name>/ and a kernel-by-kernel table`)
    .option('--vm-timeout <seconds>', 'with --kernel: bound of each VM (boot, runs, copying back); default 180 s plus 60 s a run', (v) => Number(v))
    .option('--lang <lang>', 'the language report.html opens in: en or zh (简体中文); it holds both, with a switch (report.md is English)', 'en')
    .addHelpText(
      'after',
      `
Matrix files: {"name", "description", "base": RunSpec, "axes": {RunSpec field: [values]}, "repetitions", "warmup"},
repetitions 3 and warmup 1 unless given; optionally "exclude": [{axis: value, ...}] and "include": [{field: value, ...}]. The cells are the cross
product of the axes, less the excluded combinations, plus the included cells. Every value is checked by
the same schema as \`zcl run\`; a bad file exits 2 naming the JSON path (e.g. axes.mode[2]) and the allowed values.

Runs are interleaved (one run of every cell, then the next round); warmup runs are discarded. Every finished
run is saved at once in <out>/${RUNS_FILE}: Ctrl-C stops cleanly (exit 130) and writes the report of what is
done; --resume continues. A failed cell is recorded with its error and the others go on (exit 1).

Examples:
  zcl report scenarios/seed-comparison.json --out reports/seed-comparison/
  zcl report scenarios/chunk-sweep.json --dry-run
  zcl report scenarios/test-small.json --kernel host,debian-6.1-cloud --out reports/kernels/

--kernel: each Debian kernel (names as scripts/kernel-vm/fetch-kernel.sh knows them: ${kernelNamesText()}, or an
exact linux-image-...-amd64 package) is fetched with apt (cached), an initramfs with this project is built (cached
parts), the kernel boots under qemu (KVM when usable, else TCG: slow, minutes for a few runs), the guest runs
\`zcl report\` on the same matrix, and its results.json comes back on the serial console; the report of each kernel
is written in <out>/<name>/, then kernels.md and kernels.html in <out> set the kernels side by side (each against
the first; \`zcl diff\` compares any two). Ctrl-C kills qemu and stops there (exit 130).
`,
    )
    .action(async (file: string, o: { out?: string; resume?: boolean; fresh?: boolean; probes: boolean; dryRun?: boolean; kernel?: string; vmTimeout?: number; lang: string }) => {
      const matrix = loadMatrixFile(file);
      const outDir = resolve(o.out ?? join(labDir('reports'), matrix.name));
      if (o.lang !== 'en' && o.lang !== 'zh') throw new InputError([{ field: '--lang', message: `'${o.lang}' is not a language of the report; allowed: en, zh` }], 'options');
      if (o.kernel !== undefined) return reportOnKernels(file, matrix, outDir, o as typeof o & { kernel: string });
      const labels = cellLabels(matrix.cells);
      const problems = privilegeProblemsOf(matrix.cells.map((c) => ({ label: labels.get(c.id)!, spec: c.spec })));
      if (problems.length) throw new InputError(problems.map((message) => ({ field: 'cell', message })), file);
      if (o.resume && o.fresh) throw new InputError([{ field: '--resume', message: 'and --fresh contradict each other; give one' }], 'options');
      const earlier = existsSync(join(outDir, RUNS_FILE)) ? readRuns(outDir).length : 0;
      if (earlier && !o.resume && !o.fresh && !o.dryRun)
        throw new InputError(
          [{ field: '--out', message: `${outDir} has the runs of an earlier report (${earlier} in ${RUNS_FILE}); add --resume to continue it, or --fresh to start over` }],
          'options',
        );

      const runs = plannedRuns(matrix);
      const per = matrix.repetitions + matrix.warmup;
      // One-pass cells move their file; timed cells last their duration (what they move depends on the machine).
      const bytes = matrix.cells.filter((c) => c.spec.duration === undefined).reduce((a, c) => a + c.spec.sizeBytes, 0) * per;
      const timed = matrix.cells.reduce((a, c) => a + (c.spec.duration ?? 0), 0) * per;
      const work = [...(bytes || !timed ? [`${formatSize(bytes)} to move`] : []), ...(timed ? [`${Math.round(timed)} s of timed runs`] : [])].join(' and ');
      const plan = `${matrix.name}: ${matrix.cells.length} cell${matrix.cells.length === 1 ? '' : 's'} × ${matrix.repetitions} repetition${matrix.repetitions === 1 ? '' : 's'}${matrix.warmup ? ` (+${matrix.warmup} warmup)` : ''} = ${runs} runs, ${work}`;
      if (o.dryRun) {
        process.stdout.write(`${plan}\n${listCells(matrix, labels)}\nreport would go to ${outDir}\n`);
        return;
      }

      // The probes of each run: its spec's engine (loaded once per engine), or none with --no-probes.
      const probes = (spec: RunSpec) => probeSetup(o.probes !== false, spec.engine);
      for (const engine of new Set(matrix.cells.map((c) => c.spec.engine))) {
        const p = probeSetup(o.probes !== false, engine);
        if ('absent' in p && p.absent.status === 'unavailable') process.stderr.write(`zcl: probes (${engine}) unavailable: ${p.absent.reason}\n`);
      }
      process.stderr.write(`${plan} -> ${displayPath(outDir)}\n`);
      const ac = abortOnSigint();
      const display = progressDisplay();
      let outcome;
      try {
        outcome = await runMatrix(matrix, { outDir, resume: !!o.resume, signal: ac.signal, probes, onProgress: display.update, lang: o.lang });
      } finally {
        display.stop();
      }
      const rel = (p: string) => displayPath(p);
      const summary = [
        outcome.status === 'complete'
          ? `done: ${outcome.runs.done} of ${outcome.runs.planned} runs${outcome.runs.resumed ? ` (${outcome.runs.resumed} kept from before)` : ''}`
          : outcome.status === 'interrupted'
            ? `interrupted after ${outcome.runs.done} of ${outcome.runs.planned} runs${outcome.runs.resumed ? ` (${outcome.runs.resumed} kept from before)` : ''}; the report shows what is done; continue with: zcl report ${file} --out ${rel(outDir)} --resume`
            : `finished with ${outcome.failedCells.length} failed cell${outcome.failedCells.length === 1 ? '' : 's'} (the others ran):`,
        ...outcome.failedCells.map((c) => `  ${c.label}: ${c.error}`),
        ...(outcome.refusedCells.length ? [`refused by this kernel (not run; see the report's "Refused on this kernel"):`, ...outcome.refusedCells.map((c) => `  ${c.label}: ${c.reason}`)] : []),
        `report: ${rel(outcome.files.markdown)}`,
        `        ${rel(outcome.files.html)}`,
        `data:   ${rel(outcome.files.json)}`,
        `        ${rel(outcome.files.csv)}`,
      ];
      process.stdout.write(summary.join('\n') + '\n');
      if (outcome.status === 'interrupted') process.exit(130);
      if (outcome.status === 'failed') process.exit(1);
    });
}

function kernelNamesText(): string {
  try {
    return kernelNames().join(', ');
  } catch {
    return 'see scripts/kernel-vm/fetch-kernel.sh --help';
  }
}

/** --kernel's names, checked: host, a fetch-kernel.sh name, or an exact linux-image package. */
export function parseKernels(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const allowed = [HOST, ...kernelNames()];
  const issues = names
    .filter((n) => !allowed.includes(n) && !/^linux-image-[A-Za-z0-9.+~-]+-amd64$/.test(n))
    .map((n) => ({ field: '--kernel', message: `'${n}' is not a kernel the VM harness knows; allowed: ${allowed.join(', ')}, or an exact linux-image-...-amd64 package` }));
  if (!names.length) issues.push({ field: '--kernel', message: `names no kernel; allowed: ${allowed.join(', ')}` });
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) issues.push({ field: '--kernel', message: `names ${twice.join(', ')} twice` });
  if (issues.length) throw new InputError(issues, 'options');
  return names;
}

/** `zcl report --kernel`: the matrix on each kernel, a report each in <out>/<name>/, then the kernel-by-kernel table. */
async function reportOnKernels(
  file: string,
  matrix: Matrix,
  outDir: string,
  o: { kernel: string; resume?: boolean; fresh?: boolean; probes: boolean; dryRun?: boolean; vmTimeout?: number },
): Promise<void> {
  const kernels = parseKernels(o.kernel);
  if (o.resume) throw new InputError([{ field: '--resume', message: 'not with --kernel: each kernel\'s runs are made afresh (a VM keeps nothing); use --fresh to redo a directory' }], 'options');
  if (o.vmTimeout !== undefined && !(Number.isFinite(o.vmTimeout) && o.vmTimeout > 0))
    throw new InputError([{ field: '--vm-timeout', message: 'must be a number of seconds above 0, e.g. 900' }], 'options');
  const labels = cellLabels(matrix.cells);
  if (kernels.includes(HOST)) {
    const problems = privilegeProblemsOf(matrix.cells.map((c) => ({ label: labels.get(c.id)!, spec: c.spec })));
    if (problems.length) throw new InputError(problems.map((message) => ({ field: 'cell', message })), file);
  }
  const dirs = kernels.map((k) => join(outDir, k));
  const taken = dirs.filter((d) => existsSync(join(d, RUNS_FILE)) || existsSync(join(d, REPORT_FILES.json)));
  if (taken.length && !o.fresh && !o.dryRun)
    throw new InputError([{ field: '--out', message: `${taken.join(', ')} already ${taken.length === 1 ? 'has a report' : 'have reports'}; add --fresh to run again over ${taken.length === 1 ? 'it' : 'them'}, or give another --out` }], 'options');
  const runs = plannedRuns(matrix);
  const vmTimeoutMs = (o.vmTimeout ?? 180 + 60 * runs) * 1000;
  const plan = `${matrix.name}: ${matrix.cells.length} cell${matrix.cells.length === 1 ? '' : 's'}, ${runs} runs (warmup included) on each of ${kernels.join(', ')}`;
  if (o.dryRun) {
    process.stdout.write(`${plan}\n${listCells(matrix, labels)}\nreports would go to ${kernels.map((k) => displayPath(join(outDir, k))).join(', ')}\n`);
    return;
  }
  process.stderr.write(`${plan} -> ${displayPath(outDir)}\n`);
  const ac = abortOnSigint();
  const done: { name: string; dir: string; status: string }[] = [];
  const say = (k: string, what: string) => process.stderr.write(`zcl: [${k}] ${what}\n`);
  let failed = false;
  for (const [i, k] of kernels.entries()) {
    if (ac.signal.aborted) break;
    const dir = dirs[i];
    if (k === HOST) {
      say(k, `running ${matrix.cells.length} cell${matrix.cells.length === 1 ? '' : 's'} on this machine (kernel ${osRelease()})`);
      const display = progressDisplay();
      const probes = (spec: RunSpec) => probeSetup(o.probes !== false, spec.engine);
      let outcome;
      try {
        outcome = await runMatrix(matrix, { outDir: dir, resume: false, signal: ac.signal, probes, onProgress: display.update });
      } finally {
        display.stop();
      }
      say(k, `${outcome.status}: ${displayPath(outcome.files.markdown)}`);
      if (outcome.status === 'failed') failed = true;
      if (outcome.status === 'interrupted') break;
      done.push({ name: k, dir, status: outcome.status });
      continue;
    }
    try {
      const r = await runMatrixInKernel(matrix, {
        kernel: k,
        outDir: dir,
        probes: o.probes !== false,
        signal: ac.signal,
        timeoutMs: vmTimeoutMs,
        onPhase: (what) => say(k, what),
        onLog: (line) => process.stderr.write(`  [${k}] ${line}\n`),
      });
      say(k, `${r.status} on ${r.release} in ${r.seconds.toFixed(0)} s (booted in ${r.run.bootSeconds.toFixed(1)} s, ${r.run.accel}): ${displayPath(r.files.markdown)}`);
      if (r.status === 'failed' || r.guestExit === 1) failed = true;
      done.push({ name: k, dir, status: r.status });
    } catch (e) {
      if ((e as { cancelled?: boolean }).cancelled || ac.signal.aborted) break;
      say(k, `failed: ${(e as Error).message}`);
      failed = true;
    }
  }
  if (ac.signal.aborted) {
    process.stderr.write(`zcl: interrupted; qemu stopped; the reports done: ${done.map((d) => displayPath(d.dir)).join(', ') || 'none'}\n`);
    process.exit(130);
  }
  if (done.length) {
    const loaded = done.map((d) => loadResults(d.dir));
    const self = diffReports(loaded[0], loaded[0]);
    const diffs = loaded.slice(1).map((l) => diffReports(loaded[0], l));
    const names = done.map((d) => d.name);
    const files = writeKernelTable(outDir, names, self, diffs);
    process.stdout.write(`${textTable(kernelTable(names, self, diffs))}\n\nkernel by kernel: ${displayPath(files.markdown)}\n                  ${displayPath(files.html)}\n`);
    for (const d of done) process.stdout.write(`report (${d.name}): ${displayPath(join(d.dir, REPORT_FILES.markdown))}\n`);
  }
  if (failed || done.length < kernels.length) process.exit(1);
}

function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

function listCells(m: Matrix, labels: Map<string, string>): string {
  return m.cells.map((c, i) => `  ${String(i + 1).padStart(3)}. ${labels.get(c.id)}  [${c.id}${c.from === 'axes' ? '' : `, from ${c.from}`}]`).join('\n');
}

/** A bar on a terminal (runs done of total, the cell in flight, ETA); a line per finished run otherwise. */
function progressDisplay(): { update(p: MatrixProgress): void; stop(): void } {
  const tty = !!process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  const payload = (p: MatrixProgress) => ({
    cell: p.label ? `${p.warmup ? 'warmup' : `rep ${p.rep}`} ${p.label}` : '',
    pct: p.bytes !== undefined && p.bytesTotal ? `${Math.floor((100 * p.bytes) / p.bytesTotal)}%` : '',
    eta_h: p.etaSeconds === null ? '?' : duration(p.etaSeconds),
  });
  return {
    update(p) {
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { stream: process.stderr, format: '[{bar}] {value}/{total} runs | ETA {eta_h} | {cell} {pct}', hideCursor: true, clearOnComplete: true, barsize: 24 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, p.done, payload(p));
        }
        bar.setTotal(p.total);
        bar.update(p.done, payload(p));
        return;
      }
      if (p.event !== 'run-end') return;
      const what = p.result
        ? `${num(p.result.throughputMiBps)} MiB/s, ${num(p.result.sender.cpuSecondsPerGiB)} CPU s/GiB${p.result.textbook ? `, ${p.result.textbook.verdict}` : ''}`
        : p.refused
          ? `refused by this kernel: ${p.error}`
          : `FAILED: ${p.error}`;
      const w = String(p.total).length;
      process.stderr.write(`[${String(p.done).padStart(w)}/${p.total}] ${p.label} ${p.warmup ? `warmup ${p.rep}` : `rep ${p.rep}`}: ${what} (ETA ${p.etaSeconds === null ? '?' : duration(p.etaSeconds)})\n`);
    },
    stop() {
      bar?.stop();
    },
  };
}
