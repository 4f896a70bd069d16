// The bpftrace engine: bpf/zcl.bt, planned for the running kernel (bt-script.ts),
// run by bpftrace as a child process for each run, its JSON stream parsed into
// the shared counter schema (bt-stream.ts).
//
// Lifetime: begin() starts bpftrace and returns once its BEGIN line says every
// probe is attached; end() stops it and takes the final counts, which bpftrace
// prints in END, after every event of the run. bpftrace runs a command of ours
// (-c) and stops when that command exits: `dd` reading our end of a pipe, so
// closing the pipe stops bpftrace cleanly, and so does this process dying in
// any way (the kernel closes the pipe: dd sees end of file). A process exit
// handler also kills what is still running, and a crashed bpftrace makes end()
// throw, which fails the run with the reason.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../project.js';
import { BpftraceStream, snapshotOf, type StreamEvent } from './bt-stream.js';
import { kernelTracepoints, parseScript, planScript, tracefsRoot, type ScriptPlan } from './bt-script.js';
import { COUNTER_NAMES, ROLES } from './schema.generated.js';
import type { ProbeCapabilities, ProbeEngine, ProbeTarget, Snapshot, WatchTarget } from './types.js';
import { watchProgram } from './bt-watch.js';
import { isAlive, processTrees } from '../core/process.js';
import { childEnv } from '../core/owner.js';
import { ProbeEngineError } from '../core/errors.js';

/** util-linux's setpriv (essential on Debian and Ubuntu): sets the parent-death signal, then execs. */
const SETPRIV = '/usr/bin/setpriv';

export const BPFTRACE_SCRIPT = join(ROOT, 'bpf', 'zcl.bt');
export const BPFTRACE_FALLBACKS = join(ROOT, 'bpf', 'zcl-fallbacks.bt');

export interface BpftraceOptions {
  /** The script (default: ZCL_BPFTRACE_SCRIPT, else bpf/zcl.bt). */
  script?: string;
  /** Fallback sections (default: bpf/zcl-fallbacks.bt beside the default script; none for another script). */
  fallbacks?: string | null;
  /** Tracepoints ("cat:name") or fields ("cat:name.field") to treat as missing (default: ZCL_BPFTRACE_HIDE, comma-separated). */
  hide?: string[];
  /** How long bpftrace may take to compile and attach (default 60 s). */
  attachTimeoutMs?: number;
  /** How long it may take to print its final counts and exit once told to stop (default 15 s). */
  stopTimeoutMs?: number;
}

/** Lines bpftrace 0.17 always prints on stderr where RLIMIT_MEMLOCK cannot be raised (harmless: memcg accounts BPF memory). */
const HARMLESS = /couldn't set RLIMIT_MEMLOCK|^WARNING: |^\s*~+\s*$|^Attaching \d+ probes?/;

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Seconds a session may outlive its run's processes without an end() (see begin()). */
const FORGOTTEN_AFTER_S = 30;


/** The kernel's dev_t of a file's device (MKDEV: major << 20 | minor), as tracepoints print it. */
export function kernelDev(path: string): { dev: bigint; ino: bigint } {
  if (!path) return { dev: 0n, ino: 0n };
  try {
    const st = statSync(path, { bigint: true });
    const d = st.dev; // glibc's encoding of the userspace dev_t
    const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
    const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
    return { dev: (major << 20n) | minor, ino: st.ino };
  } catch {
    return { dev: 0n, ino: 0n };
  }
}

// Every bpftrace this process started and has not seen exit: killed on the way out.
const live = new Set<ChildProcess>();
let exitHandler = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHandler) return;
  exitHandler = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        process.kill(-c.pid!, 'SIGKILL'); // its process group: bpftrace and its dd
      } catch {
        /* gone already */
      }
    }
  });
}

/** The bpftrace processes this process has running (tests check none is left). */
export function liveBpftracePids(): number[] {
  return [...live].map((c) => c.pid!).filter((p) => p > 0);
}

/** The process (tgid) a pid or thread id belongs to, or 0 when it is not running. */
function tgidOf(pid: number): number {
  if (!Number.isSafeInteger(pid) || pid <= 0) return 0;
  try {
    return Number(/^Tgid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

class EngineFailure extends ProbeEngineError {
  constructor(message: string) {
    super(`the bpftrace probe engine failed: ${message}`);
  }
}

/** One bpftrace process, for one run. */
class Session {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  latest: Record<string, unknown> | undefined;
  final: Record<string, unknown> | undefined;
  batches = 0;
  attachedAt = 0;
  /** missedEvents() when the run ended (before bpftrace detached). */
  misses = 0;
  private stopping = false;
  private stderr = '';
  private noise: string[] = [];
  private lost = 0;
  private attachWaiter?: { resolve(): void; reject(e: Error): void };
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };

  constructor(bpftrace: string, args: string[]) {
    // setpriv --pdeathsig: the kernel kills bpftrace when this process dies, however it dies.
    const [cmd, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bpftrace, ...args]] : [bpftrace, args];
    this.child = spawn(cmd, argv, {
      env: childEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C at the terminal reaches the lab, which then stops bpftrace itself.
      detached: true,
    });
    track(this.child);
    const stream = new BpftraceStream((e) => this.onEvent(e));
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => stream.push(d));
    this.child.stdout!.on('end', () => stream.end());
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-16384)));
    this.child.stdin!.on('error', () => undefined); // EPIPE when bpftrace is gone
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.exitInfo = { code: null, signal: null };
        this.stderr += `\ncannot start ${bpftrace}: ${e.message}`;
        this.attachWaiter?.reject(new EngineFailure(`cannot start ${bpftrace}: ${e.message}`));
        resolve(this.exitInfo);
      });
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        // Its dd holds bpftrace's stdout too: when bpftrace dies first, end dd, so the output closes.
        this.child.stdin!.destroy();
        try {
          process.kill(-this.pid, 'SIGKILL');
        } catch {
          /* the group is gone: dd exited first */
        }
      });
      // 'close': bpftrace exited and every byte it printed (the END batch) is in.
      this.child.on('close', (code, signal) => {
        this.exitInfo ??= { code, signal };
        this.attachWaiter?.reject(new EngineFailure(`bpftrace ${this.how()} before it attached its probes${this.why()}`));
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return !!this.exitInfo;
  }

  /** end() has begun (the processes may exit meanwhile: their run is over). */
  get isStopping(): boolean {
    return this.stopping;
  }

  private onEvent(e: StreamEvent): void {
    switch (e.kind) {
      case 'attached':
        this.attachedAt = performance.now();
        this.attachWaiter?.resolve();
        this.attachWaiter = undefined;
        break;
      case 'batch':
        this.batches++;
        if (e.seq === 'final') this.final = e.maps;
        else this.latest = e.maps;
        break;
      case 'noise':
        this.noise = [...this.noise.slice(-4), `${e.why}: ${e.line.slice(0, 200)}`];
        break;
      case 'lost':
        this.lost += e.events;
        break;
    }
  }

  attached(timeoutMs: number): Promise<void> {
    if (this.attachedAt) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new EngineFailure(`bpftrace did not attach its probes within ${timeoutMs / 1000} s${this.why()}`));
        void this.kill();
      }, timeoutMs);
      this.attachWaiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      if (this.exitInfo) this.attachWaiter.reject(new EngineFailure(`bpftrace ${this.how()} before it attached its probes${this.why()}`));
    });
  }

  /**
   * Events the kernel skipped for bpftrace's programs so far: a tracepoint program
   * does not run when it would nest in another BPF tracing program on the same
   * CPU (bpf_prog_active), e.g. a softirq transmit during a syscall probe. The
   * kernel counts them per program (recursion_misses, in the fds' fdinfo).
   */
  missedEvents(): number {
    let n = 0;
    try {
      for (const fd of readdirSync(`/proc/${this.pid}/fdinfo`)) {
        try {
          const m = /^recursion_misses:\s*(\d+)/m.exec(readFileSync(`/proc/${this.pid}/fdinfo/${fd}`, 'utf8'));
          if (m) n += Number(m[1]);
        } catch {
          /* closed meanwhile */
        }
      }
    } catch {
      /* gone */
    }
    return n;
  }

  /** Asks bpftrace to stop (its -c command exits), waits for its final batch and its exit. */
  async stop(timeoutMs: number): Promise<Record<string, unknown>> {
    const early = this.exitInfo && !this.stopping;
    this.stopping = true;
    if (early) throw new EngineFailure(`bpftrace (pid ${this.pid}) ${this.how()} during the run, before its final counts${this.why()}`);
    this.misses = this.missedEvents();
    this.child.stdin!.end(); // dd sees end of file and exits; bpftrace detaches, runs END, exits
    const timer = setTimeout(() => void this.kill(), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    if (!this.final) throw new EngineFailure(`bpftrace (pid ${this.pid}) ${this.how()} without printing its final counts${this.why()}`);
    if (code !== 0) throw new EngineFailure(`bpftrace (pid ${this.pid}) ${this.how()}${this.why()}`);
    return this.final;
  }

  /** SIGKILL to bpftrace and its dd; resolves when it has exited. */
  async kill(): Promise<void> {
    this.stopping = true;
    if (!this.exitInfo) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    await this.exited;
  }

  private how(): string {
    const x = this.exitInfo;
    if (!x) return 'is still running';
    return x.signal ? `was killed by ${x.signal}` : `exited with code ${x.code}`;
  }

  /** What bpftrace said, for an error message: its stderr (less the harmless lines), odd stdout lines, lost events. */
  private why(): string {
    const err = this.stderr
      .split('\n')
      .filter((l) => l.trim() && !HARMLESS.test(l))
      .slice(-6);
    const parts = [];
    if (err.length) parts.push(`bpftrace said: ${err.join(' | ')}`);
    if (this.noise.length) parts.push(`unexpected output: ${this.noise.join(' | ')}`);
    if (this.lost) parts.push(`${this.lost} events lost`);
    return parts.length ? `; ${parts.join('; ')}` : '';
  }
}

export class BpftraceEngine implements ProbeEngine {
  readonly name = 'bpftrace';
  readonly version: string;
  readonly plan: ScriptPlan;
  readonly script: string;
  private readonly bpftrace: string;
  private readonly dd: string;
  private readonly available: Set<string>;
  private readonly caps: ProbeCapabilities;
  private readonly opts: BpftraceOptions;
  private session?: Session;
  /** Events the kernel skipped for bpftrace's programs during the last run (see Session.missedEvents). */
  missedEvents = 0;

  /** Checks what bpftrace needs and plans the script for this kernel; throws (code EPROBES) with the reason it cannot run. */
  constructor(opts: BpftraceOptions = {}) {
    this.opts = opts;
    const fail = (m: string) => Object.assign(new Error(m), { code: 'EPROBES' });
    if (process.getuid?.() !== 0) throw fail('bpftrace needs root (CAP_BPF and CAP_PERFMON); run as root');
    const bpftrace = which('bpftrace');
    if (!bpftrace) throw fail('bpftrace is not installed (apt-get install bpftrace, or npm run setup)');
    this.bpftrace = bpftrace;
    const v = spawnSync(bpftrace, ['--version'], { encoding: 'utf8' });
    this.version = /v?(\d+\.\d+\.\d+)/.exec(v.stdout ?? '')?.[1] ?? 'unknown';
    if (v.status !== 0) throw fail(`${bpftrace} --version failed: ${(v.stderr || v.error?.message || '').trim()}`);
    const dd = which('dd');
    if (!dd) throw fail('dd (coreutils) is missing: the bpftrace engine stops bpftrace through it');
    this.dd = dd;
    if (!existsSync('/sys/kernel/btf/vmlinux')) throw fail('the kernel has no BTF (/sys/kernel/btf/vmlinux): bpf/zcl.bt follows kernel structs; it needs CONFIG_DEBUG_INFO_BTF=y');
    const tracefs = tracefsRoot();
    if (!tracefs) throw fail('tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing): bpftrace finds tracepoints there');

    this.script = opts.script ?? process.env.ZCL_BPFTRACE_SCRIPT ?? BPFTRACE_SCRIPT;
    const fallbacks = opts.fallbacks === undefined ? (this.script === BPFTRACE_SCRIPT ? BPFTRACE_FALLBACKS : null) : opts.fallbacks;
    const hide = opts.hide ?? (process.env.ZCL_BPFTRACE_HIDE ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    let main;
    try {
      main = parseScript(this.script);
    } catch (e) {
      throw fail(`cannot read the bpftrace script: ${(e as Error).message}`);
    }
    this.plan = planScript(main, fallbacks ? parseScript(fallbacks) : undefined, kernelTracepoints(tracefs, hide));
    this.available = new Set(this.plan.counters.filter((c) => c.available).map((c) => c.name));
    this.caps = {
      engine: this.name,
      // kTLS encryption has no tracepoint: its counter's absence does not make the tracepoint tier partial.
      tier: COUNTER_NAMES.every((n) => this.available.has(n) || n === 'copy_encrypt_bytes') ? 'tracepoint' : 'tracepoint (partial)',
      programs: this.plan.probes.map((p) => ({ name: p.name, attached: p.kept, ...(p.reason ? { error: p.reason } : {}) })),
      counters: this.plan.counters.map((c) => ({ name: c.name, available: c.available, source: c.source, ...(c.missing ? { missing: c.missing } : {}) })),
    };
  }

  capabilities(): ProbeCapabilities {
    return this.caps;
  }

  /** The running bpftrace's pid (tests kill it), or undefined between runs. */
  get pid(): number | undefined {
    return this.session?.pid;
  }

  /** Whether the current run's bpftrace has exited (before end(): it failed). */
  get exited(): boolean {
    return !!this.session?.hasExited;
  }

  /** The arguments bpftrace runs with for a target (the program text aside). */
  argsFor(t: ProbeTarget): string[] {
    const { dev, ino } = kernelDev(t.file);
    return [t.senderPid, t.sinkPid, t.ifindex, t.netnsInode, t.sinkPort, dev, ino].map(String);
  }

  private spawn(program: string, args: string[]): Session {
    if (this.session) throw new Error('the bpftrace engine is already counting a run; end() it first');
    this.missedEvents = 0;
    const session = new Session(this.bpftrace, [
      '-f', 'json', '-B', 'line',
      // The command bpftrace waits for: it exits when we close the pipe (or die).
      '-c', `${this.dd} of=/dev/null bs=1 count=1 status=none`,
      '-e', program,
      ...args,
    ]);
    this.session = session;
    return session;
  }

  /**
   * Watch mode (bt-watch.ts): counts processes the lab did not start, in the
   * sender role, from zero, until final() or end(). With follow, the children
   * running now are found in /proc and later ones at their fork. Resolves once
   * bpftrace has attached; returns the tgids watched at the start.
   */
  async watch(t: WatchTarget): Promise<number[]> {
    const tgids = new Set<number>();
    for (const pid of t.tgids) {
      const tgid = tgidOf(pid);
      if (!tgid) throw Object.assign(new Error(`tgids: no running process ${pid}`), { code: 'EINVAL' });
      tgids.add(tgid);
    }
    if (t.follow) for (const d of processTrees(tgids)) tgids.add(d);
    const list = [...tgids].sort((a, b) => a - b);
    this.watching = list;
    const session = this.spawn(watchProgram(this.plan.program, { tgids: list, follow: t.follow, sinkPid: t.sinkPid }), []);
    try {
      await session.attached(this.opts.attachTimeoutMs ?? 60_000);
    } catch (e) {
      await session.kill();
      if (this.session === session) this.session = undefined;
      throw e;
    }
    return list;
  }

  private watching: number[] = [];

  /** The tgids watched at the start that are still running (bpftrace's own map is not read while it runs). */
  watched(): number[] {
    return this.session ? this.watching.filter((p) => isAlive(p)) : [];
  }

  async begin(t: ProbeTarget): Promise<void> {
    const session = this.spawn(this.plan.program, this.argsFor(t));
    // Nothing may outlive its run. A run cancelled while bpftrace was still
    // attaching never calls end(); its processes are gone by the time bpftrace
    // attaches, so it stops there. As a last resort, a bpftrace whose processes
    // have been gone for a while without an end() is stopped too.
    const gone = () => !isAlive(t.senderPid) && !isAlive(t.sinkPid);
    let goneFor = 0;
    const watchdog = setInterval(() => {
      goneFor = !session.isStopping && gone() ? goneFor + 1 : 0;
      if (goneFor < FORGOTTEN_AFTER_S) return;
      clearInterval(watchdog);
      if (this.session === session) this.session = undefined;
      void session.kill();
    }, 1000).unref();
    session.exited.then(() => clearInterval(watchdog), () => undefined);
    try {
      await session.attached(this.opts.attachTimeoutMs ?? 60_000);
      if (gone()) throw new EngineFailure(`the run's processes (${t.senderPid}, ${t.sinkPid}) exited before bpftrace attached its probes`);
    } catch (e) {
      await session.kill();
      if (this.session === session) this.session = undefined;
      throw e;
    }
  }

  private snapshot(maps: Record<string, unknown> | undefined): Snapshot {
    return snapshotOf(maps ?? {}, this.available);
  }

  /** The latest complete batch (at most 100 ms old while a run goes on). The final counts come with end(). */
  read(): Snapshot {
    let snap: Snapshot;
    try {
      snap = this.snapshot(this.session?.latest);
    } catch {
      snap = this.snapshot(undefined);
    }
    return snap;
  }

  /**
   * Stops bpftrace and returns its final counts (printed in END, after every
   * event of the run). Throws when bpftrace failed (it died, printed no final
   * counts or printed something else).
   */
  async final(): Promise<Snapshot> {
    return (await this.stop()) ?? this.read();
  }

  async end(): Promise<void> {
    await this.stop();
  }

  /** end(), returning the final snapshot. */
  async stop(): Promise<Snapshot | undefined> {
    const session = this.session;
    if (!session) return undefined;
    this.session = undefined;
    let maps;
    try {
      maps = await session.stop(this.opts.stopTimeoutMs ?? 15_000);
    } finally {
      this.missedEvents = session.misses;
      await session.kill();
    }
    let final: Snapshot;
    try {
      final = this.snapshot(maps);
    } catch (e) {
      throw new EngineFailure(`bpftrace's final counts are malformed: ${(e as Error).message}`);
    }
    return final;
  }
}
