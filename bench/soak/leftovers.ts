// What a campaign may leave behind, counted from the machine itself (not from
// the lab's own bookkeeping), scoped to this soak: every process the lab starts
// inherits the environment of the zcl that started it, so a process whose
// environment carries this soak's private ZCL_HOME (or the lab's mark
// ZCL_OWNER=<pid>:<start> naming a zcl this soak started) is ours. Other
// sessions on the same machine (their tests, their servers) are not counted.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface LabProc {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
  /** ZCL_OWNER=<pid>:<start> when the process carries the lab's mark. */
  owner?: string;
  /** Inode of its network namespace. */
  netns?: number;
}

/** One reading of the machine, scoped to a soak. */
export interface Scope {
  /** The soak's private ZCL_HOME. */
  home: string;
  /** Pids of the zcl processes this soak started (servers and runs), alive or dead. */
  started: Set<number>;
  /** Servers this soak keeps running on purpose (never counted as left over). */
  servers: Set<number>;
}

function readText(p: string, enc: BufferEncoding = 'utf8'): string | undefined {
  try {
    return readFileSync(p, enc);
  } catch {
    return undefined;
  }
}

function netnsInode(pid: number | 'self'): number | undefined {
  try {
    const l = readlinkSync(`/proc/${pid}/ns/net`);
    const m = /\[(\d+)\]/.exec(l);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The root network namespace (the one pid 1 is in). */
export function rootNetns(): number | undefined {
  return netnsInode(1) ?? netnsInode('self');
}

/** Processes of this soak's lab (the zcl processes themselves included; `exclude` left out). */
export function labProcs(scope: Scope, exclude: Iterable<number> = []): LabProc[] {
  const skip = new Set([process.pid, ...scope.servers, ...exclude]);
  const out: LabProc[] = [];
  const homeVar = `ZCL_HOME=${scope.home}`;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (skip.has(pid)) continue;
    const env = readText(`/proc/${pid}/environ`, 'latin1');
    if (!env) continue;
    const vars = env.split('\0');
    const owner = vars.find((v) => v.startsWith('ZCL_OWNER='))?.slice('ZCL_OWNER='.length);
    const ours = vars.includes(homeVar) || (owner !== undefined && scope.started.has(Number(owner.split(':')[0])));
    if (!ours) continue;
    const stat = readText(`/proc/${pid}/stat`);
    if (!stat) continue;
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') continue; // a zombie holds nothing but its pid; its parent reaps it
    out.push({
      pid,
      ppid: Number(rest[1]),
      comm: (readText(`/proc/${pid}/comm`) ?? '').trim(),
      cmdline: (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim(),
      owner,
      netns: netnsInode(pid),
    });
  }
  return out;
}

/** Named network namespaces of the lab (zcl-<pid>-<n>-tx|rx) whose pid is one this soak started. */
export function labNamespaces(scope: Scope): string[] {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => {
      const m = /^zcl-(\d+)-/.exec(n);
      return !!m && scope.started.has(Number(m[1]));
    });
}

/** Inodes of named namespaces (any), to tell unnamed ones apart. */
function namedNetnsInodes(): Set<number> {
  const s = new Set<number>();
  try {
    for (const n of readdirSync('/run/netns')) {
      try {
        s.add(statSync(join('/run/netns', n)).ino);
      } catch {
        /* gone */
      }
    }
  } catch {
    /* no /run/netns */
  }
  return s;
}

/** Distinct network namespaces, neither the root one nor named, that the given processes hold. */
export function unnamedNetns(procs: LabProc[]): number[] {
  const root = rootNetns();
  const named = namedNetnsInodes();
  return [...new Set(procs.map((p) => p.netns).filter((n): n is number => n !== undefined && n !== root && !named.has(n)))];
}

/** veth (or any) links named zcl* in the root namespace. The lab only creates them inside its namespaces. */
export function rootVeths(): string[] {
  try {
    return execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
      .filter((n): n is string => !!n && n.startsWith('zcl'));
  } catch {
    return [];
  }
}

export interface BpfProg { id: number; name: string; pids: number[] }

/** Loaded BPF programs with the processes that hold them (bpftool prog show -j). */
export function bpfProgs(): BpfProg[] {
  try {
    const j = JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as {
      id: number; name?: string; pids?: { pid: number }[];
    }[];
    const holders = bpfHolders();
    return j.map((p) => ({ id: p.id, name: p.name ?? '', pids: [...new Set([...(p.pids ?? []).map((x) => x.pid), ...(holders.get(p.id) ?? [])])] }));
  } catch {
    return [];
  }
}

/**
 * prog id -> pids holding it, from /proc/PID/fdinfo: a bpf-prog fd, or a
 * bpf_link fd (a program attached through a link) names its prog_id there.
 * (bpftool's own pid column needs a kernel/bpftool with pid iterators, which
 * the development machines lack.)
 */
function bpfHolders(): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${d}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (!readlinkSync(`/proc/${d}/fd/${fd}`).startsWith('anon_inode:bpf')) continue;
        const id = /^prog_id:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/fdinfo/${fd}`, 'utf8'))?.[1];
        if (id) m.set(Number(id), [...(m.get(Number(id)) ?? []), Number(d)]);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return m;
}

/** Programs held by any of these pids. */
export function progsHeldBy(pids: Iterable<number>, progs = bpfProgs()): BpfProg[] {
  const s = new Set(pids);
  return progs.filter((p) => p.pids.some((x) => s.has(x)));
}

/** Programs that appeared since `baseline` and no process holds (pinned or leaked in the kernel). */
export function orphanProgs(baseline: Set<number>, progs = bpfProgs()): BpfProg[] {
  return progs.filter((p) => !baseline.has(p.id) && p.pids.length === 0);
}

/** Temp files the lab's data-file generation left in $ZCL_HOME/data. */
export function tempFiles(home: string): string[] {
  try {
    return readdirSync(join(home, 'data')).filter((f) => f.startsWith('.tmp-'));
  } catch {
    return [];
  }
}

/** Data files (pattern-*.bin) and their bytes. */
export function dataFiles(home: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  try {
    for (const f of readdirSync(join(home, 'data'))) {
      if (!f.endsWith('.bin')) continue;
      count++;
      try {
        bytes += statSync(join(home, 'data', f)).size;
      } catch {
        /* gone */
      }
    }
  } catch {
    /* none */
  }
  return { count, bytes };
}

/** A process's open fds and resident memory (bytes); undefined when it is gone. */
export function procUsage(pid: number): { fds: number; rss: number } | undefined {
  try {
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { fds, rss: m ? Number(m[1]) * 1024 : 0 };
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return false;
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** SIGKILLs the processes (what a soak found left over: it must not stay). */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Deletes named namespaces (after counting them). */
export function deleteNamespaces(names: string[]): void {
  for (const n of names) {
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  }
}

/** Leftover counts of one campaign (the table's columns). */
export interface Leftovers {
  processes: number;
  namespaces: number;
  veths: number;
  bpfProgs: number;
  tempFiles: number;
}

export const noLeftovers = (): Leftovers => ({ processes: 0, namespaces: 0, veths: 0, bpfProgs: 0, tempFiles: 0 });

export function addLeftovers(a: Leftovers, b: Partial<Leftovers>): Leftovers {
  return {
    processes: a.processes + (b.processes ?? 0),
    namespaces: a.namespaces + (b.namespaces ?? 0),
    veths: a.veths + (b.veths ?? 0),
    bpfProgs: a.bpfProgs + (b.bpfProgs ?? 0),
    tempFiles: a.tempFiles + (b.tempFiles ?? 0),
  };
}

export const totalLeftovers = (l: Leftovers) => l.processes + l.namespaces + l.veths + l.bpfProgs + l.tempFiles;

/** Polls until `done()` or the time is up. */
export async function settle(done: () => boolean, ms: number, step = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, step));
  }
}
