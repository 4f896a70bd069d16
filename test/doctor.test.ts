// zcl doctor, and what happens where the probes cannot load: the transfer
// still runs and the result says why nothing was measured.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST } from '../server/project.js';
import { AS_NOBODY } from './helpers.js';
import { tracefsState } from '../server/session/doctor.js';
import { tlsModuleLoaded, tlsSupport } from '../server/core/ktls.js';

const zcl = join(DIST, 'server', 'cli', 'zcl.js');
const asNobody = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(AS_NOBODY[0], [...AS_NOBODY.slice(1), process.execPath, zcl, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

describe('zcl doctor', () => {
  it('passes here as root and names the tier and every counter source', () => {
    const r = spawnSync(process.execPath, [zcl, 'doctor', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.ok).toBe(true);
    expect(d.tier).toBe('tracepoint');
    // Every counter but kTLS encryption where the kernel has no tls module: the kTLS check says so, not fatal.
    const tls = tlsSupport();
    expect(d.counters.filter((c: { source: string | null }) => !c.source).map((c: { name: string }) => c.name)).toEqual(tlsModuleLoaded() ? [] : ['copy_encrypt_bytes']);
    expect(d.checks.find((c: { check: string }) => c.check === 'kTLS')).toMatchObject(
      tls.ok ? { ok: true } : { ok: false, detail: `ktls-write, ktls-sendfile are refused: ${tls.reason}` },
    );
  });

  it('fails without root and says how to fix it', () => {
    const r = asNobody(['doctor']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/privileges .*FAIL/s);
    expect(r.stdout).toMatch(/run as root/);
  });
});

describe('tracefs (issue 14, item 8)', () => {
  const MOUNTED = '21 41 0:13 / /sys/kernel/tracing rw,relatime - tracefs nodev rw\n22 41 0:7 / /sys/kernel/debug rw - debugfs nodev rw\n';
  const fail = (code: string) => () => {
    throw Object.assign(new Error(`${code}: some message`), { code });
  };
  it('tells mounted and readable, mounted but unreadable (path and errno), and not mounted apart', () => {
    expect(tracefsState(MOUNTED, () => undefined)).toEqual({ state: 'ok', path: '/sys/kernel/tracing', detail: 'mounted at /sys/kernel/tracing' });
    expect(tracefsState(MOUNTED, fail('EACCES'))).toEqual({
      state: 'unreadable',
      path: '/sys/kernel/tracing',
      detail: 'mounted at /sys/kernel/tracing, but /sys/kernel/tracing/events cannot be read: EACCES (permission denied)',
    });
    expect(tracefsState('22 41 0:7 / /sys/kernel/debug rw - debugfs nodev rw\n', () => undefined)).toEqual({
      state: 'not mounted',
      detail: 'not mounted (/sys/kernel/tracing or /sys/kernel/debug/tracing)',
    });
    // the older place, when the newer is not mounted
    expect(tracefsState('30 22 0:13 / /sys/kernel/debug/tracing rw - tracefs nodev rw\n', () => undefined).path).toBe('/sys/kernel/debug/tracing');
  });

  it('zcl doctor says it: as root mounted at its path; as nobody (no capabilities) mounted but unreadable, EACCES', () => {
    const r = spawnSync(process.execPath, [zcl, 'doctor', '--json'], { encoding: 'utf8' });
    const check = (out: string) => JSON.parse(out).checks.find((c: { check: string }) => c.check === 'tracefs');
    expect(check(r.stdout)).toMatchObject({ ok: true, detail: 'mounted at /sys/kernel/tracing' });
    const n = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, zcl, 'doctor', '--json'], { encoding: 'utf8' });
    expect(check(n.stdout)).toMatchObject({ ok: false, detail: 'mounted at /sys/kernel/tracing, but /sys/kernel/tracing/events cannot be read: EACCES (permission denied)' });
  });
});

describe('without probes', () => {
  it('a run still moves the file and says probes: unavailable, with the reason', () => {
    const home = mkdtempSync('/var/tmp/zcl-nobody-');
    chownSync(home, 65534, 65534);
    try {
      const r = asNobody(['run', '--mode', 'sendfile', '--size', '1MiB', '--json'], { ZCL_HOME: home });
      expect(r.status).toBe(0);
      const res = JSON.parse(r.stdout);
      expect(res.receiver.checksumOk).toBe(true);
      expect(res.probes).toMatchObject({ status: 'unavailable', engine: 'libbpf' });
      expect(res.probes.reason).toMatch(/needs root/);
      expect(res.textbook.verdict).toBe('unmeasured');
      expect(r.stderr).toMatch(/probes \(libbpf\) unavailable: .*needs root/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('--no-probes says probes: off', () => {
    const r = spawnSync(process.execPath, [zcl, 'run', '--size', '1MiB', '--no-probes', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).probes.status).toBe('off');
  });
});
