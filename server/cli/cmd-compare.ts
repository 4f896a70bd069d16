// zcl compare: every mode once on a path, side by side.
import { Option, type Command } from 'commander';
import { APP_MODE_NAMES, KTLS_MODE_NAMES, LAB_MODE_NAMES, MODE_NAMES, MODES, modeInfo, PATH_NAMES } from '../../scenarios/catalog.js';
import { probeSetup } from '../probes/select.js';
import { CancelledError, InputError } from '../core/errors.js';
import type { RunResult } from '../run/result.js';
import { parseRunSpec, type RunSpec } from '../schema/run-spec.js';
import { Session } from '../session/session.js';
import { compareTable } from './format.js';
import { abortOnSigint, transferBar } from './progress.js';
import { engineOption, OPTION_OF_FIELD, withOptionNames } from './run-options.js';

/** zcl compare's default duration per lab mode: long enough for steady sender CPU figures (README, "Figures that move with noise"). */
export const COMPARE_DURATION = '2s';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('run every mode once over a path and print them side by side (sendfile-nogather always over veth-nosg)')
    .option('--path <path>', `${PATH_NAMES.join(' | ')} (sendfile-nogather always runs over veth-nosg)`, 'loopback')
    .option('--size <size>', 'bytes per run', '256MiB')
    .option('--chunk <size>', 'bytes per syscall (app modes: their program\'s own)', '128KiB')
    .addOption(new Option('--duration <time>', 'each lab mode sends the file pass after pass for this long (app modes: one pass): e.g. 10s; 0: one pass of the file. Timed by default: a one-pass run lasts 0.1-0.4 s, too short for steady CPU figures on a shared machine').default(COMPARE_DURATION))
    .addOption(new Option('--repeat <n>', 'run every mode this many times, interleaved (one run of each mode, then the next round): medians, lowest-highest, and a flag where they spread wide').default('1'))
    .addOption(new Option('--rate <rate>', 'cap each lab mode at this many bytes per second (app modes: unpaced): e.g. 50MiB/s (default: 0, unlimited)'))
    .option('--modes <list>', `comma-separated modes, or \`lab\` (the lab's own sender: ${LAB_MODE_NAMES.join(', ')}) or \`apps\` (the real programs: ${APP_MODE_NAMES.join(', ')}) or \`ktls\` (kernel TLS, where the kernel has the tls module: ${KTLS_MODE_NAMES.join(', ')}) (default: lab and apps)`)
    .addOption(engineOption())
    .option('--json', 'print the RunResults as JSON')
    .action(async (o: Record<string, string>) => {
      const groups: Record<string, readonly string[]> = { lab: LAB_MODE_NAMES, apps: APP_MODE_NAMES, ktls: KTLS_MODE_NAMES };
      const modes = o.modes ? o.modes.split(',').flatMap((m) => groups[m.trim()] ?? [m.trim()]) : MODE_NAMES.filter((m) => !modeInfo(m).kernelFeature);
      const repeat = Number(o.repeat);
      if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new InputError([{ field: '--repeat', message: `'${o.repeat}' is not allowed; allowed: a whole number from 1 to 20` }], 'options');
      const once: RunSpec[] = withOptionNames(() =>
        modes.map((mode) =>
          parseRunSpec(
            {
              mode, path: (MODES[mode as keyof typeof MODES] as { path?: string } | undefined)?.path ?? o.path, sizeBytes: o.size,
              // an app mode's chunk is its program's
              ...(modeInfo(mode)?.app ? {} : { chunkBytes: o.chunk, duration: o.duration, rate: o.rate }), engine: o.engine,
            },
            'options',
          ),
        ),
        { ...OPTION_OF_FIELD, mode: '--modes' },
      );
      const specs = Array.from({ length: repeat }, () => once).flat();
      const probes = probeSetup(true, specs[0].engine);
      const sessions = withOptionNames(() => specs.map((spec) => new Session(spec, { probes })));
      const ac = abortOnSigint();
      const results: RunResult[] = [];
      if ('absent' in probes) process.stderr.write(`zcl: probes (${specs[0].engine}) unavailable: ${probes.absent.reason}\n`);
      for (const [i, session] of sessions.entries()) {
        const bar = transferBar(`${i + 1}/${specs.length} ${session.spec.mode}`);
        session.on((e) => e.type === 'progress' && bar.update(e.bytes, e.total, e.duration ? { t: e.t, duration: e.duration } : undefined));
        try {
          results.push(await session.start({ signal: ac.signal }));
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
