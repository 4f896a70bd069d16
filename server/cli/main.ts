// zcl's commands (zcl.ts loads this once Ctrl-C is handled).
import { Command, CommanderError } from 'commander';
import { CancelledError, exitCodeOf } from '../core/errors.js';
import { registerRun } from './cmd-run.js';
import { registerCompare } from './cmd-compare.js';
import { registerReport } from './cmd-report.js';
import { registerDiff } from './cmd-diff.js';
import { registerDoctor } from './cmd-doctor.js';
import { registerServe } from './cmd-serve.js';
import { registerClean } from './cmd-clean.js';
import { registerWatch } from './cmd-watch.js';
import { sweepStalePaths } from '../run/netpath.js';
import { sweepOrphans } from '../core/owner.js';

const program = new Command('zcl')
  .description('zerocopy-lab: moves a file to a TCP socket in several ways and measures, with eBPF, what each costs the kernel')
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    `
Environment:
  ZCL_HOME      the lab's data files, results and reports (default /var/lib/zerocopy-lab)
  ZCL_DATA_MAX  bound of the data files kept for reuse (default 16GiB; least recently used go first)
  ZCL_TOKEN     the token of \`zcl serve\` (as --token, without showing it to \`ps\`)

Exit codes: 0 ok, 1 the run or command failed, 2 bad input (nothing started), 130 interrupted.
Everything needs root (eBPF, network namespaces). Start with: zcl doctor; zcl run --help.`,
  )
  .exitOverride();

registerRun(program);
registerCompare(program);
registerReport(program);
registerDiff(program);
registerDoctor(program);
registerServe(program);
registerClean(program);
registerWatch(program);

/** Exit codes (core/errors.ts): 0 ok, 1 the run failed, 2 bad input (nothing was started), 130 interrupted. */
async function main(): Promise<void> {
  // What a killed zcl left running (its children, their namespaces) goes first.
  if (process.getuid?.() === 0) {
    try {
      sweepOrphans();
      await sweepStalePaths();
    } catch {
      /* best effort: ip may be missing; the command itself says what is wrong */
    }
  }
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 1 ? 2 : e.exitCode);
    process.stderr.write(`zcl: ${e instanceof CancelledError ? 'cancelled; nothing left behind' : (e as Error).message}\n`);
    process.exit(exitCodeOf(e));
  }
}

void main();
