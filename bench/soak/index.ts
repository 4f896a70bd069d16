// The fault campaign as a library: runSoak() runs the campaigns and returns
// their rows; soakTable() prints them. `npm run soak` (main.ts) and
// test/soak.test.ts both use it. Nothing here exits the process.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  fuzzHttp, fuzzMatrix, fuzzWs, killChild, killRun, killServer, postDelete, sigintRun, type CampaignResult, type Ctx,
} from './campaigns.js';
import { rng } from './fuzz.js';
import { exitWithin, zcl } from './lab.js';
import { deleteNamespaces, killAll, labNamespaces, labProcs, settle, totalLeftovers, type Scope } from './leftovers.js';

export type { CampaignResult } from './campaigns.js';

export const CAMPAIGNS = ['kill-run', 'sigint-run', 'post-delete', 'kill-child', 'kill-server', 'fuzz-http', 'fuzz-ws', 'fuzz-matrix'] as const;
export type CampaignName = (typeof CAMPAIGNS)[number];

export interface SoakOptions {
  /** The scale: N kill -9 and Ctrl-C cycles, 3N POST/DELETE cycles, N/3 child kills, N/5 server kills. */
  cycles?: number;
  /** Tens of cycles, small fuzz: a few minutes. */
  quick?: boolean;
  /** Only these campaigns (default: all). */
  campaigns?: CampaignName[];
  /** No new cycles after this many minutes (each campaign still counts its leftovers). */
  maxMinutes?: number;
  seed?: number;
  /** The cells bomb of issue 11 item 4 (POST /api/reports and zcl report): default on. */
  bomb?: boolean;
  log?(line: string): void;
}

export interface SoakResult {
  rows: CampaignResult[];
  home: string;
  seed: number;
  /** Any crash, 5xx or leftover. */
  failed: boolean;
}

/** Sizes the runs use: big enough to be mid-transfer when killed 0-2 s after start. */
const SIZES = ['256MiB', '1GiB'];

export async function runSoak(o: SoakOptions = {}): Promise<SoakResult> {
  if (process.getuid?.() !== 0) throw new Error('the soak needs root (network namespaces, eBPF): run it as root');
  const quick = !!o.quick;
  const n = Math.max(1, o.cycles ?? (quick ? 4 : 20));
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const log = o.log ?? (() => undefined);
  const which = new Set(o.campaigns?.length ? o.campaigns : CAMPAIGNS);
  const home = mkdtempSync('/var/tmp/zcl-soak-');
  const scope: Scope = { home, started: new Set(), servers: new Set() };
  const ctx: Ctx = {
    scope,
    rand: rng(seed),
    deadline: Date.now() + (o.maxMinutes ?? (quick ? 4 : 40)) * 60_000,
    sizes: SIZES,
    log,
    tmp: join(home, 'soak'),
  };
  const rows: CampaignResult[] = [];
  try {
    // The data files first, so kills land in transfers (a kill during generation is the POST/DELETE campaign's).
    if ([...which].some((c) => !c.startsWith('fuzz'))) {
      for (const size of SIZES) {
        log(`preparing the ${size} data file`);
        const z = zcl(scope, ['run', '--mode', 'splice', '--size', size, '--no-probes']);
        const e = await exitWithin(z, 180_000);
        if (!e || e.code !== 0) throw new Error(`cannot prepare the ${size} data file: ${z.stderr().slice(-500)}`);
      }
    }
    const plan: [CampaignName, () => Promise<CampaignResult>][] = [
      ['kill-run', () => killRun(ctx, n)],
      ['sigint-run', () => sigintRun(ctx, n)],
      ['post-delete', () => postDelete(ctx, quick ? 2 * n : 3 * n)],
      ['kill-child', () => killChild(ctx, Math.max(2, Math.round(n / 3)))],
      ['kill-server', () => killServer(ctx, Math.max(1, Math.round(n / 5)))],
      ['fuzz-http', () => fuzzHttp(ctx, quick ? 30 : 15 * n, o.bomb ?? true)],
      ['fuzz-ws', () => fuzzWs(ctx, quick ? 10 : 5 * n)],
      ['fuzz-matrix', () => fuzzMatrix(ctx, quick ? 10 : 4 * n, o.bomb ?? true)],
    ];
    // The time budget is shared: each campaign gets an equal part of what is left (at least one cycle each).
    const end = ctx.deadline;
    const todo = plan.filter(([name]) => which.has(name));
    for (const [k, [name, run]] of todo.entries()) {
      ctx.deadline = Date.now() + Math.max(0, end - Date.now()) / (todo.length - k);
      log(`campaign ${name}`);
      const r = await run();
      rows.push(r);
      log(soakTable([r]).split('\n').slice(-2, -1)[0] ?? '');
    }
  } finally {
    // Whatever is still ours (a campaign that threw): killed; namespaces named after our zcls: deleted; the home: removed.
    scope.servers.clear();
    killAll(labProcs(scope).map((p) => p.pid));
    await settle(() => labProcs(scope).length === 0, 3000);
    deleteNamespaces(labNamespaces(scope));
    rmSync(home, { recursive: true, force: true });
  }
  const failed = rows.some((r) => r.crashes || r.fivexx || totalLeftovers(r.leftovers));
  return { rows, home, seed, failed };
}

const mib = (b: number) => `${b >= 0 ? '+' : ''}${(b / 2 ** 20).toFixed(1)} MiB`;
const secs = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

/** The campaign table (plain text, fixed columns). */
export function soakTable(rows: CampaignResult[]): string {
  const head = ['campaign', 'cycles', 'crashes', '5xx', 'unexpected', 'procs', 'netns', 'veths', 'bpf progs', 'temp files', 'server fds Δ', 'server RSS Δ', 'duration'];
  const body = rows.map((r) => [
    r.name, String(r.cycles), String(r.crashes), String(r.fivexx), String(r.unexpected),
    String(r.leftovers.processes), String(r.leftovers.namespaces), String(r.leftovers.veths), String(r.leftovers.bpfProgs), String(r.leftovers.tempFiles),
    r.fdDelta === undefined ? '-' : `${r.fdDelta >= 0 ? '+' : ''}${r.fdDelta}`, r.rssDelta === undefined ? '-' : mib(r.rssDelta), secs(r.durationMs),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  return [line(head), '|' + w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|', ...body.map(line)].join('\n');
}

/** The notes of each campaign (what went wrong, cycle by cycle). */
export function soakNotes(rows: CampaignResult[]): string {
  return rows
    .filter((r) => r.notes.length)
    .map((r) => `${r.name}:\n${r.notes.map((n) => `  - ${n}`).join('\n')}`)
    .join('\n');
}
