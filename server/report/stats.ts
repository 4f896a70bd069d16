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

/**
 * A cell's spread is wide when its highest run is more than SPREAD_LIMIT times its
 * lowest, on sender CPU per GiB or on throughput: the median alone then says
 * little. With 3-5 repetitions, max/min is the spread that can be read off the
 * tables ("1.41 (0.22–2.07)") and needs no distribution.
 */
export const SPREAD_LIMIT = 1.5;

/** max/min of a figure (null: fewer than 2 runs, or all 0; Infinity: some runs measured 0 and others more, e.g. CPU below the clock's resolution). */
export function spreadRatio(s: Stat | null | undefined): number | null {
  if (!s || s.n < 2 || !(s.max > 0)) return null;
  return s.min > 0 ? s.max / s.min : Infinity;
}

/** A spread ratio as text: "3.0×", or "from 0". */
export const ratioText = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(1)}×` : 'from 0');
