// A cancel or a crashing child leaves nothing behind and says what happened.
import { describe, expect, it } from 'vitest';
import { CancelledError, StallError } from '../server/core/errors.js';
import type { RunPids } from '../server/run/orchestrate.js';
import { runTransfer, type SessionEvent } from '../server/session/session.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { alive, MiB, ourNamespaces, tempFilesInDataDir } from './helpers.js';

// Slow enough to interrupt: small chunks over the veth without scatter-gather.
const slow = parseRunSpec({ mode: 'read-write', path: 'veth-nosg', sizeBytes: 64 * MiB, chunkBytes: 4096 });

function interrupted(act: (pids: RunPids, ac: AbortController) => void) {
  const ac = new AbortController();
  let pids: RunPids | undefined;
  const run = runTransfer(slow, {
    signal: ac.signal,
    onEvent: (e: SessionEvent) => {
      if (e.type === 'phase' && e.targets) pids = e.targets.pids;
      if (e.type === 'progress' && e.bytes > 0 && pids) act(pids, ac);
    },
  });
  return { run, pids: () => pids! };
}

describe('run lifecycle', () => {
  it('a cancel mid-run leaves no child, namespace or temp file', async () => {
    const { run, pids } = interrupted((_, ac) => ac.abort());
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(alive(pids().sender)).toBe(false);
    expect(alive(pids().sink)).toBe(false);
    expect(ourNamespaces()).toEqual([]);
    expect(tempFilesInDataDir()).toEqual([]);
  });

  it('a killed sink fails the run with a clear error and leaves nothing', async () => {
    let killed = false;
    const { run, pids } = interrupted((p) => {
      if (!killed) process.kill(p.sink, 'SIGKILL');
      killed = true;
    });
    await expect(run).rejects.toThrow(/sink process \(pid \d+\) was killed by SIGKILL|sender: .*(ECONNRESET|EPIPE)/);
    expect(alive(pids().sender)).toBe(false);
    expect(ourNamespaces()).toEqual([]);
  });

  it('a cancel before the start starts nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(runTransfer(slow, { signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(ourNamespaces()).toEqual([]);
  });

  it('a transfer that stops moving fails as stalled instead of hanging, and leaves nothing', async () => {
    let pids: RunPids | undefined;
    let stopped = false;
    const run = runTransfer(slow, {
      stallSeconds: 2,
      onEvent: (e) => {
        if (e.type === 'phase' && e.targets) pids = e.targets.pids;
        // A stopped sink reads nothing: the sender fills the socket buffer and blocks.
        if (e.type === 'progress' && e.bytes > 0 && pids && !stopped) {
          process.kill(pids.sink, 'SIGSTOP');
          stopped = true;
        }
      },
    });
    await expect(run).rejects.toBeInstanceOf(StallError);
    await expect(run).rejects.toThrow(/stalled: no byte moved \(sender at \d+ of \d+\) for 2 s/);
    expect(alive(pids!.sender)).toBe(false);
    expect(alive(pids!.sink)).toBe(false);
    expect(ourNamespaces()).toEqual([]);
  });
});
