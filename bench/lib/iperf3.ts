// iperf3 (Debian's package) as the benchmark's peer, on the same path as the lab:
// the server in the sink's namespace, the client in the sender's.
import { spawn } from 'node:child_process';
import type { NetPath } from '../../server/run/netpath.js';

export interface PeerResult { wallSeconds: number; bytes: number; throughputMiBps: number; cpuSecondsPerGiB: number }

function inNs(netns: string | undefined, argv: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, ...argv]] : [argv[0], argv.slice(1)];
}

function exec(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err || out.slice(0, 500)}`))));
  });
}

let port = 15201;

/** One iperf3 transfer of `bytes`; extra: ['-Z'] (sendfile) or ['-F', file] (read from a file). */
export async function iperf3(path: NetPath, bytes: number, chunk: number, extra: string[]): Promise<PeerResult> {
  const p = String(port++);
  const [scmd, sargs] = inNs(path.sinkNetns, ['iperf3', '-s', '-1', '-p', p, '-B', path.sinkHost]);
  const server = spawn(scmd, sargs, { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300)); // iperf3 -s has no readiness signal
    const [ccmd, cargs] = inNs(path.senderNetns, ['iperf3', '-c', path.sinkHost, '-p', p, '-n', String(bytes), '-l', String(chunk), '-J', ...extra]);
    const j = JSON.parse(await exec(ccmd, cargs));
    const sent = j.end.sum_sent;
    const cpu = j.end.cpu_utilization_percent;
    const seconds = sent.seconds as number;
    const cpuSeconds = (cpu.host_total / 100) * seconds; // iperf3: getrusage of its own process over the test
    return { wallSeconds: seconds, bytes: sent.bytes, throughputMiBps: sent.bytes / 2 ** 20 / seconds, cpuSecondsPerGiB: cpuSeconds / (sent.bytes / 2 ** 30) };
  } finally {
    server.kill('SIGKILL');
  }
}
