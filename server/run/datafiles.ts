// The lab's test files, in its own data directory: deterministic content made by
// the native generator, reused across runs, with its checksum (XXH3-64) beside each file.
// And the page-cache state a run asks for, verified with mincore.
import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheName } from '../../scenarios/catalog.js';
import { addon } from '../native.js';
import { labDir } from '../project.js';
import { isAlive } from './process.js';

export interface DataFile { path: string; sizeBytes: number; checksum: string }

const FORMAT = 2; // bump when the pattern changes


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
  // Pages still referenced elsewhere (a socket buffer draining, a mapping) cannot
  // be dropped yet: try again for a while before giving up.
  for (let attempt = 0; attempt < 20; attempt++) {
    a.dropCache(path);
    const r = a.residency(path);
    if (r.resident === 0) return r;
    await new Promise((res) => setTimeout(res, 25 * (attempt + 1)));
  }
  const r = a.residency(path);
  const holders = processesUsing(path);
  throw new Error(
    `cache cold: ${r.resident} of ${r.pages} pages of ${path} stay cached after posix_fadvise(DONTNEED) for 5 s; ` +
      (holders.length
        ? `the file is open or mapped by: ${holders.join(', ')}`
        : 'no process has it open or mapped (is the data directory on tmpfs? set ZCL_HOME to a disk-backed directory)'),
  );
}

/** Processes that have the file open or mapped ("pid (comm)"), to say what holds its pages. */
function processesUsing(path: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
      let uses = maps.includes(path);
      if (!uses)
        uses = readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
          } catch {
            return false;
          }
        });
      if (uses && Number(pid) !== process.pid) out.push(`${pid} (${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()})`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

export interface DataFileLock { release(): void }

/**
 * Holds a lock on a data file for one run (flock, so it dies with the process):
 * shared for warm runs, exclusive for cold ones, across every process of the lab.
 */
export async function lockDataFile(path: string, mode: 'shared' | 'exclusive'): Promise<DataFileLock> {
  const fd = await addon().lockFile(path, mode === 'exclusive');
  let held = true;
  return {
    release() {
      if (held) addon().unlockFile(fd);
      held = false;
    },
  };
}
