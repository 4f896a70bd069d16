// The Chinese dashboard (issue 14, item 9) in Debian's Chromium: switched to
// 简体中文, a small paced run, every panel opened (Run, the diagram, the charts,
// Watch, Reports, the recent runs, the seeds' table, the glossary); then the
// message catalogue is walked against the page: no visible text is, or holds,
// an English catalogue value whose Chinese differs, and no visible text has
// three English words in a row outside the names the lab keeps in every
// language. The choice is remembered (localStorage) and <html lang> is set.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type LabServer } from '../server/api/server.js';
import { labHome, ROOT } from '../server/project.js';
import { ourNamespaces } from './helpers.js';
import { untranslated, visibleTexts } from './zh-page.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let browser: Browser;
let server: LabServer;
const dirs: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  dirs.push(mkdtempSync(join(labHome(), 'results-zh-')), mkdtempSync(join(labHome(), 'reports-zh-')));
  server = await startServer({ port: 0, resultsDir: dirs[0], reportsDir: dirs[1] });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  expect(ourNamespaces()).toEqual([]);
});

describe('dashboard in Chinese', () => {
  it('has no untranslated string in any panel after a run, and remembers the choice', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    await page.goto(new URL('/?lang=zh', server.url).href);
    await page.waitForSelector('#f-mode');
    await page.waitForSelector('#conn.open');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('#start')).toBe('开始运行');
    expect(await page.title()).toMatch(/字节在哪里被拷贝/);

    // A small paced run, so the live status, the diagram's lines and the charts are drawn.
    await page.selectOption('#f-mode', 'read-write');
    await page.fill('#f-sizeBytes', '2MiB');
    await page.fill('#f-chunkBytes', '64KiB');
    await page.fill('#f-duration', '1.5s');
    await page.fill('#f-rate', '4MiB/s');
    await page.click('#start');
    await page.waitForSelector('#run-status[data-state=running]', { timeout: 60_000 });
    await page.waitForFunction(() => /≈/.test(document.querySelector('#flow-diagram [data-line=syscalls]')?.textContent ?? ''), null, { timeout: 60_000 });
    const live = untranslated(await visibleTexts(page));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-zh-live.png'), clip: { x: 0, y: 0, width: 1400, height: 1000 } });
    let watching: string[] = ['not reached'];
    await page.waitForSelector('#run-status[data-state=finished]', { timeout: 120_000 });
    expect.soft(await page.textContent('#run-status')).toMatch(/^已完成：read-write，经 loopback，2 MiB，持续 1\.5 秒，速率 4 MiB\/s/);
    // Item 2 in Chinese: the mode switches line and the note under the diagram.
    expect.soft(await page.textContent('#flow-diagram [data-line=syscalls]')).toMatch(/read\(\) × [\d,]+ \+ write\(\) × [\d,]+ = 每块 [\d.]+ 次用户态\/内核态切换/);
    expect.soft(await page.textContent('#flow-switch-note')).toMatch(/上下文切换.*用户态\/内核态切换.*系统调用次数 × 2.*调度器的上下文切换/);
    expect.soft(await page.textContent('#flow-diagram [data-arrow=file-to-user] .arrow-name')).toBe('CPU 拷贝');
    expect.soft(await page.textContent('#seeds-table')).toMatch(/相符|不符/);

    // Open every panel in turn: the Watch view (its process list), the reports, the recent runs, the glossary.
    // The Watch view, watching a process (one that sends nothing: the verdict, the diagram, the charts and the tables still show).
    const idle = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      await page.click('a[href="#watch-h"]');
      await page.click('#w-refresh');
      await page.waitForSelector(`#w-pick-${idle.pid}`, { state: 'attached' });
      await page.check(`#w-pick-${idle.pid}`);
      await page.click('#w-start');
      await page.waitForSelector('#w-verdict .verdict-line, #w-verdict p', { timeout: 60_000 });
      await page.waitForSelector('#w-detail :is(table, p)', { timeout: 60_000 });
      expect.soft(await page.textContent('#w-status')).toMatch(/^正在用 \w+ 观察 sleep \d+/);
      watching = untranslated(await visibleTexts(page));
      await page.click('#w-stop');
      await page.waitForSelector('#w-status[data-state=ended]', { timeout: 30_000 });
      expect.soft(await page.textContent('#w-status')).toMatch(/^观察了 sleep \d+ .*：已结束（已停止）/);
    } finally {
      idle.kill();
    }
    await page.click('a[href="#reports-h"]');
    await page.waitForSelector('#r-scenario option[value="seed-comparison"]', { state: 'attached' });
    await page.click('a[href="#compare-h"]');
    await page.click('#compare-table tbody tr[data-run]');
    await page.click('a[href="#glossary-h"]');
    expect(await page.$$eval('#glossary-table tbody tr', (rs) => rs.length)).toBeGreaterThanOrEqual(12);
    expect.soft(await page.textContent('#glossary-table')).toMatch(/零拷贝[\s\S]*zero-copy[\s\S]*DMA 拷贝[\s\S]*用户态\/内核态切换[\s\S]*上下文切换/);
    await page.click('#sources-summary, .about summary').catch(() => undefined);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-zh.png'), fullPage: true });

    const after = untranslated(await visibleTexts(page));
    if (live.length || watching.length || after.length) console.log(JSON.stringify({ live, watching, after }, null, 1));
    expect({ live, watching, after }).toEqual({ live: [], watching: [], after: [] });

    // Remembered: the same page without ?lang= is Chinese again; the switch takes it back to English.
    await page.goto(new URL('/', server.url).href);
    await page.waitForSelector('#f-mode');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await Promise.all([page.waitForEvent('load'), page.selectOption('#lang-select', 'en')]);
    await page.waitForSelector('#f-mode');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#start')).toBe('Start run');
    expect(problems).toEqual([]);
    await ctx.close();
  });
});
