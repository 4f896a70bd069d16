// Watch mode with the bpftrace engine (server/probes/bt-watch.ts), real eBPF:
// the same processes and the same ground truth as the libbpf engine's watch
// mode (test/watch-harness.ts), and no bpftrace left running after it.
import { afterAll, describe, expect, it } from 'vitest';
import { BpftraceEngine, liveBpftracePids } from '../server/probes/bpftrace.js';
import { cleanup, watchGroundTruth } from './watch-harness.js';

// Fails (never skips) where bpftrace cannot run: the error says what is missing.
const engine = new BpftraceEngine();

afterAll(() => {
  cleanup();
  expect(liveBpftracePids()).toEqual([]);
});

describe('watch mode (bpftrace)', () => {
  it('rejects a process that is not running, with the field named', async () => {
    await expect(engine.watch({ tgids: [4194304], follow: false })).rejects.toThrow(/^tgids: no running process 4194304/);
    expect(liveBpftracePids()).toEqual([]);
  });

  watchGroundTruth(engine);
});
