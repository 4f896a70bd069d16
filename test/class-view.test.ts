// Issue 14's "Done when", in Debian's Chromium (Playwright): a paced read-write run over
// veth-nosg and a paced sendfile run over veth, 1 MiB/s for 10 s each, move the live
// curves for 10 s (the latest sample's time grows, second after second, to the run's
// duration) and draw the mode's diagram with its syscall counts. Then the page is
// reloaded: the form says the run the diagram shows (item 5), and the overlay draws
// both runs again from their kept samples (item 10).
//
// ZCL_SCREENSHOTS=DIR saves what a class would see (mid-run and at the end of each
// run, and after the reload) to DIR.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type LabServer } from '../server/api/server.js';
import { labHome } from '../server/project.js';
import { ourNamespaces } from './helpers.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SHOTS = process.env.ZCL_SCREENSHOTS;

let browser: Browser;
let server: LabServer;
const dirs: string[] = [];

beforeAll(async () => {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  const tmp = (p: string) => {
    const d = mkdtempSync(join(labHome(), p));
    dirs.push(d);
    return d;
  };
  server = await startServer({ port: 0, resultsDir: tmp('results-class-'), reportsDir: tmp('reports-class-') });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  expect(ourNamespaces()).toEqual([]);
});

const shot = async (page: Page, name: string) => {
  if (!SHOTS) return;
  // the two panels a class looks at, readable at full size (the charts first: mid-run, they move), then the page
  await page.locator('section.charts-panel').screenshot({ path: join(SHOTS, `${name}-charts.png`) });
  await page.locator('section.flow').screenshot({ path: join(SHOTS, `${name}-diagram.png`) });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
};
const canvas = (page: Page, chart: string) =>
  page.$eval(`[data-chart=${chart}] canvas`, (c) => {
    const d = (c as HTMLCanvasElement).dataset;
    return { points: Number(d.points), tLast: Number(d.tLast ?? 0), xMax: Number(d.xMax) };
  });
const line = (page: Page, id: string) => page.textContent(`#flow-diagram [data-line=${id}]`);

/**
 * Starts the run the form says and follows it until it ends: once a second, in the page (no round
 * trips to slow it), the throughput chart's latest sample time and its points while the run runs.
 */
async function runAndFollow(page: Page, name: string): Promise<{ t: number; points: number }[]> {
  const before = await page.$$eval('#compare-table tbody tr[data-run]', (rs) => rs.length);
  await page.evaluate(() => {
    const w = window as unknown as { seen: { t: number; points: number }[]; follow?: number };
    w.seen = [];
    clearInterval(w.follow);
    w.follow = window.setInterval(() => {
      if (document.getElementById('run-status')?.dataset.state !== 'running') return;
      const d = (document.querySelector('[data-chart=throughput] canvas') as HTMLCanvasElement).dataset;
      w.seen.push({ t: Number(d.tLast ?? 0), points: Number(d.points) });
    }, 1000);
  });
  await page.click('#start');
  await page.waitForFunction(() => Number((document.querySelector('[data-chart=throughput] canvas') as HTMLCanvasElement).dataset.tLast) >= 5, null, { timeout: 60_000 });
  await shot(page, `${name}-live`);
  await expect.poll(() => page.$$eval('#compare-table tbody tr[data-run]', (rs) => rs.length), { timeout: 60_000 }).toBe(before + 1);
  await page.waitForSelector('#run-status[data-state=finished]');
  await page.waitForTimeout(300);
  await shot(page, `${name}-end`);
  return page.evaluate(() => {
    const w = window as unknown as { seen: { t: number; points: number }[]; follow?: number };
    clearInterval(w.follow);
    return w.seen;
  });
}

/** The curves moved for the whole run: looked at once a second, the latest point's time and the points grew each time, to >= 10 s. */
function expectMoving(seen: { t: number; points: number }[]) {
  // (a screenshot pauses the page's drawing: a look during one sees the same point again; those are dropped)
  const moving = seen.filter((s, i) => s.t > 0 && !(SHOTS && i > 0 && s.t === seen[i - 1].t));
  // 10 s of run seen at least 8 times, a second apart (the first and last second may fall between two looks)
  expect(moving.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(8);
  for (let i = 1; i < moving.length; i++) {
    expect(moving[i].t, JSON.stringify(seen)).toBeGreaterThan(moving[i - 1].t);
    expect(moving[i].points).toBeGreaterThan(moving[i - 1].points);
  }
  expect(moving[0].t).toBeLessThan(2);
  expect(moving[moving.length - 1].t).toBeGreaterThan(7.5);
}

describe('a class watches two paced runs (issue 14, done when)', () => {
  it('read-write over veth-nosg and sendfile over veth move the curves for 10 s; the diagram shows their syscalls; a reload keeps form, diagram and overlay', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForSelector('#conn.open');
    // After a reload with no run yet, the overlay says why it is empty.
    expect(await page.textContent('#overlay-note')).toMatch(/No run yet/);

    // 1 MiB/s for 10 s over a 1 MiB file: about 10 passes, small bytes, a run a class can follow.
    await page.selectOption('#f-mode', 'read-write');
    await page.selectOption('#f-path', 'veth-nosg');
    await page.fill('#f-sizeBytes', '1MiB');
    // 16 KiB chunks: 64 a second, ~6 per 100 ms sample (64 KiB ones alias against the ticks: 1 or 2 a sample, a zigzag)
    await page.fill('#f-chunkBytes', '16KiB');
    await page.fill('#f-duration', '10s');
    await page.fill('#f-rate', '1MiB/s');
    const rw = await runAndFollow(page, 'read-write-veth-nosg');
    expectMoving(rw);
    const end = await canvas(page, 'throughput');
    // the curves span the run: the last sample at or past 10 s, on an axis of 0 to 10 s (or the last sample past it)
    expect(end.tLast).toBeGreaterThanOrEqual(9.8);
    expect(end.xMax).toBeGreaterThanOrEqual(10);
    expect((await canvas(page, 'copies')).points).toBeGreaterThan(50);
    // the syscall counts on the diagram, 4 mode switches per chunk
    expect(await line(page, 'syscalls')).toMatch(/^read\(\) × [\d,]+ \+ write\(\) × [\d,]+ = 4(\.\d+)? mode switches per chunk \([\d,]+ chunks; 2 per syscall; textbook 4\)/);
    expect(await line(page, 'summary')).toMatch(/^CPU copies per byte: 3(\.\d+)? \(textbook 2\)/);
    // ~10 MiB moved at 1 MiB/s
    const moved = Number(await page.getAttribute('#flow-diagram [data-arrow=dev-xmit]', 'data-bytes'));
    expect(moved).toBeGreaterThan(8 * 2 ** 20);
    expect(moved).toBeLessThan(13 * 2 ** 20);

    await page.selectOption('#f-mode', 'sendfile');
    await page.selectOption('#f-path', 'veth');
    const sf = await runAndFollow(page, 'sendfile-veth');
    expectMoving(sf);
    expect((await canvas(page, 'throughput')).tLast).toBeGreaterThanOrEqual(9.8);
    expect(await line(page, 'syscalls')).toMatch(/^sendfile\(\) × [\d,]+ = 2(\.\d+)? mode switches per chunk \([\d,]+ chunks; 2 per syscall; textbook 2\)/);
    expect(await line(page, 'summary')).toMatch(/^CPU copies per byte: 0(\.0\d*)? \(textbook 0\)/);
    await expect.poll(() => page.$eval('[data-chart=overlay] canvas', (c) => (c as HTMLCanvasElement).dataset.labels)).toBe(
      JSON.stringify(['sendfile over veth, at 1 MiB/s', 'read-write over veth-nosg, at 1 MiB/s']),
    );

    // Items 5 and 10: reload; the form says what the diagram shows, and the overlay draws both runs from their kept samples.
    await page.fill('#f-sizeBytes', '7MiB');
    await page.reload();
    await page.waitForSelector('#conn.open');
    await expect.poll(() => page.textContent('#flow-title')).toMatch(/^sendfile over veth, 1 MiB in 16 KiB chunks/);
    expect(await page.inputValue('#f-mode')).toBe('sendfile');
    expect(await page.inputValue('#f-path')).toBe('veth');
    expect(await page.inputValue('#f-sizeBytes')).toBe('1MiB');
    expect(await page.inputValue('#f-chunkBytes')).toBe('16KiB');
    expect(await page.inputValue('#f-duration')).toBe('10s');
    expect(await page.inputValue('#f-rate')).toBe('1MiB/s');
    expect(await page.$eval('#flow-diagram svg', (s) => s.getAttribute('data-mode'))).toBe('sendfile');
    await expect.poll(() => page.$eval('[data-chart=overlay] canvas', (c) => (c as HTMLCanvasElement).dataset.labels)).toBe(
      JSON.stringify(['sendfile over veth, at 1 MiB/s', 'read-write over veth-nosg, at 1 MiB/s']),
    );
    expect(await page.textContent('#overlay-note')).toBe('');
    expect(await page.textContent('#charts-note')).toMatch(/opened after the latest run ended/);
    await shot(page, 'after-reload');
    expect(problems).toEqual([]);
    await ctx.close();
  }, 180_000);
});
