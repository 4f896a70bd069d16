// The CLI refuses bad input with exit code 2, names the option and the allowed
// values, and starts nothing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST } from '../server/project.js';
import { AS_NOBODY } from './helpers.js';

const zcl = join(DIST, 'server', 'cli', 'zcl.js');
const run = (args: string[], opts: { asNobody?: boolean } = {}) => {
  const argv = opts.asNobody ? [...AS_NOBODY, process.execPath, zcl, ...args] : [process.execPath, zcl, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('zcl run input', () => {
  it.each([
    [['--mode', 'teleport'], '--mode', /'teleport' is not allowed; allowed: read-write, mmap-write, sendfile/],
    [['--size', '0'], '--size', /out of range; allowed: 1 B to 64 GiB/],
    [['--size', 'lots'], '--size', /'lots' is not a size/],
    [['--size', '1MiB', '--chunk', '2MiB'], '--chunk', /larger than sizeBytes/],
    [['--path', 'wifi'], '--path', /allowed: loopback, veth, veth-nosg/],
    [['--cache', 'lukewarm'], '--cache', /allowed: warm, cold/],
    [['--mode', 'sendfile-nogather', '--path', 'loopback'], '--path', /runs on path veth-nosg/],
  ])('%j exits 2 naming %s', (args, field, message) => {
    const r = run(['run', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(field);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('an unknown option exits 2', () => {
    const r = run(['run', '--colour', 'blue']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option '--colour'/);
  });

  it('a veth path without root exits 2 and says what it needs', () => {
    const r = run(['run', '--path', 'veth', '--size', '1MiB'], { asNobody: true });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--path: --path veth creates network namespaces .* needs root/);
  });

  it('--help lists every mode and path with one line each', () => {
    const r = run(['run', '--help']);
    expect(r.code).toBe(0);
    for (const name of ['read-write', 'mmap-write', 'sendfile', 'sendfile-nogather', 'splice', 'msg-zerocopy', 'node-stream', 'loopback', 'veth', 'veth-nosg'])
      expect(r.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it('a small run prints its table and exits 0', () => {
    const r = run(['run', '--mode', 'splice', '--size', '1MiB', '--chunk', '64KiB']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/byte count and checksum ok/);
    expect(r.out).toMatch(/splice 32/);
  });
});
