// Figures derived from the raw counters: CPU-copied bytes, per-MiB costs,
// syscalls and mode switches per chunk.
import { COUNTER_NAMES, countersOfKind } from './schema.generated.js';
import type { Derived, RoleCounts } from './types.js';

/** The CPU copies (kind cpu in bpf/counters.h): cpu_copy_bytes is their sum. */
export const COPY_COUNTERS = countersOfKind('cpu');

export function derive(role: RoleCounts, bytes: number, chunks: number): Derived {
  const mib = bytes / 2 ** 20;
  const copies = COPY_COUNTERS.map((n) => role.counters[n]);
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
