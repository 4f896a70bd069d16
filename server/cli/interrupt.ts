// Ctrl-C, for every command, from the first moment (zcl.ts installs it before loading anything else): the first
// SIGINT (or SIGTERM) aborts `interrupted`; a command that has claimed it
// (abortOnSigint, onInterrupt) cleans up and exits 130; before any claim (the
// probes still loading, a command with nothing to stop) the process exits 130
// at once. A second one skips the graceful wait, not the cleanup: the process
// exits at once, and its exit handlers kill the children and delete the
// namespaces and temp files (run/child.ts, run/netpath.ts, run/datafiles.ts,
// probes).
import { addon } from '../native.js';

const interrupted = new AbortController();
let count = 0;
let claimed: (() => void) | undefined;

/** Installs the handlers (zcl.ts, first thing). */
export function installInterrupt(): void {
  // Exiting (the cleanup runs in the exit handlers): a Ctrl-C from now on is ignored,
  // also in Node's teardown, which would otherwise end the process by the signal.
  process.on('exit', () => {
    try {
      addon().ignoreInterrupts();
    } catch {
      /* no addon built: nothing of ours runs that a signal could interrupt */
    }
  });
  const onSig = () => {
    count++;
    if (count === 1) {
      interrupted.abort();
      if (claimed) return claimed();
    } else process.stderr.write('zcl: interrupted again: stopping now (children killed, namespaces and temp files removed)\n');
    process.exit(130);
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
}

/** The signal a command's runs stop on (aborted already if Ctrl-C came first). */
export function abortOnSigint(): AbortController {
  claimed ??= () => undefined;
  return interrupted;
}

/** Calls `graceful` on the first SIGINT/SIGTERM (at once if one came already); on the next, exits 130 through the exit handlers. */
export function onInterrupt(graceful: () => void): void {
  claimed = graceful;
  if (interrupted.signal.aborted) graceful();
}
