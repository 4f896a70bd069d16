// What the probes add to a run's result: the final counts per role, the derived
// figures, the textbook verdict; or, when none ran, why.
import type { BaseResult } from '../run/orchestrate.js';
import { derive } from './derive.js';
import { modeInfo } from '../../scenarios/catalog.js';
import { textbookRow } from './textbook.js';
import type { ProbeEngine, ProbeResult, ProbeTarget, Snapshot } from './types.js';
import type { RunTargets } from '../run/orchestrate.js';

/** What the probes count for a run: its processes, device, connection and file. */
export function probeTarget(t: RunTargets): ProbeTarget {
  return {
    senderPid: t.pids.sender,
    sinkPid: t.pids.sink,
    ifindex: t.path.device.ifindex,
    netnsInode: t.path.device.netnsInode,
    sinkPort: t.sinkPort,
    file: t.file,
  };
}

/** The result's probes from the engine's final snapshot. */
export function probeResult(engine: ProbeEngine, snap: Snapshot, run: Pick<BaseResult, 'bytes' | 'chunks'> & { mode?: string }): ProbeResult {
  const caps = engine.capabilities();
  return {
    status: 'ok',
    engine: engine.name,
    tier: caps.tier,
    sources: Object.fromEntries(caps.counters.map((c) => [c.name, c.available ? c.source : null])),
    sender: { ...snap.sender, derived: derive(snap.sender, run.bytes, run.chunks, { encrypts: !!(run.mode && modeInfo(run.mode)?.encrypts) }) },
    sink: { ...snap.sink, derived: derive(snap.sink, run.bytes, run.chunks) },
    ...(engine.missedEvents !== undefined ? { missedEvents: engine.missedEvents } : {}),
  };
}

/** The result's probes when none ran, and why. */
export function probesAbsent(status: 'unavailable' | 'off', engine: string, reason: string): ProbeResult {
  return { status, engine, reason };
}

export { textbookRow };
