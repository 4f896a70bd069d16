// The sink process: listens, reports its port, receives one connection to the
// end and reports bytes, checksum and its own costs.
import { addon, runLoop, type NativeSinkResult } from '../native.js';
import { errorMessage, exitWithParent, sendToParent, type SinkArgs } from './child-protocol.js';

const args = JSON.parse(process.argv[2]) as SinkArgs;
exitWithParent(args.parentPid);

// App modes: the sink is the client of a real program. It fetches the file
// once to warm the program up (unless told not to), says "ready", waits
// for "go" (the probes watch the program from then), connects, sends the
// request, receives to EOF and reports progress at 10 Hz (the program cannot).
async function client(connect: { host: string; port: number }): Promise<void> {
  try {
    const a = addon();
    if (args.warmup) {
      // One fetch before the probes watch (discarded): the program loads and
      // compiles what it sends with (the JVM's classes from its module image).
      const w = runLoop<NativeSinkResult>((cb) => a.startSink({ connect, request: args.request, http: args.http, mode: 'discard', buffer: args.bufferBytes }, cb));
      await w.done;
    }
    await sendToParent({ type: 'ready', pid: process.pid });
    await new Promise<void>((resolve) => process.once('message', () => resolve()));
    const { handle, done } = runLoop<NativeSinkResult>((cb) =>
      a.startSink({ connect, request: args.request, http: args.http, mode: args.mode, buffer: args.bufferBytes }, cb),
    );
    process.on('SIGTERM', () => handle.cancel());
    const tick = setInterval(() => void sendToParent({ type: 'progress', bytes: handle.progress() }), 100);
    const result = await done.finally(() => clearInterval(tick));
    await sendToParent({ type: 'done', result });
    process.exit(0);
  } catch (e) {
    await sendToParent({ type: 'error', error: errorMessage(e) });
    process.exit(1);
  }
}

async function main(): Promise<void> {
  if (args.connect) return client(args.connect);
  try {
    const a = addon();
    const l = a.listen(args.host, 0);
    const { handle, done } = runLoop<NativeSinkResult>((cb) => a.startSink({ fd: l.fd, mode: args.mode, buffer: args.bufferBytes, passBytes: args.passBytes, expect: args.expect, ...(args.tls ? { tls: args.tls } : {}) }, cb));
    process.on('SIGTERM', () => handle.cancel());
    await sendToParent({ type: 'listening', pid: process.pid, port: l.port });
    const result = await done;
    await sendToParent({ type: 'done', result });
    process.exit(0);
  } catch (e) {
    await sendToParent({ type: 'error', error: errorMessage(e) });
    process.exit(1);
  }
}

void main();
