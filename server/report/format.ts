// Numbers and cells in words, the same in Markdown and HTML.
import { formatDuration, formatRate, formatSize } from '../schema/units.js';
import type { Stat } from './stats.js';

/** Significant digits that read well: 812, 81.2, 8.12, 0.812. */
export function num(v: number | null | undefined, digits?: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (digits !== undefined) return v.toFixed(digits);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.01) return v.toFixed(3);
  return v.toPrecision(2);
}

/** "812 (790–830)"; "2.00" when every run measured the same. */
export function statText(s: Stat | null | undefined, digits?: number): string {
  if (!s) return '–';
  const m = num(s.median, digits);
  const lo = num(s.min, digits);
  const hi = num(s.max, digits);
  if (s.n === 1 || (lo === m && hi === m)) return m;
  return `${m} (${lo}–${hi})`;
}

/** A RunSpec field's value in words, as a cell label shows it. */
export function fieldValue(field: string, v: unknown): string {
  if (field === 'sizeBytes') return `size ${formatSize(v as number)}`;
  if (field === 'chunkBytes') return `chunk ${formatSize(v as number)}`;
  if (field === 'cache') return `${String(v)} cache`;
  if (field === 'sink') return `sink ${String(v)}`;
  if (field === 'engine') return `engine ${String(v)}`;
  if (field === 'duration') return v === undefined ? 'one pass' : `for ${formatDuration(v as number)}`;
  if (field === 'rate') return v === undefined ? 'unpaced' : `at ${formatRate(v as number)}`;
  return String(v);
}

/** The short value alone (table columns named by the field). */
export function fieldShort(field: string, v: unknown): string {
  if (field === 'sizeBytes' || field === 'chunkBytes') return formatSize(v as number);
  if (field === 'duration') return v === undefined ? 'one pass' : formatDuration(v as number);
  if (field === 'rate') return v === undefined ? 'unlimited' : formatRate(v as number);
  return String(v);
}

/** Column titles for RunSpec fields. */
export const FIELD_TITLE: Record<string, string> = {
  mode: 'mode', path: 'path', sink: 'sink', sizeBytes: 'size', chunkBytes: 'chunk', cache: 'cache', engine: 'engine', duration: 'duration', rate: 'rate',
};
export const fieldTitle = (f: string) => FIELD_TITLE[f] ?? f;

export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
