// The sink process: listens, reports its port, receives one connection to the
// end and reports bytes, checksum and its own costs.
import { addon, runLoop, type NativeSinkResult } from '../native.js';
import { errorMessage, exitWithParent, sendToParent, type SinkArgs } from './child-protocol.js';

const args = JSON.parse(process.argv[2]) as SinkArgs;
exitWithParent(args.parentPid);

async function main(): Promise<void> {
  try {
    const a = addon();
    const l = a.listen(args.host, 0);
    const { handle, done } = runLoop<NativeSinkResult>((cb) => a.startSink({ fd: l.fd, mode: args.mode, buffer: args.bufferBytes }, cb));
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
