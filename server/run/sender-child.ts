// The sender process: waits for "go" (so the probes can register its pid
// first), runs the transfer, reports progress at 10 Hz and the result.
import { createReadStream } from 'node:fs';
import { connect } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { modeInfo } from '../../scenarios/catalog.js';
import { addon, runLoop } from '../native.js';
import { errorMessage, exitWithParent, sendToParent, type SenderArgs, type SenderResult, type TlsRunInfo } from './child-protocol.js';
import { readTlsStat } from '../core/ktls.js';

const args = JSON.parse(process.argv[2]) as SenderArgs;
exitWithParent(args.parentPid);

/** kTLS: what the run set up, and the kernel's kTLS counters' change in this network namespace. */
function tlsInfo(before: Record<string, number> | null, after: Record<string, number> | null): TlsRunInfo {
  const stat = before && after ? Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])) : null;
  return { version: 'TLS 1.3', cipher: 'AES-GCM-128', recordOverheadBytes: 22, maxRecordBytes: 16384, stat };
}

async function nativeTransfer(progress: { get: () => number }): Promise<SenderResult> {
  // /proc/net/tls_stat before the connection (the tls module registers it: loaded by the first TCP_ULP "tls" at the latest).
  const before = args.tls ? (readTlsStat() ?? {}) : null;
  const { handle, done } = runLoop<import('../native.js').NativeTransferResult>((cb) =>
    addon().startTransfer(
      { mode: args.mode, file: args.file, size: args.sizeBytes, chunk: args.chunkBytes, host: args.host, port: args.port, duration: args.duration ?? 0, rate: args.rate ?? 0, ...(args.tls ? { tls: args.tls } : {}) },
      cb,
    ),
  );
  progress.get = () => handle.progress();
  process.on('SIGTERM', () => handle.cancel());
  const result = await done;
  return { ...result, engine: 'native', cpuScope: 'thread', ...(args.tls ? { tls: tlsInfo(before, readTlsStat()) } : {}) };
}

// node-stream: the way Node programs send files. The engine cannot count this
// mode's syscalls (libuv issues them); the probes do.
async function nodeStream(progress: { get: () => number }): Promise<SenderResult> {
  const sock = connect({ host: args.host, port: args.port });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  progress.get = () => bytes;
  let passes = 0;
  let pacedMs = 0;
  if (!args.duration && !args.rate) {
    const rs = createReadStream(args.file, { highWaterMark: args.chunkBytes, start: 0, end: args.sizeBytes - 1 });
    rs.on('data', (c) => (bytes += c.length));
    await pipeline(rs, sock);
    passes = 1;
  } else {
    // Timed or paced: the same pipe, pass after pass into the one socket; a
    // paced run puts a token bucket between the file stream and the socket (a
    // Transform that hands on the same buffers, later: no copy, no syscall).
    // The time is checked at each pass's end: a timed node-stream run ends at a
    // pass boundary (the file stream reads ahead, so stopping within a pass
    // would read bytes that are never sent).
    const rate = args.rate ?? 0;
    let tokens = 0;
    let filled = performance.now();
    const take = (n: number): number => {
      const now = performance.now();
      tokens = Math.min(Math.max(args.chunkBytes, n), tokens + ((now - filled) / 1e3) * rate);
      filled = now;
      tokens -= n;
      return tokens >= 0 ? 0 : (-tokens / rate) * 1e3;
    };
    do {
      const rs = createReadStream(args.file, { highWaterMark: args.chunkBytes, start: 0, end: args.sizeBytes - 1 });
      const pacer = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          const wait = rate ? take(chunk.length) : 0;
          const pass = () => {
            bytes += chunk.length;
            cb(null, chunk);
          };
          if (wait > 0) {
            pacedMs += wait;
            setTimeout(pass, wait);
          } else pass();
        },
      });
      await pipeline(rs, pacer, sock, { end: false });
      passes++;
    } while (args.duration && performance.now() - t0 < args.duration * 1e3);
    await new Promise<void>((resolve, reject) => sock.end(() => resolve()).once('error', reject));
  }
  const wallSeconds = (performance.now() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  return {
    bytes, wallSeconds, cpuUserSeconds: cpu.user / 1e6, cpuSysSeconds: cpu.system / 1e6,
    syscalls: {}, cancelled: false, tid: process.pid, engine: 'node', cpuScope: 'process',
    passes, tailBytes: 0, pacedSeconds: pacedMs / 1e3,
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
