// The CLI refuses bad input with exit code 2, names the option and the allowed
// values, and starts nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../server/api/server.js';
import type { HelloFrame, RunRecord } from '../server/live/frames.js';
import { DIST, labHome } from '../server/project.js';
import { AS_NOBODY, MiB } from './helpers.js';
import { http } from './http.js';
import { compareTable, runTable } from '../server/cli/format.js';
import type { RunResult } from '../server/run/result.js';

const zcl = join(DIST, 'server', 'cli', 'zcl.js');
const run = (args: string[], opts: { asNobody?: boolean } = {}) => {
  const argv = opts.asNobody ? [...AS_NOBODY, process.execPath, zcl, ...args] : [process.execPath, zcl, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('zcl run input', () => {
  it.each([
    [['--mode', 'teleport'], '--mode', /'teleport' is not allowed; allowed: read-write, mmap-write, sendfile/],
    [['--size', '0'], '--size', /out of range; allowed: 1 B to 64 GiB/],
    [['--size', 'lots'], '--size', /'lots' is not a size/],
    [['--size', '1MiB', '--chunk', '2MiB'], '--chunk', /larger than --size/],
    [['--path', 'wifi'], '--path', /allowed: loopback, veth, veth-nosg/],
    [['--cache', 'lukewarm'], '--cache', /allowed: warm, cold/],
    [['--mode', 'sendfile-nogather', '--path', 'loopback'], '--path', /runs on path veth-nosg/],
    [['--duration', '2h'], '--duration', /2 h is out of range; allowed: 0.1 s to 1 h/],
    [['--duration', 'soon'], '--duration', /'soon' is not a duration/],
    [['--rate', '5'], '--rate', /out of range; allowed: 1 KiB\/s to 64 GiB\/s/],
    [['--rate', '1KiB/s', '--size', '1MiB', '--chunk', '1MiB'], '--rate', /too slow for chunks of 1 MiB/],
    [['--mode', 'nginx-copy', '--duration', '5s'], '--duration', /real program .* cannot time it; leave --duration out/],
    [['--mode', 'java-stream', '--rate', '1MiB/s'], '--rate', /cannot pace it; leave --rate out/],
  ])('%j exits 2 naming %s', (args, field, message) => {
    const r = run(['run', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(field);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('an unknown option exits 2', () => {
    const r = run(['run', '--colour', 'blue']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option '--colour'/);
  });

  it('a veth path without root exits 2 and says what it needs', () => {
    const r = run(['run', '--path', 'veth', '--size', '1MiB'], { asNobody: true });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--path: --path veth creates network namespaces .* needs root/);
  });

  it('--help lists every mode and path with one line each', () => {
    const r = run(['run', '--help']);
    expect(r.code).toBe(0);
    for (const name of ['read-write', 'mmap-write', 'sendfile', 'sendfile-nogather', 'splice', 'msg-zerocopy', 'node-stream', 'loopback', 'veth', 'veth-nosg'])
      expect(r.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it('a small run prints its table and exits 0', () => {
    const r = run(['run', '--mode', 'splice', '--size', '1MiB', '--chunk', '64KiB']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/byte count and checksum ok/);
    expect(r.out).toMatch(/splice 32/);
  });

  it('a timed, paced run says its passes and its rate', () => {
    const r = run(['run', '--mode', 'sendfile', '--size', '1MiB', '--duration', '0.5', '--rate', '8MiB/s', '--no-probes']);
    expect(r.code, r.err).toBe(0);
    // 0.5 s at 8 MiB/s, paced from an empty bucket: 31 or 32 chunks of 128 KiB, 3 or 4 passes of the file.
    expect(r.out).toMatch(/moved +│ [\d.]+ MiB \((4063232|4194304) B\) in 3[12] chunks of 128 KiB: [34] whole passes of the 1 MiB file( \+ the first 896 KiB of another)? \(timed: 0\.5 s\)/);
    expect(r.out).toMatch(/paced at 8 MiB\/s \(the sender waited 0\.\d+ s for it\)/);
    expect(r.out).toMatch(/byte count and checksum ok/);
  });
});

describe('zcl for a new user (issue 14, item 8)', () => {
  it('the per-byte column: byte counters per byte sent, events per MiB; "1 chunk"', () => {
    const r = run(['run', '--mode', 'read-write', '--size', '64KiB']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/in 1 chunk of 64 KiB/);
    expect(r.out).toMatch(/sender, per byte or MiB sent/);
    expect(r.out).toMatch(/copy_file_to_user_bytes +│ 64 KiB \(65536 B\) +│ 0 B +│ 1\.00 per byte/);
    expect(r.out).toMatch(/cpu_copy_bytes \(derived\) +│ 128 KiB \(131072 B\) +│ 64 KiB \(65536 B\) +│ 2\.00 per byte/);
    expect(r.out).toMatch(/syscalls +│ \d+ +│ \d+ +│ \d+\.\d\d per MiB/);
    expect(r.out).not.toMatch(/│ 1048576 +│|│ 2097152 +│/);
  });

  it('transmit says the retransmitted bytes it includes', () => {
    const r = run(['run', '--mode', 'sendfile', '--size', '1MiB', '--json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as RunResult;
    // The table of this real result, with a retransmission as TCP makes them on a lossy path.
    const s = res.probes!.sender!.counters;
    s.retransmit_bytes = 409600;
    s.dev_xmit_bytes = res.bytes + 409600;
    const t = runTable(res);
    expect(t).toMatch(/dev_xmit_bytes +│ 1\.39 MiB \(1458176 B\), incl\. 400 KiB retransmitted/);
    expect(t).toMatch(/retransmitted: 400 KiB \(TCP sent these segments again\); dev_xmit_bytes includes them/);
    expect(t).toMatch(/retransmit_bytes +│ 400 KiB \(409600 B\)/);
  });

  it('compare --help lists every path, veth-nosg too', () => {
    const r = run(['compare', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--path <path> +loopback \| veth \| veth-nosg/);
  });

  it('compare repeats every mode interleaved, and prints each with the machine during it and its spread', () => {
    const r = run(['compare', '--modes', 'read-write,sendfile', '--size', '1MiB', '--duration', '0.3s', '--repeat', '2', '--json']);
    expect(r.code, r.err).toBe(0);
    const results = JSON.parse(r.out) as RunResult[];
    expect(results.map((x) => x.mode)).toEqual(['read-write', 'sendfile', 'read-write', 'sendfile']);
    for (const x of results) {
      expect(x.duration).toBe(0.3);
      expect(x.machine!.otherCpus).toBeLessThanOrEqual(x.machine!.cpus);
    }
    const t = compareTable(results);
    for (const mode of ['read-write', 'sendfile']) {
      const mine = results.filter((x) => x.mode === mode);
      const cpu = mine.map((x) => x.sender.cpuSecondsPerGiB);
      const tp = mine.map((x) => x.throughputMiBps);
      const wide = Math.max(...cpu) / Math.min(...cpu) > 1.5 || Math.max(...tp) / Math.min(...tp) > 1.5;
      expect(t).toMatch(new RegExp(`│ ${mode} +│ loopback │ 2 +│ [^│]+│ [\\d.]+( \\([\\d.]+–[\\d.]+\\))? +│[^\\n]*│ ${wide ? 'wide' : 'ok'} +│`));
      if (wide) expect(t).toContain(`- ${mode} over loopback: wide spread: `);
    }
    expect(t).toMatch(/machine: steal %/);
    const r0 = run(['compare', '--repeat', '0']);
    expect(r0.code).toBe(2);
    expect(r0.err).toMatch(/--repeat: '0' is not allowed; allowed: a whole number from 1 to 20/);
  }, 60_000);

  it('--help shows the defaults', () => {
    const r = run(['run', '--help']);
    const opts = r.out.split('Modes (--mode)')[0].replace(/\s+/g, ' ');
    for (const d of ['(default: "sendfile")', '(default: loopback; veth-nosg for sendfile-nogather)', '(default: "read")', '(default: "256MiB")', '(default: 128KiB, or the size if smaller', '(default: "warm")', '(default: "libbpf")', '(default: 0, one pass of the file)', '(default: 0, unlimited)'])
      expect(opts).toContain(d);
    const c = run(['compare', '--help']).out.replace(/\s+/g, ' ');
    for (const d of ['(default: "loopback")', '(default: "256MiB")', '(default: "128KiB")', '0: one pass of the file', '(default: "2s")', '(default: "1")', '(default: 0, unlimited)']) expect(c).toContain(d);
  });

  it('errors name the option (--size), not the API field (sizeBytes)', () => {
    const r = run(['run', '--size', '1MiB', '--chunk', '2MiB']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--chunk: 2 MiB is larger than --size \(1 MiB\)/);
    expect(r.err).not.toMatch(/sizeBytes|chunkBytes/);
    const a = run(['run', '--mode', 'nginx-copy', '--chunk', '4KiB']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/leave --chunk out/);
    expect(a.err).not.toMatch(/sizeBytes|chunkBytes/);
  });

  it.each([
    [['--mode', 'sendfil'], '--mode', 'sendfile'],
    [['--mode', 'readwrite'], '--mode', 'read-write'],
    [['--mode', 'msg-zerocpy'], '--mode', 'msg-zerocopy'],
    [['--path', 'veth-nsg'], '--path', 'veth-nosg'],
    [['--path', 'lo'], '--path', 'loopback'],
  ])('%j: did you mean', (args, option, guess) => {
    const r = run(['run', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${option}: '${args[1]}' is not allowed (did you mean ${guess}?)`);
  });

  it('zcl serve --every-mode says when it skips every mode (the history is not empty); one log line per run at its start and its end', async () => {
    const results = mkdtempSync(join(tmpdir(), 'zcl-serve-log-'));
    writeFileSync(join(results, 'old1.json'), JSON.stringify({ id: 'old1', state: 'finished', spec: { mode: 'sendfile', path: 'loopback', sizeBytes: 1024, chunkBytes: 1024 }, queuedAt: '2026-01-01T00:00:00Z' }));
    const p = spawn(process.execPath, [zcl, 'serve', '--port', '0', '--no-probes', '--every-mode', '--results', results], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toMatch(/not queuing every mode/);
      expect(out).toContain(`not queuing every mode: ${results} has runs already (1), shown on the page; to run every mode again press "Run every mode" there, or start with an empty results directory (--results DIR)`);
      const url = /zerocopy-lab is live: (\S+)/.exec(out)![1];
      const res = await fetch(new URL('/api/runs', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'read-write', sizeBytes: '1MiB', chunkBytes: '64KiB' }) });
      expect(res.status).toBe(202);
      const { run } = (await res.json()) as { run: { id: string } };
      await expect.poll(() => err, { timeout: 60_000 }).toMatch(/finished/);
      expect(err).toContain(`zcl serve: run ${run.id} started: read-write over loopback, 1 MiB in 64 KiB chunks, engine libbpf\n`);
      expect(err).toMatch(new RegExp(`zcl serve: run ${run.id} finished: read-write over loopback, 1 MiB in 64 KiB chunks, engine libbpf: 1048576 bytes \\(1 MiB\\) in [\\d.]+ s, [\\d.]+ MiB/s; probes off after [\\d.]+ s\n`));
    } finally {
      p.kill('SIGINT');
      await new Promise((r) => p.on('exit', r));
      rmSync(results, { recursive: true, force: true });
    }
  });

  it('a busy port for zcl serve says which port and how to choose another', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const p = spawn(process.execPath, [zcl, 'serve', '--port', String(port), '--no-probes'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      p.stderr.setEncoding('utf8').on('data', (d) => (err += d));
      const code = await new Promise<number | null>((r) => p.on('exit', r));
      expect(code).toBe(2);
      expect(err).toContain(`--port: port ${port} on 127.0.0.1 is already in use`);
      expect(err).toContain('zcl serve --port N (or npm run lab -- --port N; 0: any free port)');
      expect(err).not.toMatch(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});

describe('the recent runs list has the runs of zcl run and of reports (issue 14, item 8)', () => {
  it('zcl run saves its run (origin cli) unless --no-save; a report\'s runs are listed (origin report); the server sees both without a restart', async () => {
    const home = mkdtempSync(join(labHome(), 'h14-runs-'));
    const results = join(home, 'results');
    const reports = join(home, 'reports');
    mkdirSync(reports);
    mkdirSync(results);
    // The server first, on empty directories: what follows must show without a restart.
    const lab = await startServer({ port: 0, probes: false, resultsDir: results, reportsDir: reports });
    try {
      expect((await http(lab.url, 'GET', '/api/runs')).body.runs).toEqual([]);
      const r = run(['run', '--size', '1MiB', '--no-probes', '--json', '--results', results]);
      expect(r.code, r.err).toBe(0);
      const res = JSON.parse(r.out) as RunResult;
      // --json prints the RunResult as before; the file is the run's record, named by its id.
      expect(res).toMatchObject({ bytes: MiB, sizeBytes: MiB });
      expect(readdirSync(results)).toEqual([`${res.id}.json`]);
      // --no-save: nothing more (the table's run says nothing of a file either)
      const n = run(['run', '--size', '1MiB', '--no-probes', '--no-save', '--results', results]);
      expect(n.code, n.err).toBe(0);
      expect(n.err).not.toMatch(/saved/);
      expect(readdirSync(results)).toEqual([`${res.id}.json`]);
      expect(run(['run', '--help']).out).toMatch(/--no-save +do not save the run in the results directory/);

      // A tiny report into the server's reports directory.
      const matrix = join(home, 'h14-tiny.json');
      writeFileSync(matrix, JSON.stringify({ name: 'h14-tiny', base: { sizeBytes: '1MiB' }, axes: { mode: ['sendfile'] }, repetitions: 1, warmup: 0 }));
      const rep = spawnSync(process.execPath, [zcl, 'report', matrix, '--no-probes', '--out', join(reports, 'h14-tiny-1')], { encoding: 'utf8' });
      expect(rep.status, rep.stderr).toBe(0);

      const list = (await http(lab.url, 'GET', '/api/runs')).body.runs as RunRecord[];
      expect(list.map((x) => [x.origin, x.state])).toEqual([['report', 'finished'], ['cli', 'finished']]);
      const [fromReport, fromCli] = list;
      expect(fromCli).toMatchObject({ id: res.id, origin: 'cli', spec: { mode: res.mode, sizeBytes: MiB }, result: { bytes: res.bytes, id: res.id } });
      expect(fromReport).toMatchObject({ origin: 'report', report: { id: 'h14-tiny-1', name: 'h14-tiny', rep: 1 }, spec: { mode: 'sendfile' }, result: { bytes: MiB } });
      expect((await http(lab.url, 'GET', `/api/runs/${fromReport.id}`)).body.report.name).toBe('h14-tiny');
      // The page's first frame has them too.
      const hello = await new Promise<HelloFrame>((resolve, reject) => {
        const ws = new WebSocket(lab.url.replace('http', 'ws') + 'live');
        ws.once('message', (d) => {
          ws.close();
          resolve(JSON.parse(String(d)));
        });
        ws.once('error', reject);
      });
      expect(hello.recent.map((x) => x.origin)).toEqual(['report', 'cli']);
      // A run of the server's own: origin dashboard.
      const post = await http(lab.url, 'POST', '/api/runs', { body: { sizeBytes: '1MiB' } });
      expect(post.status).toBe(202);
      await lab.runner.whenSettled(post.body.run.id);
      expect((await http(lab.url, 'GET', '/api/runs')).body.runs.map((x: RunRecord) => x.origin)).toEqual(['dashboard', 'report', 'cli']);
    } finally {
      await lab.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
