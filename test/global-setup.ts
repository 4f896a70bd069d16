// One lab home for the whole test run (data files, results), removed at the end;
// and the precondition every test here has: root on Linux. There is no skipping:
// a machine that cannot run the lab fails the suite and says why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  if (process.getuid?.() !== 0)
    throw new Error('the test suite needs root (network namespaces, eBPF): run it as root, e.g. sudo npm test');
  // Data files must be on a disk-backed filesystem for the cold-cache tests.
  const home = mkdtempSync(join(process.env.ZCL_TEST_HOME_BASE ?? '/var/tmp', 'zcl-test-'));
  process.env.ZCL_HOME = home;
  return () => rmSync(home, { recursive: true, force: true });
}
