// Messages between the orchestrator and its two children (sender, sink), over
// Node's IPC channel. The children never write to stdout.
import { addon, type NativeSinkResult, type NativeTransferResult } from '../native.js';
import type { SinkName } from '../../scenarios/catalog.js';

export interface SenderArgs {
  mode: string; file: string; sizeBytes: number; chunkBytes: number; host: string; port: number; parentPid: number;
  /** Timed run: seconds (passes of the file until then). */
  duration?: number;
  /** Paced run: bytes per second. */
  rate?: number;
  /** ktls-* modes: the run's kTLS keys (addon tlsKeys()); the sink gets the same. */
  tls?: string;
}
export interface SinkArgs {
  mode: SinkName;
  host: string;
  bufferBytes: number;
  parentPid: number;
  /** App modes: the sink is the client; it connects here on "go" (and says "ready" first, not "listening"). */
  connect?: { host: string; port: number };
  /** Sent once connected (an HTTP GET). */
  request?: string;
  /** The response starts with an HTTP header, received apart from the body. */
  http?: boolean;
  /** Lab runs: each pass of this many bytes is checked on its own against expect (the file's XXH3-64, hex). */
  passBytes?: number;
  expect?: string;
  /** Fetch once, discarding, before saying "ready" (app modes: the program's start-up stays out of the counts). */
  warmup?: boolean;
  /** ktls-* modes: the sender's kTLS keys, set as TLS_RX once the connection is accepted. */
  tls?: string;
}

/** What the sender reports; node-stream fills what JS can know. */
export type SenderResult = NativeTransferResult & { engine: 'native' | 'node'; cpuScope: 'thread' | 'process'; tls?: TlsRunInfo };

/** kTLS modes: the record layer the sender set up, and the change of the kernel's kTLS counters (/proc/net/tls_stat in the sender's network namespace) across its transfer. */
export interface TlsRunInfo {
  version: 'TLS 1.3';
  cipher: 'AES-GCM-128';
  /** Bytes each record adds on the wire: a 5-byte header, the 1-byte inner content type and the 16-byte GCM tag (TLS 1.3). */
  recordOverheadBytes: 22;
  /** Plaintext bytes a record holds at most (2^14). */
  maxRecordBytes: 16384;
  /** TlsTxSw, TlsTxDevice, TlsRxSw, TlsRxDevice, ... after minus before (sessions set up, not bytes); null where the file is missing. */
  stat: Record<string, number> | null;
}

export interface ChildError { message: string; syscall?: string; code?: string }

export type ChildMessage =
  | { type: 'listening'; pid: number; port: number }
  | { type: 'ready'; pid: number }
  | { type: 'progress'; bytes: number }
  | { type: 'done'; result: SenderResult | NativeSinkResult }
  | { type: 'error'; error: ChildError };

export type ParentMessage = { type: 'go' };

export function errorMessage(e: unknown): ChildError {
  const err = e as { message?: string; syscall?: string; code?: string };
  return { message: err?.message ?? String(e), syscall: err?.syscall, code: typeof err?.code === 'string' ? err.code : undefined };
}

/** Sends a message and waits until it is written, so exit() cannot drop it. */
export function sendToParent(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

/**
 * A child ends when its parent goes away, however the parent died: the kernel
 * sends SIGKILL on the parent's death (PR_SET_PDEATHSIG, checked against a
 * parent that died before the call), and a closed IPC channel kills it too.
 * SIGKILL rather than process.exit: exit would wait for a native loop's thread.
 */
export function exitWithParent(parentPid: number): void {
  addon().dieWithParent(parentPid);
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
