// The seeds' table, measured: for a run's mode, the CPU copies per byte and the
// user/kernel mode switches per chunk the articles expect, beside what the
// probes counted, with a verdict and, where they differ, why.
import { modeInfo } from '../../scenarios/catalog.js';
import type { RunResult } from '../run/result.js';
import { perByteText, zerocopyCopiedExtra } from './derive.js';
import type { ProbeResult, TextbookRow } from './types.js';

/**
 * MSG_ZEROCOPY over a device without scatter-gather: completions the kernel marked
 * copied whose bytes had already been copied linear at transmit (derive.ts
 * zerocopyCopiedExtra), said with the share of sends, so the figure beside it
 * (counted once) and the mark do not contradict each other.
 */
export function zerocopyOverlapText(bytes: number, run: Pick<RunResult, 'bytes' | 'zerocopy'>): string {
  const z = run.zerocopy;
  const sends = z && z.completions ? ` (${z.copiedCompletions} of ${z.completions} completions)` : '';
  return (
    `the kernel marked ${perByteText(bytes / run.bytes)} per byte of the sends copied (SO_EE_CODE_ZEROCOPY_COPIED${sends}) although those bytes had been copied linear at transmit already: ` +
    `a packet of the send that went whole (not segmented) kept its zerocopy mark through the linearization, and the veth's hand-over to the receiver (skb_copy_ubufs) then marked the whole send copied without copying a byte more; ` +
    `counted once, as linearization. How many sends get the mark depends on how TCP happened to cut its packets (0-63% of sends between runs here)`
  );
}

/** Copies per byte closer than this to the textbook's count match it (retransmits, headers). */
const COPY_TOLERANCE = 0.05;
/** Mode switches per chunk within 10% (or 0.25) of the textbook's match it. */
const SWITCH_TOLERANCE = (expected: number) => Math.max(0.25, expected * 0.1);

export function textbookRow(run: Pick<RunResult, 'mode' | 'bytes' | 'device' | 'zerocopy'>, probes: ProbeResult): TextbookRow {
  const info = modeInfo(run.mode);
  const expected = info.textbook;
  const d = probes.sender?.derived;
  const measured = { cpuCopies: d?.cpu_copies_per_byte ?? null, modeSwitchesPerChunk: d?.mode_switches_per_chunk ?? null };
  if (probes.status !== 'ok' || measured.cpuCopies === null || measured.modeSwitchesPerChunk === null)
    return {
      expected, measured, verdict: 'unmeasured',
      reason: probes.status === 'ok' ? 'a counter the verdict needs has no source on this kernel (see probes.sources)' : `probes ${probes.status}: ${probes.reason ?? ''}`,
    };
  const c = probes.sender!.counters;
  const reasons: string[] = [];
  const copiesOff = Math.abs(measured.cpuCopies - expected.cpuCopies) > COPY_TOLERANCE;
  if (copiesOff) {
    const perByte = (v: number | null) => perByteText((v ?? 0) / run.bytes);
    if ((c.copy_linearize_bytes ?? 0) > run.bytes / 2 && !info.needsNoGather)
      reasons.push(
        `the path device has scatter-gather off, so the kernel copied every packet linear at transmit (copy_linearize_bytes = ${perByte(c.copy_linearize_bytes)} per byte); the textbook's NIC gathers`,
      );
    const zcc = c.zerocopy_copied_bytes ?? 0;
    const extra = zerocopyCopiedExtra(c) ?? 0;
    if (extra > 0 && run.mode.startsWith('io_uring'))
      reasons.push(
        `the kernel copied the pinned pages after all (IORING_NOTIF_USAGE_ZC_COPIED on ${perByte(extra)} per byte): io_uring SEND_ZC to a receiver on the same host is copied on delivery; through a real NIC it is not`,
      );
    else if (extra > 0)
      reasons.push(
        `the kernel copied the pinned pages after all (SO_EE_CODE_ZEROCOPY_COPIED on ${perByte(extra)} per byte): MSG_ZEROCOPY to a receiver on the same host is copied on delivery; through a real NIC it is not`,
      );
    if (zcc > extra) reasons.push(zerocopyOverlapText(zcc - extra, run));
    if (info.needsNoGather && (c.copy_linearize_bytes ?? 0) < run.bytes / 2)
      reasons.push(`the device did gather (scatter-gather ${run.device.scatterGather ? 'on' : 'off'}); run it over veth-nosg`);
    if (!reasons.length)
      reasons.push(
        `measured ${measured.cpuCopies.toFixed(2)} CPU copies per byte (file->user ${perByte(c.copy_file_to_user_bytes)}, ->socket ${perByte(c.copy_user_to_socket_bytes)}, linearize ${perByte(c.copy_linearize_bytes)}) against the textbook's ${expected.cpuCopies}`,
      );
  }
  const switchesOff = Math.abs(measured.modeSwitchesPerChunk - expected.modeSwitchesPerChunk) > SWITCH_TOLERANCE(expected.modeSwitchesPerChunk);
  if (switchesOff) {
    const calls = probes.sender!.syscalls;
    const list = Object.entries(calls).map(([k, v]) => `${k} ${v}`).join(', ');
    const why = info.switchesNote ?? 'the loop issued a different number of calls than one per step per chunk';
    reasons.push(`${measured.modeSwitchesPerChunk.toFixed(2)} mode switches per chunk against ${expected.modeSwitchesPerChunk} (${list}): ${why}`);
  }
  return { expected, measured, verdict: reasons.length ? 'differs' : 'matches', ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
}
