// zcl doctor, and what happens where the probes cannot load: the transfer
// still runs and the result says why nothing was measured.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST } from '../server/project.js';
import { AS_NOBODY } from './helpers.js';

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
    expect(d.counters.every((c: { source: string | null }) => c.source)).toBe(true);
  });

  it('fails without root and says how to fix it', () => {
    const r = asNobody(['doctor']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/privileges .*FAIL/s);
    expect(r.stdout).toMatch(/run as root/);
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
