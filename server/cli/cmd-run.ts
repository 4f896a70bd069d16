// zcl run: one transfer, a table or --json.
import type { Command } from 'commander';
import { probeSetup } from '../probes/select.js';
import { CancelledError } from '../core/errors.js';
import { Session } from '../session/session.js';
import { runTable } from './format.js';
import { abortOnSigint, transferBar } from './progress.js';
import { addRunOptions, catalogHelp, specFromOptions, withOptionNames } from './run-options.js';

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('move a file to a TCP socket once and report what it cost')
    .option('--json', 'print the RunResult as JSON on stdout')
    .option('--no-probes', 'do not load the eBPF probes (the transfer and its own counts only)');
  addRunOptions(cmd)
    .addHelpText('after', catalogHelp() + '\nExamples:\n  zcl run --mode read-write --size 256MiB --chunk 64KiB\n  zcl run --mode sendfile-nogather --json\n  zcl run --mode splice --engine bpftrace\n')
    .action(async (o: Record<string, unknown>) => {
      const spec = specFromOptions(o);
      const probes = probeSetup(o.probes !== false, spec.engine);
      const session = withOptionNames(() => new Session(spec, { probes }));
      const ac = abortOnSigint();
      const bar = transferBar(spec.mode);
      session.on((e) => e.type === 'progress' && bar.update(e.bytes, e.total, e.duration ? { t: e.t, duration: e.duration } : undefined));
      try {
        if ('absent' in probes && probes.absent.status === 'unavailable') process.stderr.write(`zcl: probes (${spec.engine}) unavailable: ${probes.absent.reason}\n`);
        const r = await session.start({ signal: ac.signal });
        bar.stop();
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : runTable(r) + '\n');
      } catch (e) {
        bar.stop();
        if (e instanceof CancelledError) {
          process.stderr.write('zcl: cancelled; nothing left behind\n');
          process.exit(130);
        }
        throw e;
      }
    });
}
