// The lab on a Debian distribution kernel, booted under qemu: the ground the
// function-probe tier will be tested on. One boot runs every check (under TCG
// the boot is most of the cost); the kernel and the image's base are cached, so
// a second run only repacks the project if it changed. No skipping: without
// qemu, the kernel package or a built project, these tests fail and say which.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelVmError, prepareKernelImage, runInKernel, runStepsInKernel, type KernelRun, type StepResult } from './vm.js';

const KERNEL = 'debian-6.1-cloud';
const MiB = 1024 * 1024;
const zcl = ['node', 'dist/server/cli/zcl.js', 'run'];
// Under TCG the boot takes about 5 s and each 1 MiB run about 7 s; the margin is for loaded CI machines.
const VM_TIMEOUT_MS = 240_000;
const PREPARE_TIMEOUT_MS = 600_000; // a first run downloads the kernel (30 MB) and packs the image

/** What a `zcl run --json` step must have produced; fails with the step's stderr otherwise. */
interface RunJson { bytes: number; kernel: string; receiver: { checksumOk: boolean | null } }
function runJson(step: StepResult, name: string): RunJson {
  if (step.exitCode !== 0) throw new Error(`${name} exited ${step.exitCode} in the VM:\n${step.stderr}${step.stdout}`);
  try {
    return JSON.parse(step.stdout) as RunJson;
  } catch {
    throw new Error(`${name} printed no JSON on stdout:\n${step.stdout}\nstderr:\n${step.stderr}`);
  }
}

/** qemu processes whose parent is this process: there must be none between tests. */
function ourQemus(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [, comm, rest] = /^\d+ \((.*)\) (.*)$/.exec(stat) ?? [];
        return comm?.startsWith('qemu-system') && Number(rest?.split(' ')[1]) === process.pid;
      } catch {
        return false; // it exited while we looked
      }
    })
    .map(Number);
}

describe(`the lab on Debian's ${KERNEL} kernel, in qemu`, () => {
  let run: KernelRun;
  let steps: Record<string, StepResult>;

  beforeAll(async () => {
    // Fetching and packing first, so that their failures read as such.
    await prepareKernelImage(KERNEL);
    ({ run, steps } = await runStepsInKernel({
      kernel: KERNEL,
      timeoutMs: VM_TIMEOUT_MS,
      steps: {
        uname: ['uname', '-r'],
        sendfile: [...zcl, '--mode', 'sendfile', '--size', '1MiB', '--json'],
        readWriteVethNosg: [...zcl, '--mode', 'read-write', '--path', 'veth-nosg', '--size', '1MiB', '--json'],
      },
    }));
    console.info(`${KERNEL}: booted to the command in ${run.bootSeconds.toFixed(1)} s (${run.accel}; guest uptime ${run.guestBootSeconds.toFixed(1)} s)`);
  }, PREPARE_TIMEOUT_MS + VM_TIMEOUT_MS);

  it('runs the Debian 6.1 kernel, not the host one', () => {
    expect(steps.uname.exitCode).toBe(0);
    expect(steps.uname.stdout.trim()).toMatch(/^6\.1\./);
    expect(run.kernelRelease).toBe(steps.uname.stdout.trim());
    expect(steps.uname.stdout.trim()).not.toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
  });

  it('moves 1 MiB with sendfile over loopback, intact', () => {
    const r = runJson(steps.sendfile, 'zcl run --mode sendfile');
    expect(r.bytes).toBe(MiB);
    expect(r.receiver.checksumOk).toBe(true);
    expect(r.kernel).toMatch(/^6\.1\./);
  });

  it('moves 1 MiB with read/write over a veth pair without scatter-gather, intact', () => {
    const r = runJson(steps.readWriteVethNosg, 'zcl run --mode read-write --path veth-nosg');
    expect(r.bytes).toBe(MiB);
    expect(r.receiver.checksumOk).toBe(true);
  });

  it('ran the whole script to its end and left no qemu behind', () => {
    expect(run.exitCode).toBe(0);
    expect(ourQemus()).toEqual([]);
  });
});

describe('the VM harness', () => {
  it('passes argv through exactly and returns the exit code', async () => {
    const r = await runInKernel({ kernel: KERNEL, command: ['sh', '-c', 'printf "%s|" "$@"; exit 7', 'x', "it's", 'a b', '$HOME'], timeoutMs: VM_TIMEOUT_MS });
    expect(r.exitCode).toBe(7);
    expect(r.output).toBe("it's|a b|$HOME|");
    expect(ourQemus()).toEqual([]);
  }, PREPARE_TIMEOUT_MS + VM_TIMEOUT_MS);

  it('kills a VM that overruns its timeout and says how far it got', async () => {
    const err = await runInKernel({ kernel: KERNEL, command: ['sleep', '600'], timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelVmError);
    expect((err as Error).message).toMatch(/timed out after 1500 ms, the (kernel did not reach the command|command did not finish)/);
    expect(ourQemus()).toEqual([]);
  }, PREPARE_TIMEOUT_MS);
});

describe("the VM harness's reading of a console", () => {
  const lockup = [
    'zcl-vm-step loopback',
    '[  348.368918] watchdog: BUG: soft lockup - CPU#0 stuck for 287s! [node:338]',
    '[  348.368920] CPU: 0 PID: 338 Comm: node',
    '[  348.368921] Call Trace:',
    '[  348.368922]  <TASK>',
    '[  468.368918] Kernel panic - not syncing: softlockup: hung tasks',
  ].join('\n');
  it('finds the first kernel report, and tells a guest lockup from a command that failed', async () => {
    const { firstKernelReport, guestLockedUp } = await import('./vm.js');
    expect(firstKernelReport(`boot\n${lockup}`).split('\n')[0]).toMatch(/soft lockup - CPU#0/);
    expect(firstKernelReport('boot\nzcl-vm-step a\nall fine')).toBe('');
    expect(guestLockedUp(lockup)).toBe(true);
    expect(guestLockedUp('zcl-vm-step loopback\nError: ENOSPC')).toBe(false);
  });
});
