// Facts about this machine that decide what may run, checked before anything
// starts: below every entry point (cli, api, live), so none can skip them.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { RunSpec } from '../schema/run-spec.js';
import { InputError } from './errors.js';

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Privileges a spec needs that this process lacks, each said with its fix. */
export function privilegeProblems(spec: Pick<RunSpec, 'path'>): string[] {
  if (spec.path !== 'loopback' && !isRoot())
    return [`--path ${spec.path} creates network namespaces and a veth pair, which needs root (CAP_NET_ADMIN); run as root, or use --path loopback`];
  return [];
}

/** The problems of many specs (a matrix's cells), each said once with its cell's label. */
export function privilegeProblemsOf(cells: { label: string; spec: Pick<RunSpec, 'path'> }[]): string[] {
  return [...new Set(cells.flatMap(({ label, spec }) => privilegeProblems(spec).map((m) => `${label}: ${m}`)))];
}

/** Throws InputError (field `path`, or `fieldName`) when a spec cannot run here. */
export function assertRunnable(spec: Pick<RunSpec, 'path'>, source = 'run spec', fieldName = 'path'): void {
  const problems = privilegeProblems(spec);
  if (problems.length) throw new InputError(problems.map((message) => ({ field: fieldName, message })), source);
}

// ---- The machine's condition during a run (issue 14, item 6) ----
// Two reads of /proc/stat's aggregate "cpu" line and of /proc/loadavg, one at the
// go and one at the end: cheap (two small files, no sampling), and enough to say
// whether the run's CPU figures were taken on a quiet machine.

/** The aggregate "cpu" line of /proc/stat, in clock ticks (USER_HZ), and /proc/loadavg's 1-minute load. */
export interface CpuTimes {
  /** user + nice + system + irq + softirq: time the CPUs were busy (guest time is inside user). */
  busy: number;
  idle: number;
  iowait: number;
  steal: number;
  /** Every column but guest and guest_nice (already in user and nice). */
  total: number;
  load1: number;
  /** process.hrtime, seconds. */
  at: number;
}

/** Reads /proc/stat and /proc/loadavg (null where they cannot be read: not Linux, a sandbox). */
export function cpuTimes(): CpuTimes | null {
  try {
    const stat = readFileSync('/proc/stat', 'utf8');
    const line = stat.slice(0, stat.indexOf('\n'));
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (![user, nice, system, idle].every(Number.isFinite)) return null;
    const busy = user + nice + system + (irq || 0) + (softirq || 0);
    const load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    return { busy, idle, iowait: iowait || 0, steal: steal || 0, total: busy + idle + (iowait || 0) + (steal || 0), load1, at: Number(process.hrtime.bigint()) / 1e9 };
  } catch {
    return null;
  }
}

/**
 * The machine during a run (RunResult.machine): what else used the CPUs the run
 * was measured on. Figures over the whole machine (every CPU), from /proc/stat.
 */
export interface MachineLoad {
  /** CPUs online (os.availableParallelism). */
  cpus: number;
  /** Seconds between the two readings (the go to the end of the transfer). */
  seconds: number;
  /** Share of all CPUs' time the hypervisor gave to other guests (steal / all time), 0-1. */
  steal: number;
  /** Share of all CPUs' time they were busy (user, nice, system, irq, softirq), 0-1: the run included. */
  busy: number;
  /**
   * CPUs' worth of busy time not charged to the run's sender and sink (0 to cpus): other
   * processes, plus kernel work charged to no task of the run (interrupts, ksoftirqd). With
   * 2 CPUs, 1.0 is one whole CPU taken by something else.
   */
  otherCpus: number;
  /** /proc/loadavg's 1-minute load average at the go and at the end. */
  load1: { start: number; end: number };
}

/** The machine between two readings, given the CPU seconds the run's own processes used. */
export function machineDuring(before: CpuTimes, after: CpuTimes, runCpuSeconds: number, cpus = availableParallelism()): MachineLoad | null {
  const total = after.total - before.total;
  const seconds = after.at - before.at;
  if (total <= 0 || seconds <= 0) return null;
  const busy = (after.busy - before.busy) / total;
  const r = (v: number, d = 4) => Number(v.toFixed(d));
  return {
    cpus,
    seconds: r(seconds),
    steal: r((after.steal - before.steal) / total),
    busy: r(busy),
    otherCpus: r(Math.max(0, busy * cpus - runCpuSeconds / seconds), 3),
    load1: { start: before.load1, end: after.load1 },
  };
}

/** A run's figures are not to be trusted alone when the machine was this busy with other work. */
export const NOISY_STEAL = 0.05;
export const NOISY_OTHER_CPUS = 0.5;

/** Why a run's CPU figures may be off ("12% steal; other work used 0.8 of 2 CPUs"), or null on a quiet machine. */
export function machineNoise(m: MachineLoad | null | undefined): string | null {
  if (!m) return null;
  const why: string[] = [];
  if (m.steal >= NOISY_STEAL) why.push(`${(100 * m.steal).toFixed(0)}% steal`);
  if (m.otherCpus >= NOISY_OTHER_CPUS) why.push(`other work used ${m.otherCpus.toFixed(1)} of ${m.cpus} CPUs`);
  return why.length ? why.join('; ') : null;
}
