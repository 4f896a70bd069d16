// Byte sizes as people write them: 4096, "64KiB", "256MiB", "1GiB", "1.5GB".
// Binary units (KiB/MiB/GiB, and the bare K/M/G) are powers of 1024; kB/MB/GB are powers of 1000.

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30,
  kb: 1e3, mb: 1e6, gb: 1e9,
};

export const SIZE_SYNTAX = 'a whole number of bytes, or a number with a unit: B, KiB, MiB, GiB (1024s) or kB, MB, GB (1000s), e.g. 64KiB';

/** Parses a size; returns undefined when it is not one (callers say why). */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) return undefined;
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** 268435456 -> "256 MiB"; exact where it can be. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = bytes;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
  return `${s} ${units[i]}`;
}
