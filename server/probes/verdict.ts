// Verdicts on what a watched program's sends cost: pure functions over the
// probes' counters and syscalls (and, when the engine keeps them, its per
// connection and per file rows), so the CLI, the dashboard, reports and a
// metrics exporter say the same thing from the same numbers.
//
//   sendPaths()      which send paths were used, with bytes and syscalls each
//   copiesPerByte()  CPU-copied bytes per byte handed to sockets
//   findings()       "zero-copy lost": a stable code, what to do, the evidence
//   verdict()        the three together, and one line: zero-copy / copies N per byte / no sends seen
//
// Nothing here reads /proc or the clock: what only the session can know (does
// the process map a TLS library?) comes in as a flag.
import { zerocopyCopiedExtra } from './derive.js';
import type { ConnectionCounters, Counters, WatchConnection, WatchFile } from './types.js';

export const KiB = 1024;

/** Below this many CPU copies per byte sent, a sender is zero-copy (an HTTP header copied beside a sendfile body stays below). */
export const ZERO_COPY_BELOW = 0.05;
/** small-sends: bytes per send syscall below this ... */
export const SMALL_SEND_BYTES = 16 * KiB;
/** ... over at least this many send syscalls. */
export const SMALL_SENDS_MIN = 64;
/** read-then-write and userspace-tls look at processes that sent at least this much. */
export const MIN_EVIDENCE_BYTES = 64 * KiB;

/** userspace-tls: socket bytes / file bytes in this range (TLS record overhead, 0.13% and up; a little protocol framing on top). */
export const TLS_RATIO = [1.001, 1.25] as const;

/** The send syscalls (of the probes' PROBE_SYSCALLS) by the path they take. */
export const COPY_SEND_SYSCALLS = ['write', 'writev', 'sendto', 'sendmsg'] as const;
export const REF_SEND_SYSCALLS = ['sendfile', 'splice'] as const;

export type SendPathName = 'write' | 'sendfile' | 'splice' | 'sendfile+splice' | 'msg-zerocopy' | 'io_uring-send-zc' | 'ktls';

/** io_uring's syscall: it submits sends (IORING_OP_SEND copies, SEND_ZC pins) with no send syscall of their own. */
export const URING_SYSCALLS = ['io_uring_enter'] as const;
/** The zerocopy bytes were io_uring SEND_ZC's (io_uring_enter, no MSG_ZEROCOPY send syscall): the counters are shared, the syscalls tell them apart. */
const uringZc = (syscalls: Record<string, number>) => (syscalls.io_uring_enter ?? 0) > 0 && !syscalls.sendto && !syscalls.sendmsg;

export interface SendPath {
  path: SendPathName;
  /** Bytes handed to sockets on this path. */
  bytes: number;
  /** false: the CPU copied them into the socket buffer; true: pages passed by reference (or pinned). */
  byReference: boolean;
  /** The syscalls that take this path, by name (write and writev also count writes to files: the probes count data fds). */
  syscalls: Record<string, number>;
  /** How it is said to a person. */
  label: string;
}

export type FindingCode = 'read-then-write' | 'no-gather' | 'zerocopy-copied' | 'userspace-tls' | 'small-sends' | 'ktls-encrypt';

export interface Finding {
  code: FindingCode;
  /** One sentence: what happened, and what to do about it. */
  message: string;
  /** The numbers it rests on, by counter name (or a derived name). */
  evidence: Record<string, number | string | boolean>;
  /** true: a guess from indirect evidence (userspace-tls), said so in the message. */
  inference?: boolean;
}

export interface Verdict {
  /** 'zero-copy' | 'copies' | 'no-sends' | 'unmeasured' (a needed counter has no source on this kernel). */
  kind: 'zero-copy' | 'copies' | 'no-sends' | 'unmeasured';
  /** One line: "zero-copy", "copies 2.00 per byte", "no sends seen", "unmeasured: ...". */
  summary: string;
  bytesSent: number;
  cpuCopyBytes: number | null;
  copiesPerByte: number | null;
  paths: SendPath[];
  findings: Finding[];
}

/** What the rules need besides the counters. */
export interface VerdictContext {
  /** The process maps libssl, libcrypto or libgnutls (read from /proc/PID/maps by the session). */
  tlsLibrary?: boolean;
  /** Per file rows of this process (when the engine keeps them): read-then-write names the files. */
  files?: WatchFile[];
  /** Per connection rows of this process (when the engine keeps them): no-gather names the connections. */
  connections?: WatchConnection[];
}

const n = (v: number | null | undefined): number => v ?? 0;
const sum = (s: Record<string, number>, names: readonly string[]) => names.reduce((a, k) => a + (s[k] ?? 0), 0);
const pick = (s: Record<string, number>, names: readonly string[]) => Object.fromEntries(names.filter((k) => s[k]).map((k) => [k, s[k]]));
const mib = (b: number) => `${(b / 2 ** 20).toFixed(b >= 10 * 2 ** 20 ? 0 : 1)} MiB`;
const size = (b: number) => (b >= 2 ** 20 ? mib(b) : b >= KiB ? `${(b / KiB).toFixed(1)} KiB` : `${b} B`);

/** Bytes handed to sockets: copied in, passed by reference, or pinned (MSG_ZEROCOPY). */
export function bytesSent(c: Partial<Counters>): number {
  return n(c.copy_user_to_socket_bytes) + n(c.splice_ref_bytes) + n(c.zerocopy_bytes);
}

/**
 * Bytes the CPU copied on the way out: file -> user, user -> socket, linearized
 * at the device, MSG_ZEROCOPY copied after all. The receive copy
 * (copy_socket_to_user_bytes) is not a cost of sending and is left out.
 * null when one of them has no source on this kernel.
 */
export function sendCopyBytes(c: Partial<Counters>): number | null {
  const parts = [c.copy_file_to_user_bytes, c.copy_user_to_socket_bytes, c.copy_linearize_bytes, zerocopyCopiedExtra(c)];
  if (parts.some((v) => v === null)) return null;
  // kTLS encryption (a CPU pass into the record buffer) where measured; without a source (no tls
  // module when the probes loaded) it adds nothing: the kTLS finding cannot be made then either.
  return parts.reduce<number>((a, v) => a + n(v), 0) + n(c.copy_encrypt_bytes);
}

/** CPU copies per byte sent (null: nothing sent, or unmeasured). */
export function copiesPerByte(c: Partial<Counters>): number | null {
  const sent = bytesSent(c);
  const copied = sendCopyBytes(c);
  return sent > 0 && copied !== null ? copied / sent : null;
}

/** The send paths used, with bytes and syscalls each (paths with no bytes and no calls left out). */
export function sendPaths(c: Partial<Counters>, syscalls: Record<string, number>): SendPath[] {
  const out: SendPath[] = [];
  const copied = n(c.copy_user_to_socket_bytes);
  if (copied > 0)
    out.push({ path: 'write', bytes: copied, byReference: false, syscalls: pick(syscalls, [...COPY_SEND_SYSCALLS, ...URING_SYSCALLS]), label: 'write/send (copied into the socket)' });
  const ref = n(c.splice_ref_bytes);
  const sf = syscalls.sendfile ?? 0;
  const sp = syscalls.splice ?? 0;
  if (n(c.copy_encrypt_bytes) > 0) {
    // kTLS: what TCP got by reference are the record buffers the kernel encrypted into (ciphertext), whatever the syscall.
    out.push({ path: 'ktls', bytes: ref, byReference: true, syscalls: pick(syscalls, [...COPY_SEND_SYSCALLS, ...REF_SEND_SYSCALLS]), label: 'kTLS records (encrypted into a kernel buffer, queued by reference)' });
  } else if (ref > 0 || sf > 0) {
    const path: SendPathName = sf && sp ? 'sendfile+splice' : sp ? 'splice' : 'sendfile';
    out.push({ path, bytes: ref, byReference: true, syscalls: pick(syscalls, REF_SEND_SYSCALLS), label: `${path} (pages by reference)` });
  }
  const zc = n(c.zerocopy_bytes);
  if (zc > 0 && uringZc(syscalls))
    out.push({ path: 'io_uring-send-zc', bytes: zc, byReference: true, syscalls: pick(syscalls, URING_SYSCALLS), label: 'io_uring SEND_ZC (user pages pinned)' });
  else if (zc > 0)
    out.push({ path: 'msg-zerocopy', bytes: zc, byReference: true, syscalls: pick(syscalls, ['sendmsg', 'sendto']), label: 'MSG_ZEROCOPY (user pages pinned)' });
  return out;
}

/** The "zero-copy lost" findings, each with its cause as the counters show it. */
export function findings(c: Partial<Counters>, syscalls: Record<string, number>, ctx: VerdictContext = {}): Finding[] {
  const out: Finding[] = [];
  const sent = bytesSent(c);
  const fileToUser = n(c.copy_file_to_user_bytes);
  const userToSock = n(c.copy_user_to_socket_bytes);

  // File bytes read into user space, then a comparable amount copied into sockets.
  if (fileToUser >= MIN_EVIDENCE_BYTES && userToSock >= MIN_EVIDENCE_BYTES) {
    const ratio = userToSock / fileToUser;
    const files = (ctx.files ?? []).filter((f) => n(f.counters.copy_file_to_user_bytes) > 0).sort((a, b) => n(b.counters.copy_file_to_user_bytes) - n(a.counters.copy_file_to_user_bytes));
    const named = files.slice(0, 3).map((f) => f.path ?? `${f.dev}:${f.ino}`);
    const evidence: Finding['evidence'] = { copy_file_to_user_bytes: fileToUser, copy_user_to_socket_bytes: userToSock, socket_to_file_ratio: Number(ratio.toFixed(3)) };
    if (named.length) evidence.files = named.join(', ');
    // TLS adds at least 21 B per 16 KiB record (5 B header + 16 B tag): ciphertext is
    // 0.13% or more above the plaintext; a plain copy adds only protocol headers.
    if (ctx.tlsLibrary && ratio >= TLS_RATIO[0] && ratio <= TLS_RATIO[1]) {
      out.push({
        code: 'userspace-tls',
        inference: true,
        message:
          `probably TLS in user space (an inference: the probes do not see encryption): ${size(fileToUser)} read from files, then a similar ${size(userToSock)} copied to sockets, ` +
          `and the process maps a TLS library; user-space TLS must read and encrypt every byte, so sendfile cannot be used. ` +
          `Kernel TLS (kTLS: OpenSSL 3 with SSL_OP_ENABLE_KTLS and SSL_sendfile, nginx 'ssl_conf_command Options KTLS') keeps sendfile; or serve static files without TLS behind a TLS terminator`,
        evidence: { ...evidence, tls_library: true },
      });
    } else if (ratio >= 0.5) {
      out.push({
        code: 'read-then-write',
        message:
          `file read into user space, then written to a socket: ${size(fileToUser)} copied file -> user and ${size(userToSock)} user -> socket (2 CPU copies per byte)` +
          `${named.length ? ` (files: ${named.join(', ')})` : ''}; send files with sendfile (Java: FileChannel.transferTo; nginx: sendfile on; Python: socket.sendfile; Netty: DefaultFileRegion)`,
        evidence,
      });
    }
  }

  // A device without scatter-gather: every packet copied linear at transmit.
  const lin = n(c.copy_linearize_bytes);
  if (lin > 0) {
    const conns = (ctx.connections ?? []).filter((x) => n(x.counters.copy_linearize_bytes) > 0).map((x) => `${x.local} -> ${x.remote}`);
    out.push({
      code: 'no-gather',
      message:
        `the device cannot gather: ${size(lin)} of TCP payload copied into linear packets at transmit${sent ? ` (${((100 * lin) / Math.max(sent, 1)).toFixed(0)}% of the bytes sent)` : ''}, ` +
        `so even sendfile costs a CPU copy; turn scatter-gather on (ethtool -K DEV sg on) or send over a device that has it`,
      evidence: { copy_linearize_bytes: lin, dev_xmit_bytes: n(c.dev_xmit_bytes), ...(conns.length ? { connections: conns.slice(0, 3).join(', ') } : {}) },
    });
  }

  // MSG_ZEROCOPY the kernel copied after all.
  const zcc = n(c.zerocopy_copied_bytes);
  const extra = n(zerocopyCopiedExtra(c));
  if (extra > 0 && uringZc(syscalls))
    out.push({
      code: 'zerocopy-copied',
      message:
        `io_uring SEND_ZC notifications marked copied: ${size(extra)} of ${size(n(c.zerocopy_bytes))} sent with SEND_ZC were copied by the kernel anyway ` +
        `(a receiver on this host copies the pinned pages on delivery)${zcc > extra ? `; ${size(zcc - extra)} more were marked copied but had been copied linear at transmit already (counted once, under no-gather)` : ''}; ` +
        `SEND_ZC pays only for large sends to another host over a NIC that gathers: use IORING_OP_SEND here`,
      evidence: { zerocopy_copied_bytes: zcc, zerocopy_copied_extra_bytes: extra, zerocopy_bytes: n(c.zerocopy_bytes) },
    });
  else if (extra > 0)
    out.push({
      code: 'zerocopy-copied',
      message:
        `MSG_ZEROCOPY completions marked copied: ${size(extra)} of ${size(n(c.zerocopy_bytes))} sent with MSG_ZEROCOPY were copied by the kernel anyway ` +
        `(a receiver on this host copies the pinned pages on delivery)${zcc > extra ? `; ${size(zcc - extra)} more were marked copied but had been copied linear at transmit already (counted once, under no-gather)` : ''}; ` +
        `MSG_ZEROCOPY pays only for large sends to another host over a NIC that gathers: use plain send here`,
      evidence: { zerocopy_copied_bytes: zcc, zerocopy_copied_extra_bytes: extra, zerocopy_bytes: n(c.zerocopy_bytes) },
    });

  // Kernel TLS: each byte passed through the cipher into a separate record buffer.
  const enc = n(c.copy_encrypt_bytes);
  if (enc > 0)
    out.push({
      code: 'ktls-encrypt',
      message:
        `kernel TLS encrypted ${size(enc)}: the cipher reads every byte and writes its ciphertext into a separate record buffer (one CPU pass per byte, even with sendfile); ` +
        `TLS takes zero-copy away and kTLS takes back only the user-space copy; a NIC with TLS offload (TlsTxDevice in /proc/net/tls_stat) takes back the rest`,
      evidence: { copy_encrypt_bytes: enc, splice_ref_bytes: n(c.splice_ref_bytes), copy_file_to_user_bytes: fileToUser },
    });

  // Many small sends: a syscall (two mode switches) per few KiB.
  const sends = sum(syscalls, COPY_SEND_SYSCALLS) + sum(syscalls, REF_SEND_SYSCALLS);
  if (sends >= SMALL_SENDS_MIN && sent > 0 && sent / sends < SMALL_SEND_BYTES)
    out.push({
      code: 'small-sends',
      message:
        `small sends: ${sends} send syscalls averaging ${size(Math.round(sent / sends))} each (under ${SMALL_SEND_BYTES / KiB} KiB), two mode switches per few KiB; ` +
        `use bigger buffers (64 KiB and up), gather pieces with writev, or let sendfile send the whole file`,
      evidence: { send_syscalls: sends, bytes_sent: sent, bytes_per_send: Math.round(sent / sends) },
    });
  return out;
}

/** The verdict on one process (or on everything watched, when the engine has no per-process rows). */
export function verdict(c: Partial<Counters>, syscalls: Record<string, number>, ctx: VerdictContext = {}): Verdict {
  const sent = bytesSent(c);
  const cpuCopyBytes = sendCopyBytes(c);
  const perByte = copiesPerByte(c);
  const base = { bytesSent: sent, cpuCopyBytes, copiesPerByte: perByte, paths: sendPaths(c, syscalls), findings: findings(c, syscalls, ctx) };
  if (c.copy_user_to_socket_bytes === null || c.splice_ref_bytes === null)
    return { kind: 'unmeasured', summary: 'unmeasured: this kernel gives the send counters no source', ...base };
  if (sent === 0) return { kind: 'no-sends', summary: 'no sends seen', ...base };
  if (perByte === null) return { kind: 'unmeasured', summary: 'unmeasured: a copy counter has no source on this kernel', ...base };
  if (perByte < ZERO_COPY_BELOW) return { kind: 'zero-copy', summary: 'zero-copy', ...base };
  return { kind: 'copies', summary: `copies ${perByte.toFixed(2)} per byte`, ...base };
}

/** The verdict on one TCP connection (its own counters: copied in, by reference, linearized). */
export function connectionVerdict(c: ConnectionCounters): Pick<Verdict, 'kind' | 'summary' | 'bytesSent' | 'copiesPerByte' | 'findings'> {
  const sent = bytesSent(c);
  const fs = findings(c, {});
  if (sent === 0) return { kind: 'no-sends', summary: 'no sends seen', bytesSent: 0, copiesPerByte: null, findings: fs };
  const copied = n(c.copy_user_to_socket_bytes) + n(c.copy_linearize_bytes);
  const perByte = copied / sent;
  return perByte < ZERO_COPY_BELOW
    ? { kind: 'zero-copy', summary: 'zero-copy', bytesSent: sent, copiesPerByte: perByte, findings: fs }
    : { kind: 'copies', summary: `copies ${perByte.toFixed(2)} per byte (socket side)`, bytesSent: sent, copiesPerByte: perByte, findings: fs };
}

/** The TLS libraries whose mapping makes userspace-tls an inference worth saying. */
export const TLS_LIBRARY = /\/lib(ssl|crypto|gnutls|nss3|mbedtls|wolfssl)[^/]*\.so/;

/** Does a /proc/PID/maps text map a TLS library? (The session reads the file; this reads the text.) */
export function mapsTlsLibrary(maps: string): boolean {
  return TLS_LIBRARY.test(maps);
}
