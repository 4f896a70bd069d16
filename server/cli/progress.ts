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

/**
 * The first Ctrl-C (or SIGTERM) aborts: the run cleans up and the command exits
 * 130. A second one skips the graceful wait, not the cleanup: the process exits
 * at once, and its exit handlers kill the children and delete the namespaces
 * and temp files (run/child.ts, run/netpath.ts, run/datafiles.ts, probes).
 */
export function abortOnSigint(): AbortController {
  const ac = new AbortController();
  onInterrupt(() => ac.abort());
  return ac;
}

/** Calls `graceful` on the first SIGINT/SIGTERM; on the next, exits 130 through the exit handlers. */
export function onInterrupt(graceful: () => void): void {
  let count = 0;
  const onSig = () => {
    if (++count === 1) return graceful();
    process.stderr.write('zcl: interrupted again: stopping now (children killed, namespaces and temp files removed)\n');
    process.exit(130);
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
}
