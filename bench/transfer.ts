// npm run bench:transfer -- [--size 1GiB] [--reps 9] [--paths loopback,veth] [--sink copy]
// The transfer engine against iperf3 on the same path, in one run, alternating:
//   sendfile   vs iperf3 -Z          (both sendfile; iperf3's from a small buffer file)
//   read-write vs iperf3             (iperf3 sends from memory: no file read)
//   read-write vs iperf3 -F file     (iperf3 read()s the same file: the same work)
// The lab's receiver is the copy sink (recv() into a buffer, no checksum), as
// iperf3's receiver is. Prints medians (min-max) and the ratios ours/iperf3 for
// throughput and sender CPU per GiB, per repetition (adjacent runs) as median
// (min-max), and one thread's memcpy bandwidth with the ceiling it implies.
import { Command } from 'commander';
import { runTransfer } from '../server/session/session.js';
import { ensureDataFile, prepareCache } from '../server/run/datafiles.js';
import { openPath } from '../server/run/netpath.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { parseSize } from '../server/schema/units.js';
import { iperf3, type PeerResult } from './lib/iperf3.js';
import { comparisonTable, type Sample } from './lib/report.js';
import { MEMCPY_NOTE, memcpyMiBps } from './lib/memcpy.js';
import { SINK_NAMES, type SinkName } from '../scenarios/catalog.js';

const o = new Command('bench:transfer')
  .option('--size <size>', 'bytes per transfer', '1GiB')
  .option('--chunk <size>', 'bytes per syscall (iperf3 -l)', '128KiB')
  .option('--reps <n>', 'alternating repetitions', '9')
  .option('--sink <sink>', "the lab's receiver: copy (iperf3's work), read (checksums every byte), discard", 'copy')
  .option('--paths <list>', 'comma-separated paths', 'loopback,veth')
  .parse()
  .opts();

const size = parseSize(o.size)!;
const chunk = parseSize(o.chunk)!;
const reps = Number(o.reps);
const paths = String(o.paths).split(',') as ('loopback' | 'veth')[];
const sink = o.sink as SinkName;
if (!SINK_NAMES.includes(sink)) throw new Error(`--sink: '${o.sink}' is not one of ${SINK_NAMES.join(', ')}`);

type Pair = { label: string; peerLabel: string; ours: () => Promise<Sample>; peer: () => Promise<PeerResult>; notEqual?: string };

async function main(): Promise<void> {
  const file = await ensureDataFile(size);
  const rows: { label: string; ours: Sample[]; peerLabel: string; peer: Sample[]; notEqual?: string }[] = [];
  for (const pathName of paths) {
    const ours = (mode: 'sendfile' | 'read-write') => async () => {
      const r = await runTransfer(parseRunSpec({ mode, path: pathName, sink, sizeBytes: size, chunkBytes: chunk, cache: 'warm' }));
      return { throughputMiBps: r.throughputMiBps, cpuSecondsPerGiB: r.sender.cpuSecondsPerGiB };
    };
    const peer = (extra: string[]) => async () => {
      const path = await openPath(pathName);
      try {
        if (extra[0] === '-F') await prepareCache(file.path, 'warm');
        return await iperf3(path, size, chunk, extra);
      } finally {
        await path.close();
      }
    };
    const pairs: Pair[] = [
      { label: `${pathName} sendfile`, peerLabel: 'iperf3 -Z', ours: ours('sendfile'), peer: peer(['-Z']) },
      { label: `${pathName} read-write`, peerLabel: 'iperf3', ours: ours('read-write'), peer: peer([]), notEqual: 'no target: not equal work (iperf3 reads no file)' },
      { label: `${pathName} read-write`, peerLabel: 'iperf3 -F', ours: ours('read-write'), peer: peer(['-F', file.path]) },
    ];
    for (const p of pairs) {
      const row = { label: p.label, peerLabel: p.peerLabel, notEqual: p.notEqual, ours: [] as Sample[], peer: [] as Sample[] };
      for (let i = 0; i < reps; i++) {
        // Alternate who goes first so drift and cache effects spread evenly.
        if (i % 2 === 0) {
          row.ours.push(await p.ours());
          row.peer.push(await p.peer());
        } else {
          row.peer.push(await p.peer());
          row.ours.push(await p.ours());
        }
        process.stderr.write(`${p.label} vs ${p.peerLabel}: ${i + 1}/${reps}\n`);
      }
      rows.push(row);
    }
  }
  const m = memcpyMiBps();
  process.stdout.write(`\n${(size / 2 ** 30).toFixed(2)} GiB per transfer, ${chunk} B per syscall, ${reps} alternating repetitions; the machine may be shared (noisy): compare the ratios\n`);
  process.stdout.write(comparisonTable(rows) + '\n');
  process.stdout.write('ratios are ours / iperf3, per repetition (adjacent runs): median (min-max); targets: throughput >= 1.0 and sender CPU/GiB <= 1.0\n');
  process.stdout.write(
    [
      'what differs from iperf3\'s work:',
      `- receiver: the lab's ${sink} sink${sink === 'copy' ? ' (recv() into a 128 KiB buffer, nothing else), as iperf3 -s' : sink === 'read' ? ' checksums every byte (XXH3-64); iperf3 -s does not' : ' makes no receive copy (MSG_TRUNC); iperf3 -s copies'}; iperf3 -s also reports per interval (a timer, a few syscalls a second)`,
      `- sendfile vs iperf3 -Z: the lab sends the whole file (page-cache pages of a ${(size / 2 ** 30).toFixed(2)} GiB file); iperf3 -Z sendfile()s one buffer-sized temporary file again and again (always the same few cached pages)`,
      '- read-write vs iperf3: iperf3 writes one buffer from memory (no file read: one copy less); vs iperf3 -F: both read() the same warm file and write() it (the same copies)',
      '- CPU: the lab counts its sender thread (RUSAGE_THREAD, the loop); iperf3 its whole client process (getrusage), which is one thread doing the loop',
      `memcpy, one thread: ${m.median.toFixed(0)} MiB/s (${m.min.toFixed(0)}-${m.max.toFixed(0)}); read-write makes 2 sender CPU copies per byte (ceiling ${(m.median / 2).toFixed(0)} MiB/s) plus the receiver's 1, sendfile 0 on the sender (the receive copy bounds it: ${m.median.toFixed(0)} MiB/s)`,
      MEMCPY_NOTE,
    ].join('\n') + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`bench:transfer: ${(e as Error).message}\n`);
  process.exit(1);
});
