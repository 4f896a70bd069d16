// The machine a report was measured on: kernel, CPU, the probe engine and tier
// with the source of every counter, and the versions of what measured it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, release, totalmem, version as osVersion } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../project.js';
import type { ProbeSetup } from '../probes/select.js';

export interface Environment {
  capturedAt: string;
  kernel: { release: string; version: string };
  os: string | null;
  arch: string;
  cpu: { model: string; cores: number; mhz: number | null };
  memoryBytes: number;
  /** systemd-detect-virt's answer (e.g. kvm), 'none', or null when unknown. */
  virtualization: string | null;
  /** One entry per probe engine the runs use (the RunSpec's `engine`), each with its tier and counter sources. */
  probes: ProbeInfo[];
  versions: {
    zerocopyLab: string;
    node: string;
    libbpf: string | null;
    bpftrace: string | null;
    clang: string | null;
    chartjs: string | null;
  };
  git: { commit: string; dirty: boolean } | null;
}

/** A command's output; `anyExit`: also when it exits non-zero (systemd-detect-virt says "none" with status 1). */
function run(cmd: string, args: string[], anyExit = false): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000, cwd: ROOT }).trim();
  } catch (e) {
    const out = (e as { stdout?: string }).stdout?.trim();
    return anyExit && out ? out : null;
  }
}

function osName(): string | null {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

function packageVersion(pkg: string): string | null {
  try {
    const require = createRequire(join(ROOT, 'package.json'));
    const dir = require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
    return JSON.parse(readFileSync(dir, 'utf8')).version;
  } catch {
    try {
      return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  }
}

export interface ProbeInfo {
  status: 'ok' | 'unavailable' | 'off';
  engine: string;
  tier: string | null;
  reason?: string;
  /** Per counter, the kernel source it was measured from (null: no source on this kernel). */
  sources?: Record<string, string | null>;
}

function probeInfo(probes: ProbeSetup): ProbeInfo {
  if ('engine' in probes) {
    const caps = probes.engine.capabilities();
    return {
      status: 'ok',
      engine: probes.engine.name,
      tier: caps.tier,
      sources: Object.fromEntries(caps.counters.map((x) => [x.name, x.available ? x.source : null])),
    };
  }
  return { status: probes.absent.status, engine: probes.absent.engine, tier: null, ...(probes.absent.reason ? { reason: probes.absent.reason } : {}) };
}

let toolVersions: Environment['versions'] | undefined;

function versions(): Environment['versions'] {
  if (toolVersions) return toolVersions;
  const libbpf =
    run('pkg-config', ['--modversion', 'libbpf']) ??
    run('dpkg-query', ['-W', '-f=${Version}', 'libbpf1'])?.replace(/^\d+:/, '').replace(/-.*$/, '') ??
    null;
  const bpftrace = run('bpftrace', ['--version'])?.replace(/^bpftrace\s+/, '') ?? null;
  const clang = run('clang', ['--version'])?.split('\n')[0].replace(/^.*clang version\s+/, '').trim() ?? null;
  toolVersions = {
    zerocopyLab: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    node: process.versions.node,
    libbpf,
    bpftrace,
    clang,
    chartjs: packageVersion('chart.js'),
  };
  return toolVersions;
}

/** `probes`: the probe setup of every engine the runs use. */
export function captureEnvironment(probes: ProbeSetup[]): Environment {
  const c = cpus();
  const commit = existsSync(join(ROOT, '.git')) ? run('git', ['rev-parse', 'HEAD']) : null;
  const dirty = commit ? (run('git', ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '' : false;
  return {
    capturedAt: new Date().toISOString(),
    kernel: { release: release(), version: osVersion() },
    os: osName(),
    arch: arch(),
    cpu: { model: c[0]?.model?.trim() ?? 'unknown', cores: c.length, mhz: c[0]?.speed || null },
    memoryBytes: totalmem(),
    virtualization: run('systemd-detect-virt', [], true) ?? null,
    probes: probes.map(probeInfo),
    versions: versions(),
    git: commit ? { commit, dirty } : null,
  };
}
