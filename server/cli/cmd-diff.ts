// zcl diff: two reports (two kernels, two machines, before/after a change)
// cell by cell: every counter per MiB, CPU s/GiB and throughput, A -> B, with
// each side's spread, flagging what changed beyond noise (report/diff.ts).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { diffReports, IGNORABLE_FIELDS, loadResults, NOISE_RULE } from '../report/diff.js';
import { diffText, writeDiff } from '../report/write-diff.js';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare two reports cell by cell (two kernels, two machines, before/after a change): each counter per MiB, CPU s/GiB, throughput, A -> B, flagging what changed beyond noise')
    .argument('<A>', 'a results.json of zcl report, or its report directory')
    .argument('<B>', 'the other one')
    .option('--out <dir>', 'also write diff.md and diff.html there')
    .option('--ignore <fields>', `RunSpec fields left out of the cell match, comma-separated (${IGNORABLE_FIELDS.join(', ')}), e.g. --ignore path to set loopback against veth`)
    .option('--all', 'print every figure either side measured as non-zero (default: CPU, throughput, the sender\'s copies, syscalls and switches, and whatever changed)')
    .option('--json', 'print the diff as JSON (the figures, spreads and verdicts) instead of the table')
    .addHelpText(
      'after',
      `
Cells match when their RunSpec is the same (mode, path, sink, size, chunk, cache, engine, duration, rate), less the
--ignore fields; cells only in A or only in B are listed. Per matched cell each figure shows A's and B's median over
the cell's runs with their range (min–max), B/A, and a verdict:

${NOISE_RULE}

Bytes counters are shown per byte moved (1.00: every byte once), other counters per MiB moved.
Exit codes: 0 the diff was made (changed or not), 2 bad input (a file that is not a results.json of zcl report,
another schema version, an unknown --ignore field, no cell in common), naming the file and the reason.

Examples:
  zcl diff reports/host/results.json reports/vm-6.1/results.json
  zcl diff before/ after/ --out diff/
  zcl diff loopback/ veth/ --ignore path --all
`,
    )
    .action((a: string, b: string, o: { out?: string; ignore?: string; all?: boolean; json?: boolean }) => {
      const ignore = o.ignore ? o.ignore.split(',').map((s) => s.trim()).filter(Boolean) : [];
      const d = diffReports(loadResults(a), loadResults(b), { ignore });
      if (o.json) process.stdout.write(JSON.stringify(d, null, 2) + '\n');
      else process.stdout.write(diffText(d, !!o.all));
      if (o.out) {
        const dir = resolve(o.out);
        mkdirSync(dir, { recursive: true });
        const files = writeDiff(dir, d);
        process.stderr.write(`diff: ${files.markdown}\n      ${files.html}\n`);
      }
    });
}
