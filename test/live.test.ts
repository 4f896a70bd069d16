// The WebSocket /live against a real server and real runs: hello, run events,
// 10 Hz samples of raw cumulative counters (the same bytes to every client),
// start/cancel messages validated by the one schema, small messages only,
// dead clients dropped by ping/pong, slow clients' samples dropped.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startServer, type LabServer } from '../server/api/server.js';
import type { AcceptedFrame, ErrorFrame, HelloFrame, RunFrame, SampleFrame, ServerFrame } from '../server/live/frames.js';
import { LiveHub } from '../server/live/hub.js';
import type { Runner } from '../server/live/runner.js';
import { COUNTER_NAMES, ROLES } from '../server/probes/schema.generated.js';
import { labHome } from '../server/project.js';
import { MiB, ourNamespaces } from './helpers.js';

const servers: LabServer[] = [];
async function serve(o: Parameters<typeof startServer>[0] = {}): Promise<LabServer> {
  const s = await startServer({ port: 0, resultsDir: mkdtempSync(join(labHome(), 'results-live-')), ...o });
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  expect(ourNamespaces()).toEqual([]);
});

interface Received { frame: ServerFrame; raw: string; at: number }
/** A client that records every frame with its arrival time. */
function client(s: LabServer, opts: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(s.url.replace('http', 'ws') + 'live', opts);
  const got: Received[] = [];
  const waiters: { pred: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  ws.on('message', (d) => {
    const raw = d.toString();
    const frame = JSON.parse(raw) as ServerFrame;
    got.push({ frame, raw, at: performance.now() });
    for (const w of [...waiters])
      if (w.pred(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return {
    ws,
    got,
    closed,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    next<T extends ServerFrame>(pred: (f: ServerFrame) => boolean, timeoutMs = 90_000): Promise<T> {
      const seen = got.find((g) => pred(g.frame));
      if (seen) return Promise.resolve(seen.frame as T);
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
        waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f as T)) });
      });
    },
    send(o: unknown) {
      ws.send(typeof o === 'string' ? o : JSON.stringify(o));
    },
  };
}

const isRun = (event: string, id?: string) => (f: ServerFrame) => f.type === 'run' && f.event === event && (!id || f.run.id === id);

describe('WebSocket /live', () => {
  let s: LabServer;
  beforeAll(async () => {
    s = await serve();
  });

  it('hello on connect: capabilities, the current run, recent runs', async () => {
    const c = client(s);
    const h = await c.next<HelloFrame>((f) => f.type === 'hello');
    expect(h.capabilities.probes.status).toBe('ok');
    expect(h.capabilities.probes.counters.map((x) => x.name)).toEqual([...COUNTER_NAMES]);
    expect(h.current).toBeNull();
    expect(h.queue).toEqual([]);
    expect(Array.isArray(h.recent)).toBe(true);
    expect(h.sampleHz).toBe(10);
    c.ws.close();
  });

  it('during a run: run events and at least 8 samples a second, identical bytes for every client', async () => {
    const a = client(s);
    const b = client(s);
    await Promise.all([a.opened, b.opened]);
    await a.next((f) => f.type === 'hello');
    // About 2-3 s of transfer: 4 KiB chunks over the veth without scatter-gather.
    a.send({ type: 'start', spec: { mode: 'read-write', path: 'veth-nosg', sizeBytes: '512MiB', chunkBytes: '4KiB' } });
    const accepted = await a.next<AcceptedFrame>((f) => f.type === 'accepted');
    const id = accepted.run.id;
    const end = await a.next<RunFrame>((f) => f.type === 'run' && f.run.id === id && ['finished', 'failed', 'cancelled'].includes(f.event), 120_000);
    expect(end.event).toBe('finished');
    expect(end.run.result!.bytes).toBe(512 * MiB);
    await b.next(isRun('finished', id));

    const events = a.got.filter((g) => g.frame.type === 'run' && g.frame.run.id === id).map((g) => (g.frame as RunFrame).event);
    expect(events.slice(0, 2)).toEqual(['queued', 'started']);
    expect(events).toContain('progress');
    expect(events.at(-1)).toBe('finished');

    const samples = a.got.filter((g) => g.frame.type === 'sample' && g.frame.runId === id);
    const frames = samples.map((g) => g.frame as SampleFrame);
    expect(frames.length).toBeGreaterThanOrEqual(10);
    const seconds = (samples.at(-1)!.at - samples[0].at) / 1000;
    const rate = (samples.length - 1) / seconds;
    const serverRate = (frames.length - 1) / (frames.at(-1)!.t - frames[0].t);
    console.log(`live: ${samples.length} samples over ${seconds.toFixed(2)} s: ${rate.toFixed(2)}/s received, ${serverRate.toFixed(2)}/s by the server's clock`);
    expect(rate).toBeGreaterThanOrEqual(8);
    expect(serverRate).toBeGreaterThanOrEqual(8);
    // Raw cumulative counters per role, a monotonic clock, progress.
    for (const role of ROLES) expect(Object.keys(frames[0].counters![role])).toEqual([...COUNTER_NAMES]);
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i].seq).toBe(frames[i - 1].seq + 1);
      expect(frames[i].t).toBeGreaterThan(frames[i - 1].t);
      expect(frames[i].progress.bytes).toBeGreaterThanOrEqual(frames[i - 1].progress.bytes);
      for (const role of ROLES)
        for (const n of COUNTER_NAMES) {
          const x = frames[i].counters![role][n];
          if (x !== null) expect(x).toBeGreaterThanOrEqual(frames[i - 1].counters![role][n]!);
        }
    }
    const last = frames.at(-1)!;
    expect(last.counters!.sender.copy_file_to_user_bytes).toBeGreaterThan(0);
    expect(last.progress.total).toBe(512 * MiB);
    expect(frames.some((f) => f.throughputMiBps > 0)).toBe(true);
    // One serialization per tick: both clients got the very same bytes.
    const rawA = new Map(samples.map((g) => [(g.frame as SampleFrame).seq, g.raw]));
    const bSamples = b.got.filter((g) => g.frame.type === 'sample' && g.frame.runId === id);
    expect(bSamples.length).toBe(samples.length);
    for (const g of bSamples) expect(g.raw).toBe(rawA.get((g.frame as SampleFrame).seq));
    a.ws.close();
    b.ws.close();
  });

  it('start and cancel messages: validated with the run schema, errors name the field', async () => {
    const c = client(s);
    await c.next((f) => f.type === 'hello');
    c.send({ type: 'start', spec: { mode: 'teleport', sizeBytes: 'big' } });
    const e = await c.next<ErrorFrame>((f) => f.type === 'error');
    expect(e.issues).toEqual(
      expect.arrayContaining([
        { field: 'spec.mode', message: expect.stringMatching(/allowed: read-write/) },
        { field: 'spec.sizeBytes', message: expect.stringMatching(/not a size/) },
      ]),
    );
    c.got.length = 0;
    c.send({ type: 'explode' });
    expect((await c.next<ErrorFrame>((f) => f.type === 'error')).issues![0].message).toMatch(/allowed: start, cancel/);
    c.got.length = 0;
    c.send('not json');
    expect(await c.next((f) => f.type === 'error')).toMatchObject({ error: expect.stringMatching(/JSON/) });
    // Cancel over the socket.
    c.got.length = 0;
    c.send({ type: 'start', spec: { mode: 'read-write', path: 'veth-nosg', sizeBytes: '256MiB', chunkBytes: '4KiB' } });
    const acc = await c.next<AcceptedFrame>((f) => f.type === 'accepted');
    await c.next((f) => f.type === 'sample' && f.runId === acc.run.id);
    c.send({ type: 'cancel', id: acc.run.id });
    const cancelled = await c.next<RunFrame>(isRun('cancelled', acc.run.id));
    expect(cancelled.run.state).toBe('cancelled');
    expect(ourNamespaces()).toEqual([]);
    c.ws.close();
  });

  it('a start whose spec is null, not an object or missing is refused naming spec, and starts nothing (null started a default run)', async () => {
    const c = client(s);
    await c.next((f) => f.type === 'hello');
    const cases: [string, string][] = [
      ['{"type":"start","spec":null}', 'must be an object, not null'],
      ['{"type":"start","spec":[]}', 'must be an object, not a list'],
      ['{"type":"start","spec":"read-write"}', 'must be an object, not a string'],
      ['{"type":"start","spec":123}', 'must be an object, not a number'],
      ['{"type":"start"}', 'is required'],
    ];
    for (const [text, message] of cases) {
      c.got.length = 0;
      c.send(text);
      const e = await c.next<ErrorFrame>((f) => f.type === 'error' || f.type === 'accepted');
      expect(e.type, text).toBe('error');
      expect(e.issues, text).toEqual([{ field: 'spec', message: expect.stringContaining(message) }]);
    }
    // Prototype keys are named where they are.
    c.got.length = 0;
    c.send('{"type":"start","spec":{"__proto__":{"mode":"nope"}}}');
    const e = await c.next<ErrorFrame>((f) => f.type === 'error' || f.type === 'accepted');
    expect(e.issues).toEqual([{ field: 'spec.__proto__', message: expect.stringMatching(/^unknown field '__proto__'; allowed: mode, /) }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.got.filter((g) => g.frame.type === 'accepted' || g.frame.type === 'run')).toEqual([]);
    expect(s.runner.idle).toBe(true);
    c.ws.close();
  });

  it('a message over maxPayload closes the connection (1009)', async () => {
    const c = client(s);
    await c.opened;
    c.send({ type: 'start', spec: { pad: 'x'.repeat(10_000) } });
    expect(await c.closed).toBe(1009);
  });
});

describe('keeping clients in check', () => {
  it('ping/pong: a client that stops answering pings is dropped, one that answers stays', async () => {
    const s = await serve({ hub: { heartbeatMs: 100 } });
    const dead = client(s, { autoPong: false });
    const live = client(s);
    await Promise.all([dead.opened, live.opened]);
    const t0 = Date.now();
    expect(await dead.closed).toBe(1006);
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 400));
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    expect(s.hub.clients).toBe(1);
    live.ws.close();
  });

  it('a slow client has samples dropped (bufferedAmount over the cap), never a closing one sent to; run events go through or the client is closed', () => {
    const hub = new LiveHub(() => ({}) as Runner, async () => ({}) as HelloFrame, { sampleCapBytes: 1000, hardCapBytes: 5000, heartbeatMs: 60_000 });
    const fake = (readyState: number, bufferedAmount: number) => ({ readyState, bufferedAmount, send: vi.fn(), terminate: vi.fn() });
    const ok = fake(WebSocket.OPEN, 0);
    const slow = fake(WebSocket.OPEN, 2000);
    const stuck = fake(WebSocket.OPEN, 10_000);
    const closing = fake(WebSocket.CLOSING, 0);
    for (const f of [ok, slow, stuck, closing]) hub.wss.clients.add(f as unknown as WebSocket);
    hub.broadcast('{"type":"sample"}', 'sample');
    expect(ok.send).toHaveBeenCalledWith('{"type":"sample"}');
    expect(slow.send).not.toHaveBeenCalled();
    expect(stuck.send).not.toHaveBeenCalled();
    expect(closing.send).not.toHaveBeenCalled();
    expect(hub.droppedTotal).toBe(2);
    hub.broadcast('{"type":"run"}', 'run');
    expect(slow.send).toHaveBeenCalledWith('{"type":"run"}');
    expect(stuck.terminate).toHaveBeenCalled();
    expect(closing.send).not.toHaveBeenCalled();
    hub.wss.clients.clear();
    return hub.close();
  });

  it('without probes the run still streams progress at 10 Hz (counters null)', async () => {
    const s = await serve({ probes: false });
    const c = client(s);
    await c.next((f) => f.type === 'hello');
    c.send({ type: 'start', spec: { mode: 'read-write', path: 'veth-nosg', sizeBytes: '256MiB', chunkBytes: '4KiB' } });
    const acc = await c.next<AcceptedFrame>((f) => f.type === 'accepted');
    await c.next(isRun('finished', acc.run.id), 120_000);
    const frames = c.got.filter((g) => g.frame.type === 'sample').map((g) => g.frame as SampleFrame);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.every((f) => f.counters === null)).toBe(true);
    expect(frames.at(-1)!.progress.bytes).toBeGreaterThan(0);
    const rate = (frames.length - 1) / (frames.at(-1)!.t - frames[0].t);
    expect(rate).toBeGreaterThanOrEqual(8);
    c.ws.close();
  });
});
