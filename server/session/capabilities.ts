// What this machine can measure (GET /api/capabilities and the `hello` frame): the kernel, the probe engine
// and its tier, the programs attached, each counter's source, and what is
// missing with how to fix it. Built from the probe setup the server's runs
// really use; probes that failed to load are reported with their reason,
// never a crash.
import { arch, release } from 'node:os';
import { diagnose } from './doctor.js';
import { COUNTERS } from '../probes/schema.generated.js';
import type { ProbeSetup } from '../probes/select.js';

export interface Capabilities {
  kernel: string;
  arch: string;
  node: string;
  probes: {
    status: 'ok' | 'unavailable' | 'off';
    engine: string;
    tier?: string;
    reason?: string;
    programs: { name: string; attached: boolean; error?: string }[];
    counters: { name: string; unit: string; description: string; available: boolean; source: string | null; missing?: string }[];
  };
  /** Every probe engine a run can ask for (the RunSpec's engine field), and whether it can measure here. */
  engines: { name: string; summary?: string; status: 'ok' | 'unavailable' | 'off'; tier?: string; reason?: string }[];
  /** Everything that keeps the lab from measuring or running something, with its fix. */
  missing: { what: string; detail: string; fix?: string }[];
  /** The machine checks of `zcl doctor` (tools, privileges, BTF), when probes are on. */
  checks: { check: string; ok: boolean; detail: string; fix?: string }[];
  checkedAt: string;
}

/**
 * @param engines every engine with its setup, the default one first: `probes` details the default
 * engine (the banner's), `engines` lists them all.
 */
export async function capabilities(engines: { name: string; summary?: string; setup: ProbeSetup }[]): Promise<Capabilities> {
  const setup = engines[0].setup;
  const missing: Capabilities['missing'] = [];
  let probes: Capabilities['probes'];
  if ('engine' in setup) {
    const caps = setup.engine.capabilities();
    probes = {
      status: 'ok',
      engine: setup.engine.name,
      tier: caps.tier,
      programs: caps.programs,
      counters: COUNTERS.map((c) => {
        const s = caps.counters.find((x) => x.name === c.name);
        return { ...c, available: !!s?.available, source: s?.available ? s.source : null, ...(s?.missing ? { missing: s.missing } : {}) };
      }),
    };
    for (const c of probes.counters.filter((c) => !c.available))
      missing.push({
        what: `counter ${c.name}`, detail: c.missing ?? 'no source on this kernel',
        fix: c.name === 'copy_encrypt_bytes' ? 'a kernel with the tls module (CONFIG_TLS), loaded before the lab starts (modprobe tls)' : 'a kernel with this tracepoint (see the README: probe tiers), or the function tier where fentry works',
      });
    for (const p of caps.programs.filter((p) => !p.attached))
      missing.push({ what: `program ${p.name}`, detail: p.error ?? 'not attached' });
  } else {
    const a = setup.absent;
    probes = {
      status: a.status,
      engine: a.engine,
      reason: a.reason,
      programs: [],
      counters: COUNTERS.map((c) => ({ ...c, available: false, source: null })),
    };
    missing.push({
      what: `probes (${a.engine})`,
      detail: `${a.status}: ${a.reason ?? ''}`,
      fix: a.status === 'off' ? 'restart the server without --no-probes' : 'run `zcl doctor` for the fix; `npm run setup` builds the programs; the server must run as root',
    });
  }
  let checks: Capabilities['checks'] = [];
  // The doctor's machine checks; it loads the libbpf engine itself, so only when the probes are on.
  if (!('absent' in setup && setup.absent.status === 'off')) {
    try {
      const d = await diagnose();
      checks = d.checks.filter((c) => !c.check.startsWith('probes') && !c.check.startsWith('counter ')).map(({ check, ok, detail, fix }) => ({ check, ok, detail, ...(fix && !ok ? { fix } : {}) }));
      for (const c of checks.filter((c) => !c.ok)) missing.push({ what: c.check, detail: c.detail, fix: c.fix });
    } catch (e) {
      missing.push({ what: 'machine checks', detail: (e as Error).message });
    }
  }
  const list: Capabilities['engines'] = engines.map(({ name, summary, setup: st }) =>
    'engine' in st ? { name, summary, status: 'ok', tier: st.engine.capabilities().tier } : { name, summary, status: st.absent.status, reason: st.absent.reason },
  );
  // Without the tls module the kTLS check says it all: its modes are refused, and their counter has no source.
  const ktls = missing.find((m) => m.what === 'kTLS');
  const encrypt = missing.findIndex((m) => m.what === 'counter copy_encrypt_bytes');
  if (ktls && encrypt >= 0) {
    missing.splice(encrypt, 1);
    ktls.detail += '; their counter copy_encrypt_bytes has no source either. Every other mode and counter is unaffected';
  }
  for (const e of list.slice(1).filter((e) => e.status === 'unavailable'))
    missing.push({ what: `probe engine ${e.name}`, detail: e.reason ?? 'unavailable', fix: 'run `zcl doctor`; `npm run setup` installs what the engines need' });
  return { kernel: release(), arch: arch(), node: process.version, probes, engines: list, missing, checks, checkedAt: new Date().toISOString() };
}
