// npm run bench:transfer -- [--size 1GiB] [--reps 3] [--paths loopback,veth]
// The transfer engine against iperf3 on the same path, in one run, alternating:
//   sendfile   vs iperf3 -Z          (both sendfile)
//   read-write vs iperf3             (iperf3 sends from memory: no file read)
//   read-write vs iperf3 -F file     (iperf3 read()s the same file: the same work)
// Prints medians (min-max) and the ratios ours/iperf3 for throughput and sender CPU per GiB.
import { Command } from 'commander';
import { runTransfer } from '../server/session/session.js';
import { ensureDataFile, prepareCache } from '../server/run/datafiles.js';
import { openPath } from '../server/run/netpath.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { parseSize } from '../server/schema/units.js';
import { iperf3, type PeerResult } from './lib/iperf3.js';
import { comparisonTable, type Sample } from './lib/report.js';

const o = new Command('bench:transfer')
  .option('--size <size>', 'bytes per transfer', '1GiB')
  .option('--chunk <size>', 'bytes per syscall (iperf3 -l)', '128KiB')
  .option('--reps <n>', 'alternating repetitions', '3')
  .option('--paths <list>', 'comma-separated paths', 'loopback,veth')
  .parse()
  .opts();

const size = parseSize(o.size)!;
const chunk = parseSize(o.chunk)!;
const reps = Number(o.reps);
const paths = String(o.paths).split(',') as ('loopback' | 'veth')[];

type Pair = { label: string; peerLabel: string; ours: () => Promise<Sample>; peer: () => Promise<PeerResult> };

async function main(): Promise<void> {
  const file = await ensureDataFile(size);
  const rows: { label: string; ours: Sample[]; peerLabel: string; peer: Sample[] }[] = [];
  for (const pathName of paths) {
    const ours = (mode: 'sendfile' | 'read-write') => async () => {
      const r = await runTransfer(parseRunSpec({ mode, path: pathName, sizeBytes: size, chunkBytes: chunk, cache: 'warm' }));
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
      { label: `${pathName} read-write`, peerLabel: 'iperf3', ours: ours('read-write'), peer: peer([]) },
      { label: `${pathName} read-write`, peerLabel: 'iperf3 -F', ours: ours('read-write'), peer: peer(['-F', file.path]) },
    ];
    for (const p of pairs) {
      const row = { label: p.label, peerLabel: p.peerLabel, ours: [] as Sample[], peer: [] as Sample[] };
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
  process.stdout.write(`\n${(size / 2 ** 30).toFixed(2)} GiB per transfer, ${chunk} B per syscall, ${reps} alternating repetitions, medians\n`);
  process.stdout.write(comparisonTable(rows) + '\n');
  process.stdout.write('ratios are ours / iperf3: throughput >= 0.95 and CPU <= 1.0 are the targets\n');
}

main().catch((e) => {
  process.stderr.write(`bench:transfer: ${(e as Error).message}\n`);
  process.exit(1);
});
