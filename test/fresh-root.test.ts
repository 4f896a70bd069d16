// The README's claim, on a fresh machine: in a fresh Debian 12 root filesystem
// (debootstrap minbase + Node 20, npm, python3, make, g++), `scripts/setup.sh --for test`
// installs everything, has nothing left to do after, and the lab works there: zcl
// doctor passes, a probed sendfile run over veth-nosg measures every counter, and the
// deployment tests pass with the tools setup installed (scripts/fresh-root/check.sh).
// Slow (a cold run debootstraps and installs every package; the caches in
// /var/cache/zerocopy-lab/fresh-root make later runs faster): npm test runs it with the
// sequential files at the end, and `npm run test:fresh-root` alone.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../server/project.js';

const leftovers = () => readdirSync('/var/tmp').filter((d) => d.startsWith('zcl-fresh-root.'));
const mountsUnder = (prefix: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1]?.startsWith(prefix));

describe('a fresh Debian 12 root filesystem', () => {
  it('scripts/setup.sh --for test installs everything the lab and its tests need, and the lab works there', () => {
    const before = leftovers();
    const r = spawnSync(join(ROOT, 'scripts', 'fresh-root', 'check.sh'), [], { cwd: ROOT, encoding: 'utf8', timeout: 60 * 60_000 });
    const out = r.stdout + r.stderr;
    // The phases and their times, in the test's output.
    console.log(out.split('\n').filter((l) => /^fresh-root: |^ {2}\| (ok|FAIL|setup:)/.test(l)).join('\n'));
    expect(r.error?.message ?? '').toBe('');
    expect(out).not.toMatch(/FAIL|error:/);
    expect(out).toMatch(/setup: ready \(test\)/);
    expect(out).toMatch(/setup: nothing to do/);
    expect(out).toMatch(/ok {3}every counter has a source on this kernel/);
    expect(out).toMatch(/ok {3}every counter is measured for the sender/);
    expect(out).toMatch(/fresh-root: \[ *\d+s\] passed/);
    expect(r.status).toBe(0);
    // Nothing left behind: the fresh root unmounted and removed.
    expect(mountsUnder('/var/tmp/zcl-fresh-root.')).toEqual([]);
    expect(leftovers().filter((d) => !before.includes(d))).toEqual([]);
  }, 62 * 60_000);
});
