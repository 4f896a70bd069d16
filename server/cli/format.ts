// Human-readable output of runs for the terminal.
import Table from 'cli-table3';
import { COUNTERS } from '../probes/schema.generated.js';
import { formatSize } from '../schema/units.js';
import type { RunResult } from '../run/result.js';

const fmt = (n: number | null | undefined, digits = 2) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const plain = { style: { head: [], border: [] } };

export function syscallsText(s: Record<string, number>): string {
  const e = Object.entries(s);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(', ') : '(counted by the probes only)';
}

function value(unit: string, v: number | null): string {
  if (v === null) return 'unavailable';
  return unit === 'bytes' ? `${formatSize(v)}${v >= 1024 ? ` (${v} B)` : ''}` : String(v);
}

export function runTable(r: RunResult): string {
  const t = new Table(plain);
  t.push(
    { run: `${r.mode} over ${r.path} (device ${r.device.name}, scatter-gather ${r.device.scatterGather ? 'on' : 'off'}), sink ${r.sink}, cache ${r.cache}` },
    { moved: `${formatSize(r.bytes)} (${r.bytes} B) in ${r.chunks} chunks of ${formatSize(r.chunkBytes)}` },
    { integrity: r.receiver.checksumOk === null ? `byte count ok (${r.receiver.bytes} B); the discard sink has no checksum` : `byte count and checksum ok (XXH3-64 ${r.file.checksum})` },
    { throughput: `${fmt(r.throughputMiBps, 1)} MiB/s  (${fmt((r.bytes * 8) / r.wallSeconds / 1e9, 2)} Gbit/s) over ${fmt(r.wallSeconds, 3)} s` },
    { 'sender CPU': `${fmt(r.sender.cpuUserSeconds, 3)} s user + ${fmt(r.sender.cpuSysSeconds, 3)} s sys = ${fmt(r.sender.cpuSecondsPerGiB, 3)} s/GiB (${r.sender.cpuScope})` },
    { 'engine syscalls': syscallsText(r.sender.syscalls) },
    { 'sink CPU': `${fmt(r.receiver.cpuUserSeconds, 3)} s user + ${fmt(r.receiver.cpuSysSeconds, 3)} s sys` },
  );
  if (r.zerocopy)
    t.push({ MSG_ZEROCOPY: `${r.zerocopy.completions}/${r.zerocopy.sends} completions, ${r.zerocopy.copiedCompletions} marked copied by the kernel (${formatSize(r.zerocopy.copiedBytes)})` });
  let out = t.toString();
  const p = r.probes;
  if (!p) return out;
  if (p.status !== 'ok') return `${out}\nprobes (${p.engine}) ${p.status}: ${p.reason}`;
  const c = new Table({ head: [`probes (${p.engine}, ${p.tier})`, 'sender', 'sink', 'per MiB (sender)'], ...plain });
  for (const { name, unit } of COUNTERS)
    c.push([name, value(unit, p.sender!.counters[name]), value(unit, p.sink!.counters[name]), fmt(p.sender!.derived.per_mib[name], unit === 'bytes' ? 0 : 2)]);
  c.push(['cpu_copy_bytes (derived)', value('bytes', p.sender!.derived.cpu_copy_bytes), value('bytes', p.sink!.derived.cpu_copy_bytes), fmt(p.sender!.derived.per_mib.cpu_copy_bytes, 0)]);
  c.push(['syscalls by name (data fds)', syscallsText(p.sender!.syscalls), syscallsText(p.sink!.syscalls), '']);
  out += '\n' + c.toString();
  if (p.missedEvents) out += `\nwarning: the kernel skipped ${p.missedEvents} probe events (a program already running on that CPU): some counts may be short`;
  const tb = r.textbook;
  if (tb) {
    const v = new Table({ head: ['the seeds\' table', 'textbook', 'measured'], ...plain });
    v.push(['CPU copies per byte', String(tb.expected.cpuCopies), fmt(tb.measured.cpuCopies)]);
    v.push(['mode switches per chunk', String(tb.expected.modeSwitchesPerChunk), fmt(tb.measured.modeSwitchesPerChunk)]);
    out += '\n' + v.toString() + `\nverdict: ${tb.verdict}${tb.reason ? ` - ${tb.reason}` : ''}`;
  }
  return out;
}

export function compareTable(results: RunResult[]): string {
  const t = new Table({
    head: ['mode', 'path', 'MiB/s', 'sender CPU s/GiB', 'CPU copies/B (textbook)', 'mode switches/chunk (textbook)', 'verdict'],
    ...plain,
  });
  for (const r of results) {
    const tb = r.textbook;
    t.push([
      r.mode, r.path, fmt(r.throughputMiBps, 0), fmt(r.sender.cpuSecondsPerGiB, 3),
      tb ? `${fmt(tb.measured.cpuCopies)} (${tb.expected.cpuCopies})` : '-',
      tb ? `${fmt(tb.measured.modeSwitchesPerChunk)} (${tb.expected.modeSwitchesPerChunk})` : '-',
      tb?.verdict ?? '-',
    ]);
  }
  const notes = results.filter((r) => r.textbook?.reason).map((r) => `- ${r.mode} over ${r.path}: ${r.textbook!.reason}`);
  const probes = [...new Set(results.map((r) => (r.probes ? probesLine(r.probes) : 'probes: none')))];
  return t.toString() + '\n' + probes.join('\n') + (notes.length ? '\n' + notes.join('\n') : '');
}

/** Which probes measured a run: the engine beside the tier, or why there were none. */
export function probesLine(p: NonNullable<RunResult['probes']>): string {
  return p.status === 'ok' ? `probes: ${p.engine}, ${p.tier} tier` : `probes (${p.engine}) ${p.status}: ${p.reason ?? ''}`;
}
