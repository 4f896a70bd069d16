// A server crash does not lose the run in flight (issue 11, item 8): the run is
// saved when it starts, with its server's mark; `kill -9` of the server mid-run,
// then a new server on the same results directory answers the run as
// 'interrupted', with an error saying the server stopped during it, and keeps
// it (saved back) across later restarts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labProcesses } from '../server/core/owner.js';
import { labHome } from '../server/project.js';
import { http } from './http.js';
import { serveChild, type ChildServer } from './serve-child.js';

const killed: number[] = [];
const servers: ChildServer[] = [];

// The killed server's children (sender, sink) may outlive it until they die with
// their parent; and its namespaces (named after its pid) are left: tidy both.
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const pid of killed) {
    for (const p of labProcesses().filter((x) => x.owner.startsWith(`${pid}:`))) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`zcl-${pid}-`));
    for (const n of names) execFileSync('ip', ['netns', 'del', n]);
  }
});

// Slow enough to be caught running: small chunks over the veth without scatter-gather.
const SLOW = { mode: 'read-write', path: 'veth-nosg', sizeBytes: '256MiB', chunkBytes: '4KiB' };
// Slower still (two syscalls per byte: tens of seconds), for a run that must outlast a second server's start.
const SLOWEST = { mode: 'read-write', path: 'loopback', sizeBytes: '16MiB', chunkBytes: 1 };

describe('a run in flight when the server dies', () => {
  it('is answered as interrupted by the next server on the same results directory', async () => {
    const results = mkdtempSync(join(labHome(), 'results-interrupted-'));
    const env = { ZCL_HOME: labHome() };
    const first = await serveChild(['--no-probes', '--results', results], env);
    servers.push(first);
    const a = await http(first.base, 'POST', '/api/runs', { body: SLOW });
    expect(a.status, a.text).toBe(202);
    const id: string = a.body.run.id;
    // Wait until bytes move.
    for (let i = 0; ; i++) {
      const r = await http(first.base, 'GET', `/api/runs/${id}`);
      if (r.body.state === 'running' && r.body.phase === 'running' && r.body.progress?.bytes > 0) break;
      expect(r.body.state, JSON.stringify(r.body)).toBe('running');
      expect(i, 'the run never started moving bytes').toBeLessThan(600);
      await new Promise((res) => setTimeout(res, 50));
    }
    // On disk already, with the server's mark.
    const saved = JSON.parse(readFileSync(join(results, `${id}.json`), 'utf8'));
    expect(saved).toMatchObject({ id, state: 'running', owner: expect.stringMatching(new RegExp(`^${first.proc.pid}:\\d+$`)) });

    killed.push(first.proc.pid!);
    await first.stop('SIGKILL');

    const second = await serveChild(['--no-probes', '--results', results], env);
    servers.push(second);
    const g = await http(second.base, 'GET', `/api/runs/${id}`);
    expect(g.status, g.text).toBe(200);
    expect(g.body).toMatchObject({ id, state: 'interrupted', spec: { mode: 'read-write', path: 'veth-nosg' }, error: { message: expect.stringMatching(/the server stopped during the run/) } });
    expect(g.body.endedAt).toEqual(expect.any(String));
    expect(g.body.owner).toBeUndefined();
    expect(second.stderr()).toContain(`run ${id} was running when its server stopped: marked interrupted`);
    // Listed among the ended runs; DELETE says it has ended.
    expect((await http(second.base, 'GET', '/api/runs')).body.runs.map((r: { id: string; state: string }) => [r.id, r.state])).toContainEqual([id, 'interrupted']);
    expect((await http(second.base, 'DELETE', `/api/runs/${id}`)).status).toBe(409);
    // Saved back: the file says interrupted, and a third server reads it as it is.
    expect(JSON.parse(readFileSync(join(results, `${id}.json`), 'utf8'))).toMatchObject({ state: 'interrupted' });
    await second.stop();
    const third = await serveChild(['--no-probes', '--results', results], env);
    servers.push(third);
    expect((await http(third.base, 'GET', `/api/runs/${id}`)).body).toMatchObject({ state: 'interrupted', endedAt: g.body.endedAt });
    expect(third.stderr()).not.toContain('marked interrupted');
  });

  it("a running record of a server that is still alive is that server's: left alone", async () => {
    const results = mkdtempSync(join(labHome(), 'results-interrupted-'));
    const env = { ZCL_HOME: labHome() };
    const first = await serveChild(['--no-probes', '--results', results], env);
    servers.push(first);
    const a = await http(first.base, 'POST', '/api/runs', { body: SLOWEST });
    expect(a.status, a.text).toBe(202);
    const id: string = a.body.run.id;
    for (let i = 0; (await http(first.base, 'GET', `/api/runs/${id}`)).body.phase !== 'running'; i++) {
      expect(i).toBeLessThan(600);
      await new Promise((res) => setTimeout(res, 50));
    }
    const second = await serveChild(['--no-probes', '--results', results], env);
    servers.push(second);
    expect((await http(second.base, 'GET', `/api/runs/${id}`)).status).toBe(404);
    expect(second.stderr()).toContain(`run ${id} is running in another server (process ${first.proc.pid})`);
    expect(JSON.parse(readFileSync(join(results, `${id}.json`), 'utf8')).state).toBe('running');
    const d = await http(first.base, 'DELETE', `/api/runs/${id}`);
    expect(d.status, 'the run ended before the test could see it running').toBe(200);
    expect(d.body.state).toBe('cancelled');
  });
});
