// Writes every report file from the runs recorded so far: report.md,
// report.html, results.json, results.csv (each written whole to a temp file,
// then renamed, so a reader never sees half a report).
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, type ReportInput, type ReportModel } from './model.js';
import { resultsCsv, resultsFile } from './write-data.js';
import { reportHtml } from './write-html.js';
import { reportMarkdown } from './write-markdown.js';
import type { Lang } from '../view/messages.js';

export interface ReportFiles { markdown: string; html: string; json: string; csv: string }

export const REPORT_FILES = { markdown: 'report.md', html: 'report.html', json: 'results.json', csv: 'results.csv' } as const;

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** `lang`: the language report.html opens in (it holds both; report.md is English). */
export function writeReports(outDir: string, input: ReportInput, lang: Lang = 'en'): ReportFiles & { model: ReportModel } {
  const model = buildModel(input);
  const files: ReportFiles = {
    markdown: join(outDir, REPORT_FILES.markdown),
    html: join(outDir, REPORT_FILES.html),
    json: join(outDir, REPORT_FILES.json),
    csv: join(outDir, REPORT_FILES.csv),
  };
  writeAtomic(files.json, JSON.stringify(resultsFile(model), null, 2) + '\n');
  writeAtomic(files.csv, resultsCsv(model));
  writeAtomic(files.markdown, reportMarkdown(model, outDir));
  writeAtomic(files.html, reportHtml(model, outDir, lang));
  return { ...files, model };
}
