// The network paths a run can take. loopback needs nothing; veth and veth-nosg
// get a fresh veth pair between two network namespaces the lab creates for the
// run (sender side and sink side), addressed from the benchmarking range
// 198.18.0.0/15 and reachable from nowhere else. Scatter-gather is set with
// ethtool and read back. Everything is deleted after the run; namespaces left by
// a crashed process (its pid is in the name) are swept at the next run.
import { statSync } from 'node:fs';
import type { PathName } from '../../scenarios/catalog.js';
import { run, runSync } from './exec.js';
import { isAlive } from '../core/process.js';

export interface PathDevice {
  /** Namespace the device lives in (undefined: the root namespace). */
  netns?: string;
  name: string;
  ifindex: number;
  /** Inode of the network namespace: with ifindex, names the device uniquely. */
  netnsInode: number;
  scatterGather: boolean;
}

export interface NetPath {
  name: PathName;
  senderNetns?: string;
  sinkNetns?: string;
  sinkHost: string;
  /** The sender side's address (where an app mode's program listens). */
  senderHost: string;
  /** The device the sender transmits on. */
  device: PathDevice;
  close(): Promise<void>;
}

const PREFIX = 'zcl-';
const SENDER_ADDR = '198.18.0.1';
const SINK_ADDR = '198.18.0.2';
const DEV = 'zcl0';

const open = new Set<string>();
let seq = 0;

// If the process dies without closing a path, delete its namespaces on the way out.
process.on('exit', () => {
  for (const ns of open) runSync('ip', ['netns', 'del', ns]);
});


/** The lab's namespaces on this machine: name and owning pid. */
export async function labNamespaces(): Promise<{ name: string; pid: number }[]> {
  const out = await run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0])
    .map((name) => ({ name, m: new RegExp(`^${PREFIX}(\\d+)-\\d+-(tx|rx)$`).exec(name) }))
    .filter((x) => x.m)
    .map((x) => ({ name: x.name, pid: Number(x.m![1]) }));
}

/** Deletes namespaces whose owning process is gone. */
export async function sweepStalePaths(): Promise<string[]> {
  const stale = (await labNamespaces()).filter((n) => !isAlive(n.pid));
  for (const n of stale) await run('ip', ['netns', 'del', n.name]).catch(() => undefined);
  return stale.map((n) => n.name);
}

async function readScatterGather(netns: string | undefined, dev: string): Promise<boolean> {
  const args = ['-k', dev];
  const out = netns ? await run('ip', ['netns', 'exec', netns, 'ethtool', ...args]) : await run('ethtool', args);
  const m = /^scatter-gather: (on|off)/m.exec(out);
  if (!m) throw new Error(`ethtool -k ${dev}: no scatter-gather line in its output`);
  return m[1] === 'on';
}

async function ifindex(netns: string | undefined, dev: string): Promise<number> {
  const out = await run('ip', [...(netns ? ['-n', netns] : []), '-j', 'link', 'show', dev]);
  return (JSON.parse(out) as { ifindex: number }[])[0].ifindex;
}

function netnsInode(netns: string | undefined): number {
  return statSync(netns ? `/run/netns/${netns}` : '/proc/self/ns/net').ino;
}

export async function openPath(name: PathName): Promise<NetPath> {
  await sweepStalePaths().catch(() => undefined);
  if (name === 'loopback') {
    return {
      name,
      sinkHost: '127.0.0.1',
      senderHost: '127.0.0.1',
      device: { name: 'lo', ifindex: await ifindex(undefined, 'lo'), netnsInode: netnsInode(undefined), scatterGather: await readScatterGather(undefined, 'lo') },
      close: async () => undefined,
    };
  }
  const base = `${PREFIX}${process.pid}-${seq++}`;
  const tx = `${base}-tx`;
  const rx = `${base}-rx`;
  const close = async () => {
    for (const ns of [tx, rx]) {
      if (!open.has(ns)) continue;
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      open.delete(ns);
    }
  };
  try {
    for (const ns of [tx, rx]) {
      open.add(ns); // before it exists: an exit in the middle still deletes it
      await run('ip', ['netns', 'add', ns]);
    }
    await run('ip', ['-n', tx, 'link', 'add', DEV, 'type', 'veth', 'peer', 'name', DEV, 'netns', rx]);
    const sg = name === 'veth' ? 'on' : 'off';
    for (const [ns, addr] of [[tx, SENDER_ADDR], [rx, SINK_ADDR]] as const) {
      await run('ip', ['-n', ns, 'addr', 'add', `${addr}/30`, 'dev', DEV]);
      await run('ip', ['-n', ns, 'link', 'set', DEV, 'up']);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['netns', 'exec', ns, 'ethtool', '-K', DEV, 'sg', sg]);
      const got = await readScatterGather(ns, DEV);
      if (got !== (sg === 'on')) throw new Error(`ethtool -K ${DEV} sg ${sg} in ${ns}: the device still reports scatter-gather ${got ? 'on' : 'off'}`);
    }
    return {
      name,
      senderNetns: tx,
      sinkNetns: rx,
      sinkHost: SINK_ADDR,
      senderHost: SENDER_ADDR,
      device: { netns: tx, name: DEV, ifindex: await ifindex(tx, DEV), netnsInode: netnsInode(tx), scatterGather: sg === 'on' },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
