// Issue 11's run-side defects, each reproduced: children outliving a killed zcl,
// lock waits that hang, generation that ignores a cancel, a namespace leaked by
// an early cancel, a second Ctrl-C that skipped the cleanup.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addon } from '../server/native.js';
import { DIST, labDir } from '../server/project.js';
import { DataDirError, ensureDataFile, lockDataFile, LockTimeoutError } from '../server/run/datafiles.js';
import { CancelledError } from '../server/core/errors.js';
import { runTransfer } from '../server/session/session.js';
import { labProcesses } from '../server/core/owner.js';
import { parseRunSpec } from '../server/schema/run-spec.js';
import { alive, KiB, MiB, ourNamespaces, tempFilesInDataDir } from './helpers.js';

const zcl = join(DIST, 'server', 'cli', 'zcl.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Processes carrying the mark of the process `owner` (its children, however deep). */
const childrenOf = (owner: number) => labProcesses().filter((p) => p.owner.startsWith(`${owner}:`));
const namespacesOf = (owner: number) =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`zcl-${owner}-`));

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** `zcl run` in the background, with stderr collected; resolves `exited` with its code or signal. */
function zclRun(args: string[]): { proc: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }>; err: () => string } {
  const proc = spawn(process.execPath, [zcl, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  return { proc, exited, err: () => err };
}

const started: ChildProcess[] = [];
/** `zcl clean` in a lab home of its own: the suite's shared data files are other tests' (clean removes every file not in use). */
const cleanHome = mkdtempSync('/var/tmp/zcl-clean-home-');
const zclClean = () => spawnSync(process.execPath, [zcl, 'clean', '--json'], { encoding: 'utf8', env: { ...process.env, ZCL_HOME: cleanHome } });
afterAll(() => {
  rmSync(cleanHome, { recursive: true, force: true });
  for (const p of started)
    if (p.exitCode === null && p.signalCode === null)
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        p.kill('SIGKILL');
      }
});

describe('children die with their parent (item 2)', () => {
  it.each(['loopback', 'veth'])('kill -9 of `zcl run` mid-transfer over %s leaves no process running', async (path) => {
    const r = zclRun(['--mode', 'read-write', '--size', '1GiB', '--chunk', '4KiB', '--path', path, '--no-probes']);
    started.push(r.proc);
    const pid = r.proc.pid!;
    await until('the sender and sink to start', () => childrenOf(pid).length >= 2, 60_000);
    r.proc.kill('SIGKILL');
    await r.exited;
    await until('the orphans to die', () => childrenOf(pid).length === 0, 3000);
    // The namespaces of a killed zcl are the next zcl's to delete.
    zclClean();
    expect(namespacesOf(pid)).toEqual([]);
  });

  it('a child whose parent died before it asked to die with it dies at once', () => {
    // pid 1 is not this child's parent: the check after PR_SET_PDEATHSIG sees that.
    const code = `require(${JSON.stringify(join(process.cwd(), 'build/Release/zcl.node'))}).dieWithParent(1); console.log('alive')`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
  });

  it('`zcl clean` kills processes marked by a zcl that is gone, and only those', async () => {
    // A stand-in orphan: a sleeper marked with an owner that never existed now (pid 1 with another start time).
    const orphan = spawn('sleep', ['30'], { env: { ...process.env, ZCL_OWNER: '1:1' }, stdio: 'ignore' });
    const ours = spawn('sleep', ['30'], { env: { ...process.env, ZCL_OWNER: `${process.pid}:${readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]}` }, stdio: 'ignore' });
    started.push(orphan, ours);
    // Any zcl sweeps at start (other test files' runs too, in parallel: the orphan may be gone
    // before it is seen here, killed by the same rule); clean says so too.
    await Promise.all([orphan, ours].map((p) => new Promise((resolve) => p.once('spawn', resolve))));
    await until('our sleeper to be seen as the lab\'s', () => labProcesses().some((p) => p.pid === ours.pid));
    const r = zclClean();
    expect(r.status).toBe(0);
    await until('the orphan to die', () => !alive(orphan.pid!));
    expect(alive(ours.pid!)).toBe(true);
    ours.kill('SIGKILL');
  });
});

describe('lock waits are cancellable and bounded (item 3)', () => {
  const spec = parseRunSpec({ mode: 'sendfile', sizeBytes: 1 * MiB + 3 * KiB, cache: 'cold' });

  /** Another process holding the data file's exclusive lock until killed (flock, in a group of its own with its sleep). */
  async function holdLock(path: string): Promise<ChildProcess> {
    const p = spawn('flock', ['-x', path, 'sleep', '60'], { stdio: 'ignore', detached: true });
    started.push(p);
    await until('flock to hold the lock', () => {
      const fd = addon().tryLockFile(path, false);
      if (fd < 0) return true;
      addon().unlockFile(fd);
      return false;
    });
    return p;
  }

  it('a cancelled wait ends the run at once and never takes the lock afterwards; the thread pool stays free', async () => {
    const file = await ensureDataFile(spec.sizeBytes);
    const holder = await holdLock(file.path);
    for (let i = 0; i < 6; i++) {
      const ac = new AbortController();
      const phases: string[] = [];
      const run = runTransfer(spec, { signal: ac.signal, onEvent: (e) => e.type === 'phase' && phases.push(e.phase) });
      await sleep(150);
      expect(phases).toEqual(['preparing']);
      ac.abort();
      await expect(run).rejects.toBeInstanceOf(CancelledError);
    }
    // More cancelled waits than libuv has worker threads (4): file reads still complete.
    expect((await readFile(file.path)).length).toBe(spec.sizeBytes);
    process.kill(-holder.pid!, 'SIGKILL');
    await until('the holder to exit', () => holder.exitCode !== null || holder.signalCode !== null);
    await sleep(200);
    // Nobody of ours took the lock once it freed.
    const fd = addon().tryLockFile(file.path, true);
    expect(fd).toBeGreaterThanOrEqual(0);
    addon().unlockFile(fd);
  });

  it('a wait that runs out fails and names the holder', async () => {
    const file = await ensureDataFile(spec.sizeBytes);
    const holder = await holdLock(file.path);
    const err = await lockDataFile(file.path, 'exclusive', { timeoutSeconds: 0.3 }).catch((e) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect(err.message).toMatch(new RegExp(`held by: .*${holder.pid} \\(flock\\)`));
    process.kill(-holder.pid!, 'SIGKILL');
  });
});

describe('data files: cancel, free space, bound (item 5)', () => {
  it('a cancel stops generation within moments and removes its temp file', async () => {
    const ac = new AbortController();
    let written = 0;
    const gen = ensureDataFile(8 * 2 ** 30 + 7, { signal: ac.signal, onProgress: (b) => (written = b) });
    await until('generation to start writing', () => written > 0, 10_000);
    const atCancel = written;
    ac.abort();
    await expect(gen).rejects.toThrow(/ECANCELED|cancelled/i);
    // It stopped, far from the end (the loop checks the cancel every 1 MiB block), and its temp file is gone.
    expect(written - atCancel).toBeLessThan(2 ** 30);
    expect(tempFilesInDataDir().filter((f) => f.startsWith(`.tmp-${process.pid}-`))).toEqual([]);
    expect(existsSync(join(labDir('data'), `pattern-${8 * 2 ** 30 + 7}.bin`))).toBe(false);
  });

  it('a file larger than the free space is refused before anything is written, naming both', async () => {
    const mnt = mkdtempSync('/var/tmp/zcl-tiny-');
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
    const home = process.env.ZCL_HOME;
    try {
      process.env.ZCL_HOME = mnt;
      const err = await ensureDataFile(128 * MiB).catch((e) => e);
      expect(err).toBeInstanceOf(DataDirError);
      expect(err.message).toMatch(/needs 128 MiB .* has 6\d(\.\d)? MiB free/);
      expect(readdirSync(join(mnt, 'data'))).toEqual([]);
    } finally {
      process.env.ZCL_HOME = home;
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('the data directory stays within ZCL_DATA_MAX: least recently used files go first, files in use stay', async () => {
    const home = mkdtempSync('/var/tmp/zcl-bound-');
    const saved = { home: process.env.ZCL_HOME, max: process.env.ZCL_DATA_MAX };
    try {
      process.env.ZCL_HOME = home;
      mkdirSync(join(home, 'data'));
      const a = await ensureDataFile(3 * MiB);
      const b = await ensureDataFile(3 * MiB + 1);
      const c = await ensureDataFile(3 * MiB + 2);
      // a is the oldest, b is older than a minute but locked by a run, c is recent.
      const old = (p: string, s: number) => [p, `${p}.json`].forEach((f) => utimesSync(f, s, s));
      old(a.path, 1000);
      old(b.path, 2000);
      const lock = await lockDataFile(b.path, 'shared');
      process.env.ZCL_DATA_MAX = '8MiB';
      await ensureDataFile(2 * MiB);
      lock.release();
      const names = readdirSync(join(home, 'data')).filter((n) => n.endsWith('.bin')).sort();
      expect(names).toEqual([`pattern-${2 * MiB}.bin`, `pattern-${3 * MiB + 1}.bin`, `pattern-${3 * MiB + 2}.bin`]);
      expect(existsSync(a.path)).toBe(false);
      expect(existsSync(c.path)).toBe(true);
      process.env.ZCL_DATA_MAX = 'plenty';
      await expect(ensureDataFile(4 * MiB)).rejects.toThrow(/ZCL_DATA_MAX='plenty' is not a size/);
    } finally {
      process.env.ZCL_HOME = saved.home;
      if (saved.max === undefined) delete process.env.ZCL_DATA_MAX;
      else process.env.ZCL_DATA_MAX = saved.max;
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('`zcl clean` removes data files and stale temp files', () => {
    const home = mkdtempSync('/var/tmp/zcl-clean-');
    try {
      mkdirSync(join(home, 'data'));
      writeFileSync(join(home, 'data', `pattern-${MiB}.bin`), Buffer.alloc(MiB));
      writeFileSync(join(home, 'data', `pattern-${MiB}.bin.json`), '{}');
      writeFileSync(join(home, 'data', '.tmp-999999999-0'), 'half');
      const r = spawnSync(process.execPath, [zcl, 'clean'], { encoding: 'utf8', env: { ...process.env, ZCL_HOME: home } });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/data files: removed 2 \(1 MiB\)/);
      expect(readdirSync(join(home, 'data'))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('early cancels (item 6) and a second Ctrl-C (item 7)', () => {
  it('a cancel at any moment of the first 0.1 s leaves no namespace', async () => {
    const spec = parseRunSpec({ mode: 'sendfile', path: 'veth', sizeBytes: 2 * MiB });
    await ensureDataFile(spec.sizeBytes);
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const run = runTransfer(spec, { signal: ac.signal });
      setTimeout(() => ac.abort(), (i * 5) % 100);
      await run.catch((e) => expect(e).toBeInstanceOf(CancelledError));
      expect(ourNamespaces()).toEqual([]);
    }
  });

  it('Ctrl-C twice still cleans up: exit 130, no child, no namespace, no temp file', async () => {
    const pids: number[] = [];
    for (const delay of [300, 1500]) {
      const r = zclRun(['--mode', 'read-write', '--size', '512MiB', '--chunk', '4KiB', '--path', 'veth', '--no-probes']);
      started.push(r.proc);
      const pid = r.proc.pid!;
      pids.push(pid);
      await until('the run to create its namespaces', () => namespacesOf(pid).length > 0 || childrenOf(pid).length > 0, 30_000);
      await sleep(delay - 300);
      r.proc.kill('SIGINT');
      await sleep(20);
      r.proc.kill('SIGINT');
      const { code } = await r.exited;
      expect(code).toBe(130);
      expect(childrenOf(pid)).toEqual([]);
      expect(namespacesOf(pid)).toEqual([]);
    }
    expect(tempFilesInDataDir().filter((f) => pids.some((p) => f.startsWith(`.tmp-${p}-`)))).toEqual([]);
  });
});
