// The report's tables and texts, once, for both the Markdown and the HTML.
import { modeInfo, MODES, PATHS, type ModeName } from '../../scenarios/catalog.js';
import { counterInfo, COUNTERS, type CounterName, type CounterOfKind, type Role } from '../probes/schema.generated.js';
import { formatSize } from '../schema/units.js';
import { duration, fieldShort, fieldTitle, num, statText } from './format.js';
import type { CellReport, ReportModel } from './model.js';
import { NOISY_OTHER_CPUS, NOISY_STEAL } from '../core/machine.js';
import { SPREAD_LIMIT, type Stat } from './stats.js';

export interface Table {
  headers: string[];
  rows: string[][];
  /** Right-aligned columns (numbers). */
  numeric: boolean[];
  /** Per row, a verdict to colour (HTML). */
  verdicts?: (string | null)[];
  /** The first columns name the cell (kept on one line in HTML). */
  idColumns?: number;
}

/** The fields that name a cell in tables: mode first, then whatever else varies. */
export function idFields(m: ReportModel): string[] {
  return ['mode', ...m.varying.filter((f) => f !== 'mode')];
}

const idCells = (m: ReportModel, c: CellReport) => idFields(m).map((f) => fieldShort(f, (c.cell.spec as unknown as Record<string, unknown>)[f]));

const perByte = (s: Stat | null | undefined): Stat | null => (s ? { median: s.median / 2 ** 20, min: s.min / 2 ** 20, max: s.max / 2 ** 20, n: s.n } : null);

export function verdictText(c: CellReport): string {
  if (c.status === 'refused') return 'refused on this kernel';
  if (c.status === 'failed' && !c.summary.n) return 'failed';
  if (!c.summary.n) return 'not run yet';
  const v = c.summary.verdict;
  if (!v) return 'no probes';
  const total = v.counts.matches + v.counts.differs + v.counts.unmeasured;
  const agree = v.counts[v.verdict];
  return agree === total ? v.verdict : `${v.verdict} (${agree} of ${total} runs)`;
}

export function seedsTable(m: ReportModel): Table {
  const ids = idFields(m);
  return {
    headers: [
      ...ids.map(fieldTitle), 'program', 'CPU copies per byte: seeds', 'measured', 'mode switches per chunk: seeds', 'measured',
      'DMA per byte: disk → page cache', 'DMA per byte: socket → device (incl. retransmitted)', 'verdict',
    ],
    numeric: [...ids.map(() => false), false, true, true, true, true, true, true, false],
    rows: m.cells.map((c) => {
      const t = MODES[c.cell.spec.mode as ModeName].textbook;
      const s = c.summary;
      return [
        ...idCells(m, c), MODES[c.cell.spec.mode as ModeName].program, String(t.cpuCopies), statText(s.copiesPerByte, 2), String(t.modeSwitchesPerChunk), statText(s.modeSwitchesPerChunk, 2),
        statText(s.diskPerByte, 2), statText(s.devicePerByte, 2), verdictText(c),
      ];
    }),
    verdicts: m.cells.map((c) => c.summary.verdict?.verdict ?? (c.status === 'failed' ? 'failed' : c.status === 'refused' ? 'refused' : null)),
    idColumns: ids.length,
  };
}

/**
 * Why cells differ from the seeds (or could not be checked): one line per
 * reason, naming every cell that has it; then general notes.
 */
export function divergences(m: ReportModel): { cells: { label: string; verdict: string; text: string }[]; notes: string[] } {
  const byReason = new Map<string, { labels: string[]; verdicts: Set<string> }>();
  const add = (c: CellReport, text: string) => {
    if (!byReason.has(text)) byReason.set(text, { labels: [], verdicts: new Set() });
    byReason.get(text)!.labels.push(c.label);
    byReason.get(text)!.verdicts.add(verdictText(c));
  };
  for (const c of m.cells) {
    const v = c.summary.verdict;
    if (v && v.verdict !== 'matches') add(c, v.reason ?? 'no reason recorded');
    else if (v && v.counts.differs + v.counts.unmeasured > 0)
      add(c, `most runs match; ${v.counts.differs + v.counts.unmeasured} did not (near the tolerance: copies within 0.05 per byte, mode switches within 10%)`);
  }
  const cells = [...byReason].map(([text, g]) => ({ label: g.labels.join(', '), verdict: [...g.verdicts].join(', '), text }));
  const notes: string[] = [];
  const has = (mode: string, path: string) => m.cells.some((c) => c.cell.spec.mode === mode && c.cell.spec.path === path && c.summary.n);
  if (has('sendfile', 'veth-nosg') && has('sendfile-nogather', 'veth-nosg'))
    notes.push(
      'sendfile over veth-nosg and sendfile-nogather make the same calls over the same path: they measure the same. They differ in what the seeds expect: sendfile-nogather stands for the Linux 2.1 sendfile (1 CPU copy), sendfile for the one with DMA gather (0), which a device without scatter-gather cannot give.',
    );
  const warm = m.cells.filter((c) => c.cell.spec.cache === 'warm' && c.summary.diskPerByte && c.summary.diskPerByte.median < 0.01);
  if (warm.length)
    notes.push(
      `The seeds count two DMA copies: disk → page cache, and socket buffer → NIC. Warm-cache cells read nothing from the disk (the file was in the page cache before the run), so their first DMA is 0${m.cells.some((c) => c.cell.spec.cache === 'cold') ? '' : '; run cold-cache cells to see it'}.`,
    );
  const retransmits = m.cells.filter((c) => (c.summary.perMiB.sender.retransmit_bytes?.max ?? 0) > 0);
  if (retransmits.length) {
    const worst = retransmits.reduce((a, b) => (b.summary.perMiB.sender.retransmit_bytes!.median > a.summary.perMiB.sender.retransmit_bytes!.median ? b : a));
    notes.push(
      `"socket → device" includes what TCP retransmitted (the same payload sent again), so it can exceed 1 per byte: ${retransmits.length === m.cells.length ? 'every cell' : `${retransmits.length} of ${m.cells.length} cells`} retransmitted some, at most ${num((worst.summary.perMiB.sender.retransmit_bytes!.median / 2 ** 20) * 100, 2)}% of the bytes moved (median, ${worst.label}); the copies table shows it per cell ("of which retransmitted").`,
    );
  }
  if (m.cells.some((c) => c.cell.spec.path === 'veth-nosg' && c.summary.n)) notes.push(PATHS['veth-nosg'].cpuNote);
  if (m.cells.some((c) => c.cell.spec.path === 'loopback'))
    notes.push('Over loopback there is no NIC: "socket → device" is the TCP payload handed to lo, which passes it to the receiver in memory.');
  if (m.cells.some((c) => c.summary.verdict?.verdict === 'unmeasured'))
    notes.push('"unmeasured": a counter the verdict needs had no source on this kernel, or the probes did not load (see the environment).');
  return { cells, notes };
}

/** What to say when no measured cell differs. */
export function allMatch(m: ReportModel): string {
  if (!m.totals.runsOk) return 'Nothing measured yet.';
  const unmeasured = m.cells.filter((c) => !c.summary.n && c.status !== 'refused').length;
  const refused = m.cells.filter((c) => c.status === 'refused').length;
  const tail = [
    unmeasured ? `${unmeasured} ${unmeasured === 1 ? 'cell has' : 'cells have'} no measured run: ${m.cells.some((c) => c.status === 'failed') ? 'see "Failures"' : 'not run yet'}` : '',
    refused ? `${refused} ${refused === 1 ? 'cell was' : 'cells were'} refused by this kernel: see "Refused on this kernel"` : '',
  ].filter(Boolean).map((t) => ` (${t})`).join('');
  return `Every measured cell matches the seeds${tail}.`;
}

export function resultsTable(m: ReportModel): Table {
  const ids = idFields(m);
  return {
    headers: [
      ...ids.map(fieldTitle), 'runs ok', 'throughput MiB/s', 'sender CPU s/GiB', 'receiver CPU s/GiB', 'CPU copies per byte', 'syscalls per chunk', 'context switches per MiB', 'page faults per MiB',
      'machine: steal %', 'machine: other work, CPUs', 'spread',
    ],
    numeric: [...ids.map(() => false), true, true, true, true, true, true, true, true, true, true, false],
    idColumns: ids.length,
    rows: m.cells.map((c) => {
      const s = c.summary;
      return [
        ...idCells(m, c),
        `${s.n} of ${m.matrix.repetitions}`,
        statText(s.throughputMiBps),
        statText(s.cpuSecondsPerGiB),
        statText(s.sinkCpuSecondsPerGiB),
        statText(s.copiesPerByte, 2),
        statText(s.syscallsPerChunk, 2),
        statText(s.perMiB.sender.ctx_switches),
        statText(s.perMiB.sender.page_faults),
        statText(s.steal && { ...s.steal, median: 100 * s.steal.median, min: 100 * s.steal.min, max: 100 * s.steal.max }, 0),
        statText(s.otherCpus, 2),
        s.spread ? 'wide ⚠' : s.n > 1 ? 'ok' : '–',
      ];
    }),
    verdicts: m.cells.map((c) => (c.summary.spread ? 'differs' : null)),
  };
}

/** The rule behind the results table's "spread" column, said once. */
export const SPREAD_RULE =
  `A cell's spread is wide when its highest run is more than ${SPREAD_LIMIT}× its lowest in sender CPU per GiB or in throughput; its median then says little. ` +
  `"machine" is the whole machine while each run ran (/proc/stat at the go and at the end): steal is the share of CPU time the hypervisor gave to other guests, ` +
  `other work the CPUs' worth of busy time not charged to the run's sender and sink (other processes, interrupts, the lab itself). A run is called busy at ${100 * NOISY_STEAL}% steal or ${NOISY_OTHER_CPUS} CPU of other work.`;

/** The cells whose spread is wide, each with why. */
export function spreadFlags(m: ReportModel): { label: string; text: string }[] {
  return m.cells.filter((c) => c.summary.spread).map((c) => ({ label: c.label, text: c.summary.spread!.reason }));
}

/**
 * The copies table's columns: the counters of bytes moved (kinds cpu, dma and ref
 * in bpf/counters.h), in the order of the seeds' diagram, each headed by its label;
 * the CPU copies by where the CPU copied, marked (CPU).
 */
const COPY_COLUMNS: { counter: Exclude<CounterName, Exclude<CounterOfKind<'event'>, 'retransmit_bytes'>>; role: Role; header?: string; when?: (c: CellReport) => boolean }[] = [
  { counter: 'block_read_bytes', role: 'sender' },
  { counter: 'copy_file_to_user_bytes', role: 'sender', header: 'page cache → user (CPU)' },
  { counter: 'copy_user_to_socket_bytes', role: 'sender', header: 'user → socket (CPU)' },
  { counter: 'splice_ref_bytes', role: 'sender' },
  { counter: 'zerocopy_bytes', role: 'sender' },
  { counter: 'zerocopy_copied_bytes', role: 'sender', header: 'copied after all (MSG_ZEROCOPY)' },
  { counter: 'copy_encrypt_bytes', role: 'sender', when: (c) => !!modeInfo(c.cell.spec.mode).encrypts },
  { counter: 'copy_linearize_bytes', role: 'sender', header: 'linearize (CPU)' },
  { counter: 'dev_xmit_bytes', role: 'sender', header: `${counterInfo('dev_xmit_bytes').label} (incl. retransmitted)` },
  // TCP sent these again: the device transmit above includes them (the reason it can exceed 1 per byte).
  { counter: 'retransmit_bytes', role: 'sender', header: 'of which retransmitted' },
  { counter: 'copy_socket_to_user_bytes', role: 'sink', header: 'receiver copy (CPU)' },
  { counter: 'zerocopy_receive_bytes', role: 'sink', when: (c) => c.cell.spec.sink === 'zerocopy-receive' },
];

export function copiesTable(m: ReportModel): Table {
  const ids = idFields(m);
  // A column only some modes or sinks can fill (kTLS's encryption, the mapped receive) only when the matrix has one.
  const cols = COPY_COLUMNS.filter((c) => !c.when || m.cells.some(c.when)).map(({ counter, role, header }) => [header ?? counterInfo(counter).label, role, counter] as const);
  return {
    headers: [...ids.map(fieldTitle), ...cols.map(([t]) => t)],
    numeric: [...ids.map(() => false), ...cols.map(() => true)],
    idColumns: ids.length,
    rows: m.cells.map((c) => [...idCells(m, c), ...cols.map(([, role, k]) => statText(perByte(c.summary.perMiB[role][k]), 2))]),
  };
}

export function failuresTable(m: ReportModel): Table | null {
  const rows: string[][] = [];
  for (const c of m.cells)
    if (c.status !== 'refused')
      for (const r of c.runs) if (!r.ok) rows.push([c.label, r.warmup ? `warmup ${r.rep}` : `repetition ${r.rep}`, `${r.error.name}: ${r.error.message}`]);
  if (!rows.length) return null;
  return { headers: ['cell', 'run', 'error'], numeric: [false, false, false], rows, idColumns: 2 };
}

/** Cells the kernel refused (a mode needing a feature it lacks), with its reason; null when none. */
export function refusedTable(m: ReportModel): Table | null {
  const rows = m.cells.filter((c) => c.status === 'refused').map((c) => [c.label, c.refused ?? '']);
  return rows.length ? { headers: ['cell', "the kernel's reason"], numeric: [false, false], rows, idColumns: 1 } : null;
}

export const REFUSED_INTRO =
  'These cells need a kernel feature this kernel does not have, so they were not run (not a failure). Run the matrix on a kernel that has it: zcl report\'s option --kernel boots one (e.g. debian-6.12-cloud) in QEMU.';

export function statusLine(m: ReportModel): string {
  const t = m.totals;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const shape = `${plural(t.cells, 'cell')} × ${plural(m.matrix.repetitions, 'repetition')}`;
  const warm = m.matrix.warmup ? `; ${plural(m.matrix.warmup, 'warmup run')} per cell before them, discarded` : '';
  const refused = t.cellsRefused ? `; ${plural(t.cellsRefused, 'cell')} refused by this kernel (see "Refused on this kernel")` : '';
  if (m.status === 'complete') {
    const runs = plural(t.runsPlanned - (t.cellsRefused ?? 0) * m.matrix.repetitions, 'run');
    const also = t.cellsRefused ? ` ${t.cellsRefused === 1 ? '1 cell was' : `${t.cellsRefused} cells were`} refused by this kernel (see "Refused on this kernel").` : '';
    return `Complete: ${runs} (${shape}), all ok${warm}.${also}`;
  }
  const failed = t.cellsFailed ? `; ${plural(t.cellsFailed, 'cell')} failed (see "Failures")` : '';
  const head = m.status === 'interrupted' ? 'Incomplete (interrupted)' : 'Incomplete';
  // the count the progress line and zcl report's summary say: runs of the plan, warmups included, ended
  const plan = m.matrix.warmup ? `${shape} + ${plural(m.matrix.warmup, 'warmup')}` : shape;
  return `${head}: ${t.runsDone} of ${plural(t.runs, 'run')} done (${plan}; measured: ${t.runsOk} of ${t.runsPlanned} repetitions ok)${failed}${refused}${warm}.`;
}

/** The command that finishes an incomplete report, and what it does. */
export function resumeHint(m: ReportModel, outDir: string): { what: string; command: string } | null {
  if (m.status === 'complete') return null;
  const command = `zcl report ${m.matrix.source ?? '<matrix.json>'} --out ${outDir} --resume`;
  const what = m.totals.cellsFailed && m.status !== 'interrupted' ? 'To retry the failed cells' : 'To finish it';
  return { what, command };
}

export function environmentList(m: ReportModel): [string, string][] {
  const e = m.environment;
  const v = e.versions;
  const kernels = [...new Set(m.cells.flatMap((c) => c.runs.flatMap((r) => (r.ok ? [r.result.kernel] : []))))];
  const probes = probesText(m);
  const list: [string, string][] = [
    ['kernel', `${e.kernel.release} (${e.kernel.version})${kernels.length > 1 ? `; runs measured on ${kernels.join(', ')}` : ''}`],
    ['system', `${e.os ?? 'unknown OS'}, ${e.arch}${e.virtualization && e.virtualization !== 'none' ? `, virtualized (${e.virtualization})` : ''}`],
    ['CPU', `${e.cpu.model}, ${e.cpu.cores} core${e.cpu.cores === 1 ? '' : 's'}${e.cpu.mhz ? ` at ${e.cpu.mhz} MHz` : ''}; memory ${formatSize(e.memoryBytes)}`],
    ['probes', probes],
    ['versions', `zerocopy-lab ${v.zerocopyLab}${e.git ? ` (git ${e.git.commit.slice(0, 12)}${e.git.dirty ? ', with local changes' : ''})` : ''}, Node ${v.node}, libbpf ${v.libbpf ?? 'unknown'}, bpftrace ${v.bpftrace ?? 'not installed'}, clang ${v.clang ?? 'not installed'}`],
    ['when', `${runSpan(m) ?? 'no run yet'}; environment captured ${e.capturedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}, report written ${m.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`],
  ];
  return list;
}

/** "runs from 2026-11-23 12:09:48 to 12:10:19 UTC" (measured runs). */
function runSpan(m: ReportModel): string | null {
  const t = m.cells.flatMap((c) => c.runs.flatMap((r) => (r.ok ? [r.result.startedAt, r.result.finishedAt] : []))).sort();
  if (!t.length) return null;
  const f = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, '');
  const a = f(t[0]);
  const b = f(t[t.length - 1]);
  return `runs from ${a} to ${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b} UTC`;
}

/** The probe engines in words: "libbpf, tracepoint tier; 15 of 15 counters have a source". */
export function probesText(m: ReportModel): string {
  const list = m.environment.probes.map((p) =>
    p.status === 'ok'
      ? `${p.engine} (${p.tier} tier, ${Object.values(p.sources ?? {}).filter((x) => x !== null).length} of ${Object.keys(p.sources ?? {}).length} counters have a source)`
      : `${p.engine}: ${p.status} (${p.reason ?? 'no reason given'})`,
  );
  return list.join('; ') || 'none';
}

/** Where each counter comes from, one column per probe engine that loaded. */
export function sourcesTable(m: ReportModel): Table | null {
  const engines = m.environment.probes.filter((p) => p.sources);
  if (!engines.length) return null;
  return {
    headers: ['counter', 'what it counts', ...engines.map((p) => (engines.length > 1 ? `kernel source (${p.engine})` : 'kernel source'))],
    numeric: [false, false, ...engines.map(() => false)],
    rows: COUNTERS.map((c) => [c.name, c.description, ...engines.map((p) => p.sources![c.name] ?? 'no source on this kernel')]),
  };
}

export function matrixText(m: ReportModel): string {
  const { name, description, base, axes, include, exclude, repetitions, warmup } = m.matrix;
  const o: Record<string, unknown> = { name, description, base, axes };
  if (include.length) o.include = include;
  if (exclude.length) o.exclude = exclude;
  o.repetitions = repetitions;
  o.warmup = warmup;
  return JSON.stringify(o, null, 2);
}

/** The time the measured runs took, end to end each, summed (sessions and pauses between them left out). */
export function timeSpent(m: ReportModel): string | null {
  let ms = 0;
  for (const c of m.cells) for (const r of c.runs) if (r.ok) ms += Date.parse(r.result.finishedAt) - Date.parse(r.result.startedAt);
  return ms > 0 ? duration(ms / 1e3) : null;
}

export { num };
