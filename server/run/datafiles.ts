// The lab's test files, in its own data directory: deterministic content made by
// the native generator, reused across runs, with its checksum (XXH3-64) beside each file.
// And the page-cache state a run asks for, verified with mincore.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheName } from '../../scenarios/catalog.js';
import { addon } from '../native.js';
import { labDir } from '../project.js';

export interface DataFile { path: string; sizeBytes: number; checksum: string }

const FORMAT = 2; // bump when the pattern changes

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files that a crashed run left half written. */
function sweepTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^\.tmp-(\d+)-/.exec(name);
    if (m && !isAlive(Number(m[1]))) unlinkSync(join(dir, name));
  }
}

let seq = 0;

export async function ensureDataFile(sizeBytes: number): Promise<DataFile> {
  const dir = labDir('data');
  const path = join(dir, `pattern-${sizeBytes}.bin`);
  const metaPath = `${path}.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      if (meta.format === FORMAT && meta.sizeBytes === sizeBytes && statSync(path).size === sizeBytes)
        return { path, sizeBytes, checksum: meta.checksum };
    } catch {
      /* regenerate below */
    }
  }
  sweepTemps(dir);
  const tmp = join(dir, `.tmp-${process.pid}-${seq++}`);
  try {
    const checksum = await addon().generateFile(tmp, sizeBytes);
    renameSync(tmp, path);
    writeFileSync(metaPath, JSON.stringify({ format: FORMAT, sizeBytes, checksum }));
    return { path, sizeBytes, checksum };
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

export interface CacheState { pages: number; resident: number }

/** Puts the file in the asked cache state and proves it with mincore. */
export async function prepareCache(path: string, cache: CacheName): Promise<CacheState> {
  const a = addon();
  if (cache === 'warm') {
    await a.warmCache(path);
    const r = a.residency(path);
    if (r.resident < r.pages)
      throw new Error(`cache warm: only ${r.resident} of ${r.pages} pages of ${path} stay cached (memory pressure?)`);
    return r;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    a.dropCache(path);
    const r = a.residency(path);
    if (r.resident === 0) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  const r = a.residency(path);
  throw new Error(
    `cache cold: ${r.resident} of ${r.pages} pages of ${path} stay cached after posix_fadvise(DONTNEED); ` +
      'is the data directory on tmpfs, or the file in use? Set ZCL_HOME to a disk-backed directory',
  );
}
