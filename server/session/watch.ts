// The watch session: an observation session whose targets are found, not
// spawned (DESIGN.md, "Observation sessions"): processes named by pid, by comm,
// by cgroup, or a command the session starts and watches. Same discipline as
// Session (session.ts): one clock, one event stream, a linear lifecycle, and
// whatever happens the probes end and a spawned command is killed before `end`.
//
//   phase   preparing (resolving targets), starting (spawn, attach), running, finishing
//   sample  {t, snapshot, detail | null, watched}: SAMPLE_HZ a second while running;
//           snapshot: cumulative counts since the watch began (every watched process
//           counts into the `sender` role); detail: per process, connection and file
//           (engines with watchDetail), else null; watched: the tgids watched now
//   targets {t, added}: processes added by the re-scan (comm, cgroup) once a second
//   output  {stream, text}: the command's output, when it is captured
//   end     {outcome: 'finished', summary} | {outcome: 'failed' | 'cancelled', error}
//
// The clock: seconds since the probes began counting ('running').
// The watch ends on stop(), after `durationSeconds`, when the command exits, or
// (pid and command targets) when every watched process has exited. An aborted
// `signal` cancels it: outcome 'cancelled', no summary.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { ProbeSetup } from '../probes/select.js';
import type { ProbeEngine, RoleCounts, Snapshot, WatchConnection, WatchDetail, WatchFile } from '../probes/types.js';
import { connectionVerdict, mapsTlsLibrary, verdict, type Verdict } from '../probes/verdict.js';
import { COUNTER_NAMES } from '../probes/schema.generated.js';
import { CancelledError, InputError, ProbeEngineError } from '../core/errors.js';
import { childEnv, ownerMark, OWNER_ENV } from '../core/owner.js';
import { isAlive } from '../core/process.js';
import { SAMPLE_HZ, type Phase } from './session.js';

export { SAMPLE_HZ };
export const CGROUP_ROOT = '/sys/fs/cgroup';

/** What to watch: exactly one of pids, comm, cgroup, command. */
export interface WatchTargets {
  /** Processes by pid (a thread id names its process). */
  pids?: number[];
  /** Processes whose /proc/PID/comm is exactly one of these (re-scanned once a second). */
  comm?: string | string[];
  /** A cgroup: a path under /sys/fs/cgroup, or relative to it; its processes, recursively (re-scanned once a second). */
  cgroup?: string;
  /** A command the session starts (marked ZCL_OWNER) and watches; the watch ends when it exits. */
  command?: string[];
  /** Children too, those running at the start and those forked later (default true). */
  follow?: boolean;
}

export type WatchTargetKind = 'pids' | 'comm' | 'cgroup' | 'command';

/** The targets as resolved at the start. */
export interface ResolvedTargets {
  kind: WatchTargetKind;
  follow: boolean;
  /** What the user named: pids, comm names, the cgroup's directory, the command line. */
  named: (number | string)[];
  /** The tgids watched at the start (with follow, their running descendants). */
  tgids: number[];
  /** The spawned command's pid (command targets). */
  commandPid?: number;
}

export interface WatchOptions {
  targets: WatchTargets;
  /** The probes (probes/select.ts); the engine must have watch (libbpf). */
  probes: ProbeSetup;
  signal?: AbortSignal;
  /** Ends the watch after this many seconds on its clock. */
  durationSeconds?: number;
  /** The command's stdout and stderr: 'inherit' (passed through, the default), 'capture' (as `output` events, and the last 64 KiB of each in the summary), 'ignore'. */
  commandOutput?: 'inherit' | 'capture' | 'ignore';
  /** Milliseconds between SIGTERM and SIGKILL when the command is stopped (default 2000). */
  killGraceMs?: number;
  /** Listeners from the start (they see every event). */
  listeners?: WatchListener[];
}

export type WatchEndReason = 'stopped' | 'duration' | 'command-exited' | 'exited';

/** One row of the process table: a process (engines with detail), or every watched process together (tgid null). */
export interface ProcessRow {
  /** null: the counts of every watched process together (the engine keeps no per-process counts). */
  tgid: number | null;
  /** The processes the row covers. */
  tgids: number[];
  comm: string;
  exited: boolean;
  counters: RoleCounts['counters'];
  syscalls: Record<string, number>;
  /** Maps a TLS library (libssl, libcrypto, libgnutls, ...): userspace-tls may be said. */
  tlsLibrary: boolean;
  verdict: Verdict;
}

export type ConnectionRow = WatchConnection & { verdict: ReturnType<typeof connectionVerdict> };

export interface WatchSummary {
  reason: WatchEndReason;
  /** Seconds watched (the session clock at the end). */
  t: number;
  engine: string;
  tier: string;
  targets: ResolvedTargets;
  /** Every tgid watched at some time. */
  everWatched: number[];
  /** The final cumulative counts (every watched process in `sender`). */
  snapshot: Snapshot;
  detail: WatchDetail | null;
  processes: ProcessRow[];
  connections: ConnectionRow[];
  files: WatchFile[];
  /** The spawned command (command targets). */
  command?: { pid: number; exitCode: number | null; signal: string | null; stdout?: string; stderr?: string };
  /** Events the kernel skipped for the probes during the watch (counts may miss their bytes). */
  missedEvents?: number;
}

export type WatchEvent =
  | { type: 'phase'; phase: Phase; targets?: ResolvedTargets }
  | { type: 'sample'; t: number; snapshot: Snapshot; detail: WatchDetail | null; watched: number[] }
  | { type: 'targets'; t: number; added: number[] }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'end'; outcome: 'finished'; summary: WatchSummary }
  | { type: 'end'; outcome: 'failed' | 'cancelled'; error: Error };

export type WatchListener = (e: WatchEvent) => void;

// ---- finding targets -------------------------------------------------------

/** The process a pid names (a thread id names its process), or undefined when none runs. */
export function tgidOf(pid: number): number | undefined {
  try {
    const m = /^Tgid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/** Processes (tgids) whose comm is exactly one of `names`; this process left out. */
export function findByComm(names: string[]): number[] {
  const want = new Set(names);
  return allPids().filter((p) => p !== process.pid && want.has(commOf(p) ?? '\0'));
}

/** The cgroup directory a path names (under /sys/fs/cgroup, or relative to it); InputError when there is none. */
export function cgroupDir(path: string): string {
  const issue = (message: string) => new InputError([{ field: 'cgroup', message }], 'watch targets');
  const abs = path.startsWith('/') ? resolvePath(path) : resolvePath(CGROUP_ROOT, path);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return (() => { throw issue(`no cgroup '${path}' (looked for ${abs}): give a directory under ${CGROUP_ROOT}, absolute or relative to it, e.g. system.slice/nginx.service`); })();
  }
  if (real !== CGROUP_ROOT && !real.startsWith(CGROUP_ROOT + '/')) throw issue(`'${path}' is not under ${CGROUP_ROOT}`);
  if (!statSync(real).isDirectory() || !existsSync(join(real, 'cgroup.procs'))) throw issue(`'${path}' is not a cgroup (${real} has no cgroup.procs)`);
  return real;
}

/** The processes of a cgroup and its descendants (cgroup.procs, recursively). */
export function cgroupProcs(dir: string): number[] {
  const out = new Set<number>();
  const walk = (d: string) => {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.add(Number(l));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      /* removed meanwhile */
    }
  };
  walk(dir);
  out.delete(process.pid);
  return [...out];
}

/** Which kind of target, and InputError unless exactly one is given, well formed. */
export function targetKind(t: WatchTargets): WatchTargetKind {
  const given = (['pids', 'comm', 'cgroup', 'command'] as const).filter((k) => t[k] !== undefined);
  const allowed = 'pids, comm, cgroup or command';
  if (given.length === 0) throw new InputError([{ field: 'targets', message: `nothing to watch: give one of ${allowed}` }], 'watch targets');
  if (given.length > 1) throw new InputError([{ field: 'targets', message: `one kind of target at a time, not ${given.join(' and ')}; allowed: ${allowed}` }], 'watch targets');
  const k = given[0];
  if (k === 'pids' && (!t.pids!.length || t.pids!.some((p) => !Number.isInteger(p) || p < 1 || p > 4194304)))
    throw new InputError([{ field: 'pid', message: 'expected process ids (integers from 1 to 4194304)' }], 'watch targets');
  const comms = typeof t.comm === 'string' ? [t.comm] : t.comm;
  if (k === 'comm' && (!comms!.length || comms!.some((c) => typeof c !== 'string' || !c || c.length > 15)))
    throw new InputError([{ field: 'comm', message: 'expected process names (as in /proc/PID/comm: 1 to 15 characters)' }], 'watch targets');
  if (k === 'cgroup' && (typeof t.cgroup !== 'string' || !t.cgroup)) throw new InputError([{ field: 'cgroup', message: `expected a cgroup path under ${CGROUP_ROOT}` }], 'watch targets');
  if (k === 'command' && (!t.command!.length || t.command!.some((a) => typeof a !== 'string') || !t.command![0]))
    throw new InputError([{ field: 'command', message: 'expected a command and its arguments' }], 'watch targets');
  return k;
}

// ---- counts ------------------------------------------------------------------

/** now - before, per counter and syscall (null stays null): one interval's counts. */
export function deltaCounts(now: RoleCounts, before: RoleCounts | undefined): RoleCounts {
  if (!before) return now;
  const counters = { ...now.counters };
  for (const k of COUNTER_NAMES) {
    const a = now.counters[k];
    const b = before.counters[k];
    counters[k] = a === null ? null : a - (b ?? 0);
  }
  const syscalls: Record<string, number> = {};
  for (const [k, v] of Object.entries(now.syscalls)) if (v - (before.syscalls[k] ?? 0)) syscalls[k] = v - (before.syscalls[k] ?? 0);
  return { counters, syscalls };
}

interface ProcInfo { comm: string; tls: boolean; exited: boolean }

/** The process rows: one per process from the detail, or one for everything watched. */
export function processRows(snapshot: Snapshot, detail: WatchDetail | null, info: Map<number, ProcInfo>, watched: number[]): ProcessRow[] {
  if (detail) {
    return detail.processes.map((p) => {
      const tls = info.get(p.tgid)?.tls ?? false;
      const files = detail.files.filter((f) => f.tgid === p.tgid);
      const connections = detail.connections.filter((c) => c.tgid === p.tgid);
      return { tgid: p.tgid, tgids: [p.tgid], comm: p.comm, exited: p.exited, counters: p.counters, syscalls: p.syscalls, tlsLibrary: tls, verdict: verdict(p.counters, p.syscalls, { tlsLibrary: tls, files, connections }) };
    });
  }
  const tgids = [...new Set([...info.keys(), ...watched])].sort((a, b) => a - b);
  const comms = [...new Set(tgids.map((t) => info.get(t)?.comm ?? commOf(t) ?? '?'))];
  const tls = tgids.some((t) => info.get(t)?.tls);
  const { counters, syscalls } = snapshot.sender;
  const live = new Set(watched);
  return [{ tgid: null, tgids, comm: comms.join(',') || '?', exited: tgids.every((t) => !live.has(t)), counters, syscalls, tlsLibrary: tls, verdict: verdict(counters, syscalls, { tlsLibrary: tls }) }];
}

export function connectionRows(detail: WatchDetail | null): ConnectionRow[] {
  return (detail?.connections ?? []).map((c) => ({ ...c, verdict: connectionVerdict(c.counters) }));
}

// ---- the session ---------------------------------------------------------------

const TAIL = 64 * 1024;

export class WatchSession {
  private readonly listeners = new Set<WatchListener>();
  private t0: number | undefined;
  private started: Promise<WatchSummary> | undefined;
  private stopWith?: (reason: WatchEndReason) => void;
  private stopRequested?: WatchEndReason;
  private child?: ChildProcess;
  private readonly info = new Map<number, ProcInfo>();
  readonly kind: WatchTargetKind;
  targets: ResolvedTargets | undefined;

  /** A watch submitted, not started: InputError now for malformed targets. */
  constructor(private readonly o: WatchOptions) {
    this.kind = targetKind(o.targets);
    for (const l of o.listeners ?? []) this.listeners.add(l);
  }

  /** Starts the watch (once); resolves with the summary after the probes ended and the command is gone. */
  start(opts: { signal?: AbortSignal } = {}): Promise<WatchSummary> {
    if (!this.started) {
      if (opts.signal) this.o.signal = opts.signal;
      this.started = this.run();
      this.started.catch(() => undefined);
    }
    return this.started;
  }

  get result(): Promise<WatchSummary> {
    return this.start();
  }

  /** Ends the watch (the summary follows); before it runs, it ends as soon as it does. */
  stop(reason: WatchEndReason = 'stopped'): void {
    this.stopRequested ??= reason;
    this.stopWith?.(reason);
  }

  on(listener: WatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The process rows of a sample, with their verdicts (the session knows each process's comm and TLS libraries). */
  rows(sample: { snapshot: Snapshot; detail: WatchDetail | null; watched: number[] }): ProcessRow[] {
    return processRows(sample.snapshot, sample.detail, this.info, sample.watched);
  }

  /** Seconds on the session clock (0 until the probes count). */
  now(): number {
    return this.t0 === undefined ? 0 : (performance.now() - this.t0) / 1000;
  }

  private emit(e: WatchEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a subscriber's fault is its own */
      }
    }
  }

  private async run(): Promise<WatchSummary> {
    try {
      const summary = await this.lifecycle();
      this.emit({ type: 'end', outcome: 'finished', summary });
      return summary;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.emit({ type: 'end', outcome: e instanceof CancelledError ? 'cancelled' : 'failed', error });
      throw e;
    }
  }

  /** Processes met so far: their comm and whether they map a TLS library (re-read until they do). */
  private learn(tgids: number[], live: Set<number>): void {
    for (const t of tgids) {
      let p = this.info.get(t);
      if (!p) this.info.set(t, (p = { comm: commOf(t) ?? '?', tls: false, exited: false }));
      if (!live.has(t)) {
        p.exited = true;
        continue;
      }
      p.comm = commOf(t) ?? p.comm; // a command's sh exec()s the real program
      if (!p.tls)
        try {
          p.tls = mapsTlsLibrary(readFileSync(`/proc/${t}/maps`, 'utf8'));
        } catch {
          /* gone, or a kernel thread */
        }
    }
  }

  private async lifecycle(): Promise<WatchSummary> {
    const { o } = this;
    const signal = o.signal;
    if (signal?.aborted) throw new CancelledError();
    this.emit({ type: 'phase', phase: 'preparing' });
    if ('absent' in o.probes) throw new ProbeEngineError(`zcl watch needs the probes: ${o.probes.absent.reason ?? o.probes.absent.status}`);
    const engine: ProbeEngine = o.probes.engine;
    if (!engine.watch || !engine.watched)
      throw new InputError([{ field: 'engine', message: `watch needs the libbpf engine ('${engine.name}' has no watch mode); allowed: libbpf` }], 'watch options');
    const follow = o.targets.follow ?? true;
    const comms = o.targets.comm === undefined ? [] : typeof o.targets.comm === 'string' ? [o.targets.comm] : o.targets.comm;
    const cgroup = o.targets.cgroup !== undefined ? cgroupDir(o.targets.cgroup) : undefined;
    /** The processes the targets name now (comm, cgroup: found again by the re-scan). */
    const find = (): number[] => (this.kind === 'comm' ? findByComm(comms) : this.kind === 'cgroup' ? cgroupProcs(cgroup!) : []);

    let pids: number[] = [];
    let named: (number | string)[] = [];
    if (this.kind === 'pids') {
      named = o.targets.pids!;
      const gone = named.filter((p) => tgidOf(p as number) === undefined);
      if (gone.length) throw new InputError([{ field: 'pid', message: `no running process ${gone.join(', ')}` }], 'watch targets');
      pids = [...new Set(named.map((p) => tgidOf(p as number)!))];
    } else if (this.kind === 'comm') {
      named = comms;
      pids = find();
      if (!pids.length) throw new InputError([{ field: 'comm', message: `no running process has the comm ${comms.map((c) => `'${c}'`).join(' or ')} (exact match on /proc/PID/comm: the first 15 characters of the program's name)` }], 'watch targets');
    } else if (this.kind === 'cgroup') {
      named = [cgroup!];
      pids = find();
      if (!pids.length) throw new InputError([{ field: 'cgroup', message: `no process in ${cgroup} (its cgroup.procs and its children's are empty)` }], 'watch targets');
    } else named = o.targets.command!;

    let begun = false;
    let ticker: NodeJS.Timeout | undefined;
    let rescan: NodeJS.Timeout | undefined;
    let durationTimer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const out = { stdout: '', stderr: '' };
    let commandExit: Promise<{ code: number | null; signal: string | null }> | undefined;
    let exitInfo: { code: number | null; signal: string | null } | undefined;
    try {
      this.emit({ type: 'phase', phase: 'starting' });
      let release: (() => void) | undefined;
      if (this.kind === 'command') {
        const spawned = this.spawnCommand(o.targets.command!, o.commandOutput ?? 'inherit', out);
        pids = [spawned.pid];
        release = spawned.release;
        commandExit = spawned.exited.then((x) => (exitInfo = x));
      }
      begun = true; // set first: a failure while attaching must still end the probes
      let tgids: number[];
      try {
        tgids = await engine.watch({ tgids: pids, follow });
      } catch (e) {
        if (e instanceof RangeError && /^tgids/.test(e.message))
          throw new InputError([{ field: this.kind === 'pids' ? 'pid' : this.kind, message: e.message.replace(/^tgids(\[\d+\])?: /, '') }], 'watch targets');
        throw e;
      }
      release?.(); // the command runs only once it is watched
      this.targets = { kind: this.kind, follow, named, tgids, ...(this.child ? { commandPid: this.child.pid } : {}) };
      this.learn(tgids, new Set(tgids));
      this.t0 = performance.now();
      this.emit({ type: 'phase', phase: 'running', targets: this.targets });

      const ended = new Promise<WatchEndReason>((resolve, reject) => {
        this.stopWith = resolve;
        if (this.stopRequested) resolve(this.stopRequested);
        onAbort = () => reject(new CancelledError());
        if (signal?.aborted) onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (o.durationSeconds !== undefined) durationTimer = setTimeout(() => resolve('duration'), o.durationSeconds * 1000);
        commandExit?.then(() => resolve('command-exited'));
      });
      const detail = () => engine.watchDetail?.() ?? null;
      ticker = setInterval(() => {
        const watched = engine.watched!();
        // pid targets: nothing can come back once every watched process is gone.
        if (this.kind === 'pids' && watched.length === 0) this.stopWith?.('exited');
        this.emit({ type: 'sample', t: this.now(), snapshot: engine.read(), detail: detail(), watched });
      }, 1000 / SAMPLE_HZ);
      rescan = setInterval(() => {
        void (async () => {
          const live = new Set(engine.watched!());
          if (this.kind === 'comm' || this.kind === 'cgroup') {
            const fresh = find().filter((p) => !live.has(p));
            if (fresh.length && engine.watchAdd) {
              const added = await engine.watchAdd(fresh).catch(() => [] as number[]);
              for (const a of added) live.add(a);
              if (added.length) this.emit({ type: 'targets', t: this.now(), added });
            }
          }
          this.learn([...new Set([...this.info.keys(), ...live])], live);
        })();
      }, 1000);

      const reason = await ended;
      clearInterval(ticker);
      clearInterval(rescan);
      ticker = rescan = undefined;
      this.emit({ type: 'phase', phase: 'finishing' });
      const t = this.now();
      const watchedNow = engine.watched!();
      this.learn([...new Set([...this.info.keys(), ...watchedNow])], new Set(watchedNow));
      const det = detail();
      const snapshot = await engine.final();
      begun = false;
      await this.killCommand();
      const info = this.info;
      const caps = engine.capabilities();
      const summary: WatchSummary = {
        reason,
        t,
        engine: engine.name,
        tier: caps.tier,
        targets: this.targets,
        everWatched: [...info.keys()].sort((a, b) => a - b),
        snapshot,
        detail: det,
        processes: processRows(snapshot, det, info, watchedNow),
        connections: connectionRows(det),
        files: det?.files ?? [],
        ...(engine.missedEvents !== undefined ? { missedEvents: engine.missedEvents } : {}),
      };
      if (this.child) {
        const x = exitInfo ?? (await commandExit!);
        summary.command = { pid: this.child.pid!, exitCode: x.code, signal: x.signal, ...(o.commandOutput === 'capture' ? out : {}) };
      }
      return summary;
    } finally {
      if (ticker) clearInterval(ticker);
      if (rescan) clearInterval(rescan);
      if (durationTimer) clearTimeout(durationTimer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      this.stopWith = undefined;
      if (begun) await engine.end().catch(() => undefined);
      await this.killCommand();
    }
  }

  /**
   * Starts the command held at a gate (a shell waiting on fd 3), so that it runs
   * only once the probes watch it: its pid stays the command's (sh exec()s it).
   * Marked with ZCL_OWNER, in its own process group, killed if we die (PR_SET_PDEATHSIG
   * through setpriv, and an exit handler).
   */
  private spawnCommand(argv: string[], output: 'inherit' | 'capture' | 'ignore', out: { stdout: string; stderr: string }) {
    const gate = ['sh', '-c', 'read _ <&3; exec 3<&-; exec "$@"', 'zcl-watch-gate', ...argv];
    const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
    const cmd = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...gate] : gate;
    const io = output === 'capture' ? 'pipe' : output;
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', io, io, 'pipe'], env: childEnv(), detached: true });
    this.child = child;
    commandsRunning.add(child);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.on('exit', (code, sig) => {
        commandsRunning.delete(child);
        resolve({ code, signal: sig });
      });
      child.on('error', (e) => {
        commandsRunning.delete(child);
        out.stderr += `cannot start ${argv[0]}: ${e.message}\n`;
        resolve({ code: 127, signal: null });
      });
    });
    if (output === 'capture')
      for (const stream of ['stdout', 'stderr'] as const)
        child[stream]!.setEncoding('utf8').on('data', (text: string) => {
          out[stream] = (out[stream] + text).slice(-TAIL);
          this.emit({ type: 'output', stream, text });
        });
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    (fd3 as unknown as { on: (e: string, f: () => void) => void }).on('error', () => undefined);
    if (!child.pid) throw new InputError([{ field: 'command', message: `cannot start '${argv[0]}'` }], 'watch targets');
    return { pid: child.pid, exited, release: () => fd3.end('go\n') };
  }

  /** The command and what it started (its process group, and watched processes carrying our mark): SIGTERM, then SIGKILL after the grace. */
  private async killCommand(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const tree = () => [...this.info.keys()].filter((p) => p !== process.pid && isAlive(p) && markedByUs(p));
    const signalAll = (sig: NodeJS.Signals) => {
      for (const target of [-child.pid!, ...tree()])
        try {
          process.kill(target, sig);
        } catch {
          /* gone */
        }
    };
    const running = () => (child.exitCode === null && child.signalCode === null) || tree().length > 0;
    if (!running()) return;
    signalAll('SIGTERM');
    const deadline = Date.now() + (this.o.killGraceMs ?? 2000);
    while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (running()) signalAll('SIGKILL');
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 10));
  }
}

/** Does this process carry this zcl's mark (a command we started, or its descendants)? */
function markedByUs(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${OWNER_ENV}=${ownerMark()}`);
  } catch {
    return false;
  }
}

// Commands still running when this process exits (a second Ctrl-C included): killed with their group.
const commandsRunning = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of commandsRunning)
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
});

/** Submits and starts a watch. */
export function startWatch(opts: WatchOptions): WatchSession {
  const s = new WatchSession(opts);
  s.start();
  return s;
}
