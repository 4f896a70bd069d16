// Which probes a run gets: an engine, by name, or the reason there is none.
// Loading happens once per process and engine; a kernel that refuses the probes
// does not stop the transfers, it makes every result say probes: unavailable,
// and why.
import { ENGINE_NAMES, type EngineName } from '../../scenarios/catalog.js';
import { DEFAULT_ENGINE } from '../schema/run-spec.js';
import { BpftraceEngine } from './bpftrace.js';
import { LibbpfEngine } from './libbpf.js';
import { probesAbsent } from './result.js';
import type { ProbeEngine, ProbeResult } from './types.js';

export type ProbeSetup = { engine: ProbeEngine } | { absent: ProbeResult };

const factories: Record<EngineName, () => ProbeEngine> = {
  libbpf: () => new LibbpfEngine(),
  bpftrace: () => new BpftraceEngine(),
};

const loaded = new Map<EngineName, { engine?: ProbeEngine; error?: string }>();

/** The engine of that name, loaded on first use; throws with the reason it cannot load. */
export function engineByName(name: EngineName): ProbeEngine {
  if (!ENGINE_NAMES.includes(name)) throw new Error(`no probe engine '${name}'; allowed: ${ENGINE_NAMES.join(', ')}`);
  let e = loaded.get(name);
  if (!e) {
    try {
      e = { engine: factories[name]() };
    } catch (err) {
      e = { error: (err as Error).message };
    }
    loaded.set(name, e);
  }
  if (e.engine) return e.engine;
  throw new Error(e.error);
}

/** The libbpf engine; throws with the reason it cannot load. */
export function libbpfEngine(): ProbeEngine {
  return engineByName('libbpf');
}

/** The bpftrace engine; throws with the reason it cannot run. */
export function bpftraceEngine(): ProbeEngine {
  return engineByName('bpftrace');
}

/** The probes for runs (`engine`: the RunSpec's field; zcl serve and zcl report pass each spec's). */
export function probeSetup(enabled: boolean, engine: EngineName = DEFAULT_ENGINE): ProbeSetup {
  if (!enabled) return { absent: probesAbsent('off', engine, 'probes disabled (--no-probes)') };
  try {
    return { engine: engineByName(engine) };
  } catch (e) {
    return { absent: probesAbsent('unavailable', engine, (e as Error).message) };
  }
}
