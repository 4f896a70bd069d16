// Probes around one run: registers the run's processes, device, connection and
// file before "go", samples during the run if asked, and puts the final counts,
// the derived figures and the textbook verdict into the result.
import type { RunContext, RunHooks } from '../run/orchestrate.js';
import type { RunResult } from '../run/result.js';
import { derive } from './derive.js';
import { textbookRow } from './textbook.js';
import type { ProbeEngine, ProbeResult, ProbeTarget, Snapshot } from './types.js';

export interface SessionOptions {
  /** Called with a snapshot about every `sampleMs` during the run. */
  onSample?(s: Snapshot, tMs: number): void;
  sampleMs?: number;
}

/** What the probes count for a run: its processes, device, connection and file. */
export function probeTarget(ctx: RunContext): ProbeTarget {
  return {
    senderPid: ctx.pids.sender,
    sinkPid: ctx.pids.sink,
    ifindex: ctx.path.device.ifindex,
    netnsInode: ctx.path.device.netnsInode,
    sinkPort: ctx.sinkPort,
    file: ctx.file,
  };
}

export function probeHooks(engine: ProbeEngine, opts: SessionOptions = {}): RunHooks {
  let timer: NodeJS.Timeout | undefined;
  let begun = false;
  const stop = async () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (begun) await engine.end();
    begun = false;
  };
  return {
    async beforeGo(ctx) {
      begun = true; // set first: a cancel while the engine attaches must still end it
      await engine.begin(probeTarget(ctx));
      if (opts.onSample) {
        const t0 = performance.now();
        timer = setInterval(() => opts.onSample!(engine.read(), performance.now() - t0), opts.sampleMs ?? 100);
      }
    },
    async afterDone(result: RunResult) {
      if (timer) clearInterval(timer);
      timer = undefined;
      const snap = await engine.final();
      begun = false;
      const caps = engine.capabilities();
      const probes: ProbeResult = {
        status: 'ok',
        engine: engine.name,
        tier: caps.tier,
        sources: Object.fromEntries(caps.counters.map((c) => [c.name, c.available ? c.source : null])),
        sender: { ...snap.sender, derived: derive(snap.sender, result.bytes, result.chunks) },
        sink: { ...snap.sink, derived: derive(snap.sink, result.bytes, result.chunks) },
        ...(engine.missedEvents !== undefined ? { missedEvents: engine.missedEvents } : {}),
      };
      result.probes = probes;
      result.textbook = textbookRow(result, probes);
    },
    finally: stop,
  };
}

/** The result's probes when none ran, and why. */
export function probesAbsent(status: 'unavailable' | 'off', engine: string, reason: string): ProbeResult {
  return { status, engine, reason };
}
