// Median with min and max over a cell's repetitions.
import { max, median, min } from 'simple-statistics';

export interface Stat {
  median: number;
  min: number;
  max: number;
  /** Values it summarizes (runs where the figure was measured). */
  n: number;
}

/** null when no run measured the figure (a counter without a source on this kernel). */
export function stat(values: (number | null | undefined)[]): Stat | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (!v.length) return null;
  return { median: median(v), min: min(v), max: max(v), n: v.length };
}

/** The item whose figure is nearest the median (the run a cell's verdict and reason are taken from). */
export function nearestMedian<T>(items: T[], figure: (t: T) => number | null | undefined): T | undefined {
  const s = stat(items.map(figure));
  if (!s) return items[0];
  let best: T | undefined;
  let dist = Infinity;
  for (const it of items) {
    const f = figure(it);
    if (typeof f !== 'number') continue;
    const d = Math.abs(f - s.median);
    if (d < dist) {
      dist = d;
      best = it;
    }
  }
  return best ?? items[0];
}
