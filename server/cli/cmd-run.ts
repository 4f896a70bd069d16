// zcl run: one transfer, a table or --json; saved in the results directory
// (as the server saves its runs, origin 'cli': the dashboard's recent runs list
// it) unless --no-save.
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { probeSetup } from '../probes/select.js';
import { CancelledError } from '../core/errors.js';
import { Session } from '../session/session.js';
import { finishedRecord, saveRunRecord } from '../session/run-record.js';
import { labDir } from '../project.js';
import { runTable } from './format.js';
import { abortOnSigint, transferBar } from './progress.js';
import { addRunOptions, catalogHelp, specFromOptions, withOptionNames } from './run-options.js';

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('move a file to a TCP socket once and report what it cost')
    .option('--json', 'print the RunResult as JSON on stdout')
    .option('--no-probes', 'do not load the eBPF probes (the transfer and its own counts only)')
    .option('--results <dir>', 'where the run is saved as a JSON file, for the dashboard\'s recent runs (zcl serve --results) (default: $ZCL_HOME/results)')
    .option('--no-save', 'do not save the run in the results directory');
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
        if (o.save !== false) {
          // The run is done and printed: a results directory that cannot be written is a warning, not a failure.
          try {
            const dir = typeof o.results === 'string' ? o.results : labDir('results');
            mkdirSync(dir, { recursive: true });
            const file = saveRunRecord(dir, finishedRecord(r, { origin: 'cli' }));
            if (!o.json) process.stderr.write(`zcl: saved as ${file} (the dashboard lists it; --no-save: not saved)\n`);
          } catch (e) {
            process.stderr.write(`zcl: the run was not saved in the results directory: ${(e as Error).message} (--results DIR: save it elsewhere; --no-save: do not)\n`);
          }
        }
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
