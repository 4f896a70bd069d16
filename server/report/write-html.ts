// report.html: one self-contained file that opens offline. Chart.js is inlined
// from node_modules (its license comment kept, without its web addresses), the
// chart data is embedded as JSON, the diagrams are inline SVG, and nothing
// refers to any URL.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROOT } from '../project.js';
import { buildCharts, type ChartSpec } from './charts.js';
import { flowLegend, flowSvg } from './flow-svg.js';
import { modePairs, pairTable, PAIRS_INTRO } from './compare.js';
import type { ReportModel } from './model.js';
import { GLOSSARY, MESSAGES, NAMES, type Lang } from '../view/messages.js';
import {
  allMatch, refusedTable, REFUSED_INTRO, SPREAD_RULE, spreadFlags, probesText, copiesTable, divergences, environmentList, failuresTable, matrixText, resultsTable, resumeHint, seedsTable, sourcesTable, statusLine, timeSpent, type Table,
} from './tables.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

let chartLib: string | undefined;

/** Chart.js's UMD build, ready to sit inside a <script> element. */
export function chartJsSource(): string {
  if (chartLib !== undefined) return chartLib;
  const require = createRequire(join(ROOT, 'package.json'));
  const file = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  let src = readFileSync(file, 'utf8');
  // Keep the license comments, drop the addresses in them (the report has no URL at all) and the source map link.
  src = src.replace(/\/\*![\s\S]*?\*\//g, (c) => c.replace(/https?:\/\//g, ''));
  src = src.replace(/\n\/\/# sourceMappingURL=.*$/m, '');
  if (/https?:\/\//.test(src)) throw new Error(`${file} contains a URL outside its license comment; the report must have none`);
  chartLib = src.replace(/<\/(script)/gi, '<\\/$1');
  return chartLib;
}

export function htmlTable(t: Table, cls = ''): string {
  const head = `<tr>${t.headers.map((h, i) => `<th${t.numeric[i] ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr>`;
  const rows = t.rows
    .map((r, ri) => {
      const v = t.verdicts?.[ri];
      return `<tr>${r
        .map((c, i) => {
          const isVerdict = v !== undefined && i === r.length - 1 && t.verdicts;
          const classes = [t.numeric[i] ? 'num' : '', i < (t.idColumns ?? 0) ? 'id' : '', isVerdict && v ? `verdict ${v}` : ''].filter(Boolean).join(' ');
          return `<td${classes ? ` class="${classes}"` : ''}>${esc(c)}</td>`;
        })
        .join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

function chartBlock(c: ChartSpec): string {
  return (
    `<figure class="chart" id="fig-${c.id}"><figcaption><strong>${esc(c.title)}</strong><br><span>${esc(c.caption)}</span></figcaption>` +
    `<div class="chart-box" style="height:${c.height ?? 340}px"><canvas id="${c.id}" aria-label="${esc(c.title)}" role="img"></canvas></div></figure>`
  );
}

export const CSS = `
:root { color-scheme: light; --fg: #1d2733; --muted: #5b6b7a; --line: #d5dde5; --bg-alt: #f5f8fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 28px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 40px 0 10px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 16.5px; margin: 24px 0 8px; }
p, li { max-width: 78ch; }
.lead { color: var(--muted); font-size: 16px; }
.status { padding: 10px 14px; border-radius: 6px; background: #e8f5e9; border: 1px solid #a5d6a7; display: inline-block; }
.status.incomplete { background: #fff8e1; border-color: #ffcc80; }
nav { margin: 14px 0 0; font-size: 14px; }
nav a { margin-right: 14px; color: #1565c0; text-decoration: none; }
nav select { font: inherit; }
table.glossary td { max-width: 60ch; }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: var(--bg-alt); padding: 12px; border-radius: 6px; overflow: auto; white-space: pre-wrap; }
.table-wrap { overflow-x: auto; margin: 8px 0 14px; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
th.num { text-align: right; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { white-space: nowrap; }
th { min-width: 4.5em; }
td.verdict { font-weight: 600; white-space: nowrap; }
td.verdict.matches { background: #e8f5e9; color: #1b5e20; }
td.verdict.differs { background: #fff3e0; color: #a84300; }
td.verdict.unmeasured, td.verdict.failed { background: #eceff1; color: #37474f; }
td.verdict.failed { background: #ffebee; color: #b71c1c; }
ul.divergences li { margin-bottom: 6px; }
.charts { display: grid; grid-template-columns: 1fr; gap: 22px; }
figure.chart { margin: 0; padding: 12px 14px; border: 1px solid var(--line); border-radius: 8px; }
figure.chart figcaption { margin-bottom: 8px; }
figure.chart figcaption span { color: var(--muted); font-size: 13.5px; }
.chart-box { position: relative; width: 100%; }
.flows { display: grid; grid-template-columns: 1fr; gap: 18px; }
.flow-card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px 4px; }
.flow-card h3 { margin: 2px 0 2px; }
.flow-card p { margin: 0 0 4px; color: var(--muted); font-size: 13.5px; }
.legend { font-size: 13px; color: var(--muted); }
.legend-item { display: inline-block; margin-right: 18px; white-space: nowrap; }
.legend-item svg { vertical-align: middle; }
dl.env { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.env dt { font-weight: 600; }
dl.env dd { margin: 0; }
.noscript { padding: 8px 12px; background: #fff8e1; border: 1px solid #ffcc80; border-radius: 6px; }
@media print { h2 { break-before: auto; } figure.chart, .flow-card { break-inside: avoid; } }
`;

// The page's language: ?lang=, else the one remembered, else the one the report was written in (zcl report --lang);
// the page translated from the embedded catalogue (dashboard/lib/translate.js, inlined), a switch in its nav.
const I18N = `
(function () {
  var doc = JSON.parse(document.getElementById('zcl-messages').textContent);
  var root = document.documentElement;
  var want = null;
  try { want = new URLSearchParams(location.search).get('lang'); } catch (e) {}
  if (want !== 'en' && want !== 'zh') { try { want = localStorage.getItem('zcl-lang'); } catch (e) {} }
  if (want !== 'en' && want !== 'zh') want = root.getAttribute('data-default-lang') || 'en';
  var tr = makeTranslator(doc.messages, want, doc.names);
  window.zclTr = tr;
  root.lang = want === 'zh' ? 'zh-CN' : 'en';
  document.title = tr.tx(document.title);
  var sel = document.getElementById('lang-select');
  if (sel) {
    sel.value = want;
    sel.addEventListener('change', function () {
      try { localStorage.setItem('zcl-lang', sel.value); } catch (e) {}
      location.replace(location.pathname + '?lang=' + sel.value + location.hash);
    });
  }
  translateTree(document.body, tr);
})();
`;

const RENDER = `
(function () {
  var specs = JSON.parse(document.getElementById('zcl-chart-data').textContent);
  // The charts' words in the page's language (their names and numbers stay as they are).
  var tr = window.zclTr;
  var tx = function (v) {
    if (typeof v === 'string') return tr ? tr.tx(v) : v;
    if (Array.isArray(v)) return v.map(tx);
    if (v && typeof v === 'object') { var o = {}; for (var k in v) o[k] = k === 'data' && Array.isArray(v[k]) ? v[k] : tx(v[k]); return o; }
    return v;
  };
  specs.forEach(function (s) { s.config = tx(s.config); });
  var done = 0;
  if (typeof Chart === 'undefined') { document.body.setAttribute('data-charts-error', 'Chart.js did not load'); return; }
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
  Chart.defaults.animation = false;
  specs.forEach(function (s) {
    var el = document.getElementById(s.id);
    if (!el) return;
    try { new Chart(el, s.config); done++; }
    catch (e) { var p = document.createElement('p'); p.textContent = 'This chart could not be drawn: ' + e.message; el.parentNode.appendChild(p); }
  });
  document.body.setAttribute('data-charts-rendered', String(done));
})();
`;

let translator: string | undefined;

/** dashboard/lib/translate.js, the one translator, as a classic script (its exports are plain functions here). */
function translatorSource(): string {
  translator ??= readFileSync(join(ROOT, 'dashboard', 'lib', 'translate.js'), 'utf8').replace(/^export /gm, '');
  return translator;
}

/** Each term once, in both languages (left alone by the translation). */
function glossaryHtml(): string {
  const rows = GLOSSARY.map((g) => `<tr><th scope="row"><span lang="zh-CN">${esc(g.zhTerm)}</span><br><span lang="en">${esc(g.term)}</span></th><td lang="zh-CN">${esc(g.zh)}</td><td lang="en">${esc(g.en)}</td></tr>`).join('\n');
  return `<div class="table-wrap" translate="no"><table class="glossary"><thead><tr><th>术语 / term</th><th>中文</th><th>English</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/**
 * report.html. It holds both languages (the catalogue and the translator, inlined): `lang` is the one it opens in,
 * the switch in its nav the other (remembered where the browser allows it).
 */
export function reportHtml(m: ReportModel, outDir: string, lang: Lang = 'en'): string {
  const charts = buildCharts(m);
  const d = divergences(m);
  const hint = resumeHint(m, outDir);
  const f = failuresTable(m);
  const refused = refusedTable(m);
  const pairs = modePairs(m);
  const src = sourcesTable(m);
  const spent = timeSpent(m);
  const data = JSON.stringify(charts.map((c) => ({ id: c.id, config: c.config }))).replace(/</g, '\\u003c');
  const sweeps = charts.filter((c) => c.id.startsWith('chart-sweep-'));
  const main = charts.filter((c) => !c.id.startsWith('chart-sweep-'));
  const flows = m.flows
    .map((g, i) => `<div class="flow-card"><h3>${esc(g.title)}</h3>${flowSvg(g, `f${i}`)}</div>`)
    .join('\n');
  const nav = [
    ['seeds', "The seeds' table"], ['charts', 'Charts'], ...(sweeps.length ? [['sweeps', 'Sweeps']] : []), ['flows', 'Data flow'], ['cells', 'Results per cell'],
    ...(pairs.length ? [['pairs', 'Against the baseline']] : []),
    ['bytes', 'Where the bytes went'], ...(f ? [['failures', 'Failures']] : []), ...(refused ? [['refused', 'Refused on this kernel']] : []), ['environment', 'Environment'], ['matrix', 'Matrix'],
  ]
    .map(([id, t]) => `<a href="#${id}">${esc(t)}</a>`)
    .join('') + `<a href="#glossary">Glossary</a><select id="lang-select" aria-label="Language / 语言" translate="no"><option value="en" lang="en">English</option><option value="zh" lang="zh-CN">简体中文</option></select>`;
  const messages = JSON.stringify({ messages: MESSAGES, names: NAMES }).replace(/</g, '\\u003c');

  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}" data-default-lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(m.matrix.name)} · zerocopy-lab report</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(m.matrix.name)}</h1>
${m.matrix.description ? `<p class="lead">${esc(m.matrix.description)}</p>` : ''}
<p class="status${m.status === 'complete' ? '' : ' incomplete'}">${esc(statusLine(m))}${spent ? ` The measured runs took ${esc(spent)} in all.` : ''}${hint ? `<br>${esc(hint.what)}: <code>${esc(hint.command)}</code>` : ''}</p>
<p>Every figure is the median of the repetitions, with the lowest and highest run in parentheses when they differ. Per byte or per MiB means divided by the bytes the run moved. Measured on Linux ${esc(m.environment.kernel.release)}; probes: ${esc(probesText(m))}. The raw runs are in <code>results.json</code> and <code>results.csv</code> beside this file.</p>
<noscript><p class="noscript">The charts need JavaScript (it is inline in this file); the tables and diagrams below do not.</p></noscript>
<nav>${nav}</nav>

<h2 id="seeds">The seeds' table, measured</h2>
<p>The seed articles count, for each way of sending a file, the CPU copies every byte goes through and the user/kernel mode switches (which they call context switches): read + write 2 CPU copies and 4 switches; sendfile as in Linux 2.1 1 copy and 2 switches; sendfile with DMA gather (Linux 2.4 and later) 0 copies and 2 switches; each with 2 DMA copies. Here the eBPF probes count them on the running kernel: CPU copies are the bytes the kernel copied per byte moved; mode switches are two per syscall the sender made, per chunk.</p>
${htmlTable(seedsTable(m))}
<h3>Where the measurement differs from the seeds, and why</h3>
<ul class="divergences">
${d.cells.length ? '' : `<li>${esc(allMatch(m))}</li>`}
${d.cells.map((c) => `<li><strong>${esc(c.label)}</strong> (${esc(c.verdict)}): ${esc(c.text)}.</li>`).join('\n')}
</ul>
${d.notes.length ? `<p>Notes:</p><ul class="notes">${d.notes.map((n) => `<li>${esc(n)}</li>`).join('\n')}</ul>` : ''}

<h2 id="charts">Charts</h2>
${main.length ? `<div class="charts">${main.map(chartBlock).join('\n')}</div>` : '<p>No run finished yet: nothing to chart.</p>'}
${sweeps.length ? `<h2 id="sweeps">Sweeps</h2><div class="charts">${sweeps.map(chartBlock).join('\n')}</div>` : ''}

<h2 id="flows">Data flow, measured</h2>
<p>The seeds' diagram for each mode in this matrix, with what the probes counted crossing each arrow: bytes per byte moved, the median over the runs of every cell of that mode (all sizes and chunks). The path over the user buffer is the one sendfile and splice take: page-cache pages handed to the socket by reference.</p>
${flowLegend()}
<div class="flows">
${flows}
</div>

<h2 id="cells">Results per cell</h2>
<p>Sender CPU is the sender's transfer thread (node-stream: its whole process), user plus system, per GiB moved. Context switches are the scheduler taking the sender's thread off a CPU.</p>
${htmlTable(resultsTable(m))}
<p>${esc(SPREAD_RULE)}</p>
${spreadFlags(m).length ? `<h3 id="spread">Figures to read with care</h3><ul class="spread">${spreadFlags(m).map((f) => `<li><strong>${esc(f.label)}</strong>: ${esc(f.text)}.</li>`).join('\n')}</ul>` : ''}

${pairs.length ? `<h2 id="pairs">Each mode against its baseline</h2>
<p>${esc(PAIRS_INTRO)}</p>
${pairs.map((pr) => `<h3>${esc(`${pr.mode} against ${pr.against}`)}</h3>
<p>${esc(pr.shows)}</p>
${pr.crossover.length || pr.refused ? `<ul class="crossover">${pr.crossover.map((x) => `<li>${esc(x)}</li>`).join('')}${pr.refused ? `<li>${esc('Refused on this kernel: see "Refused on this kernel" for the reason.')}</li>` : ''}</ul>` : ''}
${htmlTable(pairTable(pr))}`).join('\n')}` : ''}

<h2 id="bytes">Where the bytes went, per byte moved</h2>
<p>What the probes counted crossing each step, divided by the bytes moved. "By reference" and "pinned" bytes were passed without a copy.</p>
${htmlTable(copiesTable(m))}

${f ? `<h2 id="failures">Failures</h2><p>A failed run stops its cell (its remaining runs are skipped); the other cells ran. <code>--resume</code> retries them.</p>${htmlTable(f)}` : ''}
${refused ? `<h2 id="refused">Refused on this kernel</h2><p>${esc(REFUSED_INTRO)}</p>${htmlTable(refused)}` : ''}

<h2 id="environment">Environment</h2>
<dl class="env">
${environmentList(m).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')}
</dl>
${src ? `<details><summary>Where each counter comes from</summary>${htmlTable(src)}</details>` : ''}

<h2 id="glossary">Glossary</h2>
<p>Each term once, in both languages: the words the seed articles use, and what the lab measures for them.</p>
${glossaryHtml()}

<h2 id="matrix">The matrix</h2>
<p>${m.matrix.source ? `From <code>${esc(m.matrix.source)}</code>. ` : ''}Repetitions ran interleaved: one run of every cell, then the next round.</p>
<pre>${esc(matrixText(m))}</pre>
</main>
<script type="application/json" id="zcl-chart-data">${data}</script>
<script type="application/json" id="zcl-messages">${messages}</script>
<script>${translatorSource()}
${I18N}</script>
<script>${chartJsSource()}</script>
<script>${RENDER}</script>
</body>
</html>
`;
}
