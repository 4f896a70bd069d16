// Figures derived from the raw counters: CPU-copied bytes, per-MiB costs,
// syscalls and mode switches per chunk.
import { COUNTER_NAMES, countersOfKind } from './schema.generated.js';
import type { Derived, RoleCounts } from './types.js';

/** The CPU copies (kind cpu in bpf/counters.h): cpu_copy_bytes is their sum (MSG_ZEROCOPY's marked-copied bytes less those already linearized: zerocopyCopiedExtra). */
export const COPY_COUNTERS = countersOfKind('cpu');

/**
 * The CPU copies a run of a mode can make: kTLS encryption only where the mode encrypts (elsewhere
 * no socket has the tls ULP; its counter may have no source there, which must not hide the others).
 */
export const copyCountersFor = (encrypts: boolean) => (encrypts ? COPY_COUNTERS : COPY_COUNTERS.filter((n) => n !== 'copy_encrypt_bytes'));

/**
 * A ratio per byte as people read it: 2.00, 1.00, 0.46, and below 0.01 with two
 * significant digits (0.0039), so a count above zero never reads "0.00".
 */
export function perByteText(v: number): string {
  return v === 0 || Math.abs(v) >= 0.01 ? v.toFixed(2) : v.toPrecision(2);
}

/**
 * The MSG_ZEROCOPY bytes the kernel marked copied (SO_EE_CODE_ZEROCOPY_COPIED) that
 * were a CPU copy of their own, not one already counted as linearization.
 *
 * The kernel marks a whole send's completion copied when any one skb carrying its
 * pages goes through skb_copy_ubufs() (a veth or lo handing the packet to a receiver
 * on this host: __dev_forward_skb -> skb_orphan_frags_rx). Over a device with
 * scatter-gather that call copies the packet's page fragments: a real copy, once per
 * byte transmitted. Over a device without scatter-gather every packet was already
 * made linear before the device (software GSO builds fresh linear segments;
 * a packet that needs no segmenting is linearized in place and keeps its zerocopy
 * mark): skb_copy_ubufs() finds no fragments, copies nothing, and still marks the
 * send copied. So each byte transmitted is copied at most once at transmit, by one
 * or the other, and the marked bytes count only up to what the device transmitted
 * beyond the linearized bytes: min(zerocopy_copied, dev_xmit - copy_linearize).
 * Without linearized bytes, or without a transmit count (no source), the mark counts in full.
 */
export function zerocopyCopiedExtra(c: { zerocopy_copied_bytes?: number | null; copy_linearize_bytes?: number | null; dev_xmit_bytes?: number | null }): number | null {
  const zcc = c.zerocopy_copied_bytes;
  if (zcc === null || zcc === undefined) return zcc ?? null;
  const lin = c.copy_linearize_bytes ?? 0;
  if (!zcc || !lin || c.dev_xmit_bytes === null || c.dev_xmit_bytes === undefined) return zcc;
  return Math.min(zcc, Math.max(0, c.dev_xmit_bytes - lin));
}

/**
 * @param o.encrypts the role's socket encrypts (a kTLS mode's sender). Elsewhere kTLS
 * encryption cannot have happened (no socket of the run has the tls ULP), so a
 * copy_encrypt_bytes without a source (no tls module) adds 0 to cpu_copy_bytes; for
 * a kTLS sender it leaves cpu_copy_bytes null, never a sum without the encryption.
 */
export function derive(role: RoleCounts, bytes: number, chunks: number, o: { encrypts?: boolean } = {}): Derived {
  const mib = bytes / 2 ** 20;
  const copies = COPY_COUNTERS.map((n) =>
    n === 'zerocopy_copied_bytes' ? zerocopyCopiedExtra(role.counters)
    : n === 'copy_encrypt_bytes' && role.counters[n] === null && !o.encrypts ? 0
    : role.counters[n],
  );
  const cpu_copy_bytes = copies.some((v) => v === null) ? null : (copies as number[]).reduce((a, b) => a + b, 0);
  const per_mib: Record<string, number | null> = {};
  for (const n of COUNTER_NAMES) per_mib[n] = role.counters[n] === null ? null : role.counters[n]! / mib;
  per_mib.cpu_copy_bytes = cpu_copy_bytes === null ? null : cpu_copy_bytes / mib;
  // mmap is a one-off per run, not a per-chunk cost.
  const calls = Object.entries(role.syscalls).filter(([n]) => n !== 'mmap').reduce((a, [, v]) => a + v, 0);
  const syscallsAvailable = role.counters.syscalls !== null;
  return {
    cpu_copy_bytes,
    cpu_copies_per_byte: cpu_copy_bytes === null ? null : cpu_copy_bytes / bytes,
    per_mib,
    syscalls_per_chunk: syscallsAvailable ? calls / chunks : null,
    mode_switches_per_chunk: syscallsAvailable ? (2 * calls) / chunks : null,
  };
}
