// `zcl serve` in a child process (the built CLI, dist/), for the tests that
// need to see the server process itself: does it survive a bad request, what
// does a new server find after `kill -9` of the old one. Its URL is read from
// its first line on stdout; its stderr is kept for the test's messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../server/project.js';

export interface ChildServer {
  proc: ChildProcess;
  /** http://127.0.0.1:PORT/ (without the token). */
  base: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  /** Still running. */
  alive(): boolean;
  /** Ends it (SIGTERM, or the signal given; SIGKILL after 10 s) and waits. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const ZCL = join(ROOT, 'dist', 'server', 'cli', 'zcl.js');

export async function serveChild(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<ChildServer> {
  const proc = spawn(process.execPath, [ZCL, 'serve', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d) => (err += d));
  let code: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (c, s) => resolve((code = c ?? s ?? 'unknown'))));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`zcl serve printed no URL in ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`)), timeoutMs);
    const check = () => {
      const m = /is live: (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((c) => {
      clearTimeout(t);
      reject(new Error(`zcl serve exited (${c}) before it was live; stderr: ${err}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    proc,
    base: `http://127.0.0.1:${port}/`,
    port,
    stdout: () => out,
    stderr: () => err,
    exited,
    alive: () => code === undefined,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (code !== undefined) return;
      proc.kill(signal);
      // A server that does not stop (blocked, or a bug under test) is killed.
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
