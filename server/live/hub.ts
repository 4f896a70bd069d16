// The WebSocket /live: every client gets the same serialized frames. A client
// that cannot keep up has samples dropped (its bufferedAmount over a cap), a
// client that cannot even take the run events is closed: memory per client is
// bounded. Pings find dead clients; small messages only (maxPayload).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { httpAnswer, InputError, LabError, NotFoundError } from '../core/errors.js';
import { parseRunSpec } from '../schema/run-spec.js';
import type { ErrorFrame, HelloFrame } from './frames.js';
import type { Runner } from './runner.js';
import type { Viewer } from './watches.js';

/** What the hub needs of the server's watches (live/watches.ts): a client views one, and stops. */
export interface WatchViews {
  /** Throws NotFoundError; returns the unview. */
  view(id: string, viewer: Viewer): () => void;
}

export interface HubOptions {
  /** Largest message a client may send (bytes). */
  maxPayload?: number;
  /** Queued bytes past which a client's samples are dropped. */
  sampleCapBytes?: number;
  /** Queued bytes past which a client is closed (run events must not be dropped). */
  hardCapBytes?: number;
  /** Ping interval; a client that has not answered the previous ping is terminated. */
  heartbeatMs?: number;
  /** Where errors that are not the client's go (with their stack). */
  log?(line: string): void;
}

interface ClientStats { sent: number; dropped: number; alive: boolean }

const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), spec: z.unknown() }).strict(),
  z.object({ type: z.literal('cancel'), id: z.string().max(64) }).strict(),
  z.object({ type: z.literal('view'), watch: z.string().max(64) }).strict(),
  z.object({ type: z.literal('unview'), watch: z.string().max(64) }).strict(),
]);
const MESSAGE_TYPES = 'start, cancel, view, unview';

export class LiveHub {
  readonly wss: WebSocketServer;
  private stats = new Map<WebSocket, ClientStats>();
  /** Per client, the watches it views (watch id -> unview). */
  private views = new Map<WebSocket, Map<string, () => void>>();
  /** The server's watches (set by the wiring). */
  watches?: WatchViews;
  private heartbeat: NodeJS.Timeout;
  private readonly sampleCap: number;
  private readonly hardCap: number;
  private readonly log: (line: string) => void;
  /** Samples not sent to a client because it was behind, over the hub's life. */
  droppedTotal = 0;

  constructor(
    private readonly runner: () => Runner,
    private readonly hello: () => Promise<HelloFrame>,
    o: HubOptions = {},
  ) {
    this.sampleCap = o.sampleCapBytes ?? 64 * 1024;
    this.hardCap = o.hardCapBytes ?? 1024 * 1024;
    this.log = o.log ?? (() => undefined);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload ?? 4096, perMessageDeflate: false, clientTracking: true });
    this.wss.on('connection', (ws) => this.onConnection(ws));
    this.heartbeat = setInterval(() => this.ping(), o.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get clients(): number {
    return this.wss.clients.size;
  }

  /** Call after the access checks passed. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  /** Sends the same bytes to every client that can take them. */
  broadcast(data: string, kind: 'sample' | 'run'): void {
    for (const ws of this.wss.clients) this.deliver(ws, data, kind);
  }

  /** One client's bounded queue: samples dropped past the sample cap, the client closed past the hard cap. */
  private deliver(ws: WebSocket, data: string, kind: 'sample' | 'run'): void {
    // bufferedAmount keeps growing on a closing socket: send only to open ones.
    if (ws.readyState !== WebSocket.OPEN) return;
    const st = this.stats.get(ws);
    const queued = ws.bufferedAmount;
    if (kind === 'sample' && queued > this.sampleCap) {
      if (st) st.dropped++;
      this.droppedTotal++;
      return;
    }
    if (queued > this.hardCap) {
      ws.terminate();
      return;
    }
    ws.send(data);
    if (st) st.sent++;
  }

  clientStats(): ClientStats[] {
    return [...this.stats.values()];
  }

  close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        for (const ws of this.wss.clients) ws.terminate();
      }, 1000);
      this.wss.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private onConnection(ws: WebSocket): void {
    const st: ClientStats = { sent: 0, dropped: 0, alive: true };
    this.stats.set(ws, st);
    ws.on('pong', () => (st.alive = true));
    ws.on('close', () => {
      this.stats.delete(ws);
      // A client that leaves stops viewing its watches (the last viewer gone: the watch's grace period starts).
      for (const unview of this.views.get(ws)?.values() ?? []) unview();
      this.views.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => void this.onMessage(ws, isBinary ? null : data.toString()));
    this.hello().then(
      (h) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(h)),
      (e) => {
        const f = this.errorFrame(e);
        this.sendTo(ws, { ...f, error: `hello failed: ${f.error}` });
      },
    );
  }

  private async onMessage(ws: WebSocket, text: string | null): Promise<void> {
    let json: unknown;
    try {
      if (text === null) throw new Error('binary');
      json = JSON.parse(text);
    } catch {
      return this.sendTo(ws, { type: 'error', error: 'messages are JSON text: {"type":"start","spec":{...}}, {"type":"cancel","id":"..."}, {"type":"view","watch":"..."} or {"type":"unview","watch":"..."}' });
    }
    const runner = this.runner();
    try {
      const m = ClientMessage.safeParse(json);
      if (!m.success)
        throw new InputError(
          m.error.issues.map((i) => ({
            field: i.path.join('.') || 'type',
            message:
              i.path.length === 1 && i.path[0] === 'spec'
                ? 'is required: {RunSpec field: value}, {} for the defaults'
                : i.message + (i.path[0] === 'type' || !i.path.length ? `; allowed: ${MESSAGE_TYPES}` : ''),
          })),
          'message',
        );
      if (m.data.type === 'start') {
        // The spec is an object of RunSpec fields ({} for the defaults): null, a
        // list, a string or nothing is a mistake, not a request for the defaults.
        const spec = m.data.spec;
        if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
          throw new InputError(
            [{ field: 'spec', message: `${spec === undefined ? 'is required' : `must be an object, not ${spec === null ? 'null' : Array.isArray(spec) ? 'a list' : `a ${typeof spec}`}`}: {RunSpec field: value}, {} for the defaults` }],
            'run spec',
          );
        try {
          const { run } = runner.submit(parseRunSpec(spec, 'run spec'));
          this.sendTo(ws, { type: 'accepted', run });
        } catch (e) {
          // The spec's fields (the privilege check's too), as the client wrote them: inside its message.
          if (e instanceof InputError) throw new InputError(e.issues.map((i) => ({ field: i.field === '(root)' ? 'spec' : `spec.${i.field}`, message: i.message })), e.source);
          throw e;
        }
      } else if (m.data.type === 'view') {
        const id = m.data.watch;
        const mine = this.views.get(ws) ?? new Map<string, () => void>();
        if (!mine.has(id)) {
          if (!this.watches) throw new NotFoundError(`no watch ${id}`);
          mine.set(id, this.watches.view(id, { send: (data, kind) => this.deliver(ws, data, kind) }));
          this.views.set(ws, mine);
        }
      } else if (m.data.type === 'unview') {
        const mine = this.views.get(ws);
        mine?.get(m.data.watch)?.();
        mine?.delete(m.data.watch);
      } else await runner.cancel(m.data.id);
    } catch (e) {
      this.sendTo(ws, this.errorFrame(e));
    }
  }

  /** An error as a frame: what the HTTP API would answer for it (core/errors.ts httpAnswer); anything not ours is logged. */
  private errorFrame(e: unknown): ErrorFrame {
    if (!(e instanceof LabError)) this.log(`WebSocket: ${(e as Error)?.stack ?? String(e)}`);
    const { error, issues, code } = httpAnswer(e).body;
    return { type: 'error', error, ...(issues ? { issues } : {}), code };
  }

  private sendTo(ws: WebSocket, frame: ErrorFrame | { type: 'accepted'; run: unknown }): void {
    if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < this.hardCap) ws.send(JSON.stringify(frame));
  }

  private ping(): void {
    for (const ws of this.wss.clients) {
      const st = this.stats.get(ws);
      if (!st) continue;
      if (!st.alive) {
        ws.terminate();
        continue;
      }
      st.alive = false;
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }
}
