// Where things are: the project root (found from this file, whether it runs
// from server/*.ts under vitest or dist/server/*.js), and the lab's own
// directories for data files and results.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package.json's name, or undefined. Read, not access()ed: access() checks the real
 * uid without capabilities, so existsSync says false where a read would work. */
function packageName(file: string): string | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).name;
  } catch {
    return undefined;
  }
}

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (packageName(join(dir, 'package.json')) === 'zerocopy-lab') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the zerocopy-lab project root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const ROOT = findRoot();
/** Compiled JS for child processes (children always run compiled code). */
export const DIST = join(ROOT, 'dist');

/** The lab's home: data files, results, reports. ZCL_HOME overrides. */
export function labHome(): string {
  return resolve(process.env.ZCL_HOME ?? '/var/lib/zerocopy-lab');
}

export function labDir(name: 'data' | 'results' | 'reports'): string {
  const d = join(labHome(), name);
  mkdirSync(d, { recursive: true });
  return d;
}
