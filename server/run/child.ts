// One child process of a run (sender or sink), optionally inside a network
// namespace, with its IPC messages as awaitable events. Killing is SIGKILL:
// the kernel closes its sockets and files, nothing survives it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DIST } from '../project.js';
import type { ChildMessage, ParentMessage } from './child-protocol.js';
import { childEnv } from '../core/owner.js';
import { ChildFailed } from '../core/errors.js';

// Children still running: killed when this process exits, whatever the exit (a
// second Ctrl-C included). A kill -9 of this process is covered by the children
// themselves (PR_SET_PDEATHSIG) and by the next zcl's sweep (owner.ts).
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running)
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
});

export { ChildFailed };

export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private waiters: { type: ChildMessage['type']; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }[] = [];
  private inbox: ChildMessage[] = [];
  private failure?: Error;
  onProgress?: (bytes: number) => void;

  constructor(readonly role: 'sender' | 'sink', script: string, args: unknown, netns?: string) {
    const entry = join(DIST, 'server', 'run', script);
    // parentPid: the child dies with us (ip netns exec execs node: we stay its parent).
    const argv = [process.execPath, entry, JSON.stringify({ ...(args as object), parentPid: process.pid })];
    const [cmd, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
    this.proc = spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: childEnv() });
    running.add(this.proc);
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.proc.on('message', (m: ChildMessage) => this.onMessage(m));
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        running.delete(this.proc);
        const settle = (): void => {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          const tail = this.stderr.trim().split('\n').slice(-5).join('\n');
          this.fail(new ChildFailed(this.role, `the ${this.role} process (pid ${this.proc.pid}) ${how}${tail ? `: ${tail}` : ''}`));
          resolve({ code, signal });
        };
        // A child that exits right after its last message ('done', then exit 0) can be
        // seen exiting before that message is read from the channel (a slow QEMU guest
        // showed "the sink process exited with code 0"). The channel's 'disconnect'
        // comes after every message it carried: wait for it, briefly.
        if (code !== 0 || !this.proc.connected) return settle();
        const t = setTimeout(settle, 2000);
        this.proc.once('disconnect', () => {
          clearTimeout(t);
          settle();
        });
      });
      this.proc.on('error', (e) => {
        running.delete(this.proc);
        this.fail(new ChildFailed(this.role, `cannot start the ${this.role} process: ${e.message}`));
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  private onMessage(m: ChildMessage): void {
    if (m.type === 'progress') return this.onProgress?.(m.bytes);
    if (m.type === 'error') {
      const where = m.error.syscall ? ` (${m.error.syscall}${m.error.code ? `, ${m.error.code}` : ''})` : '';
      return this.fail(new ChildFailed(this.role, `${this.role}: ${m.error.message}${where}`, m.error.syscall, m.error.code));
    }
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    else this.inbox.push(m);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  /** Resolves with the next message of a type; rejects if the child fails first. */
  next<T extends ChildMessage['type']>(type: T): Promise<Extract<ChildMessage, { type: T }>> {
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<ChildMessage, { type: T }>);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) =>
      this.waiters.push({ type, resolve: resolve as (m: ChildMessage) => void, reject }),
    );
  }

  send(m: ParentMessage): void {
    if (this.proc.connected) this.proc.send(m);
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}
