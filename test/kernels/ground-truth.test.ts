// The probe ground truth on the kernels users run: Debian's stock kernels,
// booted in QEMU. Where the tracepoint tier's send tracepoints are missing
// (6.1: no tcp_sendmsg_locked nor sock_send_length tracepoint; 6.12: no
// tcp_sendmsg_locked tracepoint) the lab takes the send decision from fexit
// probes, and the kprobe fallback is checked too. Same exact expectations as on
// the host (test/ground-truth.ts). Cold-cache runs are left to the host: the
// guest's data directory is in RAM.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../server/run/result.js';
import { expectGroundTruth } from '../ground-truth.js';
import { CHUNK, ODD_SIZE } from '../helpers.js';
import { runStepsInKernel } from './vm.js';

// Each step is bounded in the guest too: a step that overruns ends with exit code 124 and its own output.
const zcl = ['timeout', '400', 'node', 'dist/server/cli/zcl.js'];
const compare = (path: string, modes?: string) => [
  ...zcl, 'compare', '--path', path, '--size', String(ODD_SIZE), '--chunk', String(CHUNK), '--json', ...(modes ? ['--modes', modes] : []),
];

function results(step: { exitCode: number; stdout: string; stderr: string }): RunResult[] {
  expect(step.stderr.trim(), 'zcl wrote to stderr in the guest').toBe('');
  expect(step.exitCode).toBe(0);
  return JSON.parse(step.stdout) as RunResult[];
}

function expectAll(rs: RunResult[], tier: string, sendSource: RegExp): void {
  for (const r of rs) {
    expect({ mode: r.mode, path: r.path, tier: r.probes?.tier }).toEqual({ mode: r.mode, path: r.path, tier });
    expect(r.probes!.sources!.copy_user_to_socket_bytes).toMatch(sendSource);
    expectGroundTruth(r);
  }
}

describe.each([
  {
    kernel: 'debian-6.1-cloud',
    release: /^6\.1\./,
    tier: 'tracepoint+fentry',
    send: /^fexit\/tcp_sendmsg_locked \+ fexit\/do_tcp_sendpages$/,
  },
  {
    kernel: 'debian-6.12-cloud',
    release: /^6\.12\./,
    tier: 'tracepoint+fentry',
    send: /^fexit\/tcp_sendmsg_locked$/,
  },
])('$kernel', ({ kernel, release, tier, send }) => {
  it('every mode on loopback and veth-nosg, sendfile and splice on veth: counts equal the engine and the file', async () => {
    const { run, steps } = await runStepsInKernel({
      kernel,
      timeoutMs: 900_000,
      steps: {
        doctor: [...zcl, 'doctor', '--json'],
        // The lab's own modes: the app modes' programs (a JDK, nginx) are not in the guest.
        loopback: compare('loopback', 'lab'),
        nosg: compare('veth-nosg', 'lab'),
        veth: compare('veth', 'sendfile,splice'),
        // The kprobe fallback, where fentry cannot attach: forced here.
        kprobe: ['env', 'ZCL_PROBES_SEND=kprobe', ...compare('loopback', 'read-write,sendfile,msg-zerocopy')],
      },
    });
    expect(run.kernelRelease).toMatch(release);
    const doctor = JSON.parse(steps.doctor.stdout);
    expect(doctor.tier).toBe(tier);
    expect(doctor.counters.filter((c: { source: string | null }) => !c.source)).toEqual([]);
    expectAll(results(steps.loopback), tier, send);
    expectAll(results(steps.nosg), tier, send);
    expectAll(results(steps.veth), tier, send);
    expectAll(results(steps.kprobe), 'tracepoint+kprobe', /^kprobe\/tcp_sendmsg_locked \+ kretprobe\/tcp_sendmsg_locked/);
  }, 2_000_000); // twice the VM bound: a guest that locks up is booted once more (runStepsInKernel)

  // The receive-side sinks (issue 15), in a boot of their own (the steps ride on the kernel
  // command line, which holds 2047 bytes): zerocopy-receive fed by msg-zerocopy (the one sender
  // whose pages it can map), and the splice sink.
  it('the receive sinks (zerocopy-receive, splice): counts equal what the kernel told the sink and the file', async () => {
    const run1 = (mode: string, sink: string) => [...zcl, 'run', '--mode', mode, '--sink', sink, '--size', String(ODD_SIZE), '--chunk', String(CHUNK), '--json', '--no-save'];
    const { run, steps } = await runStepsInKernel({
      kernel,
      timeoutMs: 600_000,
      steps: { zcrx: run1('msg-zerocopy', 'zerocopy-receive'), spliceSink: run1('sendfile', 'splice') },
    });
    expect(run.kernelRelease).toMatch(release);
    const sinks = [steps.zcrx, steps.spliceSink].map((st) => {
      expect(st.exitCode, st.stderr).toBe(0);
      return JSON.parse(st.stdout) as RunResult;
    });
    expect(sinks.map((r) => r.sink)).toEqual(['zerocopy-receive', 'splice']);
    expectAll(sinks, tier, send);
    // Over loopback msg-zerocopy's pages are copied into fresh pages on delivery, which the sink maps.
    expect(sinks[0].receiver.zerocopyReceive!.mappedBytes).toBeGreaterThan(0);
  }, 1_300_000);
});
