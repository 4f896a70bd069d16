// results.json (every raw RunResult, per cell, with the environment) and
// results.csv (one row per measured run; columns from the RunSpec schema and
// the generated counter schema, never a hand list of counters).
import { COUNTER_NAMES, PROBE_SYSCALLS, ROLES } from '../probes/schema.generated.js';
import type { RunResult } from '../run/result.js';
import { RUN_SPEC_FIELDS } from '../schema/matrix.js';
import { isRefusal, type ReportModel } from './model.js';
import { RESULTS_FORMAT, type ResultsFile } from './schema.js';

export function resultsFile(m: ReportModel): ResultsFile {
  const { cells, source, ...rest } = m.matrix;
  return {
    format: RESULTS_FORMAT,
    generatedAt: m.generatedAt,
    status: m.status,
    matrix: { ...rest, ...(source ? { source } : {}) },
    environment: m.environment,
    totals: m.totals,
    cells: m.cells.map((c) => ({
      id: c.cell.id,
      index: c.cell.index,
      label: c.label,
      from: c.cell.from,
      spec: { ...c.cell.spec },
      axes: { ...c.cell.axes },
      status: c.status,
      ...(c.refused ? { refused: c.refused } : {}),
      summary: c.summary,
      runs: c.runs,
    })) as ResultsFile['cells'],
  };
}

type Row = Record<string, string | number | boolean | null | undefined>;

const DERIVED = ['cpu_copy_bytes', 'cpu_copies_per_byte', 'syscalls_per_chunk', 'mode_switches_per_chunk'] as const;

/** The CSV's columns, in order. */
export function csvColumns(): string[] {
  return [
    'cell', 'cell_id', 'rep', 'status', 'error',
    ...RUN_SPEC_FIELDS,
    'run_id', 'started_at', 'kernel', 'bytes', 'chunks', 'wall_seconds', 'throughput_mibps', 'gbit_per_s',
    'sender_engine', 'sender_cpu_user_s', 'sender_cpu_sys_s', 'sender_cpu_scope', 'sender_cpu_s_per_gib',
    'sink_cpu_user_s', 'sink_cpu_sys_s', 'sink_wall_seconds', 'sink_checksum_ok',
    'device', 'device_scatter_gather', 'file_pages_cached_before', 'file_pages',
    'zerocopy_sends', 'zerocopy_completions', 'zerocopy_copied_completions', 'zerocopy_copied_bytes_reported',
    'machine_steal', 'machine_busy', 'machine_other_cpus', 'machine_load1_start', 'machine_load1_end',
    'probe_status', 'probe_engine', 'probe_tier',
    ...ROLES.flatMap((role) => [
      ...COUNTER_NAMES.map((c) => `${role}_${c}`),
      ...PROBE_SYSCALLS.map((s) => `${role}_syscalls_${s}`),
      ...DERIVED.map((d) => `${role}_${d}`),
    ]),
    'textbook_cpu_copies', 'measured_cpu_copies', 'textbook_mode_switches_per_chunk', 'measured_mode_switches_per_chunk', 'verdict', 'verdict_reason',
  ];
}

function runRow(r: RunResult): Row {
  const row: Row = {
    run_id: r.id, started_at: r.startedAt, kernel: r.kernel, bytes: r.bytes, chunks: r.chunks,
    wall_seconds: r.wallSeconds, throughput_mibps: r.throughputMiBps, gbit_per_s: (r.bytes * 8) / r.wallSeconds / 1e9,
    sender_engine: r.sender.engine, sender_cpu_user_s: r.sender.cpuUserSeconds, sender_cpu_sys_s: r.sender.cpuSysSeconds,
    sender_cpu_scope: r.sender.cpuScope, sender_cpu_s_per_gib: r.sender.cpuSecondsPerGiB,
    sink_cpu_user_s: r.receiver.cpuUserSeconds, sink_cpu_sys_s: r.receiver.cpuSysSeconds, sink_wall_seconds: r.receiver.wallSeconds,
    sink_checksum_ok: r.receiver.checksumOk,
    device: r.device.name, device_scatter_gather: r.device.scatterGather,
    file_pages_cached_before: r.file.pagesCachedBefore, file_pages: r.file.pages,
    zerocopy_sends: r.zerocopy?.sends, zerocopy_completions: r.zerocopy?.completions,
    zerocopy_copied_completions: r.zerocopy?.copiedCompletions, zerocopy_copied_bytes_reported: r.zerocopy?.copiedBytes,
    machine_steal: r.machine?.steal, machine_busy: r.machine?.busy, machine_other_cpus: r.machine?.otherCpus,
    machine_load1_start: r.machine?.load1.start, machine_load1_end: r.machine?.load1.end,
    probe_status: r.probes?.status, probe_engine: r.probes?.engine, probe_tier: r.probes?.tier,
  };
  for (const f of RUN_SPEC_FIELDS) row[f] = (r as unknown as Record<string, string | number>)[f];
  for (const role of ROLES) {
    const p = r.probes?.status === 'ok' ? r.probes[role] : undefined;
    if (!p) continue;
    for (const c of COUNTER_NAMES) row[`${role}_${c}`] = p.counters[c];
    for (const s of PROBE_SYSCALLS) row[`${role}_syscalls_${s}`] = p.syscalls[s] ?? 0;
    for (const d of DERIVED) row[`${role}_${d}`] = p.derived[d];
  }
  if (r.textbook) {
    row.textbook_cpu_copies = r.textbook.expected.cpuCopies;
    row.measured_cpu_copies = r.textbook.measured.cpuCopies;
    row.textbook_mode_switches_per_chunk = r.textbook.expected.modeSwitchesPerChunk;
    row.measured_mode_switches_per_chunk = r.textbook.measured.modeSwitchesPerChunk;
    row.verdict = r.textbook.verdict;
    row.verdict_reason = r.textbook.reason;
  }
  return row;
}

const cellText = (v: Row[string]): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180: a header row, then one row per measured run (failed ones with their error), CRLF line ends. */
export function resultsCsv(m: ReportModel): string {
  const cols = csvColumns();
  const lines = [cols.join(',')];
  for (const c of m.cells) {
    for (const run of c.runs) {
      const row: Row = run.ok ? runRow(run.result) : Object.fromEntries(RUN_SPEC_FIELDS.map((f) => [f, (c.cell.spec as unknown as Record<string, string | number>)[f]]));
      row.cell = c.label;
      row.cell_id = c.cell.id;
      row.rep = run.ok ? run.rep : run.warmup ? `warmup ${run.rep}` : run.rep;
      row.status = run.ok ? 'ok' : isRefusal(run.error) ? 'refused' : 'failed';
      row.error = run.ok ? '' : `${run.error.name}: ${run.error.message}`;
      if (!run.ok) row.started_at = run.at;
      lines.push(cols.map((k) => cellText(row[k])).join(','));
    }
  }
  return lines.join('\r\n') + '\r\n';
}
