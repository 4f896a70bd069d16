// The sender process: waits for "go" (so the probes can register its pid
// first), runs the transfer, reports progress at 10 Hz and the result.
import { createReadStream } from 'node:fs';
import { connect } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { modeInfo } from '../../scenarios/catalog.js';
import { addon, runLoop } from '../native.js';
import { errorMessage, exitWithParent, sendToParent, type SenderArgs, type SenderResult } from './child-protocol.js';

const args = JSON.parse(process.argv[2]) as SenderArgs;
exitWithParent(args.parentPid);

async function nativeTransfer(progress: { get: () => number }): Promise<SenderResult> {
  const { handle, done } = runLoop<import('../native.js').NativeTransferResult>((cb) =>
    addon().startTransfer(
      { mode: args.mode, file: args.file, size: args.sizeBytes, chunk: args.chunkBytes, host: args.host, port: args.port },
      cb,
    ),
  );
  progress.get = () => handle.progress();
  process.on('SIGTERM', () => handle.cancel());
  return { ...(await done), engine: 'native', cpuScope: 'thread' };
}

// node-stream: the way Node programs send files. The engine cannot count this
// mode's syscalls (libuv issues them); the probes do.
async function nodeStream(progress: { get: () => number }): Promise<SenderResult> {
  const sock = connect({ host: args.host, port: args.port });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  const rs = createReadStream(args.file, { highWaterMark: args.chunkBytes, start: 0, end: args.sizeBytes - 1 });
  rs.on('data', (c) => (bytes += c.length));
  progress.get = () => bytes;
  await pipeline(rs, sock);
  const wallSeconds = (performance.now() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  return {
    bytes, wallSeconds, cpuUserSeconds: cpu.user / 1e6, cpuSysSeconds: cpu.system / 1e6,
    syscalls: {}, cancelled: false, tid: process.pid, engine: 'node', cpuScope: 'process',
  };
}

async function main(): Promise<void> {
  const native = modeInfo(args.mode).native;
  await sendToParent({ type: 'ready', pid: process.pid });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const progress = { get: () => 0 };
  const tick = setInterval(() => void sendToParent({ type: 'progress', bytes: progress.get() }), 100);
  try {
    const result = await (native ? nativeTransfer(progress) : nodeStream(progress));
    clearInterval(tick);
    await sendToParent({ type: 'done', result });
    process.exit(0);
  } catch (e) {
    clearInterval(tick);
    await sendToParent({ type: 'error', error: errorMessage(e) });
    process.exit(1);
  }
}

void main();
