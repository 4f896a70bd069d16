// Human-readable output of runs for the terminal.
import Table from 'cli-table3';
import { formatSize } from '../schema/units.js';
import type { RunResult } from '../run/result.js';

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function syscallsText(s: Record<string, number>): string {
  const e = Object.entries(s);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(', ') : '(counted by the probes only)';
}

export function runTable(r: RunResult): string {
  const t = new Table({ style: { head: [], border: [] } });
  t.push(
    { run: `${r.mode} over ${r.path} (device ${r.device.name}, scatter-gather ${r.device.scatterGather ? 'on' : 'off'}), sink ${r.sink}, cache ${r.cache}` },
    { moved: `${formatSize(r.bytes)} (${r.bytes} B) in ${r.chunks} chunks of ${formatSize(r.chunkBytes)}` },
    { integrity: r.receiver.checksumOk === null ? `byte count ok (${r.receiver.bytes} B); discard sink has no checksum` : `byte count and checksum ok (XXH3-64 ${r.file.checksum})` },
    { throughput: `${fmt(r.throughputMiBps, 1)} MiB/s  (${fmt((r.bytes * 8) / r.wallSeconds / 1e9, 2)} Gbit/s) over ${fmt(r.wallSeconds, 3)} s` },
    { 'sender CPU': `${fmt(r.sender.cpuUserSeconds, 3)} s user + ${fmt(r.sender.cpuSysSeconds, 3)} s sys = ${fmt(r.sender.cpuSecondsPerGiB, 3)} s/GiB (${r.sender.cpuScope})` },
    { 'sender syscalls': syscallsText(r.sender.syscalls) },
    { 'sink CPU': `${fmt(r.receiver.cpuUserSeconds, 3)} s user + ${fmt(r.receiver.cpuSysSeconds, 3)} s sys` },
    { 'sink syscalls': syscallsText(r.receiver.syscalls) },
  );
  if (r.zerocopy)
    t.push({ 'MSG_ZEROCOPY': `${r.zerocopy.completions}/${r.zerocopy.sends} completions, ${r.zerocopy.copiedCompletions} marked copied by the kernel (${formatSize(r.zerocopy.copiedBytes)})` });
  return t.toString();
}

export function compareTable(results: RunResult[]): string {
  const t = new Table({
    head: ['mode', 'path', 'MiB/s', 'sender CPU s/GiB', 'syscalls/chunk', 'integrity'],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    const calls = Object.entries(r.sender.syscalls).filter(([k]) => !['mmap', 'munmap'].includes(k)).reduce((a, [, v]) => a + v, 0);
    t.push([r.mode, r.path, fmt(r.throughputMiBps, 0), fmt(r.sender.cpuSecondsPerGiB, 3), calls ? fmt(calls / r.chunks, 2) : '-', r.receiver.checksumOk === false ? 'FAILED' : 'ok']);
  }
  return t.toString();
}
