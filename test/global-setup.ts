// One lab home for the whole test run (data files, results), removed at the end;
// and the precondition every test here has: root on Linux. There is no skipping:
// a machine that cannot run the lab fails the suite and says why.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../server/core/process.js';

export default function setup(): () => void {
  if (process.getuid?.() !== 0)
    throw new Error('the test suite needs root (network namespaces, eBPF): run it as root, e.g. sudo npm test');
  // Data files must be on a disk-backed filesystem for the cold-cache tests.
  const base = process.env.ZCL_TEST_HOME_BASE ?? '/var/tmp';
  // A run that was killed could not remove its home: remove those of dead runs (their pid is in the name).
  for (const d of readdirSync(base)) {
    const m = /^zcl-test-(\d+)-/.exec(d);
    if (m && !isAlive(Number(m[1]))) rmSync(join(base, d), { recursive: true, force: true });
  }
  const home = mkdtempSync(join(base, `zcl-test-${process.pid}-`));
  process.env.ZCL_HOME = home;
  return () => rmSync(home, { recursive: true, force: true });
}
