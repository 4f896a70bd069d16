// The reports directory (labDir('reports')): one directory per report,
// <name>-<yyyymmdd-hhmmss>/, written by `zcl report` or by a server. This module
// owns its layout: which names are report ids, the files a report has (the
// four report files, runs.jsonl, matrix.json and the lock from report/store.ts,
// and the server's sidecar), a report's status read from disk, and opening a
// report file to serve it. What runs a report lives above (session/matrix.ts,
// live/reports.ts).
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPORT_FINAL_STATES, type ReportFileLinks, type ReportRecord } from './record.js';
import { lockedBy, LOCK_FILE, MATRIX_FILE, RUNS_FILE } from './store.js';
import { REPORT_FILES } from './write.js';

/** The four files a report directory serves, by their key in ReportRecord.files. */
export const REPORT_FILE_NAMES = { html: REPORT_FILES.html, md: REPORT_FILES.markdown, json: REPORT_FILES.json, csv: REPORT_FILES.csv } as const;
export type ReportFileKey = keyof typeof REPORT_FILE_NAMES;
const SERVABLE = new Set<string>(Object.values(REPORT_FILE_NAMES));

/** What a server remembers of a report it ran, kept in its directory (never served). */
const SIDECAR = '.zcl-serve.json';
/** A report id: a directory name under the reports directory. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The error of a server's report when that server stopped during it. */
export const INTERRUPTED_ERROR = 'the server stopped during it; the report shows the runs done before (resume it with {"resume": true})';

export class ReportDirectory {
  /** Directories read from disk, cached by what their files looked like. */
  private cache = new Map<string, { key: string; record: ReportRecord }>();

  constructor(readonly dir: string) {}

  isId(id: string): boolean {
    return ID.test(id);
  }

  path(id: string): string {
    return join(this.dir, id);
  }

  /** A new id for a report of `name` (a time stamp; -2, -3... when taken here or by `taken`). */
  newId(name: string, taken: (id: string) => boolean): string {
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
    const base = `${name}-${stamp}`.slice(0, 120);
    let id = base;
    for (let i = 2; taken(id) || existsSync(this.path(id)); i++) id = `${base}-${i}`;
    return id;
  }

  create(id: string): void {
    mkdirSync(this.path(id), { recursive: true });
  }

  /** A record as clients see it: with links to the files that exist now. */
  withLinks(r: ReportRecord): ReportRecord {
    return { ...r, files: this.links(r.id) };
  }

  links(id: string): ReportFileLinks {
    const out: ReportFileLinks = {};
    for (const [key, file] of Object.entries(REPORT_FILE_NAMES) as [ReportFileKey, string][])
      if (existsSync(join(this.dir, id, file))) out[key] = `/reports/${encodeURIComponent(id)}/${file}`;
    return out;
  }

  /** Keeps a server's record of a report in its directory (without files and progress). Throws. */
  saveSidecar(r: ReportRecord): void {
    const { files: _files, progress: _progress, ...keep } = r;
    const tmp = join(this.path(r.id), `${SIDECAR}.tmp`);
    writeFileSync(tmp, JSON.stringify(keep, null, 1) + '\n');
    renameSync(tmp, join(this.path(r.id), SIDECAR));
  }

  /**
   * Opens the file of a report a client may read: one of the four report
   * files, in a report directory, a regular file with one link; undefined
   * otherwise. The caller reads from the fd and closes it.
   */
  openFile(id: string, file: string): { fd: number; size: number } | undefined {
    if (!ID.test(id) || !SERVABLE.has(file)) return undefined;
    let dirFd: number | undefined;
    let fd: number | undefined;
    try {
      // The report's directory, not a link to one; then the file inside that very
      // directory (through its fd: no swap between the check and the open), not
      // a symbolic link, a regular file with no other name (a hard link to a
      // file elsewhere has two).
      dirFd = openSync(this.path(id), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      fd = openSync(`/proc/self/fd/${dirFd}/${file}`, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const st = fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1) {
        closeSync(fd);
        return undefined;
      }
      return { fd, size: st.size };
    } catch {
      if (fd !== undefined) closeSync(fd);
      return undefined;
    } finally {
      if (dirFd !== undefined) closeSync(dirFd);
    }
  }

  /** The reports on disk, except those `skip` names (a server's own), each read as `read` does. */
  scan(skip: (id: string) => boolean): ReportRecord[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir, { withFileTypes: true }).filter((d) => d.isDirectory() && ID.test(d.name)).map((d) => d.name);
    } catch {
      return [];
    }
    const out: ReportRecord[] = [];
    const seen = new Set<string>();
    for (const id of names) {
      if (skip(id)) continue;
      seen.add(id);
      const r = this.read(id);
      if (r) out.push(r);
    }
    for (const k of this.cache.keys()) if (!seen.has(k)) this.cache.delete(k);
    return out;
  }

  /**
   * A report directory's record, from what is on disk: a server's sidecar
   * (running there means its server stopped: interrupted), else results.json
   * and matrix.json; 'running' and `external` while another live process holds
   * its lock. Undefined when the directory has no report files. Cached by the
   * files' times.
   */
  read(id: string): ReportRecord | undefined {
    if (!ID.test(id)) return undefined;
    const dir = this.path(id);
    const stat = (f: string) => statSync(join(dir, f), { throwIfNoEntry: false });
    const st = { side: stat(SIDECAR), results: stat(REPORT_FILES.json), matrix: stat(MATRIX_FILE), runs: stat(RUNS_FILE), lock: stat(LOCK_FILE), html: stat(REPORT_FILES.html) };
    if (!st.side && !st.results && !st.matrix && !st.runs && !st.html) return undefined;
    const lockPid = st.lock ? lockedBy(dir) : undefined;
    const key = [st.side?.mtimeMs, st.results?.mtimeMs, st.results?.size, st.matrix?.mtimeMs, st.runs?.mtimeMs, !!lockPid].join('/');
    const cached = this.cache.get(id);
    if (cached?.key === key) return { ...cached.record, files: this.links(id) };

    let record: ReportRecord | undefined;
    const side = st.side ? safeJson(join(dir, SIDECAR)) : undefined;
    if (side && typeof side.name === 'string' && typeof side.status === 'string' && typeof side.startedAt === 'string') {
      record = { ...(side as unknown as ReportRecord), id, files: {} };
      // A server that stopped without writing its end (a crash): its report was interrupted.
      if (record.status === 'running') {
        record.status = 'interrupted';
        record.error = INTERRUPTED_ERROR;
      }
    }
    if (!record) {
      const results = st.results ? safeJson(join(dir, REPORT_FILES.json)) : undefined;
      const matrix = (results?.matrix ?? (st.matrix ? safeJson(join(dir, MATRIX_FILE)) : undefined)) as Record<string, unknown> | undefined;
      const status = results && typeof results.status === 'string' && REPORT_FINAL_STATES.includes(results.status as never) ? (results.status as ReportRecord['status']) : 'interrupted';
      const startedAt = (st.matrix ?? st.runs ?? st.results ?? st.html)!.mtime.toISOString();
      record = {
        id,
        name: typeof matrix?.name === 'string' ? matrix.name : basename(dir),
        description: typeof matrix?.description === 'string' ? matrix.description : '',
        status,
        startedAt,
        ...(typeof results?.generatedAt === 'string' ? { finishedAt: results.generatedAt } : {}),
        files: {},
        ...(typeof matrix?.repetitions === 'number' ? { repetitions: matrix.repetitions } : {}),
        ...(typeof matrix?.warmup === 'number' ? { warmup: matrix.warmup } : {}),
        ...(Array.isArray(results?.cells) ? { cells: results.cells.length } : Array.isArray(matrix?.cells) ? { cells: (matrix.cells as unknown[]).length } : {}),
        ...(status === 'interrupted' ? { error: results ? 'interrupted; the report shows the runs done before' : 'interrupted before its report was written' } : {}),
      };
    }
    if (lockPid) {
      record.status = 'running';
      record.external = true;
      delete record.finishedAt;
      record.error = `being run by another process (pid ${lockPid}, zcl report)`;
    }
    this.cache.set(id, { key, record });
    return { ...record, files: this.links(id) };
  }
}

function safeJson(path: string): Record<string, unknown> | undefined {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8'));
    return j && typeof j === 'object' && !Array.isArray(j) ? j : undefined;
  } catch {
    return undefined;
  }
}
