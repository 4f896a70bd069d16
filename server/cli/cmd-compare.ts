// zcl compare: every mode once on a path, side by side.
import type { Command } from 'commander';
import { MODE_NAMES, MODES } from '../../scenarios/catalog.js';
import { probeSetup } from '../probes/select.js';
import { CancelledError, runTransfer } from '../run/orchestrate.js';
import type { RunResult } from '../run/result.js';
import { InputError, parseRunSpec, type RunSpec } from '../schema/run-spec.js';
import { compareTable } from './format.js';
import { abortOnSigint, transferBar } from './progress.js';
import { engineOption, OPTION_OF_FIELD, privilegeProblems, withOptionNames } from './run-options.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('run every mode once over a path and print them side by side (sendfile-nogather always over veth-nosg)')
    .option('--path <path>', 'loopback | veth', 'loopback')
    .option('--size <size>', 'bytes per run', '256MiB')
    .option('--chunk <size>', 'bytes per syscall', '128KiB')
    .option('--modes <list>', `comma-separated modes (default: all: ${MODE_NAMES.join(', ')})`)
    .addOption(engineOption())
    .option('--json', 'print the RunResults as JSON')
    .action(async (o: Record<string, string>) => {
      const modes = o.modes ? o.modes.split(',').map((m) => m.trim()) : MODE_NAMES;
      const specs: RunSpec[] = withOptionNames(() =>
        modes.map((mode) =>
          parseRunSpec(
            { mode, path: (MODES[mode as keyof typeof MODES] as { path?: string } | undefined)?.path ?? o.path, sizeBytes: o.size, chunkBytes: o.chunk, engine: o.engine },
            'options',
          ),
        ),
        { ...OPTION_OF_FIELD, mode: '--modes' },
      );
      const problems = specs.flatMap(privilegeProblems);
      if (problems.length) throw new InputError([{ field: '--path', message: problems[0] }], 'options');
      const ac = abortOnSigint();
      const results: RunResult[] = [];
      const probes = probeSetup(true, specs[0].engine);
      if ('absent' in probes) process.stderr.write(`zcl: probes (${specs[0].engine}) unavailable: ${probes.absent.reason}\n`);
      for (const [i, spec] of specs.entries()) {
        const bar = transferBar(`${i + 1}/${specs.length} ${spec.mode}`);
        try {
          results.push(await runTransfer(spec, { signal: ac.signal, probes, onProgress: (b, t) => bar.update(b, t) }));
        } catch (e) {
          bar.stop();
          if (e instanceof CancelledError) process.exit(130);
          throw e;
        }
        bar.stop();
      }
      process.stdout.write(o.json ? JSON.stringify(results, null, 2) + '\n' : compareTable(results) + '\n');
    });
}
