// Watch mode, real eBPF: the probes count processes the lab did not start (here
// small Python senders, started before the watch and told to go after it), by
// tgid, with follow their children, and attribute transmit by the socket they
// sent on instead of the lab run's device and port. The ground truth every
// engine meets is in test/watch-harness.ts; the libbpf engine's own checks here.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { libbpfEngine } from '../server/probes/select.js';
import { children, cleanup, watchGroundTruth } from './watch-harness.js';

// Fails (never skips) where eBPF cannot load: the error says what is missing.
const engine = libbpfEngine();

afterAll(cleanup);

describe('watch mode (libbpf)', () => {
  it('attaches the fork and exit programs and says what each counter counts when watching', () => {
    const caps = engine.capabilities();
    const attached = caps.programs.filter((p) => p.attached).map((p) => p.name);
    expect(attached).toEqual(expect.arrayContaining([expect.stringMatching(/sched_process_fork$/), expect.stringMatching(/sched_process_exit$/)]));
    const scope = Object.fromEntries(caps.counters.map((c) => [c.name, c.watch]));
    expect(scope.dev_xmit_bytes).toMatch(/no device filter/);
    expect(scope.copy_linearize_bytes).toMatch(/no device filter/);
    expect(scope.block_read_bytes).toMatch(/watched processes/);
  });

  it('rejects a process that is not running, with the field named', async () => {
    await expect(engine.watch!({ tgids: [4194304], follow: false })).rejects.toThrow(/^tgids: no running process 4194304/);
    await expect(engine.watch!({ tgids: [0], follow: false })).rejects.toThrow(/^tgids\[0\]/);
  });

  it('(d) follow: children running when the watch begins are found in /proc; an exited process leaves the map', async () => {
    const parent = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    children.push(parent);
    await new Promise((r) => setTimeout(r, 200));
    const tgids = await engine.watch!({ tgids: [parent.pid!], follow: true });
    try {
      expect(tgids.length).toBe(2); // sh and its sleep
      expect(engine.watched!().sort()).toEqual([...tgids].sort());
      const exited = new Promise((r) => parent.on('exit', r));
      process.kill(tgids.find((t) => t !== parent.pid)!, 'SIGKILL'); // the sleep: sh's wait returns, sh exits
      await exited;
      await new Promise((r) => setTimeout(r, 50));
      expect(engine.watched!()).toEqual([]);
    } finally {
      await engine.end();
    }
  });

  watchGroundTruth(engine);
});
