// The lab's test files, in its own data directory: deterministic content made by
// the native generator, reused across runs, with its checksum (XXH3-64) beside each file.
// And the page-cache state a run asks for, verified with mincore.
//
// The directory is bounded: before a new file is made, the least recently used
// files are removed until the others and the new one fit in ZCL_DATA_MAX
// (default 16 GiB; a single file larger than that is still allowed when the disk
// has room), skipping files in use (locked by a run, or used in the last minute).
// The free space is checked before anything is written. Generation stops within
// one 1 MiB block of a cancel and its temp file is removed.
import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, statfsSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheName } from '../../scenarios/catalog.js';
import { addon, cancellableLoop } from '../native.js';
import { labDir } from '../project.js';
import { formatSize, parseSize } from '../schema/units.js';
import { isAlive } from '../core/process.js';
import { DataDirError, LockTimeoutError } from '../core/errors.js';

export interface DataFile { path: string; sizeBytes: number; checksum: string }

const FORMAT = 2; // bump when the pattern changes
const GiB = 2 ** 30;
/** Free space left on the disk after a new data file, at least. */
const RESERVE_BYTES = 512 * 2 ** 20;
/** A file used this recently is not evicted (another process may be about to lock it). */
const RECENT_MS = 60_000;

/** The data directory's bound (ZCL_DATA_MAX, a size such as 32GiB). */
export function dataBound(): number {
  const raw = process.env.ZCL_DATA_MAX;
  if (raw === undefined || raw === '') return 16 * GiB;
  const n = parseSize(raw);
  if (n === undefined || n < 0) throw new DataDirError(`ZCL_DATA_MAX='${raw}' is not a size; write e.g. 32GiB`);
  return n;
}

export { DataDirError, LockTimeoutError };

/** A data file: pattern-<size>.bin and its .json. */
const DATA_NAME = /^pattern-(\d+)\.bin$/;

/** Temp files of generations whose process is gone (the pid is in the name). */
function staleTemps(dir: string): string[] {
  return readdirSync(dir).filter((name) => {
    const m = /^\.tmp-(\d+)-/.exec(name);
    return m && !isAlive(Number(m[1]));
  });
}

/** Removes temp files that a crashed or killed run left half written. */
export function sweepTemps(dir = labDir('data')): string[] {
  const gone = staleTemps(dir);
  for (const name of gone) unlinkSync(join(dir, name));
  return gone;
}

// Our own temp files, removed even when the process exits in the middle of a generation.
const ourTemps = new Set<string>();
process.on('exit', () => {
  for (const t of ourTemps)
    try {
      unlinkSync(t);
    } catch {
      /* already gone */
    }
});

interface Stored { path: string; size: number; usedAt: number }

function storedFiles(dir: string): Stored[] {
  const out: Stored[] = [];
  for (const name of readdirSync(dir)) {
    if (!DATA_NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      const st = statSync(path);
      let usedAt = st.mtimeMs;
      try {
        usedAt = Math.max(usedAt, statSync(`${path}.json`).mtimeMs);
      } catch {
        /* no meta: as old as the file */
      }
      out.push({ path, size: st.size, usedAt });
    } catch {
      /* removed meanwhile */
    }
  }
  return out;
}

/** Removes a data file unless a run holds it (a lock) or used it a moment ago; true when removed. */
function evict(f: Stored, force = false): boolean {
  if (!force && Date.now() - f.usedAt < RECENT_MS) return false;
  const fd = addon().tryLockFile(f.path, true);
  if (fd < 0) return false;
  try {
    for (const p of [f.path, `${f.path}.json`])
      try {
        unlinkSync(p);
      } catch {
        /* gone */
      }
    return true;
  } finally {
    addon().unlockFile(fd);
  }
}

/** Evicts the least recently used files until `others + incoming <= bound`; returns what it removed. */
function makeRoom(dir: string, incoming: number, bound: number): string[] {
  const files = storedFiles(dir).sort((a, b) => a.usedAt - b.usedAt);
  let total = files.reduce((n, f) => n + f.size, 0);
  const removed: string[] = [];
  for (const f of files) {
    if (total + incoming <= bound) break;
    if (evict(f)) {
      total -= f.size;
      removed.push(f.path);
    }
  }
  return removed;
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Removes every data file not in use, and stale temp files (zcl clean). */
export function cleanDataDir(dir = labDir('data')): { removed: string[]; inUse: string[]; bytes: number } {
  const removed: string[] = [];
  const inUse: string[] = [];
  let bytes = 0;
  for (const f of storedFiles(dir)) {
    if (evict(f, true)) {
      removed.push(f.path);
      bytes += f.size;
    } else inUse.push(f.path);
  }
  for (const t of sweepTemps(dir)) removed.push(join(dir, t));
  return { removed, inUse, bytes };
}

let seq = 0;

export interface EnsureOptions {
  signal?: AbortSignal;
  /** Bytes written so far, when the file has to be made (about 10 times a second). */
  onProgress?(bytes: number, total: number): void;
}

export async function ensureDataFile(sizeBytes: number, o: EnsureOptions = {}): Promise<DataFile> {
  const dir = labDir('data');
  const path = join(dir, `pattern-${sizeBytes}.bin`);
  const metaPath = `${path}.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      if (meta.format === FORMAT && meta.sizeBytes === sizeBytes && statSync(path).size === sizeBytes) {
        const now = new Date();
        utimesSync(metaPath, now, now); // used now: the last to be evicted
        return { path, sizeBytes, checksum: meta.checksum };
      }
    } catch {
      /* regenerate below */
    }
  }
  sweepTemps(dir);
  makeRoom(dir, sizeBytes, dataBound());
  const free = freeBytes(dir);
  if (free < sizeBytes + RESERVE_BYTES)
    throw new DataDirError(
      `the data file for this run needs ${formatSize(sizeBytes)} (and ${formatSize(RESERVE_BYTES)} to spare), but ${dir} has ${formatSize(free)} free; ` +
        'choose a smaller size, free disk (zcl clean removes the lab\'s data files), or set ZCL_HOME to a larger disk',
    );
  const tmp = join(dir, `.tmp-${process.pid}-${seq++}`);
  ourTemps.add(tmp);
  try {
    const checksum = await cancellableLoop<string>(
      (cb) => addon().generateFile(tmp, sizeBytes, cb),
      o.signal,
      o.onProgress && ((b) => o.onProgress!(b, sizeBytes)),
    );
    renameSync(tmp, path);
    writeFileSync(metaPath, JSON.stringify({ format: FORMAT, sizeBytes, checksum }));
    return { path, sizeBytes, checksum };
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
    ourTemps.delete(tmp);
  }
}

export interface CacheState { pages: number; resident: number }

/** Puts the file in the asked cache state and proves it with mincore. */
export async function prepareCache(path: string, cache: CacheName, signal?: AbortSignal): Promise<CacheState> {
  const a = addon();
  if (cache === 'warm') {
    // A page can leave the cache between the read and mincore (reclaim on a busy
    // machine): read again, a few times, before calling the cache unwarmable.
    let r = { pages: 0, resident: 0 };
    for (let attempt = 0; attempt < 3; attempt++) {
      await cancellableLoop<undefined>((cb) => a.warmCache(path, cb), signal);
      r = a.residency(path);
      if (r.resident === r.pages) return r;
    }
    throw new Error(`cache warm: only ${r.resident} of ${r.pages} pages of ${path} stay cached after 3 reads (memory pressure?)`);
  }
  // Pages still referenced elsewhere (a socket buffer draining, a mapping) cannot
  // be dropped yet: try again for a while before giving up.
  for (let attempt = 0; attempt < 20; attempt++) {
    signal?.throwIfAborted();
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


export interface LockOptions {
  signal?: AbortSignal;
  /** Seconds to wait for another holder before failing (default 120). */
  timeoutSeconds?: number;
  /** Called once when the lock is busy and the run starts waiting. */
  onWait?(holders: string[]): void;
}

/**
 * Holds a lock on a data file for one run (flock, so it dies with the process):
 * shared for warm runs, exclusive for cold ones, across every process of the lab.
 * It never parks a thread in flock: a busy lock is polled (every 50 ms) until
 * it frees, the signal aborts, or the timeout passes (then the error names the
 * processes that hold the file). A cancel never leaves the lock taken.
 */
export async function lockDataFile(path: string, mode: 'shared' | 'exclusive', o: LockOptions = {}): Promise<DataFileLock> {
  const deadline = performance.now() + (o.timeoutSeconds ?? 120) * 1000;
  let told = false;
  for (;;) {
    o.signal?.throwIfAborted();
    const fd = addon().tryLockFile(path, mode === 'exclusive');
    if (fd >= 0) {
      let held = true;
      return {
        release() {
          if (held) addon().unlockFile(fd);
          held = false;
        },
      };
    }
    if (!told) {
      o.onWait?.(processesUsing(path));
      told = true;
    }
    if (performance.now() > deadline) {
      const holders = processesUsing(path);
      throw new LockTimeoutError(
        `waited ${o.timeoutSeconds ?? 120} s for the ${mode === 'exclusive' ? 'exclusive' : 'shared'} lock on ${path}` +
          (holders.length ? `; it is held by: ${holders.join(', ')}` : '; another process holds it'),
      );
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, 50);
      function done() {
        clearTimeout(t);
        o.signal?.removeEventListener('abort', done);
        resolve();
      }
      o.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
