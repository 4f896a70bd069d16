// The dashboard in Debian's Chromium (Playwright): the form comes from the API,
// a bad field shows its error at the field, a run moves the charts and the
// flow diagram, the compare view and the seeds' table fill in; nothing is
// fetched from anywhere but the lab's own server. Screenshots go to
// test-artifacts/ (not committed).
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODE_NAMES, modeInfo } from '../scenarios/catalog.js';
import { tlsSupport } from '../server/core/ktls.js';
import { startServer, type LabServer } from '../server/api/server.js';
import type { RunRecord } from '../server/live/frames.js';
import { labHome, ROOT } from '../server/project.js';
import { ourNamespaces } from './helpers.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let browser: Browser;
const servers: LabServer[] = [];
async function serve(o: Parameters<typeof startServer>[0] = {}): Promise<LabServer> {
  const s = await startServer({ port: 0, resultsDir: mkdtempSync(join(labHome(), 'results-dash-')), reportsDir: mkdtempSync(join(labHome(), 'reports-dash-')), ...o });
  servers.push(s);
  return s;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  expect(ourNamespaces()).toEqual([]);
});

/** A page that records console errors and every request that leaves the lab's origin. */
async function open(s: LabServer, path = '/'): Promise<{ page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const problems: string[] = [];
  const origin = new URL(s.url).origin;
  // The 400 of the deliberately bad size is the only error the browser may log.
  page.on('console', (m) => m.type() === 'error' && !/status of 400/.test(m.text()) && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.origin !== origin && u.origin !== origin.replace('http', 'ws')) problems.push(`request elsewhere: ${r.url()}`);
  });
  await page.goto(new URL(path, s.url).href);
  return { page, problems };
}

const points = (page: Page, chart: string) => page.$eval(`[data-chart=${chart}] canvas`, (c) => Number((c as HTMLCanvasElement).dataset.points));
const arrowBytes = (page: Page, id: string) => page.$eval(`#flow-diagram [data-arrow=${id}]`, (g) => ({ bytes: g.getAttribute('data-bytes'), idle: g.classList.contains('idle') }));
const xMax = (page: Page, chart: string) => page.$eval(`[data-chart=${chart}] canvas`, (c) => Number((c as HTMLCanvasElement).dataset.xMax));
const line = (page: Page, id: string) => page.textContent(`#flow-diagram [data-line=${id}]`);
/** An arrow the shown mode's diagram does not have. */
const absent = async (page: Page, id: string) => (await page.$(`#flow-diagram [data-arrow=${id}]`)) === null;

describe('dashboard', () => {
  it('builds the form, shows errors at the field, runs, and the charts and the diagram move', async () => {
    const s = await serve();
    const { page, problems } = await open(s);
    await page.waitForSelector('#f-mode');
    expect(await page.$$eval('#f-mode option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(MODE_NAMES);
    await page.waitForSelector('#conn.open');
    await expect.poll(() => page.textContent('#banner')).toMatch(/engine libbpf.*probes ok · tier \w+.*kernel /);

    // A bad size: the server's 400 lands under the size field.
    await page.fill('#f-sizeBytes', '12 parsecs');
    await page.click('#start');
    await page.waitForSelector('#f-sizeBytes-error:not(:empty)');
    expect(await page.textContent('#f-sizeBytes-error')).toMatch(/'12 parsecs' is not a size/);
    expect(await page.getAttribute('#f-sizeBytes', 'aria-invalid')).toBe('true');

    // sendfile-nogather picks its path.
    await page.selectOption('#f-mode', 'sendfile-nogather');
    expect(await page.inputValue('#f-path')).toBe('veth-nosg');

    // Timed and paced fields (issue 14, item 1): unit, bounds and empty meaning from the schema; disabled for app modes, saying why.
    expect(await page.textContent('#f-duration-hint')).toMatch(/in s; empty or 0: one pass of the file; 0.1 s to 1 h/);
    expect(await page.textContent('#f-rate-hint')).toMatch(/in B\/s; empty or 0: unlimited; 1 KiB\/s to 64 GiB\/s/);
    await page.selectOption('#f-mode', 'python-sendfile');
    expect(await page.isDisabled('#f-duration')).toBe(true);
    expect(await page.isDisabled('#f-rate')).toBe(true);
    expect(await page.textContent('#f-rate-hint')).toMatch(/disabled: python-sendfile is an app mode, and rate is not for app modes/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-form-app.png'), clip: { x: 0, y: 0, width: 360, height: 1000 } });
    await page.selectOption('#f-mode', 'read-write');
    expect(await page.isDisabled('#f-duration')).toBe(false);
    // A bad duration: the server's 400 lands under its field.
    await page.fill('#f-sizeBytes', '4MiB');
    await page.fill('#f-duration', '3 fortnights');
    await page.click('#start');
    await page.waitForSelector('#f-duration-error:not(:empty)');
    expect(await page.textContent('#f-duration-error')).toMatch(/'3 fortnights' is not a duration/);

    // A paced, timed run to watch: read-write over the veth without scatter-gather, 8 MiB/s for 3 s.
    await page.selectOption('#f-path', 'veth-nosg');
    await page.fill('#f-chunkBytes', '64KiB');
    await page.fill('#f-duration', '3s');
    await page.fill('#f-rate', '8MiB/s');
    await page.click('#start');
    await page.waitForFunction(() => Number((document.querySelector('[data-chart=copies] canvas') as HTMLCanvasElement).dataset.points) >= 8, null, { timeout: 60_000 });
    const mid = await arrowBytes(page, 'file-to-user');
    expect(mid.idle).toBe(false);
    expect(Number(mid.bytes)).toBeGreaterThan(0);
    expect(await points(page, 'throughput')).toBeGreaterThan(0);
    expect(await points(page, 'syscalls')).toBeGreaterThan(0);
    // The x axis fits the run: 0 to its duration (or the latest sample, when a loaded machine lets a
    // sample land past it before the page reads the axis); progress is t / duration.
    expect(await xMax(page, 'throughput')).toBeGreaterThanOrEqual(3);
    expect(await xMax(page, 'throughput')).toBeLessThan(4.5);
    const frac = Number(await page.getAttribute('#progress', 'data-fraction'));
    expect(frac).toBeGreaterThan(0);
    expect(frac).toBeLessThan(1);
    expect(await page.textContent('#run-status')).toMatch(/running: read-write over veth-nosg, 4 MiB for 3 s at 8 MiB\/s · [\d.]+ s of 3 s/);
    // Item 2: the syscalls that made the mode switches, drawn under the diagram.
    expect(await line(page, 'syscalls')).toMatch(/read\(\) × [\d,]+ \+ write\(\) × [\d,]+ = ≈[\d.]+ mode switches per chunk/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png'), fullPage: true });

    await page.waitForSelector('#run-status[data-state=finished]', { timeout: 120_000 });
    const end = await arrowBytes(page, 'file-to-user');
    expect(Number(end.bytes)).toBeGreaterThan(Number(mid.bytes));
    // 3 s at 8 MiB/s: about 24 MiB, several passes of the 4 MiB file
    expect(Number(end.bytes)).toBeGreaterThan(16 * 2 ** 20);
    expect(Number(end.bytes)).toBeLessThan(40 * 2 ** 20);
    expect((await arrowBytes(page, 'linearize')).idle).toBe(false);
    expect(await absent(page, 'splice-ref')).toBe(true);
    // The curves stay when the run ends, across the axis.
    await page.waitForTimeout(300);
    expect(await points(page, 'throughput')).toBeGreaterThan(20);
    expect(await xMax(page, 'throughput')).toBeGreaterThanOrEqual(3);
    expect(await page.getAttribute('#progress', 'data-fraction')).toBe('1');
    // Items 2, 3, 4, 5: mode switches = syscalls x 2, the copies' summary, the transmit's honest label and its retransmits.
    expect(await line(page, 'syscalls')).toMatch(/^read\(\) × [\d,]+ \+ write\(\) × [\d,]+ = [\d.]+ mode switches per chunk \([\d,]+ chunks; 2 per syscall; textbook 4\)/);
    expect(await line(page, 'summary')).toMatch(/^CPU copies per byte: 3(\.\d+)? \(textbook 2\): file → user 1(\.\d+)? \+ user → socket 1(\.\d+)? \+ linearize 1(\.\d+)? · to device [\d.]+ MiB, incl\. [\d.]+ (B|KiB|MiB) retransmitted/);
    expect(await page.textContent('#flow-diagram [data-arrow=dev-xmit] [data-name]')).toBe('to veth, in memory');
    expect(await page.textContent('#flow-diagram [data-arrow=disk-read] .arrow-name')).toBe('DMA');
    expect(await page.textContent('#flow-gather-note')).toMatch(/not a NIC.*cannot gather/);
    expect(await page.textContent('#flow-switch-note')).toMatch(/user\/kernel mode switches.*syscalls × 2.*scheduler's context switches/);
    expect(await page.textContent('#compare-table tbody tr[data-run] td.xmit')).toMatch(/MiB, incl\. [\d.]+ (B|KiB|MiB) retransmitted/);
    expect(await page.textContent('#flow-diagram tr[data-row=dev-xmit]')).toMatch(/incl\. [\d,]+ retransmitted|to veth, in memory/);
    expect(await page.$$eval('#compare-table tbody tr[data-run]', (rs) => rs.length)).toBe(1);
    expect(await page.textContent('#seeds-table tr[data-mode=read-write][data-path=veth-nosg] .verdict')).toMatch(/matches|differs/);
    expect(await page.textContent('#seeds-note')).toMatch(/"context switches" are user\/kernel mode switches.*syscalls × 2.*scheduler/);
    expect(await page.textContent('#flow-title')).toMatch(/read-write over veth-nosg.*finished/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // A paced sendfile over veth: the overlay draws both runs on the same axes, one line each, named by mode and path.
    await page.selectOption('#f-mode', 'sendfile');
    await page.selectOption('#f-path', 'veth');
    await page.click('#start');
    await expect.poll(() => page.$$eval('#compare-table tbody tr[data-run]', (rs) => rs.length), { timeout: 60_000 }).toBe(2);
    await expect.poll(() => page.$eval('[data-chart=overlay] canvas', (c) => (c as HTMLCanvasElement).dataset.labels)).toBe(JSON.stringify(['sendfile over veth, at 8 MiB/s', 'read-write over veth-nosg, at 8 MiB/s']));
    expect((await arrowBytes(page, 'splice-ref')).idle).toBe(false);
    expect(await absent(page, 'file-to-user')).toBe(true);
    expect(await page.textContent('#flow-gather-note')).toMatch(/not a NIC.*can gather/);
    expect(await line(page, 'syscalls')).toMatch(/^sendfile\(\) × [\d,]+/);
    expect(await line(page, 'summary')).toMatch(/^CPU copies per byte: 0(\.0\d*)? \(textbook 0\)/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-sendfile.png'), fullPage: true });

    // A quick read-write on loopback: the seeds' table keeps a row per path it measured read-write on (item 7).
    await page.selectOption('#f-mode', 'read-write');
    await page.selectOption('#f-path', 'loopback');
    await page.fill('#f-duration', '');
    await page.fill('#f-rate', '');
    await page.click('#start');
    await expect.poll(() => page.$$eval('#compare-table tbody tr[data-run]', (rs) => rs.length), { timeout: 60_000 }).toBe(3);
    expect(await page.$$eval('#seeds-table tr[data-mode=read-write]', (rs) => rs.map((r) => r.getAttribute('data-path')))).toEqual(['loopback', 'veth-nosg']);
    expect(await page.textContent('#flow-diagram [data-arrow=dev-xmit] [data-name]')).toBe('to lo, in memory');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-seeds.png'), fullPage: true });
    // Selecting the first run in the compare view brings its counts back.
    await page.click('#compare-table tbody tr[data-run]:nth-child(3)');
    expect((await arrowBytes(page, 'linearize')).idle).toBe(false);
    expect(await absent(page, 'splice-ref')).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('"Run every mode" queues one run per mode; the compare view and the seeds\' table fill in', async () => {
    const s = await serve();
    const { page, problems } = await open(s);
    await page.waitForSelector('#conn.open');
    await page.fill('#f-sizeBytes', '4MiB');
    await page.click('#start-all');
    // Every mode this kernel runs (the kTLS modes need the tls module: left out where it is missing, said so).
    const runnable = MODE_NAMES.filter((m) => !modeInfo(m).kernelFeature || tlsSupport().ok);
    // The app modes start real programs (a JVM, nginx): every mode takes a minute or two on a busy machine.
    await expect.poll(() => page.$$eval('#compare-table tbody tr[data-run]', (rs) => rs.length), { timeout: 280_000 }).toBe(runnable.length);
    const verdicts = await page.$$eval('#seeds-table tbody tr', (rs) => rs.map((r) => [r.getAttribute('data-mode') ?? '', r.querySelector('.verdict')?.textContent ?? '']));
    expect(verdicts).toHaveLength(MODE_NAMES.length);
    for (const [m, v] of verdicts) expect(v, m).toMatch(runnable.includes(m as (typeof MODE_NAMES)[number]) ? /^(matches|differs)$/ : /^refused on this kernel$/);
    // A refused mode's row gives the kernel's reason where a measurement would be.
    for (const m of MODE_NAMES.filter((x) => !runnable.includes(x)))
      expect(await page.textContent(`#seeds-table tr[data-mode=${m}] .reason`), m).toMatch(/needs kernel TLS and this kernel cannot do it: .*tls/);
    expect(await page.textContent('#seeds-table tr[data-mode=sendfile] .verdict')).toBe('matches');
    expect(await page.textContent('#seeds-table tr[data-mode=sendfile-nogather] td.small')).toMatch(/^veth-nosg/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-compare.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('the Reports panel lists the shipped scenarios, runs one, and links its files; the HTML report renders in a new tab', async () => {
    const s = await serve();
    const { page, problems } = await open(s);
    await page.waitForSelector('#conn.open');
    const shipped = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    await expect.poll(() => page.$$eval('#r-scenario option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(shipped);
    expect(await page.inputValue('#r-scenario')).toBe('seed-comparison');
    expect(await page.textContent('#r-scenario-hint')).toMatch(/9 cells × 5 repetitions \(\+1 warmup\) = 54 runs/);
    expect(await page.textContent('#reports-table')).toMatch(/no reports yet/);
    await page.selectOption('#r-scenario', 'test-small');
    await page.click('#report-start');
    await page.waitForSelector('#reports-table tr[data-status=running], #reports-table tr[data-status=complete]');
    await page.waitForSelector('#reports-table tr[data-status=complete]', { timeout: 120_000 });
    // Runs may start again (while it ran, the run panel's start buttons waited).
    expect(await page.isDisabled('#start')).toBe(false);
    expect(await page.isVisible('#run-blocked')).toBe(false);
    const links = await page.$$eval('#reports-table tr[data-status=complete] td.files a', (as) => as.map((a) => [a.dataset.file, a.getAttribute('href'), a.getAttribute('target')]));
    expect(links.map((l) => l[0])).toEqual(['html', 'md', 'json', 'csv']);
    for (const [, href, target] of links) {
      expect(href).toMatch(/^\/reports\/test-small-\d{8}-\d{6}\/(report\.(html|md)|results\.(json|csv))$/);
      expect(target).toBe('_blank');
    }
    const [tab] = await Promise.all([page.context().waitForEvent('page'), page.click('#reports-table tr[data-status=complete] a[data-file=html]')]);
    const tabProblems: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && tabProblems.push(m.text()));
    tab.on('pageerror', (e) => tabProblems.push(e.message));
    await tab.waitForLoadState('load');
    await tab.waitForSelector('canvas');
    // The report's own scripts run under the served CSP: its charts are drawn.
    await expect.poll(() => tab.$$eval('canvas', (cs) => cs.filter((c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
      return false;
    }).length)).toBeGreaterThan(0);
    expect(tabProblems).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-reports.png'), fullPage: true });
    // The report's runs join the recent runs, tagged with the report's name (issue 14, item 8): 4 cells x 2 repetitions.
    await expect.poll(() => page.$$eval('#compare-table tbody tr[data-run] td.origin[data-origin=report]', (ts) => ts.map((t) => t.textContent)), { timeout: 10_000 }).toEqual(Array(8).fill('report test-small'));
    // A run of zcl run (a record in the results directory, origin cli) shows after a reload, tagged CLI.
    const { runs } = (await (await fetch(new URL('/api/runs?limit=1', s.url))).json()) as { runs: RunRecord[] };
    const { report: _report, ...cli } = { ...runs[0], id: 'h14-cli-run', origin: 'cli' as const, endedAt: new Date().toISOString() };
    writeFileSync(join(s.runner.resultsDir, 'h14-cli-run.json'), JSON.stringify(cli));
    await page.reload();
    await expect.poll(() => page.textContent('#compare-table tbody tr[data-run=h14-cli-run] td.origin')).toBe('CLI');
    expect(await page.$$eval('#compare-table tbody tr[data-run] td.origin[data-origin=report]', (ts) => ts.length)).toBe(8);
    await (await page.$('#compare-table'))!.screenshot({ path: join(ARTIFACTS, 'dashboard-origins.png') });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('off loopback: the page says it needs the token, and works when opened with it', async () => {
    const s = await serve({ host: '0.0.0.0' });
    const base = `http://127.0.0.1:${s.port}/`;
    const without = await open({ ...s, url: base } as LabServer);
    await without.page.waitForSelector('#banner .pill.bad');
    expect(await without.page.textContent('#banner')).toMatch(/needs its token/);
    await without.page.context().close();
    const withToken = await open({ ...s, url: base } as LabServer, `/?token=${s.token}`);
    expect(withToken.page.url()).toBe(base);
    await withToken.page.waitForSelector('#conn.open');
    expect(await withToken.page.textContent('#banner')).toMatch(/probes ok/);
    expect(withToken.problems).toEqual([]);
    await withToken.page.context().close();
  });
});
