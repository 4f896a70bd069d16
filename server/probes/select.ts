// Which probes a run gets: an engine, or the reason there is none. Loading
// happens once per process; a kernel that refuses the probes does not stop the
// transfers, it makes every result say probes: unavailable, and why.
import { LibbpfEngine } from './libbpf.js';
import { probesAbsent } from './session.js';
import type { ProbeEngine, ProbeResult } from './types.js';

export type ProbeSetup = { engine: ProbeEngine } | { absent: ProbeResult };

let libbpf: LibbpfEngine | undefined;
let libbpfError: string | undefined;

/** The libbpf engine; throws with the reason it cannot load. */
export function libbpfEngine(): ProbeEngine {
  if (libbpf) return libbpf;
  if (libbpfError === undefined) {
    try {
      libbpf = new LibbpfEngine();
      return libbpf;
    } catch (e) {
      libbpfError = (e as Error).message;
    }
  }
  throw new Error(libbpfError);
}

export function probeSetup(enabled: boolean): ProbeSetup {
  if (!enabled) return { absent: probesAbsent('off', 'libbpf', 'probes disabled (--no-probes)') };
  try {
    return { engine: libbpfEngine() };
  } catch (e) {
    return { absent: probesAbsent('unavailable', 'libbpf', (e as Error).message) };
  }
}
