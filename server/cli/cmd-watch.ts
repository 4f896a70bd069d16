// zcl watch: the probes on processes the lab did not start (session/watch.ts), a
// top-like table each interval or one JSON line per interval, then a summary
// with the verdicts (probes/verdict.ts).
import { Option, type Command } from 'commander';
import Table from 'cli-table3';
import { ENGINE_NAMES, type EngineName } from '../../scenarios/catalog.js';
import { InputError } from '../core/errors.js';
import { probeSetup } from '../probes/select.js';
import type { RoleCounts, WatchDetail, WatchProcess } from '../probes/types.js';
import { formatSize } from '../schema/units.js';
import { deltaCounts, connectionRows, WatchSession, type ProcessRow, type WatchSummary, type WatchTargets } from '../session/watch.js';
import { onInterrupt } from './interrupt.js';
import { MetricsExporter } from '../metrics/exporter.js';
import { listenMetrics } from '../metrics/http.js';

/** The environment variable the /metrics token may come from (as zcl serve's). */
export const TOKEN_ENV = 'ZCL_TOKEN';

export const SORT_KEYS = ['bytes', 'copies', 'syscalls', 'pid'] as const;
type SortKey = (typeof SORT_KEYS)[number];

/** Session field -> the option that sets it. */
const OPTION_OF: Record<string, string> = {
  pid: '--pid', comm: '--comm', listen: '--listen', cgroup: '--cgroup', command: '-- COMMAND', engine: '--engine', targets: '--pid, --comm, --cgroup or -- COMMAND',
};

const HELP = `
What is counted (eBPF, the same probes as \`zcl run\`, cumulative since the watch began, for the
watched processes and, with follow, every child they fork):
  sent by copy    bytes the CPU copied from user buffers into socket buffers (write, writev, send*)
  sent by ref     page-cache pages handed to sockets by reference (sendfile, splice), and
                  MSG_ZEROCOPY's pinned user pages
  copies/B        CPU-copied bytes per byte sent: file -> user + user -> socket + linearized at the
                  device + MSG_ZEROCOPY copied anyway (the receive copy is not counted)
  syscalls        every syscall of the watched threads (each is two user/kernel mode switches)
  switches        scheduler context switches of the watched threads
  Transmit is attributed by socket: the TCP sockets the watched processes sent on, on any device.

Verdicts (per process; per connection when the probes keep connections):
  zero-copy            under 0.05 CPU copies per byte sent
  copies N per byte    otherwise; the findings below say why
  no sends seen        nothing handed to a TCP socket yet
Findings ("zero-copy lost", each with the counters that show it):
  read-then-write   file read into user space, then written to a socket: use sendfile
                    (Java transferTo, nginx sendfile on, Python socket.sendfile)
  no-gather         the device cannot gather: every packet copied linear at transmit
  zerocopy-copied   MSG_ZEROCOPY completions the kernel marked copied
  userspace-tls     file bytes then ~0.13%+ more bytes copied to sockets, and a TLS library
                    mapped: probably TLS in user space (an inference; kTLS keeps sendfile)
  small-sends       under 16 KiB per send syscall over 64 sends or more

Ends on Ctrl-C (summary printed, exit 130), --count, --duration, or when the command (or, for
--pid, every watched process) exits (exit 0). --pid targets that exit end the watch; --comm and
--cgroup are re-scanned once a second and new processes added.

Examples:
  zcl watch --pid $(pgrep -d, nginx)
  zcl watch --comm java --duration 30 --json
  zcl watch --cgroup system.slice/nginx.service --sort copies
  zcl watch -- python3 -m http.server 8000
`;

function parsePids(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 4194304))
    throw new InputError([{ field: '--pid', message: `expected process ids separated by commas (integers from 1 to 4194304, e.g. --pid 1234,5678), not '${v}'` }], 'options');
  return parts.map(Number);
}

function positive(name: string, v: unknown, opts: { integer?: boolean; min?: number; max: number; example: string }): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  const min = opts.min ?? 0;
  if (!/^\s*\d+(\.\d+)?\s*$/.test(String(v)) || !(x > 0) || x < min || x > opts.max || (opts.integer && !Number.isInteger(x)))
    throw new InputError([{ field: name, message: `expected ${opts.integer ? 'a whole number' : 'seconds'} from ${opts.integer ? 1 : min} to ${opts.max} (e.g. ${name} ${opts.example}), not '${v}'` }], 'options');
  return x;
}

/** --listen's ADDR:PORT ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"), or a port alone (loopback). */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new InputError([{ field: '--listen', message: `expected ADDR:PORT or PORT (e.g. --listen 127.0.0.1:9464, --listen [::1]:9464, --listen 9464; port 0: any free port), not '${v}'` }], 'options');
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** The watch's inputs from the options, InputError naming the option otherwise. */
export function watchInputs(o: Record<string, unknown>, command: string[]) {
  const issues: { field: string; message: string }[] = [];
  const take = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof InputError) issues.push(...e.issues);
      else throw e;
      return undefined;
    }
  };
  const interval = take(() => positive('--interval', o.interval, { min: 0.1, max: 3600, example: '1' })) ?? 1;
  const count = take(() => positive('--count', o.count, { integer: true, max: 1e9, example: '10' }));
  const duration = take(() => positive('--duration', o.duration, { min: 0.1, max: 31 * 86400, example: '30' }));
  const sort = String(o.sort ?? 'bytes') as SortKey;
  if (!SORT_KEYS.includes(sort)) issues.push({ field: '--sort', message: `'${o.sort}' is not a sort key; allowed: ${SORT_KEYS.join(', ')}` });
  const engine = String(o.engine ?? 'libbpf') as EngineName;
  if (!ENGINE_NAMES.includes(engine)) issues.push({ field: '--engine', message: `no probe engine '${o.engine}'; allowed: ${ENGINE_NAMES.join(', ')}` });
  const targets: WatchTargets = { follow: o.follow !== false };
  const given: string[] = [];
  if (o.pid !== undefined) {
    given.push('--pid');
    targets.pids = take(() => parsePids(String(o.pid)));
  }
  const comms = (o.comm as string[] | undefined) ?? [];
  if (comms.length) {
    given.push('--comm');
    targets.comm = comms;
    for (const c of comms) if (!c || c.length > 15) issues.push({ field: '--comm', message: `'${c}' cannot be a comm (1 to 15 characters, as in /proc/PID/comm)` });
  }
  if (o.cgroup !== undefined) {
    given.push('--cgroup');
    targets.cgroup = String(o.cgroup);
  }
  if (command.length) {
    given.push('-- COMMAND');
    targets.command = command;
  }
  if (given.length === 0) issues.push({ field: 'target', message: 'nothing to watch: give one of --pid N[,M], --comm NAME, --cgroup PATH, or -- COMMAND ARGS' });
  if (given.length > 1) issues.push({ field: 'target', message: `one kind of target at a time, not ${given.join(' and ')}; allowed: --pid, --comm, --cgroup or -- COMMAND` });
  const listen = o.listen === undefined ? undefined : take(() => parseListen(String(o.listen)));
  const token = o.token === undefined ? undefined : String(o.token);
  if (token !== undefined && (token.length < 16 || token.length > 256 || !/^[\x21-\x7e]+$/.test(token)))
    issues.push({ field: '--token', message: 'must be 16 to 256 printable ASCII characters without spaces (or leave it out: one is generated when --listen is not loopback)' });
  if (issues.length) throw new InputError(issues, 'options');
  return { targets, interval, count, duration, sort, engine, json: o.json === true, listen, token };
}

// ---- output ------------------------------------------------------------------

const plain = { style: { head: [], border: [] } };
const bytes = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n === 0 ? '0' : formatSize(n).replace(' ', ''));
const num = (n: number | null | undefined, d = 2) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));
const syscallTotal = (s: Record<string, number>) => Object.values(s).reduce((a, b) => a + b, 0);

function sortRows(rows: ProcessRow[], key: SortKey): ProcessRow[] {
  const by: Record<SortKey, (r: ProcessRow) => number> = {
    bytes: (r) => -r.verdict.bytesSent,
    copies: (r) => -(r.verdict.copiesPerByte ?? -1),
    syscalls: (r) => -(r.counters.syscalls ?? 0),
    pid: (r) => r.tgid ?? 0,
  };
  return [...rows].sort((a, b) => by[key](a) - by[key](b) || (a.tgid ?? 0) - (b.tgid ?? 0));
}

function processTable(rows: ProcessRow[]): string {
  const t = new Table({ head: ['tgid', 'comm', 'sent by copy', 'sent by ref', 'copies/B', 'syscalls', 'switches', 'verdict'], ...plain });
  for (const r of rows) {
    const c = r.counters;
    t.push([
      (r.tgid === null ? (r.tgids.length === 1 ? String(r.tgids[0]) : `all (${r.tgids.length})`) : String(r.tgid)) + (r.exited ? ' (exited)' : ''),
      r.comm.length > 24 ? r.comm.slice(0, 23) + '…' : r.comm,
      bytes(c.copy_user_to_socket_bytes),
      bytes((c.splice_ref_bytes ?? 0) + (c.zerocopy_bytes ?? 0)),
      num(r.verdict.copiesPerByte),
      String(c.syscalls ?? '-'),
      String(c.ctx_switches ?? '-'),
      r.verdict.summary,
    ]);
  }
  return t.toString();
}

function detailTables(d: WatchDetail | null): string {
  if (!d) return '';
  let out = '';
  const conns = connectionRows(d);
  if (conns.length) {
    const t = new Table({ head: ['tgid', 'comm', 'local', 'remote', 'by copy', 'by ref', 'linearized', 'verdict'], ...plain });
    for (const c of conns)
      t.push([String(c.tgid), c.comm, c.local, c.remote, bytes(c.counters.copy_user_to_socket_bytes), bytes((c.counters.splice_ref_bytes ?? 0) + (c.counters.zerocopy_bytes ?? 0)), bytes(c.counters.copy_linearize_bytes), c.verdict.summary]);
    out += '\nconnections\n' + t.toString();
  }
  if (d.files.length) {
    const t = new Table({ head: ['tgid', 'file', 'read by copy', 'sent by ref', 'disk read'], ...plain });
    for (const f of d.files) t.push([String(f.tgid), f.path ?? `${f.dev}:${f.ino}`, bytes(f.counters.copy_file_to_user_bytes), bytes(f.counters.splice_ref_bytes), bytes(f.counters.block_read_bytes)]);
    out += '\nfiles\n' + t.toString();
  }
  return out;
}

function findingsText(rows: ProcessRow[]): string {
  const lines: string[] = [];
  for (const r of rows) {
    const who = r.tgid === null ? `all watched (${r.comm})` : `${r.tgid} ${r.comm}`;
    if (r.verdict.paths.length) lines.push(`${who}: sent ${r.verdict.paths.map((p) => `${bytes(p.bytes)} by ${p.label}`).join(', ')}`);
    for (const f of r.verdict.findings) lines.push(`${who}: [${f.code}] ${f.message}`);
  }
  return lines.join('\n');
}

/** A row as one JSON object (its counts, and this interval's delta when given). */
function rowJson(r: ProcessRow, delta?: RoleCounts, full = false) {
  return {
    tgid: r.tgid,
    tgids: r.tgids,
    comm: r.comm,
    exited: r.exited,
    counters: r.counters,
    syscalls: r.syscalls,
    ...(delta ? { interval: delta } : {}),
    tlsLibrary: r.tlsLibrary,
    verdict: full ? r.verdict : { summary: r.verdict.summary, kind: r.verdict.kind, bytesSent: r.verdict.bytesSent, copiesPerByte: r.verdict.copiesPerByte, paths: r.verdict.paths.map((p) => ({ path: p.path, bytes: p.bytes })), findings: r.verdict.findings.map((f) => f.code) },
  };
}

export function summaryJson(s: WatchSummary) {
  return {
    type: 'summary',
    outcome: 'finished',
    reason: s.reason,
    t: Number(s.t.toFixed(3)),
    engine: s.engine,
    tier: s.tier,
    targets: s.targets,
    everWatched: s.everWatched,
    total: s.snapshot.sender,
    processes: s.processes.map((r) => rowJson(r, undefined, true)),
    connections: s.connections,
    files: s.files,
    ...(s.command ? { command: s.command } : {}),
    ...(s.missedEvents !== undefined ? { missedEvents: s.missedEvents } : {}),
  };
}

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('watch processes the lab did not start: what their sends cost (copied or by reference), live, with verdicts')
    .option('--pid <pids>', 'processes by pid, comma-separated (a thread id names its process)')
    .option('--comm <name>', 'processes whose comm (/proc/PID/comm) is exactly NAME; repeat for several', (v: string, prev: string[] = []) => [...prev, v])
    .option('--cgroup <path>', 'the processes of a cgroup (under /sys/fs/cgroup, or relative to it), recursively')
    .option('--no-follow', 'do not watch the children they fork (followed by default)')
    .option('--interval <seconds>', 'seconds between refreshes', '1')
    .option('--count <n>', 'end after N refreshes')
    .option('--duration <seconds>', 'end after this many seconds')
    .addOption(new Option('--sort <key>', `order of the process rows: ${SORT_KEYS.join(' | ')}`).default('bytes'))
    .option('--engine <engine>', 'the probe engine: libbpf (per process, connection and file; --comm/--cgroup processes that start later are added) or bpftrace (bpf/zcl.bt, all watched processes together)', 'libbpf')
    .option('--json', 'one JSON line per interval (deltas and totals), then a summary line with the verdicts')
    .option('--listen <addr:port>', 'serve Prometheus metrics (GET /metrics only) on ADDR:PORT while watching (a port alone: 127.0.0.1); off loopback a bearer token is required')
    .addOption(new Option('--token <token>', 'the bearer token /metrics requires (generated and printed when --listen is not loopback); prefer ZCL_TOKEN: a command line is readable by every local user (ps)').env(TOKEN_ENV))
    .argument('[command...]', 'after --: a command to start and watch (its tree); the watch ends when it exits')
    .addHelpText('after', HELP)
    .action(async (command: string[], o: Record<string, unknown>) => {
      // The token does not go on to a command this watch starts.
      delete process.env[TOKEN_ENV];
      const input = watchInputs(o, command);
      const probes = remapped(() => probeSetup(true, input.engine));
      const session = remapped(() => new WatchSession({ targets: input.targets, probes, durationSeconds: input.duration, commandOutput: 'capture' }));
      if (input.listen) {
        const exporter = new MetricsExporter();
        if ('engine' in probes) {
          const caps = probes.engine.capabilities();
          exporter.setSources(probes.engine.name, caps.tier, Object.fromEntries(caps.counters.map((c) => [c.name, c.available ? c.source : null])));
        }
        exporter.attachWatch(session);
        const l = await listenMetrics(exporter, { ...input.listen, token: input.token }).catch((e: NodeJS.ErrnoException) => {
          throw new InputError([{ field: '--listen', message: `cannot listen on ${input.listen!.host}:${input.listen!.port}: ${e.code ?? e.message}; choose another address or port` }], 'options');
        });
        process.stderr.write(`zcl watch: Prometheus metrics at ${l.url}${l.token && !input.token ? ` (bearer token, generated: ${l.token})` : ''}\n`);
        session.on((e) => {
          if (e.type === 'end') void l.close();
        });
      }
      let interrupted = false;
      onInterrupt(() => {
        interrupted = true;
        session.stop('stopped');
      });
      const out = process.stdout;
      const tty = out.isTTY === true && !input.json;
      let printed = 0;
      let prevTotal: RoleCounts | undefined;
      let prevT = 0;
      const prevProc = new Map<number, WatchProcess>();
      session.on((e) => {
        if (e.type === 'output') process.stderr.write(e.text);
        if (e.type === 'phase' && e.phase === 'running' && e.targets)
          process.stderr.write(`zcl watch: watching ${e.targets.tgids.length} process(es) (${e.targets.tgids.join(', ')})${e.targets.follow ? ' and the children they fork' : ''}; Ctrl-C ends\n`);
        if (e.type === 'targets' && !input.json) process.stderr.write(`zcl watch: added ${e.added.join(', ')}\n`);
        if (e.type !== 'sample' || e.t < (printed + 1) * input.interval) return;
        printed++;
        const rows = sortRows(session.rows(e), input.sort);
        const seconds = e.t - prevT;
        if (input.json) {
          const line = {
            type: 'interval',
            t: Number(e.t.toFixed(3)),
            interval: { seconds: Number(seconds.toFixed(3)), ...deltaCounts(e.snapshot.sender, prevTotal) },
            total: e.snapshot.sender,
            watched: e.watched,
            processes: rows.map((r) => {
              const before = r.tgid !== null ? prevProc.get(r.tgid) : undefined;
              return rowJson(r, r.tgid === null ? undefined : deltaCounts(r, before ?? { counters: zeroLike(r.counters), syscalls: {} }));
            }),
            connections: connectionRows(e.detail),
            files: e.detail?.files ?? [],
          };
          out.write(JSON.stringify(line) + '\n');
        } else {
          const sent = (c: RoleCounts['counters']) => (c.copy_user_to_socket_bytes ?? 0) + (c.splice_ref_bytes ?? 0) + (c.zerocopy_bytes ?? 0);
          const rate = prevTotal ? (sent(e.snapshot.sender.counters) - sent(prevTotal.counters)) / Math.max(seconds, 1e-3) : sent(e.snapshot.sender.counters) / Math.max(e.t, 1e-3);
          const head = `zcl watch  t=${e.t.toFixed(1)} s  watching ${e.watched.length} process(es)  sending ${formatSize(rate)}/s  (sort: ${input.sort})`;
          const body = [head, processTable(rows), detailTables(e.detail), findingsText(rows)].filter(Boolean).join('\n');
          out.write(tty ? `\x1b[H\x1b[2J${body}\n` : `${body}\n\n`);
        }
        prevTotal = e.snapshot.sender;
        prevT = e.t;
        for (const p of e.detail?.processes ?? []) prevProc.set(p.tgid, p);
        if (input.count !== undefined && printed >= input.count) session.stop('stopped');
      });
      const summary = await remapped(() => session.start());
      if (input.json) out.write(JSON.stringify(summaryJson(summary)) + '\n');
      else {
        const rows = sortRows(summary.processes, input.sort);
        const why = { stopped: interrupted ? 'interrupted' : input.count !== undefined ? `after ${input.count} refreshes` : 'stopped', duration: `after ${input.duration} s`, 'command-exited': 'the command exited', exited: 'the watched processes exited' }[summary.reason];
        out.write(
          [
            `zcl watch: summary after ${summary.t.toFixed(1)} s (${why}); probes ${summary.engine}, ${summary.tier} tier; watched ${summary.everWatched.join(', ')}`,
            processTable(rows),
            detailTables(summary.detail),
            findingsText(rows),
            summary.command ? `command (pid ${summary.command.pid}) ${summary.command.signal ? `killed by ${summary.command.signal}` : `exited with code ${summary.command.exitCode}`}` : '',
            summary.missedEvents ? `warning: the kernel skipped ${summary.missedEvents} probe events: some counts may be short` : '',
          ].filter(Boolean).join('\n') + '\n',
        );
      }
      if (interrupted) process.exit(130);
    });
}

function zeroLike(c: RoleCounts['counters']): RoleCounts['counters'] {
  return Object.fromEntries(Object.keys(c).map((k) => [k, 0])) as RoleCounts['counters'];
}

/** Runs f, naming the session's fields by their options (pid -> --pid). */
async function remappedAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw rename(e);
  }
}

function remapped<T>(f: () => T): T {
  try {
    const r = f();
    return (r instanceof Promise ? (remappedAsync(() => r) as unknown as T) : r);
  } catch (e) {
    throw rename(e);
  }
}

function rename(e: unknown): unknown {
  if (e instanceof InputError) return new InputError(e.issues.map((i) => ({ field: OPTION_OF[i.field] ?? i.field, message: i.message })), 'options');
  return e;
}
