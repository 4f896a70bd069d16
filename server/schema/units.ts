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

// Durations: seconds as a number, or a number with a unit: ms, s, m (min), h.
const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, sec: 1, ms: 1e-3, m: 60, min: 60, h: 3600 };

export const DURATION_SYNTAX = 'seconds, or a number with a unit: ms, s, min, h, e.g. 10s or 1.5';

/** Parses a duration in seconds; undefined when it is not one. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) return undefined;
  const unit = DURATION_UNITS[m[2].toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** 1.5 -> "1.5 s", 600 -> "10 min". */
export function formatDuration(seconds: number): string {
  if (seconds >= 60 && seconds % 60 === 0) return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds / 60} min`;
  return `${Number(seconds.toFixed(3))} s`;
}

// Rates: bytes per second as a number, or a size with an optional "/s": 50MiB/s, 1GB/s, 65536.
export const RATE_SYNTAX = 'bytes per second, or a size per second: B, KiB, MiB, GiB (1024s) or kB, MB, GB (1000s), e.g. 50MiB/s; 0: unlimited';

/** Parses a rate in bytes per second; undefined when it is not one. */
export function parseRate(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = /^\s*(.*?)\s*(?:\/\s*s(?:ec)?)?\s*$/i.exec(input);
  return m ? parseSize(m[1]) : undefined;
}

/** 52428800 -> "50 MiB/s". */
export const formatRate = (bytesPerSecond: number): string => `${formatSize(bytesPerSecond)}/s`;
