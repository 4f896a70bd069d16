// zcl doctor: can this machine run and measure the lab? Each problem comes with its fix.
import Table from 'cli-table3';
import type { Command } from 'commander';
import { diagnose } from '../session/doctor.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check that this machine can run and measure the lab; exits 1 when it cannot measure, with the fix for each problem')
    .option('--json', 'print the checks as JSON')
    .action(async (o: { json?: boolean }) => {
      const d = await diagnose();
      const fatal = d.checks.some((c) => !c.ok && c.fatal);
      if (o.json) process.stdout.write(JSON.stringify({ ok: !fatal, ...d }, null, 2) + '\n');
      else {
        const t = new Table({ head: ['check', '', 'detail', 'fix'], style: { head: [], border: [] }, wordWrap: true, colWidths: [22, 6, 60, 50] });
        for (const c of d.checks) t.push([c.check, c.ok ? 'ok' : c.fatal ? 'FAIL' : 'warn', c.detail, c.ok ? '' : (c.fix ?? '')]);
        const s = new Table({ head: ['counter', 'source'], style: { head: [], border: [] } });
        for (const c of d.counters) s.push([c.name, c.source ?? `unavailable: ${c.missing}`]);
        process.stdout.write(`${t.toString()}\n${d.counters.length ? s.toString() + '\n' : ''}${fatal ? 'The lab cannot measure everything here: see FAIL above.' : `The lab can measure here (tier: ${d.tier}).`}\n`);
      }
      if (fatal) process.exitCode = 1;
    });
}
