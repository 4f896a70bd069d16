// The fault campaigns. Each one runs its cycles, then counts what was left
// behind, cleans it up (so the next campaign starts clean) and returns a row
// of the table. Nothing here exits the process.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { httpCases, matrixCases, pick, wsCases, type HttpCase, type MatrixCase, type WsCase } from './fuzz.js';
import {
  addLeftovers, alive, bpfProgs, deleteNamespaces, killAll, labNamespaces, labProcs, noLeftovers, orphanProgs, procUsage, progsHeldBy,
  rootVeths, settle, tempFiles, unnamedNetns, type LabProc, type Leftovers, type Scope,
} from './leftovers.js';
import { answers, api, exitWithin, isFinal, rawRequest, sleep, startServer, stopServer, waitIdle, zcl, type Server } from './lab.js';

export interface CampaignResult {
  name: string;
  cycles: number;
  crashes: number;
  /** Answers of 5xx (HTTP status, or an upgrade refused with 5xx). */
  fivexx: number;
  /** Other answers that were not what a correct lab gives (listed in `notes`). */
  unexpected: number;
  leftovers: Leftovers;
  /** The (long-lived) server's open fds and RSS, end minus start (after its warm-up). */
  fdDelta?: number;
  rssDelta?: number;
  durationMs: number;
  notes: string[];
}

export interface Ctx {
  scope: Scope;
  rand: () => number;
  /** Stop starting cycles after this (epoch ms). */
  deadline: number;
  /** Sizes prepared before the campaigns (data files exist). */
  sizes: string[];
  log(line: string): void;
  /** Where a campaign may put files (results dirs, matrix files). */
  tmp: string;
}

const ENGINES = ['libbpf', 'bpftrace'] as const;
const PATHS = ['loopback', 'veth', 'veth-nosg'] as const;
const MODES = ['read-write', 'sendfile', 'splice', 'mmap-write'] as const;

/** A `zcl run` spec that is long enough to be killed mid-transfer. */
function runArgs(ctx: Ctx, i: number): { args: string[]; label: string } {
  const engine = ENGINES[i % 2];
  const path = PATHS[Math.floor(i / 2) % 3];
  const mode = path === 'veth-nosg' && ctx.rand() < 0.5 ? 'sendfile-nogather' : pick(ctx.rand, MODES);
  const size = pick(ctx.rand, ctx.sizes);
  return { args: ['--mode', mode, '--path', path, '--size', size, '--engine', engine], label: `${mode}/${path}/${size}/${engine}` };
}

function specOf(ctx: Ctx, i: number): Record<string, string> {
  const a = runArgs(ctx, i).args;
  return { mode: a[1], path: a[3], sizeBytes: a[5], engine: a[7] };
}

class Row {
  r: CampaignResult;
  private t0 = Date.now();
  constructor(name: string) {
    this.r = { name, cycles: 0, crashes: 0, fivexx: 0, unexpected: 0, leftovers: noLeftovers(), durationMs: 0, notes: [] };
  }
  note(s: string): void {
    if (this.r.notes.length < 500) this.r.notes.push(s);
  }
  bad(s: string): void {
    this.r.unexpected++;
    this.note(s);
  }
  left(l: Partial<Leftovers>, what?: string): void {
    this.r.leftovers = addLeftovers(this.r.leftovers, l);
    if (what && Object.values(l).some((v) => v)) this.note(what);
  }
  done(): CampaignResult {
    this.r.durationMs = Date.now() - this.t0;
    return this.r;
  }
}

const describe = (ps: LabProc[]) => ps.map((p) => `${p.pid} ${p.comm} ${p.cmdline.split(' ').find((a) => a.endsWith('.js') && !a.endsWith('zcl.js'))?.split('/').pop() ?? p.cmdline.slice(0, 40)}`).join(', ');

/**
 * The lab processes that outlived their zcl (none should, after `graceMs`):
 * counted with the namespaces and programs they hold, then killed.
 */
async function countOrphans(ctx: Ctx, row: Row, keep: number[], label: string, graceMs = 2000): Promise<void> {
  await settle(() => labProcs(ctx.scope, keep).length === 0, graceMs);
  const ps = labProcs(ctx.scope, keep);
  if (!ps.length) return;
  const held = progsHeldBy(ps.map((p) => p.pid));
  const unnamed = unnamedNetns(ps);
  row.left({ processes: ps.length, namespaces: unnamed.length, bpfProgs: held.length }, `${label}: left running ${describe(ps)}${unnamed.length ? `; ${unnamed.length} unnamed netns` : ''}`);
  killAll(ps.map((p) => p.pid));
  await settle(() => labProcs(ctx.scope, keep).length === 0, 2000);
}

/** Named namespaces, root veths, orphan programs, temp files: counted, then removed. */
async function countSystem(ctx: Ctx, row: Row, label: string, progBaseline: Set<number>): Promise<void> {
  // Programs of a process that just died are freed by the kernel a moment later
  // (a bpftrace that is killed detaches its probes one by one: seconds on a busy machine).
  await settle(() => orphanProgs(progBaseline).length === 0, 10_000, 200);
  const ns = labNamespaces(ctx.scope);
  const veths = rootVeths();
  const orphans = orphanProgs(progBaseline);
  const tmps = tempFiles(ctx.scope.home);
  row.left(
    { namespaces: ns.length, veths: veths.length, bpfProgs: orphans.length, tempFiles: tmps.length },
    `${label}: ${[ns.length && `namespaces ${ns.join(' ')}`, veths.length && `veths ${veths.join(' ')}`, orphans.length && `bpf progs ${orphans.map((p) => `${p.id}:${p.name}`).join(' ')}`, tmps.length && `temp files ${tmps.join(' ')}`].filter(Boolean).join('; ')}`,
  );
  deleteNamespaces(ns);
  for (const f of tmps) rmSync(join(ctx.scope.home, 'data', f), { force: true });
}

/** A start of zcl that sweeps what dead zcls left (a tiny loopback run without probes). */
async function sweepingStart(ctx: Ctx): Promise<void> {
  const z = zcl(ctx.scope, ['run', '--mode', 'read-write', '--size', '1MiB', '--no-probes']);
  if (!(await exitWithin(z, 60_000))) z.proc.kill('SIGKILL');
}

/** Whether zcl's own code runs in the process yet (it sets its title, so its comm, first). */
function zclStarted(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('zcl');
  } catch {
    return true; // gone: nothing to wait for
  }
}

// ---------------------------------------------------------------- zcl run

export async function killRun(ctx: Ctx, n: number): Promise<CampaignResult> {
  const row = new Row('kill -9 zcl run');
  const progs0 = new Set(bpfProgs().map((p) => p.id));
  let early = 0;
  for (let i = 0; i < n && (i === 0 || Date.now() < ctx.deadline); i++) {
    const { args, label } = runArgs(ctx, i);
    const z = zcl(ctx.scope, ['run', ...args]);
    const at = Math.floor(ctx.rand() * 2000);
    const ended = await exitWithin(z, at);
    if (ended) early++;
    else z.proc.kill('SIGKILL');
    await exitWithin(z, 5000);
    row.r.cycles++;
    await countOrphans(ctx, row, [], `cycle ${i} (${label}, killed at ${at} ms)`);
  }
  if (early) row.note(`${early} runs ended before their kill`);
  // The next start of zcl sweeps the namespaces a killed one left: whatever is still there after it is a leftover.
  await sweepingStart(ctx);
  await countOrphans(ctx, row, [], 'after the sweeping start');
  await countSystem(ctx, row, 'after the sweeping start', progs0);
  return row.done();
}

export async function sigintRun(ctx: Ctx, n: number): Promise<CampaignResult> {
  const row = new Row('Ctrl-C / double Ctrl-C zcl run');
  const progs0 = new Set(bpfProgs().map((p) => p.id));
  let early = 0;
  for (let i = 0; i < n && (i === 0 || Date.now() < ctx.deadline); i++) {
    const double = i % 2 === 1;
    const { args, label } = runArgs(ctx, i + 1);
    const z = zcl(ctx.scope, ['run', ...args]);
    // From zcl's first line of code (it names itself `zcl ...` and takes Ctrl-C over;
    // before that, Node is still starting and a Ctrl-C ends a process that has done nothing), at a random moment.
    await settle(() => zclStarted(z.pid), 10_000, 10);
    const at = Math.floor(ctx.rand() * 1800);
    const what = `cycle ${i} (${double ? 'double ' : ''}Ctrl-C at ${at} ms, ${label})`;
    if (await exitWithin(z, at)) {
      early++;
    } else {
      z.proc.kill('SIGINT');
      if (double) {
        await sleep(Math.floor(ctx.rand() * 150));
        z.proc.kill('SIGINT');
      }
      const e = await exitWithin(z, 15_000);
      if (!e) {
        row.r.crashes++;
        row.note(`${what}: still running 15 s after Ctrl-C (killed)`);
        z.proc.kill('SIGKILL');
        await exitWithin(z, 5000);
      } else if (e.signal === 'SIGINT') {
        // A Ctrl-C that lands in Node's teardown, after the exit handlers cleaned up, ends the
        // process by the signal: the shell sees 130 all the same; what is left is counted below.
        row.note(`${what}: ended by SIGINT in its exit (the same 130 to a shell)`);
      } else if (e.code !== 130 && e.code !== 0) {
        if (e.signal || (e.code ?? 0) > 128) row.r.crashes++;
        row.bad(`${what}: exit ${e.code ?? e.signal}, expected 130: ${z.stderr().trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
      }
    }
    row.r.cycles++;
    // A process that was interrupted cleans up before it exits: nothing may be left, not even for a sweep.
    await countOrphans(ctx, row, [], what, 1000);
    await countSystem(ctx, row, what, progs0);
  }
  if (early) row.note(`${early} runs ended before their Ctrl-C`);
  return row.done();
}

// ---------------------------------------------------------------- server

interface Baseline { fds: number; rss: number; progs: Set<number> }

/** A server warmed up (each engine's probes loaded once), and what it holds then. */
async function warmServer(ctx: Ctx, row: Row, results: string, token?: string): Promise<{ s: Server; base: Baseline }> {
  const s = await startServer(ctx.scope, results, token);
  for (const engine of ENGINES) {
    const r = await api(s, 'POST', '/api/runs', { mode: 'read-write', sizeBytes: '4MiB', engine });
    if (r.status !== 202) row.note(`warm-up run (${engine}): ${r.status} ${r.text.slice(0, 200)}`);
    await waitIdle(s, 60_000);
  }
  const u = procUsage(s.pid) ?? { fds: 0, rss: 0 };
  return { s, base: { ...u, progs: new Set(progsHeldBy([s.pid]).map((p) => p.id)) } };
}

/** At a campaign's end: the server must answer and be idle; what it and its children hold beyond its warm-up is left over. */
async function serverEnd(ctx: Ctx, row: Row, s: Server, base: Baseline | undefined, progs0: Set<number>): Promise<void> {
  if (!(await answers(s, 10_000))) {
    row.r.crashes++;
    row.note(`the server (pid ${s.pid}) does not answer GET /api/modes at the end${alive(s.pid) ? ' (alive: hung)' : ' (dead)'}`);
  } else if (!(await waitIdle(s, 30_000))) row.bad('the server still has runs running or queued 30 s after the last cycle');
  await sleep(500);
  await countOrphans(ctx, row, [s.pid], `server pid ${s.pid}, idle`, 1500);
  if (alive(s.pid) && base) {
    const extra = progsHeldBy([s.pid]).filter((p) => !base.progs.has(p.id));
    row.left({ bpfProgs: extra.length }, `the server holds ${extra.length} more bpf programs than after its warm-up: ${extra.map((p) => p.name).join(' ')}`);
    const u = procUsage(s.pid);
    if (u) {
      row.r.fdDelta = (row.r.fdDelta ?? 0) + u.fds - base.fds;
      row.r.rssDelta = (row.r.rssDelta ?? 0) + u.rss - base.rss;
    }
  }
  // The server is alive: namespaces it holds now (named after it) are leaks, no sweep will take them.
  await countSystem(ctx, row, `server pid ${s.pid}, idle`, progs0);
}

export async function postDelete(ctx: Ctx, n: number): Promise<CampaignResult> {
  const row = new Row('POST+DELETE /api/runs');
  const progs0 = new Set(bpfProgs().map((p) => p.id));
  const { s, base } = await warmServer(ctx, row, join(ctx.tmp, 'results-pd'));
  try {
    for (let i = 0; i < n && (i === 0 || Date.now() < ctx.deadline); i++) {
      const spec = specOf(ctx, i);
      const r = await api(s, 'POST', '/api/runs', spec);
      if (r.status >= 500) row.r.fivexx++;
      if (r.status !== 202) {
        row.bad(`cycle ${i}: POST ${JSON.stringify(spec)} answered ${r.status} ${r.text.slice(0, 200)}`);
        if (!(await answers(s))) { row.r.crashes++; break; }
        continue;
      }
      const id = r.json.run.id as string;
      const wait = i % 3 === 0 ? 0 : Math.floor(ctx.rand() * 300);
      if (wait) await sleep(wait);
      const d = await api(s, 'DELETE', `/api/runs/${id}`, undefined, 30_000);
      row.r.cycles++;
      const what = `cycle ${i} (${Object.values(spec).join('/')}, DELETE after ${wait} ms)`;
      if (d.status >= 500) { row.r.fivexx++; row.note(`${what}: DELETE ${d.status} ${d.text.slice(0, 200)}`); }
      else if (d.status === 0) { row.bad(`${what}: DELETE not answered in 30 s`); if (!(await answers(s))) { row.r.crashes++; break; } }
      else if (d.status !== 200 && d.status !== 409) row.bad(`${what}: DELETE ${d.status}`);
      // Wait for the run's end; DELETE 200 must mean it was cancelled.
      let state = '';
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        const g = await api(s, 'GET', `/api/runs/${id}`);
        state = g.json?.state;
        if (isFinal(state)) break;
        await sleep(100);
      }
      if (!isFinal(state)) row.bad(`${what}: run still '${state}' 20 s after DELETE`);
      else if (d.status === 200 && state !== 'cancelled') row.bad(`${what}: DELETE answered 200 but the run ended '${state}'`);
      // Children of this run must be gone once it ended.
      await countOrphans(ctx, row, [s.pid], what, 1500);
    }
    await serverEnd(ctx, row, s, base, progs0);
  } finally {
    await stopServer(s);
  }
  return row.done();
}

/** The run's children (sender, sink) while it runs: marked processes other than the server. */
async function runChildren(ctx: Ctx, s: Server, ms: number): Promise<LabProc[]> {
  const isChild = (p: LabProc) => /(sender|sink)-child\.js/.test(p.cmdline);
  let found: LabProc[] = [];
  await settle(() => (found = labProcs(ctx.scope, [s.pid]).filter(isChild)).length >= 2, ms, 50);
  return found;
}

export async function killChild(ctx: Ctx, n: number): Promise<CampaignResult> {
  const row = new Row('kill -9 a run\'s child (server)');
  const progs0 = new Set(bpfProgs().map((p) => p.id));
  const { s, base } = await warmServer(ctx, row, join(ctx.tmp, 'results-kc'));
  try {
    for (let i = 0; i < n && (i === 0 || Date.now() < ctx.deadline); i++) {
      const spec = { ...specOf(ctx, i), sizeBytes: ctx.sizes[ctx.sizes.length - 1] };
      const r = await api(s, 'POST', '/api/runs', spec);
      if (r.status >= 500) row.r.fivexx++;
      if (r.status !== 202) { row.bad(`cycle ${i}: POST answered ${r.status} ${r.text.slice(0, 200)}`); continue; }
      const id = r.json.run.id as string;
      const kids = await runChildren(ctx, s, 15_000);
      const role = i % 2 ? 'sink' : 'sender';
      const victim = kids.find((p) => p.cmdline.includes(`${role}-child.js`));
      const what = `cycle ${i} (${Object.values(spec).join('/')}, kill -9 ${role})`;
      row.r.cycles++;
      if (!victim) row.note(`${what}: no ${role} found while the run ran (it may have ended first)`);
      else {
        await sleep(Math.floor(ctx.rand() * 500));
        killAll([victim.pid]);
      }
      let state = '';
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        const g = await api(s, 'GET', `/api/runs/${id}`);
        if (g.status >= 500) row.r.fivexx++;
        state = g.json?.state;
        if (isFinal(state)) break;
        await sleep(100);
      }
      if (!isFinal(state)) {
        row.bad(`${what}: run still '${state}' 20 s after the kill`);
        await api(s, 'DELETE', `/api/runs/${id}`, undefined, 30_000);
      } else if (victim && state !== 'failed') row.bad(`${what}: the run ended '${state}', expected 'failed'`);
      if (!(await answers(s))) { row.r.crashes++; row.note(`${what}: the server stopped answering`); break; }
      await countOrphans(ctx, row, [s.pid], what, 1500);
    }
    await serverEnd(ctx, row, s, base, progs0);
  } finally {
    await stopServer(s);
  }
  return row.done();
}

export async function killServer(ctx: Ctx, n: number): Promise<CampaignResult> {
  const row = new Row('kill -9 zcl serve mid-run');
  const progs0 = new Set(bpfProgs().map((p) => p.id));
  const results = join(ctx.tmp, 'results-ks');
  for (let i = 0; i < n && (i === 0 || Date.now() < ctx.deadline); i++) {
    const s = await startServer(ctx.scope, results);
    const spec = { ...specOf(ctx, i + 1), sizeBytes: ctx.sizes[ctx.sizes.length - 1] };
    const what = `cycle ${i} (${Object.values(spec).join('/')})`;
    const r = await api(s, 'POST', '/api/runs', spec);
    if (r.status >= 500) row.r.fivexx++;
    if (r.status !== 202) { row.bad(`${what}: POST answered ${r.status}`); await stopServer(s); continue; }
    const id = r.json.run.id as string;
    await runChildren(ctx, s, 15_000);
    await sleep(Math.floor(ctx.rand() * 1000));
    s.zcl.proc.kill('SIGKILL');
    await exitWithin(s.zcl, 5000);
    row.r.cycles++;
    await countOrphans(ctx, row, [], `${what}: after the server's kill`, 2000);
    // The next server: the run in flight must be on record (interrupted), and what it left swept.
    const s2 = await startServer(ctx.scope, results);
    try {
      await sleep(1000);
      const g = await api(s2, 'GET', `/api/runs/${id}`);
      if (g.status >= 500) row.r.fivexx++;
      if (g.status === 404) row.bad(`${what}: the run in flight is lost after a restart (404)`);
      else if (!isFinal(g.json?.state)) row.bad(`${what}: after a restart the run in flight is '${g.json?.state}'`);
      if (!(await answers(s2))) row.r.crashes++;
      await countSystem(ctx, row, `${what}: after the restart`, progs0);
    } finally {
      await stopServer(s2);
    }
    await countOrphans(ctx, row, [], `${what}: after the restarted server stopped`, 1000);
  }
  return row.done();
}

// ---------------------------------------------------------------- fuzz

const TOKEN = 'soak-token-0123456789abcdef';

/** The two servers a fuzz campaign talks to, restarted when one dies. */
class Servers {
  open!: Server;
  token!: Server;
  bases = new Map<number, Baseline>();
  restarted = false;
  constructor(private ctx: Ctx, private dir: string) {}
  async start(row: Row): Promise<void> {
    // The open server loads each engine's probes once (a fuzz case that is wrongly accepted starts a run: its probes are no leak).
    const w = await warmServer(this.ctx, row, join(this.dir, 'open'));
    this.open = w.s;
    this.bases.set(w.s.pid, w.base);
    this.token = await startServer(this.ctx.scope, join(this.dir, 'token'), TOKEN);
    for (const s of [this.token]) {
      await answers(s, 10_000);
      const u = procUsage(s.pid) ?? { fds: 0, rss: 0 };
      this.bases.set(s.pid, { ...u, progs: new Set(progsHeldBy([s.pid]).map((p) => p.id)) });
    }
  }
  get(which: 'open' | 'token'): Server {
    return which === 'open' ? this.open : this.token;
  }
  /** Does it still answer? If not: a crash (or a hang), counted, and a new server in its place. */
  async check(row: Row, which: 'open' | 'token', after: string): Promise<void> {
    const s = this.get(which);
    if (await answers(s, 5000)) return;
    row.r.crashes++;
    const why = alive(s.pid) ? 'hung (no answer to GET /api/modes in 5 s)' : `died (${s.zcl.stderr().trim().split('\n').filter((l) => /Error|error/.test(l)).slice(0, 2).join(' | ').slice(0, 300)})`;
    row.note(`the ${which} server ${why} after: ${after}`);
    await stopServer(s, 1000);
    const n = await startServer(this.ctx.scope, join(this.dir, which), which === 'token' ? TOKEN : undefined);
    if (which === 'open') this.open = n;
    else this.token = n;
    this.restarted = true;
  }
  async end(row: Row, progs0: Set<number>): Promise<void> {
    for (const s of [this.open, this.token]) {
      try {
        await serverEnd(this.ctx, row, s, this.bases.get(s.pid), progs0);
      } finally {
        await stopServer(s);
      }
    }
  }
}

/** Is it a refusal that says what is wrong? */
function explains(text: string, json: any): boolean {
  if (json && typeof json === 'object') return typeof json.error === 'string' && json.error.length > 0;
  return text.trim().length > 0;
}

export async function fuzzHttp(ctx: Ctx, n: number, bomb: boolean): Promise<CampaignResult> {
  const row = new Row('fuzz HTTP API');
  const progs0 = new Set(bpfProgs().map((p) => p.id));
  const srv = new Servers(ctx, join(ctx.tmp, 'fuzz-http'));
  await srv.start(row);
  const cases: HttpCase[] = httpCases(n, Math.floor(ctx.rand() * 2 ** 31), { bomb });
  try {
    for (const [i, c] of cases.entries()) {
      if (i > 0 && Date.now() >= ctx.deadline) break;
      const s = srv.get(c.server);
      const headers = [...(c.headers ?? [])];
      if (c.server === 'token' && c.expect === 'no5xx') headers.push(['Authorization', `Bearer ${TOKEN}`]);
      const r = await rawRequest(s.port, c.method, c.path, { headers, body: c.body, chunked: c.chunked, timeoutMs: c.timeoutMs ?? 10_000 });
      row.r.cycles++;
      const tag = `${c.name} [${c.server}]`;
      if (r.status >= 500) {
        row.r.fivexx++;
        row.note(`${tag}: ${r.status} ${r.text.replace(/\s+/g, ' ').slice(0, 160)}`);
      } else if (r.status === 0) {
        if (!alive(s.pid) || r.timedOut) await srv.check(row, c.server, tag);
        else if (c.expect === '4xx') row.bad(`${tag}: connection closed without an answer${r.error ? ` (${r.error})` : ''}`);
      } else if (c.expect === '4xx') {
        if (r.status < 400) {
          row.bad(`${tag}: accepted (${r.status}), expected a 4xx`);
          const id = r.json?.run?.id ?? r.json?.report?.id;
          if (id) await api(s, 'DELETE', `/api/${r.json.run ? 'runs' : 'reports'}/${encodeURIComponent(id)}`, undefined, 30_000);
        } else if (!explains(r.text, r.json)) row.bad(`${tag}: ${r.status} without a reason`);
        else if (c.names && !r.text.toLowerCase().includes(c.names.toLowerCase())) row.bad(`${tag}: ${r.status} does not name '${c.names}': ${r.text.slice(0, 160)}`);
      }
      if (!alive(s.pid)) await srv.check(row, c.server, tag);
    }
    for (const which of ['open', 'token'] as const) await srv.check(row, which, 'the last case');
    if (srv.restarted) row.note('fds/RSS: of the servers that lasted to the end');
    await srv.end(row, progs0);
  } catch (e) {
    await Promise.all([stopServer(srv.open, 1000), stopServer(srv.token, 1000)]);
    throw e;
  }
  return row.done();
}

/** One WebSocket case: the first answer to its frames (an error frame, a close, or the upgrade's refusal). */
function wsOne(s: Server, c: WsCase, timeoutMs = 5000): Promise<{ upgradeStatus?: number; frames: any[]; closeCode?: number; error?: string; timedOut?: boolean }> {
  return new Promise((resolve) => {
    const headers = { ...(c.headers ?? {}) };
    if (c.server === 'token' && c.expect === 'answer') headers.Authorization = `Bearer ${TOKEN}`;
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}${c.path ?? '/live'}`, { headers, maxPayload: 64 << 20 });
    const frames: any[] = [];
    let done = false;
    let replies = 0;
    const finish = (x: { upgradeStatus?: number; closeCode?: number; error?: string; timedOut?: boolean } = {}) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      try { ws.terminate(); } catch { /* closed */ }
      resolve({ frames, ...x });
    };
    const t = setTimeout(() => finish({ timedOut: true }), timeoutMs);
    ws.on('unexpected-response', (_req, res) => finish({ upgradeStatus: res.statusCode }));
    ws.on('error', (e) => finish({ error: e.message }));
    ws.on('close', (code) => finish({ closeCode: code }));
    ws.on('message', (data, isBinary) => {
      let f: any;
      try { f = JSON.parse(isBinary ? '' : data.toString()); } catch { f = { type: '(not JSON)' }; }
      if (f.type === 'hello') {
        for (const fr of c.frames) ws.send(fr, { binary: Buffer.isBuffer(fr) });
        if (!c.frames.length) finish();
        return;
      }
      if (f.type === 'error' || f.type === 'accepted') {
        frames.push(f);
        if (++replies >= Math.min(c.frames.length, 1)) finish();
      }
    });
  });
}

const PROTOCOL_CLOSES = new Set([1002, 1003, 1007, 1008, 1009]);

export async function fuzzWs(ctx: Ctx, n: number): Promise<CampaignResult> {
  const row = new Row('fuzz WebSocket /live');
  const progs0 = new Set(bpfProgs().map((p) => p.id));
  const srv = new Servers(ctx, join(ctx.tmp, 'fuzz-ws'));
  await srv.start(row);
  try {
    for (const [i, c] of wsCases(n, Math.floor(ctx.rand() * 2 ** 31)).entries()) {
      if (i > 0 && Date.now() >= ctx.deadline) break;
      const s = srv.get(c.server);
      const a = await wsOne(s, c);
      row.r.cycles++;
      const tag = `${c.name} [${c.server}]`;
      if (c.expect === 'upgrade4xx') {
        if (a.upgradeStatus && a.upgradeStatus >= 500) { row.r.fivexx++; row.note(`${tag}: upgrade ${a.upgradeStatus}`); }
        else if (!(a.upgradeStatus && a.upgradeStatus >= 400)) row.bad(`${tag}: ${a.upgradeStatus ? `upgrade answered ${a.upgradeStatus}` : a.error ?? (a.timedOut ? 'no answer' : 'the upgrade was accepted')}`);
      } else {
        const err = a.frames.find((f) => f.type === 'error');
        const acc = a.frames.find((f) => f.type === 'accepted');
        if (acc) {
          row.bad(`${tag}: accepted (run ${acc.run?.id})`);
          if (acc.run?.id) await api(s, 'DELETE', `/api/runs/${acc.run.id}`, undefined, 30_000);
        } else if (err) {
          const text = JSON.stringify(err);
          if (typeof err.error !== 'string' || !err.error) row.bad(`${tag}: an error frame without a reason`);
          else if (c.names && !text.toLowerCase().includes(c.names.toLowerCase())) row.bad(`${tag}: the error does not name '${c.names}': ${text.slice(0, 160)}`);
        } else if (a.closeCode !== undefined && PROTOCOL_CLOSES.has(a.closeCode)) {
          /* refused by the protocol (too big, not UTF-8): an answer */
        } else if (a.upgradeStatus && a.upgradeStatus >= 500) { row.r.fivexx++; row.note(`${tag}: upgrade ${a.upgradeStatus}`); }
        else row.bad(`${tag}: no answer (${a.timedOut ? 'timed out' : a.closeCode !== undefined ? `closed ${a.closeCode}` : a.error ?? a.upgradeStatus})`);
      }
      if (!alive(s.pid) || a.timedOut) await srv.check(row, c.server, tag);
    }
    for (const which of ['open', 'token'] as const) await srv.check(row, which, 'the last case');
    await srv.end(row, progs0);
  } catch (e) {
    await Promise.all([stopServer(srv.open, 1000), stopServer(srv.token, 1000)]);
    throw e;
  }
  return row.done();
}

export async function fuzzMatrix(ctx: Ctx, n: number, bomb: boolean, parallel = 2): Promise<CampaignResult> {
  const row = new Row('fuzz zcl report FILE');
  const dir = join(ctx.tmp, 'matrices');
  mkdirSync(dir, { recursive: true });
  const cases: MatrixCase[] = matrixCases(n, Math.floor(ctx.rand() * 2 ** 31), { bomb });
  let next = 0;
  const worker = async () => {
    while (next < cases.length && (next === 0 || Date.now() < ctx.deadline)) {
      const i = next++;
      const c = cases[i];
      const file = join(dir, `m${i}.json`);
      writeFileSync(file, c.content);
      const z = zcl(ctx.scope, ['report', file, '--dry-run', '--no-probes', '--out', join(dir, `out${i}`)]);
      const e = await exitWithin(z, c.timeoutMs ?? 20_000);
      row.r.cycles++;
      const err = z.stderr().trim();
      const tag = `${c.name} (m${i}.json)`;
      if (!e) {
        row.r.crashes++;
        row.note(`${tag}: still running after ${(c.timeoutMs ?? 20_000) / 1000} s (killed)`);
        z.proc.kill('SIGKILL');
        await exitWithin(z, 5000);
      } else if (e.signal || (e.code ?? 0) > 2) {
        row.r.crashes++;
        row.note(`${tag}: died (${e.signal ?? `exit ${e.code}`}): ${err.split('\n').slice(-2).join(' | ').slice(0, 200)}`);
      } else if (e.code === 0) row.bad(`${tag}: accepted (exit 0)`);
      else if (e.code === 1) row.bad(`${tag}: exit 1 (not an input error): ${err.slice(0, 200)}`);
      else if (c.names && !err.toLowerCase().includes(c.names.toLowerCase())) row.bad(`${tag}: exit 2 without naming '${c.names}': ${err.replace(/\s+/g, ' ').slice(0, 200)}`);
      rmSync(file, { force: true });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  await countOrphans(ctx, row, [], 'after the matrix files', 1000);
  return row.done();
}
