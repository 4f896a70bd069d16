// What the server keeps per run and sends on the WebSocket /live. The same
// record is what GET /api/runs/:id answers and what a results file holds.
import type { Counters, WatchDetail } from '../probes/types.js';
import type { Verdict } from '../probes/verdict.js';
import type { Phase, SessionEvent } from '../session/session.js';
import type { Role } from '../probes/schema.generated.js';
import type { Capabilities } from '../session/capabilities.js';
import type { Issue } from '../core/errors.js';
import type { ReportRecord } from '../report/record.js';
import type { WatchRequest } from '../schema/watch-request.js';
import type { TcpConnection } from '../core/proc-scan.js';

export { REPORT_FINAL_STATES, type ReportFileLinks, type ReportProgress, type ReportRecord, type ReportStatus } from '../report/record.js';

export { FINAL_STATES, RUN_ORIGINS, runProgress, type RunOrigin, type RunProgress, type RunRecord, type RunState, type SeriesPoint } from '../session/run-record.js';
import { runProgress, type RunRecord } from '../session/run-record.js';
export type { Phase };

/** Run state changes. 'progress' is a phase change (preparing, starting, running, finishing). */
export type RunEvent = 'queued' | 'started' | 'progress' | 'finished' | 'failed' | 'cancelled';

export interface RunFrame {
  type: 'run';
  event: RunEvent;
  run: RunRecord;
  /** Runs waiting after this one. */
  queued: number;
}

/**
 * One tick: raw cumulative counters per role (null: no source on this kernel),
 * read from the kernel maps once and sent to every client as the same bytes.
 * Clients compute rates from the difference between two samples over the
 * difference of their `t` (seconds, monotonic from the start of the run).
 */
export interface SampleFrame {
  type: 'sample';
  runId: string;
  seq: number;
  /** Seconds on the session's clock: since the transfer began (monotonic). */
  t: number;
  /** Wall-clock time of the tick in ms since the epoch, sub-ms (performance.timeOrigin + now): for latency measurement. */
  wall: number;
  /**
   * Bytes the sender reported moved, and when (same clock as `t`); total: the file's size. A timed
   * run says its `duration` (s); `fraction` is t / duration then, else bytes / total.
   */
  progress: { bytes: number; total: number; t: number; duration?: number; fraction: number };
  /** Average since the first byte, MiB/s. */
  throughputMiBps: number;
  /** null when the run has no probes (then only progress moves). */
  counters: Record<Role, Counters> | null;
  syscalls: Record<Role, Record<string, number>> | null;
}

export interface HelloFrame {
  type: 'hello';
  capabilities: Capabilities;
  /** The running run, if any. */
  current: RunRecord | null;
  /** The report running in the server, if any (then no run starts until it ends). */
  report?: ReportRecord | null;
  queue: RunRecord[];
  /** The latest finished, failed or cancelled runs, newest first. */
  recent: RunRecord[];
  /** Sample ticks per second during a run. */
  sampleHz: number;
  /** The watches in progress. */
  watches?: WatchRecord[];
}

/** An error, as the HTTP API would answer it (core/errors.ts httpAnswer): the same message, issues and code. */
export interface ErrorFrame {
  type: 'error';
  error: string;
  issues?: Issue[];
  code?: string;
}

export interface AcceptedFrame {
  type: 'accepted';
  run: RunRecord;
}

/**
 * Report events. 'started', 'run-start', 'run-end' and 'ended' are never
 * dropped; 'progress' (bytes of the run in flight) comes at most 4 times a
 * second and a slow client may miss some. The transfer in flight also streams
 * ordinary sample frames (runId = report.progress.runId) for the live charts.
 */
export type ReportEvent = 'started' | 'run-start' | 'progress' | 'run-end' | 'ended';

export interface ReportFrame {
  type: 'report';
  event: ReportEvent;
  report: ReportRecord;
}

/** Why a watch ended. */
export type WatchEndReason = 'stopped' | 'exited' | 'no-viewers' | 'server-closing' | 'failed';

/** A watch of processes the lab did not start (POST /api/watches): what GET /api/watches/:id answers. */
export interface WatchRecord {
  id: string;
  request: WatchRequest;
  state: 'starting' | 'watching' | 'ended';
  /** The processes named when it started (pid, comm, command line, TCP connections then). */
  targets: { pid: number; comm: string; cmdline: string; tcp: TcpConnection[] }[];
  startedAt: string;
  endedAt?: string;
  endReason?: WatchEndReason;
  error?: { name: string; message: string };
  /** The probe engine counting it. */
  engine: string;
  /** WebSocket clients viewing it now. */
  viewers: number;
  /** Seconds on the watch's clock at its last sample (or at its end). */
  t?: number;
}

export type WatchEvent = 'started' | 'watching' | 'viewers' | 'ended';

/** A watch's state changes, sent to every client (never dropped). */
export interface WatchFrame {
  type: 'watch';
  event: WatchEvent;
  watch: WatchRecord;
}

/**
 * One tick of a watch, 10 a second, sent only to the clients that view it (a
 * client behind has samples dropped, as for runs). Cumulative counts since the
 * watch began; rates are the difference of two samples over the difference of
 * their `t` (seconds since the watch began, the watch's one clock).
 */
export interface WatchSampleFrame {
  type: 'watch-sample';
  watchId: string;
  seq: number;
  t: number;
  wall: number;
  /** The watched processes' counters (the probes' sender role); null without probes. */
  counters: Counters | null;
  syscalls: Record<string, number> | null;
  /** The processes counted now (follow adds children, an exited one leaves). */
  watched: number[];
  /** Per process, connection and file (engines that keep them; the largest rows, capped), else null. */
  detail: (WatchDetail & { truncated?: { processes: number; connections: number; files: number } }) | null;
  /** The verdict on everything watched (send paths, CPU copies per byte, findings in words); null without counters. */
  verdict: Verdict | null;
}

export type ServerFrame = HelloFrame | RunFrame | SampleFrame | ErrorFrame | AcceptedFrame | ReportFrame | WatchFrame | WatchSampleFrame;

/**
 * The sample frame of a session's sample event (a live run's, or a report's
 * transfer in flight): every time on the session's one clock.
 */
export function sampleFrame(runId: string, seq: number, e: Extract<SessionEvent, { type: 'sample' }>): SampleFrame {
  return {
    type: 'sample',
    runId,
    seq,
    t: e.t,
    wall: performance.timeOrigin + performance.now(),
    progress: { ...runProgress(e.bytes, e.total, e.t, e.duration), t: e.progressT },
    throughputMiBps: e.progressT > 0 ? e.bytes / 2 ** 20 / e.progressT : 0,
    counters: e.snapshot ? { sender: e.snapshot.sender.counters, sink: e.snapshot.sink.counters } : null,
    syscalls: e.snapshot ? { sender: e.snapshot.sender.syscalls, sink: e.snapshot.sink.syscalls } : null,
  };
}
