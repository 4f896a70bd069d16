// Kernel TLS on this machine: can the ktls-* modes run (the tls ULP registered,
// or its module there to load), and the kernel's kTLS statistics
// (/proc/net/tls_stat) a run reports the change of.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';

export const TCP_AVAILABLE_ULP = '/proc/sys/net/ipv4/tcp_available_ulp';
export const TLS_STAT = '/proc/net/tls_stat';

export type TlsSupport = { ok: true; detail: string } | { ok: false; reason: string };

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Whether setsockopt(TCP_ULP, "tls") can work: the ULP is registered (the tls
 * module loaded, or built in), or the module is installed for this kernel (the
 * kernel loads it on the first setsockopt, request_module "tcp-ulp-tls").
 */
export function tlsSupport(ulps = read(TCP_AVAILABLE_ULP), modulesDir = `/lib/modules/${release()}`): TlsSupport {
  const list = (ulps ?? '').trim().split(/\s+/).filter(Boolean);
  if (list.includes('tls')) return { ok: true, detail: `the tls ULP is registered (${TCP_AVAILABLE_ULP}: ${list.join(' ')})` };
  const inFile = (f: string) => /(^|\/)tls\.ko(\.[a-z]+)?:?(\s|$)/m.test(read(`${modulesDir}/${f}`) ?? '');
  if (inFile('modules.builtin') || inFile('modules.dep'))
    return { ok: true, detail: `the tls module is installed (${modulesDir}) and loads on first use (${TCP_AVAILABLE_ULP}: ${list.join(' ') || 'empty'})` };
  // (The same words whatever the case, the values apart: the page translates them by template, server/view/messages.ts.)
  const have = ulps === undefined ? 'unreadable' : list.length ? list.join(', ') : 'empty';
  return {
    ok: false,
    reason: `the kernel ${release()} has no tls module: ${TCP_AVAILABLE_ULP} lists ${have}, not tls, and no tls.ko is installed in ${modulesDir} (a kernel with CONFIG_TLS, e.g. Debian's, and modprobe tls)`,
  };
}

/** The tls module is loaded now (its BTF is there): the probes can attach to its encryption point when they load. */
export const tlsModuleLoaded = (): boolean => existsSync('/sys/kernel/btf/tls');

/** The kernel's kTLS counters (TlsTxSw, TlsTxDevice, TlsRxSw, ...), or null where the tls module is not loaded. */
export function readTlsStat(text = read(TLS_STAT)): Record<string, number> | null {
  if (text === undefined) return null;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(\w+)\s+(\d+)\s*$/gm)) out[m[1]] = Number(m[2]);
  return out;
}
