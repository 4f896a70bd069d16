// report.md: the seeds' table measured, every cell's medians with min-max,
// where the bytes went, failures, the environment, and the matrix itself.
import { modePairs, pairTable, PAIRS_INTRO } from './compare.js';
import type { ReportModel } from './model.js';
import {
  allMatch, copiesTable, refusedTable, REFUSED_INTRO, divergences, SPREAD_RULE, spreadFlags, environmentList, failuresTable, matrixText, resultsTable, resumeHint, seedsTable, sourcesTable, statusLine, timeSpent, type Table,
} from './tables.js';

const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function mdTable(t: Table): string {
  const head = `| ${t.headers.map(cell).join(' | ')} |`;
  const rule = `|${t.numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`;
  return [head, rule, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function reportMarkdown(m: ReportModel, outDir: string): string {
  const out: string[] = [];
  const p = (s = '') => out.push(s);
  p(`# ${m.matrix.name}`);
  p();
  if (m.matrix.description) {
    p(m.matrix.description);
    p();
  }
  p(`**${statusLine(m)}**${timeSpent(m) ? ` The measured runs took ${timeSpent(m)} in all.` : ''}`);
  const hint = resumeHint(m, outDir);
  if (hint) {
    p();
    p(`${hint.what}: \`${hint.command}\``);
  }
  p();
  p(
    'Every figure is the median of the repetitions, with the lowest and highest run in parentheses when they differ. ' +
      'Per byte or per MiB means divided by the bytes the run moved. The charts and the data-flow diagram of every mode are in `report.html`; every run\'s raw counters are in `results.json` and `results.csv`.',
  );
  p();

  p("## The seeds' table, measured");
  p();
  p(
    'The two seed articles count, for each way of sending a file, the CPU copies every byte goes through and the user/kernel mode switches (which they call context switches): ' +
      'read + write 2 CPU copies and 4 switches; sendfile as in Linux 2.1 1 copy and 2 switches; sendfile with DMA gather (Linux 2.4 and later) 0 copies and 2 switches; each with 2 DMA copies (disk → page cache, socket buffer → NIC). ' +
      'Here the eBPF probes count the same things on the running kernel: CPU copies are the bytes the kernel copied, per byte moved; mode switches are two per syscall the sender made, per chunk (one chunk is one `read`/`write`/`sendfile` step of the given size).',
  );
  p();
  p(mdTable(seedsTable(m)));
  p();
  const d = divergences(m);
  p('### Where the measurement differs from the seeds, and why');
  p();
  if (!d.cells.length) p(`- ${allMatch(m)}`);
  for (const c of d.cells) p(`- **${c.label}** (${c.verdict}): ${c.text}.`);
  p();
  if (d.notes.length) {
    p('Notes:');
    p();
    for (const n of d.notes) p(`- ${n}`);
    p();
  }

  p('## Results per cell');
  p();
  p('Sender CPU is the time the sender\'s transfer thread spent (node-stream: its whole process), user plus system, per GiB moved (netperf\'s "service demand"). Context switches are the scheduler taking the sender\'s thread off a CPU.');
  p();
  p(mdTable(resultsTable(m)));
  p();
  p(SPREAD_RULE);
  p();
  const flags = spreadFlags(m);
  if (flags.length) {
    p('### Figures to read with care');
    p();
    for (const f of flags) p(`- **${f.label}**: ${f.text}.`);
    p();
  }
  const pairs = modePairs(m);
  if (pairs.length) {
    p('## Each mode against its baseline');
    p();
    p(PAIRS_INTRO);
    p();
    for (const pr of pairs) {
      p(`### ${pr.mode} against ${pr.against}`);
      p();
      p(pr.shows);
      p();
      for (const x of pr.crossover) p(`- ${x}`);
      if (pr.refused) p('- Refused on this kernel: see "Refused on this kernel" for the reason.');
      if (pr.crossover.length || pr.refused) p();
      p(mdTable(pairTable(pr)));
      p();
    }
  }
  p('## Where the bytes went, per byte moved');
  p();
  p('What the probes counted crossing each step of the seeds\' diagram (disk → page cache → user buffer → socket buffer → device → receiver), divided by the bytes moved. CPU columns are copies; "by reference" and "pinned" are bytes the kernel passed without copying them.');
  p();
  p(mdTable(copiesTable(m)));
  p();
  const f = failuresTable(m);
  if (f) {
    p('## Failures');
    p();
    p('A failed run stops its cell (its remaining runs are skipped); the other cells ran. `--resume` retries them.');
    p();
    p(mdTable(f));
    p();
  }
  const refused = refusedTable(m);
  if (refused) {
    p('## Refused on this kernel');
    p();
    p(REFUSED_INTRO);
    p();
    p(mdTable(refused));
    p();
  }
  p('## Environment');
  p();
  for (const [k, v] of environmentList(m)) p(`- **${k}**: ${v}`);
  p();
  const src = sourcesTable(m);
  if (src) {
    p('<details><summary>Where each counter comes from</summary>');
    p();
    p(mdTable(src));
    p();
    p('</details>');
    p();
  }
  p('## The matrix');
  p();
  p(`${m.matrix.source ? `From \`${m.matrix.source}\`` : 'As given'}; the cells are the cross product of the axes${m.matrix.exclude.length ? ', less the excluded combinations' : ''}${m.matrix.include.length ? ', plus the included cells' : ''}. Repetitions ran interleaved: one run of every cell, then the next round.`);
  p();
  p('```json');
  p(matrixText(m));
  p('```');
  p();
  return out.join('\n');
}
