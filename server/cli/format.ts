// Human-readable output of runs for the terminal.
import Table from 'cli-table3';
import { PATHS } from '../../scenarios/catalog.js';
import { COUNTERS } from '../probes/schema.generated.js';
import { formatDuration, formatRate, formatSize } from '../schema/units.js';
import type { RunResult } from '../run/result.js';
import { machineNoise, NOISY_OTHER_CPUS, NOISY_STEAL } from '../core/machine.js';
import { spreadOf } from '../report/model.js';
import { nearestMedian, SPREAD_LIMIT, stat, type Stat } from '../report/stats.js';
import { statText } from '../report/format.js';

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

/** "1 chunk", "2 chunks". */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A ratio per byte as the dashboard shows it: 2.00, 1.00, 0.0004. */
export function perByte(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return v === 0 || Math.abs(v) >= 0.01 ? v.toFixed(2) : v.toPrecision(2);
}

/** What the run moved: bytes, chunks, and for a timed run its passes of the file. */
export function movedText(r: RunResult): string {
  const bytes = `${formatSize(r.bytes)} (${r.bytes} B) in ${plural(r.chunks, 'chunk')} of ${formatSize(r.chunkBytes)}`;
  if (r.duration === undefined) return bytes;
  const passes = `${plural(r.passes, 'whole pass', 'whole passes')} of the ${formatSize(r.sizeBytes)} file${r.tailBytes ? ` + the first ${formatSize(r.tailBytes)} of another` : ''}`;
  return `${bytes}: ${passes} (timed: ${formatDuration(r.duration)})`;
}

/** The device transmit, with the retransmitted bytes it includes. */
export function transmitText(xmit: number | null, retransmit: number | null): string {
  if (xmit === null) return 'unavailable';
  const base = value('bytes', xmit);
  return retransmit ? `${base}, incl. ${formatSize(retransmit)} retransmitted` : base;
}

export function runTable(r: RunResult): string {
  const t = new Table(plain);
  t.push(
    { run: `${r.mode} over ${r.path} (device ${r.device.name}, scatter-gather ${r.device.scatterGather ? 'on' : 'off'}), sink ${r.sink}, cache ${r.cache}` },
    { moved: movedText(r) },
    { integrity: r.receiver.checksumOk === null ? `byte count ok (${r.receiver.bytes} B); the ${r.sink} sink has no checksum` : `byte count and checksum ok (XXH3-64 ${r.file.checksum})` },
    { throughput: `${fmt(r.throughputMiBps, 1)} MiB/s  (${fmt((r.bytes * 8) / r.wallSeconds / 1e9, 2)} Gbit/s) over ${fmt(r.wallSeconds, 3)} s${r.rate !== undefined ? `; paced at ${formatRate(r.rate)} (the sender waited ${fmt(r.pacedSeconds ?? 0, 2)} s for it)` : ''}` },
    { 'sender CPU': `${fmt(r.sender.cpuUserSeconds, 3)} s user + ${fmt(r.sender.cpuSysSeconds, 3)} s sys = ${fmt(r.sender.cpuSecondsPerGiB, 3)} s/GiB (${r.sender.cpuScope})` },
    { 'engine syscalls': syscallsText(r.sender.syscalls) },
    { 'sink CPU': `${fmt(r.receiver.cpuUserSeconds, 3)} s user + ${fmt(r.receiver.cpuSysSeconds, 3)} s sys` },
  );
  if (r.zerocopy && r.uring)
    t.push({ SEND_ZC: `${r.zerocopy.completions}/${r.zerocopy.sends} notifications, ${r.zerocopy.copiedCompletions} marked copied by the kernel (IORING_NOTIF_USAGE_ZC_COPIED, ${formatSize(r.zerocopy.copiedBytes)})` });
  else if (r.zerocopy)
    t.push({ MSG_ZEROCOPY: `${r.zerocopy.completions}/${r.zerocopy.sends} completions, ${r.zerocopy.copiedCompletions} marked copied by the kernel (${formatSize(r.zerocopy.copiedBytes)})` });
  if (r.uring)
    t.push({ io_uring: `${r.uring.sqes} SQEs in ${r.uring.enters} io_uring_enter calls (${fmt(r.uring.sqes / Math.max(r.uring.enters, 1), 2)} per enter), ${r.uring.sends} send requests` });
  let out = t.toString();
  const p = r.probes;
  if (!p) return out;
  if (p.status !== 'ok') return `${out}\nprobes (${p.engine}) ${p.status}: ${p.reason}`;
  // Byte counters per byte sent (2.00: every byte copied twice), as the dashboard shows them; events per MiB sent.
  const ratio = (unit: string, perMiB: number | null | undefined) => (perMiB === null || perMiB === undefined ? '-' : unit === 'bytes' ? `${perByte(perMiB / 2 ** 20)} per byte` : `${fmt(perMiB)} per MiB`);
  const c = new Table({ head: [`probes (${p.engine}, ${p.tier})`, 'sender', 'sink', 'sender, per byte or MiB sent'], ...plain });
  const retransmit = (role: 'sender' | 'sink') => p[role]!.counters.retransmit_bytes;
  for (const { name, unit } of COUNTERS) {
    const cell = (role: 'sender' | 'sink') => (name === 'dev_xmit_bytes' ? transmitText(p[role]!.counters[name], retransmit(role)) : value(unit, p[role]!.counters[name]));
    c.push([name, cell('sender'), cell('sink'), ratio(unit, p.sender!.derived.per_mib[name])]);
  }
  c.push(['cpu_copy_bytes (derived)', value('bytes', p.sender!.derived.cpu_copy_bytes), value('bytes', p.sink!.derived.cpu_copy_bytes), ratio('bytes', p.sender!.derived.per_mib.cpu_copy_bytes)]);
  c.push(['syscalls by name (data fds)', syscallsText(p.sender!.syscalls), syscallsText(p.sink!.syscalls), '']);
  out += '\n' + c.toString();
  if (retransmit('sender'))
    out += `\nretransmitted: ${formatSize(retransmit('sender')!)} (TCP sent these segments again); dev_xmit_bytes includes them, so the device sent more than the ${formatSize(r.bytes)} moved`;
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

/** The machine during a run, short: "steal 3%, other work 0.4 CPUs, load 2.1 -> 2.5". */
export function machineText(m: RunResult['machine']): string {
  if (!m) return '-';
  return `steal ${(100 * m.steal).toFixed(0)}%, other work ${m.otherCpus.toFixed(2)} of ${m.cpus} CPUs, load ${m.load1.start.toFixed(1)} -> ${m.load1.end.toFixed(1)}`;
}

/**
 * Every mode side by side: one row per mode and path; with repetitions (zcl compare
 * --repeat), medians with the lowest and highest run, and the report's wide-spread
 * flag (server/report/model.ts spreadOf). Each row says the machine's condition, and
 * the rows measured on a busy machine or spread wide are flagged below, with why.
 */
export function compareTable(results: RunResult[]): string {
  const t = new Table({
    head: ['mode', 'path', 'runs', 'MiB/s', 'sender CPU s/GiB', 'CPU copies/B (textbook)', 'mode switches/chunk (textbook)', 'verdict', 'machine: steal %', 'other work, CPUs', 'spread'],
    ...plain,
  });
  const groups = new Map<string, RunResult[]>();
  for (const r of results) groups.set(`${r.mode} ${r.path}`, [...(groups.get(`${r.mode} ${r.path}`) ?? []), r]);
  const flags: string[] = [];
  const range = (s: Stat | null, digits: number, scale = 1) => statText(s && { ...s, median: s.median * scale, min: s.min * scale, max: s.max * scale }, digits);
  for (const runs of groups.values()) {
    const r = nearestMedian(runs, (x) => x.sender.cpuSecondsPerGiB)!;
    const tb = r.textbook;
    const cpu = stat(runs.map((x) => x.sender.cpuSecondsPerGiB));
    const tp = stat(runs.map((x) => x.throughputMiBps));
    const spread = spreadOf(runs.map((result, i) => ({ rep: i + 1, result })), { cpuSecondsPerGiB: cpu, throughputMiBps: tp });
    const copies = stat(runs.map((x) => x.textbook?.measured.cpuCopies));
    t.push([
      r.mode, r.path, String(runs.length), range(tp, 0), range(cpu, 3),
      tb ? `${range(copies, 2)} (${tb.expected.cpuCopies})` : '-',
      tb ? `${fmt(tb.measured.modeSwitchesPerChunk)} (${tb.expected.modeSwitchesPerChunk})` : '-',
      tb?.verdict ?? '-',
      range(stat(runs.map((x) => x.machine?.steal)), 0, 100),
      range(stat(runs.map((x) => x.machine?.otherCpus)), 2),
      spread ? 'wide' : runs.length > 1 ? 'ok' : '-',
    ]);
    if (spread) flags.push(`- ${r.mode} over ${r.path}: ${spread.reason}`);
    else
      for (const [i, x] of runs.entries()) {
        const why = machineNoise(x.machine);
        if (why) flags.push(`- ${r.mode} over ${r.path}${runs.length > 1 ? ` (run ${i + 1})` : ''}: measured on a busy machine (${why}): its CPU figure may be off; repeat it (--repeat 3)`);
      }
  }
  const notes = [...groups.values()].map((runs) => nearestMedian(runs, (x) => x.sender.cpuSecondsPerGiB)!).filter((r) => r.textbook?.reason).map((r) => `- ${r.mode} over ${r.path}: ${r.textbook!.reason}`);
  if (results.some((r) => r.path === 'veth-nosg')) notes.push(`- ${PATHS['veth-nosg'].cpuNote}`);
  const probes = [...new Set(results.map((r) => (r.probes ? probesLine(r.probes) : 'probes: none')))];
  const short = results.filter((r) => r.duration === undefined && r.wallSeconds < 1 && r.sender.engine !== 'app').length;
  return (
    t.toString() + '\n' + probes.join('\n') + (notes.length ? '\n' + notes.join('\n') : '') +
    (flags.length ? `\nfigures to read with care (spread: max/min over ${SPREAD_LIMIT}; busy: ${100 * NOISY_STEAL}% steal or ${NOISY_OTHER_CPUS} CPU of other work):\n` + flags.join('\n') : '') +
    (short ? `\n${short} of ${results.length} runs lasted under 1 s: their CPU figures are coarse; time them (--duration 2s, the default)` : '')
  );
}

/** Which probes measured a run: the engine beside the tier, or why there were none. */
export function probesLine(p: NonNullable<RunResult['probes']>): string {
  return p.status === 'ok' ? `probes: ${p.engine}, ${p.tier} tier` : `probes (${p.engine}) ${p.status}: ${p.reason ?? ''}`;
}
