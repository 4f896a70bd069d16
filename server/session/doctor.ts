// Can this machine run and measure the lab? Each problem comes with its fix.
// Used by `zcl doctor` and by the capabilities the API and the live hub report.
import { existsSync } from 'node:fs';
import { arch, release } from 'node:os';
import { libbpfEngine } from '../probes/select.js';
import { run } from '../run/exec.js';
import { labNamespaces } from '../run/netpath.js';
import { isAlive } from '../core/process.js';

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
  const tracefs = existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events');
  checks.push({ check: 'tracefs', ok: tracefs || root, detail: tracefs ? 'mounted' : root ? 'not mounted; the probes mount it when they load' : 'not mounted', fix: 'mount -t tracefs nodev /sys/kernel/tracing' });
  let counters: { name: string; source: string | null; missing?: string }[] = [];
  let tier: string | undefined;
  try {
    const caps = libbpfEngine().capabilities();
    tier = caps.tier;
    const failed = caps.programs.filter((p) => !p.attached);
    checks.push({ check: 'probes (libbpf)', ok: true, detail: `tier ${caps.tier}; ${caps.programs.length - failed.length} of ${caps.programs.length} programs attached` });
    counters = caps.counters.map((c) => ({ name: c.name, source: c.available ? c.source : null, missing: c.missing }));
    for (const c of caps.counters.filter((c) => !c.available))
      checks.push({ check: `counter ${c.name}`, ok: false, fatal: true, detail: `unavailable: ${c.missing}`, fix: 'a kernel with this tracepoint (see the README: probe tiers), or the function tier where fentry works' });
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

