// report.html in Chinese (issue 14, item 9): `zcl report --lang zh` writes a
// report that opens in 简体中文 (it holds both languages, with a switch): every
// section, table, diagram and chart in Chinese, no untranslated string (the
// catalogue walked against the page in Chromium), the glossary in both languages.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, ROOT } from '../server/project.js';
import { untranslated, visibleTexts } from './zh-page.js';

const zcl = (args: string[]) => spawnSync(process.execPath, [join(DIST, 'server', 'cli', 'zcl.js'), ...args], { encoding: 'utf8', cwd: ROOT });
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let browser: Browser;
const out = mkdtempSync(join(tmpdir(), 'zcl-report-zh-'));

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  rmSync(out, { recursive: true, force: true });
});

describe('report.html in Chinese', () => {
  it('zcl report --lang zh: no untranslated string, the charts and the glossary in Chinese, a switch to English', async () => {
    expect(zcl(['report', join(ROOT, 'scenarios', 'test-small.json'), '--lang', 'xx', '--out', out, '--dry-run']).stderr).toMatch(/--lang: 'xx' is not a language of the report; allowed: en, zh/);
    const r = zcl(['report', join(ROOT, 'scenarios', 'test-small.json'), '--out', out, '--lang', 'zh']);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<html lang="zh-CN" data-default-lang="zh">/);
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(join(out, 'report.html')).href);
    await page.waitForSelector('body[data-charts-rendered]');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('#seeds')).toMatch(/文章里的表/);
    // The charts' titles in Chinese too (chart.js draws them on a canvas: read from its config).
    const titles = await page.evaluate(() => {
      const C = (window as unknown as { Chart: { instances: Record<string, { options: { plugins?: { title?: { text?: string } } } }> } }).Chart;
      return Object.values(C.instances).map((c) => String(c.options.plugins?.title?.text ?? ''));
    });
    const bad = untranslated([...(await visibleTexts(page)), ...titles.filter(Boolean)]);
    if (bad.length) console.log(JSON.stringify(bad, null, 1));
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'report-zh.png'), fullPage: true });
    expect(bad).toEqual([]);
    expect(await page.$$eval('table.glossary tbody tr', (rs) => rs.length)).toBeGreaterThanOrEqual(12);
    // The switch: English, the same file.
    await Promise.all([page.waitForEvent('load'), page.selectOption('#lang-select', 'en')]);
    await page.waitForSelector('body[data-charts-rendered]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#seeds')).toMatch(/The seeds' table, measured/);
    expect(problems).toEqual([]);
  });
});
