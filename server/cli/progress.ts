// A progress bar on stderr for long runs (only when stderr is a terminal).
import cliProgress from 'cli-progress';
import { formatSize } from '../schema/units.js';

export function transferBar(label: string): { update(bytes: number, total: number): void; stop(): void } {
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
    update(bytes, total) {
      const payload = { done: formatSize(bytes), total_h: formatSize(total), rate: formatSize(bytes / Math.max((Date.now() - t0) / 1e3, 1e-3)) };
      if (!started) {
        bar.start(total, bytes, payload);
        started = true;
      } else bar.update(bytes, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export { abortOnSigint, installInterrupt, onInterrupt } from './interrupt.js';
