// npm run soak -- [--quick] [--cycles N] [--campaign NAME[,NAME]] [--max-minutes M] [--seed S] [--no-bomb]
// The fault campaign of issue 11: kills, Ctrl-Cs, cancels and hostile inputs
// against `zcl run` and `zcl serve` (loopback and lab-made namespaces only),
// then a table of crashes, 5xx answers and leftovers. Exit 1 on any of those.
import { Command, Option } from 'commander';
import { CAMPAIGNS, runSoak, soakNotes, soakTable, type CampaignName } from './index.js';

const cmd = new Command('soak')
  .description('the lab\'s fault campaign: kill -9, Ctrl-C, cancels, a dead child, a dead server and fuzzed inputs; then counts what was left behind')
  .option('--cycles <n>', 'scale: N kill -9 and N Ctrl-C cycles of zcl run, 3N POST/DELETE, N/3 child kills, N/5 server kills, fuzz of 15N HTTP + 5N WebSocket + 4N matrix inputs (beyond the fixed hostile ones)', '20')
  .option('--quick', 'the short version (4 cycles each, small fuzz: a few minutes)')
  .addOption(new Option('--campaign <names>', `only these (comma-separated): ${CAMPAIGNS.join(', ')}`))
  .option('--max-minutes <m>', 'no new cycles after this long (default: 40, 4 with --quick)')
  .option('--seed <s>', 'the random seed (printed; the same seed gives the same inputs and moments)')
  .option('--no-bomb', 'leave out the matrix cells bomb (a server or CLI without a cells limit hangs on it for minutes)')
  .addHelpText('after', '\nExit status: 0 when every campaign has 0 crashes, 0 answers of 5xx and 0 leftovers; 1 otherwise; 2 bad options.\nRuns as root. Leftovers are counted for this soak only (its own ZCL_HOME and the zcl processes it started).\n')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

async function main(): Promise<number> {
  try {
    cmd.parse();
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode ?? 2;
    return code === 0 ? 0 : 2;
  }
  const o = cmd.opts<{ cycles: string; quick?: boolean; campaign?: string; maxMinutes?: string; seed?: string; bomb: boolean }>();
  const campaigns = o.campaign ? (o.campaign.split(',').map((s) => s.trim()) as CampaignName[]) : undefined;
  const bad = campaigns?.filter((c) => !CAMPAIGNS.includes(c));
  if (bad?.length) {
    process.stderr.write(`soak: --campaign: unknown ${bad.join(', ')}; allowed: ${CAMPAIGNS.join(', ')}\n`);
    return 2;
  }
  const cycles = o.quick && !cmd.getOptionValueSource('cycles')?.startsWith('cli') ? undefined : Number(o.cycles);
  if (cycles !== undefined && !(Number.isInteger(cycles) && cycles >= 1 && cycles <= 10_000)) {
    process.stderr.write('soak: --cycles: a whole number from 1 to 10000\n');
    return 2;
  }
  const t0 = Date.now();
  const r = await runSoak({
    quick: o.quick,
    cycles,
    campaigns,
    maxMinutes: o.maxMinutes === undefined ? undefined : Number(o.maxMinutes),
    seed: o.seed === undefined ? undefined : Number(o.seed),
    bomb: o.bomb,
    log: (l) => process.stderr.write(`soak: ${l}\n`),
  });
  process.stdout.write(`\nzcl soak (seed ${r.seed}, ${((Date.now() - t0) / 60_000).toFixed(1)} min)\n\n${soakTable(r.rows)}\n\n`);
  const notes = soakNotes(r.rows);
  if (notes) process.stdout.write(`Notes:\n${notes}\n`);
  process.stdout.write(r.failed ? '\nFAILED: crashes, 5xx answers or leftovers above\n' : '\nOK: no crash, no 5xx, nothing left behind\n');
  return r.failed ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`soak: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
