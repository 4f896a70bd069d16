// A progress bar on stderr for long runs (only when stderr is a terminal).
import cliProgress from 'cli-progress';
import { formatSize } from '../schema/units.js';

/** A timed run's bar counts seconds against its duration (its bytes go past the file's size, pass after pass). */
export function transferBar(label: string): { update(bytes: number, total: number, timed?: { t: number; duration: number }): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% {done} of {total_h} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = Date.now();
  return {
    update(bytes, total, timed) {
      const rate = formatSize(bytes / Math.max((Date.now() - t0) / 1e3, 1e-3));
      const payload = timed
        ? { done: `${formatSize(bytes)}, ${timed.t.toFixed(1)} s`, total_h: `${timed.duration} s`, rate }
        : { done: formatSize(bytes), total_h: formatSize(total), rate };
      const [value, of] = timed ? [Math.min(timed.t, timed.duration) * 10, timed.duration * 10] : [bytes, total];
      if (!started) {
        bar.start(of, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export { abortOnSigint, installInterrupt, onInterrupt } from './interrupt.js';
