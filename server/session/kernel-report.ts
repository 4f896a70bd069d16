// A scenario matrix run inside a Debian kernel booted under qemu (`zcl report
// --kernel NAME`): the host checks the matrix, the guest runs `zcl report` on
// it (the same code, from the image make-initramfs.sh packs), and its
// results.json comes back on the serial console (gzip, base64, between
// markers); the host then writes the kernel's report from it, the four files as
// `zcl report` writes them. The VM harness: run/kernel-vm.ts.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Environment } from '../report/environment.js';
import { ResultsFileSchema, type ResultsFile } from '../report/schema.js';
import type { RunRecord } from '../report/store.js';
import { writeReports, type ReportFiles } from '../report/write.js';
import { KernelVmError, kernelNames, runInKernel, shellQuote, type KernelRun } from '../run/kernel-vm.js';
import type { RunResult } from '../run/result.js';
import type { Matrix } from '../schema/matrix.js';
import type { RunSpec } from '../schema/run-spec.js';

export { kernelNames } from '../run/kernel-vm.js';

export interface KernelReportOptions {
  kernel: string;
  outDir: string;
  probes: boolean;
  signal?: AbortSignal;
  /** Phases: fetching kernel, building initramfs, booting, running N cells, copying back, writing. */
  onPhase?(what: string): void;
  /** The guest's `zcl report` lines (one per finished run). */
  onLog?(line: string): void;
  /** Bounds the VM (boot, runs, copy back). */
  timeoutMs: number;
}

export interface KernelReportOutcome {
  kernel: string;
  release: string;
  status: ResultsFile['status'];
  /** The guest's `zcl report` exit code (0 complete, 1 a cell failed, 130 interrupted). */
  guestExit: number;
  files: ReportFiles;
  run: Pick<KernelRun, 'bootSeconds' | 'accel' | 'kernelRelease'>;
  seconds: number;
}

/** The matrix as a file zcl report reads back (the cells are derived again in the guest). */
export function matrixFileOf(m: Matrix): string {
  return JSON.stringify({ name: m.name, description: m.description, base: m.base, axes: m.axes, include: m.include, exclude: m.exclude, repetitions: m.repetitions, warmup: m.warmup });
}

const GUEST_MATRIX = '/tmp/zcl-kernel-matrix.json';
const GUEST_OUT = '/tmp/zcl-kernel-report';

/** The guest's script: write the matrix, run zcl report with its lines tagged, print the results gzipped. */
function guestScript(m: Matrix, tag: string, o: { probes: boolean; timeoutSeconds: number }): string {
  // The description stays on the host (it only labels the report): the kernel command line holds 2047 bytes.
  const matrix = gzipSync(matrixFileOf({ ...m, description: '' })).toString('base64');
  const js = (code: string) => `node -e ${shellQuote(code)}`;
  const report = ['timeout', String(o.timeoutSeconds), 'node', 'dist/server/cli/zcl.js', 'report', GUEST_MATRIX, '--out', GUEST_OUT, ...(o.probes ? [] : ['--no-probes'])];
  return [
    `${js("process.stdout.write(require('zlib').gunzipSync(Buffer.from(process.argv[1],'base64')))")} ${matrix} >${GUEST_MATRIX} || { echo "@@${tag} rc 125"; exit 0; }`,
    `{ ${report.map(shellQuote).join(' ')} 2>&1; echo $? >/tmp/zcl-kernel-rc; } | while IFS= read -r l; do printf '@@%s log %s\\n' ${tag} "$l"; done`,
    `echo "@@${tag} rc $(cat /tmp/zcl-kernel-rc)"`,
    `[ -f ${GUEST_OUT}/results.json ] && { printf '@@%s results ' ${tag}; ${js("process.stdout.write(require('zlib').gzipSync(require('fs').readFileSync(process.argv[1])).toString('base64'))")} ${GUEST_OUT}/results.json; echo; }`,
    `echo "@@${tag} end"`,
  ].join('\n');
}

/** A report's results.json back into what the report writers take. */
export function reportInputOf(r: ResultsFile, source?: string): { matrix: Matrix; environment: Environment; records: RunRecord[]; status: ResultsFile['status'] } {
  const { source: _guestSource, ...rest } = r.matrix;
  const matrix: Matrix = {
    ...rest,
    ...(source ? { source } : {}),
    cells: r.cells.map((c) => ({ id: c.id, index: c.index, spec: c.spec as unknown as RunSpec, axes: c.axes as Partial<RunSpec>, from: c.from })),
  };
  const records: RunRecord[] = r.cells.flatMap((c) =>
    c.runs.map((run): RunRecord =>
      run.ok
        ? { cellId: c.id, rep: run.rep, warmup: false, at: run.at, ok: true, result: run.result as unknown as RunResult }
        : { cellId: c.id, rep: run.rep, warmup: run.warmup, at: run.at, ok: false, error: run.error },
    ),
  );
  return { matrix, environment: r.environment as Environment, records, status: r.status };
}

/** Runs the matrix in the kernel's VM and writes its report into outDir. KernelVmError (cancelled: true on abort). */
export async function runMatrixInKernel(matrix: Matrix, o: KernelReportOptions): Promise<KernelReportOutcome> {
  const t0 = Date.now();
  const tag = randomBytes(4).toString('hex');
  const prefix = `@@${tag} `;
  let phase = '';
  const script = guestScript(matrix, tag, { probes: o.probes, timeoutSeconds: Math.max(1, Math.floor(o.timeoutMs / 1000) - 30) });
  const run = await runInKernel({
    kernel: o.kernel,
    command: ['sh', '-c', script],
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    onPhase: o.onPhase,
    onLine(line) {
      if (!line.startsWith(prefix)) return;
      const rest = line.slice(prefix.length);
      if (rest.startsWith('log ')) {
        if (phase !== 'running') {
          phase = 'running';
          o.onPhase?.(`running ${matrix.cells.length} cell${matrix.cells.length === 1 ? '' : 's'} in the guest`);
        }
        o.onLog?.(rest.slice(4));
      } else if (rest.startsWith('results ') && phase !== 'copying') {
        phase = 'copying';
        o.onPhase?.('copying results.json back');
      }
    },
  });
  const lines = run.output.split('\n');
  const field = (name: string) => lines.find((l) => l.startsWith(`${prefix}${name} `))?.slice(prefix.length + name.length + 1);
  const rc = field('rc');
  const log = lines.filter((l) => l.startsWith(`${prefix}log `)).map((l) => l.slice(prefix.length + 4));
  const where = `${o.kernel} (${run.kernelRelease})`;
  if (rc === undefined) throw new KernelVmError(`${where}: the guest did not run zcl report (exit ${run.exitCode}):\n${run.output.slice(-2000)}`, run.console);
  if (rc === '125') throw new KernelVmError(`${where}: the guest could not write the matrix file`, run.console);
  const b64 = field('results');
  if (!b64) throw new KernelVmError(`${where}: zcl report exited ${rc} in the guest and wrote no results.json:\n${log.slice(-30).join('\n')}`, run.console);
  o.onPhase?.(`writing the report of ${where}`);
  let json: unknown;
  try {
    json = JSON.parse(gunzipSync(Buffer.from(b64.trim(), 'base64')).toString('utf8'));
  } catch (e) {
    throw new KernelVmError(`${where}: the results.json that came back does not decode (${(e as Error).message}); the serial console may have mangled it`, run.console);
  }
  const parsed = ResultsFileSchema.safeParse(json);
  if (!parsed.success) throw new KernelVmError(`${where}: the guest's results.json does not match the schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  mkdirSync(o.outDir, { recursive: true });
  const input = reportInputOf(parsed.data, matrix.source);
  const { model: _model, ...files } = writeReports(o.outDir, { ...input, matrix: { ...input.matrix, description: matrix.description } });
  return {
    kernel: o.kernel,
    release: run.kernelRelease,
    status: parsed.data.status,
    guestExit: Number(rc),
    files,
    run: { bootSeconds: run.bootSeconds, accel: run.accel, kernelRelease: run.kernelRelease },
    seconds: (Date.now() - t0) / 1000,
  };
}
