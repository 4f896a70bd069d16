// Shared by the tests: file sizes that are not a multiple of the chunk, and
// checks that a run left nothing behind.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { labHome } from '../server/project.js';

/**
 * Runs a command as nobody (uid/gid 65534, no groups, no root), keeping only
 * CAP_DAC_READ_SEARCH so it can read the checkout even when a parent directory
 * is 0700 (a clone in `mktemp -d`). No capability the lab checks for (root,
 * CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN) is kept.
 */
export const AS_NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps', '+dac_read_search', '--ambient-caps', '+dac_read_search'];

export const KiB = 1024;
export const MiB = 1024 * 1024;
/** 3 MiB + 4097 B: an odd size, with a last chunk shorter than the others. */
export const ODD_SIZE = 3 * MiB + 4097;
export const CHUNK = 64 * KiB;
/**
 * A size of its own for each cold-cache test: a cold run drops the file's pages
 * and needs them gone, so no other test file (running alongside) may be using
 * the same data file.
 */
export const coldSize = (n: number) => ODD_SIZE + n * 8192;

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Network namespaces created by this process (their names carry our pid). */
export function ourNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`zcl-${process.pid}-`));
}

export function tempFilesInDataDir(): string[] {
  try {
    return readdirSync(join(labHome(), 'data')).filter((f) => f.startsWith('.tmp-'));
  } catch {
    return [];
  }
}
