// The lab's mark on every process it starts (sender, sink, bpftrace):
// ZCL_OWNER=<pid>:<start time> of the zcl process that started it, in the
// child's environment (inherited by anything the child starts). A marked process
// whose owner is gone (no such pid, or that pid now names a process started at
// another time) is provably an orphan of the lab: `sweepOrphans` kills it. The
// children also ask the kernel to kill them when their parent dies
// (PR_SET_PDEATHSIG); the sweep covers what that cannot (a parent that died
// before the child set it, a program that cannot set it).
import { readdirSync, readFileSync } from 'node:fs';

export const OWNER_ENV = 'ZCL_OWNER';

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: split after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let mine: string | undefined;
/** This process's mark. */
export function ownerMark(): string {
  return (mine ??= `${process.pid}:${startTime(process.pid) ?? '0'}`);
}

/** The environment for a child the lab starts: the parent's, plus the mark. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, [OWNER_ENV]: ownerMark() };
}

/** Is the process that a mark names still the one that made it? */
export function ownerAlive(mark: string): boolean {
  const [pid, start] = mark.split(':');
  return startTime(Number(pid)) === start;
}

export interface LabProcess { pid: number; owner: string; comm: string }

/** Every process on the machine that carries the lab's mark (this process excluded). */
export function labProcesses(): LabProcess[] {
  const out: LabProcess[] = [];
  const re = new RegExp(`(?:^|\\0)${OWNER_ENV}=(\\d+:\\d+)(?:\\0|$)`);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const m = re.exec(readFileSync(`/proc/${d}/environ`, 'latin1'));
      if (m) out.push({ pid: Number(d), owner: m[1], comm: readFileSync(`/proc/${d}/comm`, 'utf8').trim() });
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return out;
}

/** Marked processes whose owner is gone. */
export function orphans(): LabProcess[] {
  return labProcesses().filter((p) => !ownerAlive(p.owner));
}

/** Kills the lab's orphans (SIGKILL); returns what it killed. */
export function sweepOrphans(): LabProcess[] {
  const found = orphans();
  for (const p of found) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}
