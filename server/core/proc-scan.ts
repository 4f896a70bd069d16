// The running processes and their TCP connections, from /proc: what the
// dashboard's Watch view lists (GET /api/processes) and what `zcl watch --comm`
// can search. A process's sockets are its /proc/PID/fd links `socket:[INODE]`,
// matched against the TCP tables (/proc/PID/net/tcp and tcp6) of its network
// namespace, each namespace's tables read once (so processes in the lab's own
// veth namespaces show their connections too). Only LISTEN and ESTABLISHED
// sockets are listed; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is shown as
// IPv4. Kernel threads (no command line, children of kthreadd) are left out.
// Nothing here throws for a process that goes away meanwhile: it is skipped.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export type TcpState = 'LISTEN' | 'ESTABLISHED';

export interface TcpConnection {
  state: TcpState;
  /** address:port, IPv6 in brackets ([::1]:80); v4-mapped IPv6 as IPv4. */
  local: string;
  remote: string;
  /** The socket's inode (what the process's fd links name). */
  inode: number;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** The command line, arguments joined by spaces, cut at CMDLINE_MAX characters (then ending in …). */
  cmdline: string;
  /** Its LISTEN and ESTABLISHED TCP sockets (none for a process whose fds cannot be read). */
  tcp: TcpConnection[];
  /** The inode of its network namespace (0 when unknown). */
  netns: number;
  /** The process doing the scan (the lab's server itself). */
  self?: boolean;
}

export const CMDLINE_MAX = 200;
/** fds read per process at most (a process with more shows the sockets among its first ones). */
export const FDS_MAX = 4096;

const STATES: Record<string, TcpState> = { '01': 'ESTABLISHED', '0A': 'LISTEN' };

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** /proc/net/tcp's IPv4 address: the __be32 printed as a host-order (little-endian) u32. */
function ipv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

/** /proc/net/tcp6's address: four 32-bit words, each printed host-order; IPv4-mapped shown as IPv4. */
function ipv6(hex: string): { addr: string; v4: boolean } {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const n = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    bytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return { addr: bytes.slice(12).join('.'), v4: true };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // The longest run of zero groups (two or more) as ::.
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > len && j - i >= 2) {
      best = i;
      len = j - i;
    }
    i = j;
  }
  const addr = best < 0 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + len).join(':')}`;
  return { addr, v4: false };
}

/** One TCP table's LISTEN and ESTABLISHED sockets, by inode. */
export function parseTcpTable(text: string, family: 4 | 6): Map<number, TcpConnection> {
  const out = new Map<number, TcpConnection>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const state = STATES[f[3]];
    const inode = Number(f[9]);
    if (!state || !inode) continue;
    const endpoint = (s: string) => {
      const [a, p] = s.split(':');
      const port = parseInt(p, 16);
      if (family === 4) return `${ipv4(a)}:${port}`;
      const { addr, v4 } = ipv6(a);
      return v4 ? `${addr}:${port}` : `[${addr}]:${port}`;
    };
    out.set(inode, { state, local: endpoint(f[1]), remote: endpoint(f[2]), inode });
  }
  return out;
}

function netnsOf(pid: number | 'self'): number {
  try {
    return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The socket inodes a process holds (its first FDS_MAX fds). */
function socketInodes(pid: number): number[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const fd of fds.slice(0, FDS_MAX)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

interface Basic { pid: number; ppid: number; comm: string; cmdline: string }

function basic(pid: number): Basic | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  const raw = read(`/proc/${pid}/cmdline`) ?? '';
  if (!raw && (ppid === 2 || pid === 2)) return undefined; // a kernel thread
  if (rest[0] === 'Z') return undefined; // a zombie: nothing to watch
  let cmdline = raw.replace(/\0+$/, '').split('\0').join(' ');
  if (cmdline.length > CMDLINE_MAX) cmdline = cmdline.slice(0, CMDLINE_MAX - 1) + '…';
  return { pid, ppid, comm: stat.slice(open + 1, close), cmdline };
}

/** The pids of every process (thread group) on the machine. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

export interface ProcessList {
  /** At most `limit`: processes with TCP sockets first (most first), then by pid. */
  processes: ProcessInfo[];
  /** Processes that matched (before the limit). */
  total: number;
  /** total > processes.length: raise the limit or narrow the filter to see the rest. */
  truncated: boolean;
  limit: number;
}

export interface ListOptions {
  /** Most processes answered (default 200). */
  limit?: number;
  /** Only processes whose pid, comm or command line contains this (case-insensitive). */
  filter?: string;
  /** Only these pids. */
  pids?: number[];
}

/** The running processes with their TCP connections (see the top of this file). */
export function listProcesses(o: ListOptions = {}): ProcessList {
  const limit = o.limit ?? 200;
  const needle = o.filter?.toLowerCase();
  const tables = new Map<number, Map<number, TcpConnection>>();
  const tableOf = (pid: number, ns: number): Map<number, TcpConnection> => {
    let t = tables.get(ns);
    if (!t) {
      t = new Map();
      for (const [file, fam] of [['tcp', 4], ['tcp6', 6]] as const) {
        const text = read(`/proc/${pid}/net/${file}`);
        if (text) for (const [k, v] of parseTcpTable(text, fam)) t.set(k, v);
      }
      // A namespace's tables are read once, through the first of its processes with sockets.
      if (ns) tables.set(ns, t);
    }
    return t;
  };
  const out: ProcessInfo[] = [];
  for (const pid of o.pids ?? allPids()) {
    const b = basic(pid);
    if (!b) continue;
    if (needle && !String(pid).includes(needle) && !b.comm.toLowerCase().includes(needle) && !b.cmdline.toLowerCase().includes(needle)) continue;
    const netns = netnsOf(pid);
    const inodes = socketInodes(pid);
    const table = inodes.length ? tableOf(pid, netns) : undefined;
    const tcp = table ? inodes.flatMap((i) => (table.has(i) ? [table.get(i)!] : [])) : [];
    // Listening first, then by local address.
    tcp.sort((a, b) => (a.state === b.state ? a.local.localeCompare(b.local) || a.remote.localeCompare(b.remote) : a.state === 'LISTEN' ? -1 : 1));
    out.push({ ...b, tcp, netns, ...(pid === process.pid ? { self: true } : {}) });
  }
  out.sort((a, b) => b.tcp.length - a.tcp.length || a.pid - b.pid);
  return { processes: out.slice(0, limit), total: out.length, truncated: out.length > limit, limit };
}

/** Pids of the processes whose comm is exactly `comm` (as `pgrep -x`), the scanning process left out. */
export function pidsByComm(comm: string): number[] {
  const out: number[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const c = read(`/proc/${pid}/comm`)?.trimEnd();
    if (c === comm) out.push(pid);
  }
  return out;
}
