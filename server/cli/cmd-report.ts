// zcl report: runs a scenario matrix file and writes its report (Markdown,
// self-contained HTML, JSON, CSV) into a directory, with a progress bar.
import { existsSync } from 'node:fs';
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
`,
    )
    .action(async (file: string, o: { out?: string; resume?: boolean; fresh?: boolean; probes: boolean; dryRun?: boolean }) => {
      const matrix = loadMatrixFile(file);
      const outDir = resolve(o.out ?? join(labDir('reports'), matrix.name));
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
      const bytes = matrix.cells.reduce((a, c) => a + c.spec.sizeBytes, 0) * (matrix.repetitions + matrix.warmup);
      const plan = `${matrix.name}: ${matrix.cells.length} cell${matrix.cells.length === 1 ? '' : 's'} × ${matrix.repetitions} repetition${matrix.repetitions === 1 ? '' : 's'}${matrix.warmup ? ` (+${matrix.warmup} warmup)` : ''} = ${runs} runs, ${formatSize(bytes)} to move`;
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
        outcome = await runMatrix(matrix, { outDir, resume: !!o.resume, signal: ac.signal, probes, onProgress: display.update });
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
        : `FAILED: ${p.error}`;
      const w = String(p.total).length;
      process.stderr.write(`[${String(p.done).padStart(w)}/${p.total}] ${p.label} ${p.warmup ? `warmup ${p.rep}` : `rep ${p.rep}`}: ${what} (ETA ${p.etaSeconds === null ? '?' : duration(p.etaSeconds)})\n`);
    },
    stop() {
      bar?.stop();
    },
  };
}
