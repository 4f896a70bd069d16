// A real program in the sender's place (the app modes: scenarios/catalog.ts,
// `app`): `apps/run APP HOST 0 FILE --keep`, in the sender's network namespace,
// bound to the address the sender would use. It prints `listening PORT`; the
// lab's sink connects to it as the client; the probes watch its process tree.
//
// What it leaves behind, and how that is prevented:
// - processes: it runs in a process group of its own (we kill the group), with
//   the lab's mark (ZCL_OWNER, swept by owner.ts) and PR_SET_PDEATHSIG (setpriv
//   --pdeathsig KILL: it dies with us); nginx's master gets SIGTERM when its
//   wrapper dies (apps/nginx/serve.py sets that), and takes its worker along.
// - files: TMPDIR is a directory of its own (nginx's prefix, config and logs go
//   there), removed at close; one left by a killed lab (its pid in the name) is
//   removed by the next app run.
// - the JVM's /tmp/hsperfdata_* file: not made (-XX:-UsePerfData).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { childEnv } from '../core/owner.js';
import { ChildFailed } from '../core/errors.js';
import { isAlive, processTrees } from '../core/process.js';
import { ROOT } from '../project.js';

const PREFIX = 'zcl-app-';
const running = new Set<AppProcess>();
process.on('exit', () => {
  for (const a of running) a.killNow();
});

let seq = 0;

/** Removes the temp directories of app runs whose lab process is gone. */
export function sweepStaleAppDirs(): string[] {
  const out: string[] = [];
  for (const d of readdirSync(tmpdir())) {
    const m = new RegExp(`^${PREFIX}(\\d+)-\\d+$`).exec(d);
    if (!m || isAlive(Number(m[1]))) continue;
    rmSync(join(tmpdir(), d), { recursive: true, force: true });
    out.push(d);
  }
  return out;
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** A process and its descendants, from /proc. */
export function processTree(root: number): number[] {
  return processTrees([root]);
}

/** User and system CPU seconds of a process tree (all threads of each process). */
export function treeCpuSeconds(root: number): { user: number; sys: number } {
  let user = 0;
  let sys = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(f[11]) / USER_HZ;
      sys += Number(f[12]) / USER_HZ;
    } catch {
      /* gone */
    }
  }
  return { user, sys };
}

export class AppProcess {
  readonly proc: ChildProcess;
  readonly tmp: string;
  /** Resolves with the port once the program listens; rejects if it exits or fails first. */
  readonly listening: Promise<number>;
  /** Rejects when the program exits before close() (it serves until it is told to stop). */
  readonly failed: Promise<never>;
  private readonly exited: Promise<void>;
  private stderr = '';
  private closing = false;

  constructor(readonly app: string, host: string, file: string, netns?: string) {
    sweepStaleAppDirs();
    this.tmp = join(tmpdir(), `${PREFIX}${process.pid}-${seq++}`);
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
    const argv = ['setpriv', '--pdeathsig', 'KILL', join(ROOT, 'apps', 'run'), app, host, '0', file, '--keep'];
    const [cmd, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
    // ip netns exec and setpriv exec: the pid is the program's (or nginx's wrapper's).
    this.proc = spawn(cmd, rest, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // a process group of its own: close() kills the whole tree
      env: childEnv({ TMPDIR: this.tmp, JAVA_TOOL_OPTIONS: '-XX:-UsePerfData' }),
    });
    running.add(this);
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    const tail = () =>
      this.stderr
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('Picked up JAVA_TOOL_OPTIONS'))
        .slice(-5)
        .join('\n');
    this.exited = new Promise((resolve) => this.proc.on('close', () => resolve()));
    this.failed = new Promise<never>((_, reject) => {
      const why = (how: string) => new ChildFailed('sender', `${app} (apps/run, pid ${this.proc.pid}) ${how}${tail() ? `: ${tail()}` : ''}`);
      this.proc.on('exit', (code, signal) => {
        running.delete(this);
        if (!this.closing) reject(why(signal ? `was killed by ${signal}` : `exited with code ${code}`));
      });
      this.proc.on('error', (e) => {
        running.delete(this);
        reject(why(`cannot start: ${e.message}`));
      });
    });
    this.failed.catch(() => undefined);
    this.listening = new Promise<number>((resolve, reject) => {
      createInterface({ input: this.proc.stdout! }).on('line', (l) => {
        const m = /^listening (\d+)$/.exec(l.trim());
        if (m) resolve(Number(m[1]));
      });
      this.failed.catch(reject);
    });
    this.listening.catch(() => undefined);
    this.proc.stdout!.resume();
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The program's process tree now (nginx: wrapper, master, worker; the JVM is one process). */
  tree(): number[] {
    return processTree(this.pid);
  }

  cpuSeconds(): { user: number; sys: number } {
    return treeCpuSeconds(this.pid);
  }

  /** Synchronous, for exit handlers: SIGKILL to the group, the temp directory removed. */
  killNow(): void {
    this.closing = true;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }

  /**
   * Stops the program: SIGTERM first (nginx's wrapper stops nginx and removes its
   * prefix; the JVM runs its shutdown), SIGKILL to the whole group after 3 s or
   * when the leader is gone, then the temp directory is removed. Idempotent.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.pid > 0 && this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        this.proc.kill('SIGTERM');
      } catch {
        /* gone */
      }
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    if (this.pid > 0)
      try {
        process.kill(-this.pid, 'SIGKILL'); // whatever of the group is left (nginx's master and worker)
      } catch {
        /* none left */
      }
    await this.exited;
    running.delete(this);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
