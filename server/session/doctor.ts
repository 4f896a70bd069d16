// Can this machine run and measure the lab? Each problem comes with its fix.
// Used by `zcl doctor` and by the capabilities the API and the live hub report.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import { libbpfEngine } from '../probes/select.js';
import { run } from '../run/exec.js';
import { labNamespaces } from '../run/netpath.js';
import { isAlive } from '../core/process.js';
import { tlsModuleLoaded, tlsSupport } from '../core/ktls.js';
import { KTLS_MODE_NAMES } from '../../scenarios/catalog.js';

interface Check { check: string; ok: boolean; detail: string; fix?: string; fatal?: boolean }

async function tool(cmd: string, args: string[], why: string, pkg: string): Promise<Check> {
  try {
    const out = await run(cmd, args);
    return { check: cmd, ok: true, detail: out.split('\n')[0].trim() || 'present' };
  } catch {
    return { check: cmd, ok: false, detail: `missing: ${why}`, fix: `apt-get install ${pkg} (or run scripts/setup.sh)` };
  }
}

export async function diagnose(): Promise<{ checks: Check[]; counters: { name: string; source: string | null; missing?: string }[]; tier?: string }> {
  const checks: Check[] = [];
  checks.push({ check: 'kernel', ok: true, detail: `${release()} (${arch()})` });
  if (arch() !== 'x64')
    checks.push({ check: 'architecture', ok: false, detail: 'syscalls are counted by name with x86_64 numbers', fix: 'run the lab on x86_64' });
  const root = process.getuid?.() === 0;
  checks.push({ check: 'privileges', ok: root, fatal: !root, detail: root ? 'root' : `uid ${process.getuid?.()}`, fix: 'run as root (eBPF needs CAP_BPF and CAP_PERFMON; veth paths need CAP_NET_ADMIN)' });
  const btf = existsSync('/sys/kernel/btf/vmlinux');
  checks.push({ check: 'BTF', ok: btf, fatal: !btf, detail: btf ? '/sys/kernel/btf/vmlinux' : 'no /sys/kernel/btf/vmlinux', fix: 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (every current distribution kernel is)' });
  let mountinfo = '';
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    /* no /proc: every tracefs reads as not mounted */
  }
  const t = tracefsState(mountinfo, (dir) => void readdirSync(dir));
  checks.push({
    check: 'tracefs',
    ok: t.state === 'ok' || (t.state === 'not mounted' && root),
    detail: t.state === 'not mounted' && root ? `${t.detail}; the probes mount it when they load` : t.detail,
    fix: t.state === 'unreadable' ? `run as root (reading ${t.path}/events needs it)` : 'mount -t tracefs nodev /sys/kernel/tracing',
  });
  // Kernel TLS: the ktls-* modes run only where the kernel has the tls module (not fatal: the other modes run).
  const tls = tlsSupport();
  checks.push(
    tls.ok
      ? { check: 'kTLS', ok: true, detail: `${KTLS_MODE_NAMES.join(', ')} run: ${tls.detail}` }
      : { check: 'kTLS', ok: false, detail: `${KTLS_MODE_NAMES.join(', ')} are refused: ${tls.reason}`, fix: 'a kernel with the tls module (CONFIG_TLS=m or y, e.g. Debian\'s), then modprobe tls' },
  );
  let counters: { name: string; source: string | null; missing?: string }[] = [];
  let tier: string | undefined;
  try {
    const caps = libbpfEngine().capabilities();
    tier = caps.tier;
    const failed = caps.programs.filter((p) => !p.attached);
    checks.push({ check: 'probes (libbpf)', ok: true, detail: `tier ${caps.tier}; ${caps.programs.length - failed.length} of ${caps.programs.length} programs attached` });
    counters = caps.counters.map((c) => ({ name: c.name, source: c.available ? c.source : null, missing: c.missing }));
    for (const c of caps.counters.filter((c) => !c.available)) {
      // kTLS encryption without the tls module loaded (none, or not yet: the first TCP_ULP "tls" loads it, after the
      // probes did): the kTLS check says so; the lab measures everything else.
      if (c.name === 'copy_encrypt_bytes' && !tlsModuleLoaded()) {
        checks.push({ check: `counter ${c.name}`, ok: false, detail: `unavailable: ${c.missing}`, fix: 'a kernel with the tls module (CONFIG_TLS), loaded before the lab starts (modprobe tls)' });
        continue;
      }
      checks.push({ check: `counter ${c.name}`, ok: false, fatal: true, detail: `unavailable: ${c.missing}`, fix: 'a kernel with this tracepoint (see the README: probe tiers), or the function tier where fentry works' });
    }
  } catch (e) {
    checks.push({ check: 'probes (libbpf)', ok: false, fatal: true, detail: (e as Error).message, fix: 'see the detail; `npm run setup` builds the programs' });
  }
  checks.push(await tool('ip', ['-V'], 'the veth paths need it', 'iproute2'));
  checks.push(await tool('ethtool', ['--version'], 'the veth paths set scatter-gather with it', 'ethtool'));
  checks.push(await tool('iperf3', ['--version'], 'the transfer benchmark compares against it', 'iperf3'));
  checks.push(await tool('bpftrace', ['--version'], 'the bpftrace probe engine needs it', 'bpftrace'));
  try {
    const stale = (await labNamespaces()).filter((n) => !isAlive(n.pid));
    checks.push({ check: 'leftovers', ok: stale.length === 0, detail: stale.length ? `network namespaces of dead runs: ${stale.map((n) => n.name).join(', ')}` : 'no namespaces of dead runs', fix: 'the next run deletes them, or: ip netns del NAME' });
  } catch {
    /* ip missing: reported above */
  }
  return { checks, counters, tier };
}


/** Where tracefs is found, newest place first. */
export const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/**
 * tracefs: mounted (per /proc/self/mountinfo) and its events readable, mounted but unreadable (the path
 * and the errno), or not mounted. `list` reads a directory and throws as readdirSync does.
 */
export function tracefsState(mountinfo: string, list: (dir: string) => void): { state: 'ok' | 'unreadable' | 'not mounted'; path?: string; detail: string } {
  // mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTIONS"
  const mounted = new Set(
    mountinfo.split('\n').flatMap((l) => {
      const [pre, post] = l.split(' - ');
      return post?.split(' ')[0] === 'tracefs' ? [pre.split(' ')[4]] : [];
    }),
  );
  let unreadable: { path: string; detail: string } | undefined;
  for (const path of TRACEFS_PATHS) {
    if (!mounted.has(path)) continue;
    try {
      list(`${path}/events`);
      return { state: 'ok', path, detail: `mounted at ${path}` };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      unreadable ??= { path, detail: `mounted at ${path}, but ${path}/events cannot be read: ${err.code ?? 'error'} (${err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message})` };
    }
  }
  if (unreadable) return { state: 'unreadable', ...unreadable };
  return { state: 'not mounted', detail: `not mounted (${TRACEFS_PATHS.join(' or ')})` };
}
