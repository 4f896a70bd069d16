// The mode catalog: every sender mode, path, sink and cache setting the lab
// knows, with what the seed articles expect of each mode. The input schema,
// `zcl run --help`, GET /api/modes, the dashboard and the reports all derive
// from this one list.
//
// "The textbook" means, throughout the lab, the model the two seed articles
// (shared/seeds) draw by hand: their CPU copies per byte and user/kernel mode
// switches per chunk for each way of sending a file. `textbook` below is that
// model, per mode; measured results are compared against it.

/** A mode run by a real program (apps/run APP), not by the lab's own engine: the seeds' systems. */
export interface AppInfo {
  /** The name apps/run knows it by. */
  name: string;
  /** What the lab's sink speaks to it: raw TCP (read to EOF), or an HTTP GET (the response header counted apart). */
  protocol: 'tcp' | 'http';
  /** The program's own chunk, which the run's chunkBytes takes (the program fixes it; strace-measured, apps/GROUND-TRUTH.md). */
  chunk: string;
  /** That chunk in bytes for a file of this size. */
  chunkBytes(sizeBytes: number): number;
}

export interface ModeInfo {
  /** One line for --help and the dashboard. */
  summary: string;
  /** The program that runs it: the lab's native engine, Node, or a real program (OpenJDK, Netty, nginx, ...). */
  program: string;
  /** Set for the modes a real program runs (apps/), started by the lab in the sender's place and watched. */
  app?: AppInfo;
  /** What the sender does, as code. */
  calls: string;
  /** Runs in the native engine (else plain JS in the sender process, or a real program: see app). */
  native: boolean;
  /** mmap()s the file: the sender's user space sees the page cache through a mapping. */
  mapsFile: boolean;
  /** Moves the bytes through a user-space buffer of the sender's (read into it, or sent from a mapping). */
  usesUserBuffer: boolean;
  /** Passes page-cache pages to the socket by reference (sendfile, splice). */
  passesPages: boolean;
  /** Sends pinned user pages by reference, with completions on the error queue (MSG_ZEROCOPY). */
  pinsUserPages: boolean;
  /** Needs a path whose device cannot gather: its textbook copy is made there. */
  needsNoGather: boolean;
  /** Why its mode switches per chunk may differ from the textbook's, when they do. */
  switchesNote?: string;
  /** The textbook's expectation: CPU copies per byte, and user/kernel mode switches per chunk. */
  textbook: { cpuCopies: number; modeSwitchesPerChunk: number; note: string };
  /** The path this mode is meant for, if it has one (sendfile-nogather needs a device without SG). */
  path?: PathName;
  /** A kernel feature the mode needs (kTLS: the tls ULP); where the kernel lacks it the run is refused before any setup. */
  kernelFeature?: 'tls';
  /** The kernel encrypts what the socket sends (kTLS): a CPU pass over every byte into a separate buffer (copy_encrypt_bytes). */
  encrypts?: boolean;
  /**
   * The modes a report reads this one against, when a matrix has both with every other
   * field equal: the ratio of throughput and CPU per cell, and over a chunk sweep the
   * chunk size from which this mode is ahead (report/compare.ts). `shows` says what
   * the pair answers, as a sentence.
   */
  against?: readonly { mode: string; shows: string }[];
}

export const MODES = {
  'read-write': {
    summary: 'read() the file into a user buffer, then write() it to the socket',
    program: "the lab's native engine (C++, native/engine)",
    calls: 'read(file, buf, chunk); write(sock, buf, n)',
    native: true,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 4, note: 'page cache -> user buffer -> socket buffer' },
  },
  'mmap-write': {
    summary: 'mmap() the file, then write() from the mapping to the socket',
    program: "the lab's native engine (C++, native/engine)",
    calls: 'map = mmap(file); write(sock, map + off, chunk)',
    native: true,
    mapsFile: true, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 1, modeSwitchesPerChunk: 2, note: 'mapping (page cache) -> socket buffer' },
  },
  sendfile: {
    summary: 'sendfile() over a path whose device does scatter-gather ("sendfile + DMA gather", Linux >= 2.4)',
    program: "the lab's native engine (C++, native/engine)",
    calls: 'sendfile(sock, file, &off, chunk)',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    against: [{ mode: 'read-write', shows: 'What sendfile saves over read() + write(): the copies through user space.' }],
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'page cache pages referenced by the socket buffer; DMA gathers them' },
  },
  'sendfile-nogather': {
    summary: 'sendfile() over a device with scatter-gather off (the Linux 2.1 sendfile: one CPU copy)',
    program: "the lab's native engine (C++, native/engine)",
    calls: 'sendfile(sock, file, &off, chunk) on a path with ethtool -K dev sg off',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: true,
    textbook: { cpuCopies: 1, modeSwitchesPerChunk: 2, note: 'page cache -> linear socket buffer (the device cannot gather)' },
    path: 'veth-nosg',
  },
  splice: {
    summary: 'splice() the file into a pipe, then splice() the pipe into the socket',
    program: "the lab's native engine (C++, native/engine)",
    calls: 'splice(file -> pipe, chunk); splice(pipe -> sock, n)',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 4, note: 'page references move file -> pipe -> socket' },
  },
  'msg-zerocopy': {
    summary: 'send(MSG_ZEROCOPY) from the mmap()ed file; completions read from the socket error queue',
    program: "the lab's native engine (C++, native/engine)",
    calls: 'setsockopt(SO_ZEROCOPY); send(sock, map + off, chunk, MSG_ZEROCOPY); recvmsg(MSG_ERRQUEUE)',
    native: true,
    mapsFile: true, usesUserBuffer: true, passesPages: false, pinsUserPages: true, needsNoGather: false,
    switchesNote: 'MSG_ZEROCOPY adds the completion reads from the error queue (recvmsg) to each send',
    against: [{ mode: 'mmap-write', shows: 'What MSG_ZEROCOPY saves over write() from the same mapping: the copy into the socket buffer, at the price of pinning and completions.' }],
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'user pages pinned and sent by reference, unless the kernel falls back to copying' },
  },
  // Beyond the articles (issue 15): io_uring, one io_uring_enter for a batch of
  // linked requests (native/engine/uring.cc, kUringBatch = 8 SQEs per enter).
  'io_uring-send': {
    summary: 'read() the file into user buffers, then IORING_OP_SEND them, 8 linked SQEs per io_uring_enter (the copying baseline of io_uring)',
    program: "the lab's native engine (C++, native/engine, liburing)",
    calls: 'read(file, buf[i], chunk) x 8; io_uring_prep_send(sqe, sock, buf[i], n, MSG_WAITALL) x 8 linked; io_uring_enter(ring, to_submit 8, min_complete 8)',
    native: true,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'io_uring: one io_uring_enter submits 8 sends and waits for them, so only the reads cost a syscall per chunk',
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 2.25, note: 'beyond the articles: page cache -> user buffer (read) -> socket buffer (IORING_OP_SEND copies like send); one read per chunk, one io_uring_enter per 8 chunks' },
  },
  'io_uring-send-zc': {
    summary: 'IORING_OP_SEND_ZC from the mmap()ed file, 8 linked SQEs per io_uring_enter; a notification CQE (IORING_CQE_F_NOTIF) says when the pages are released, and whether they were copied',
    program: "the lab's native engine (C++, native/engine, liburing)",
    calls: 'map = mmap(file); io_uring_prep_send_zc(sqe, sock, map + off, chunk, MSG_WAITALL, IORING_SEND_ZC_REPORT_USAGE) x 8 linked; io_uring_enter(ring, 8, 8); notification CQEs (IORING_NOTIF_USAGE_ZC_COPIED)',
    native: true,
    mapsFile: true, usesUserBuffer: true, passesPages: false, pinsUserPages: true, needsNoGather: false,
    switchesNote: 'io_uring: one io_uring_enter submits 8 sends; more enters only wait for completions and notifications, none per chunk',
    against: [{ mode: 'io_uring-send', shows: "What io_uring's zero-copy send saves over its copying send, and from which chunk size it pays." }],
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 0.25, note: 'beyond the articles: user pages pinned and sent by reference (like MSG_ZEROCOPY), unless the kernel falls back to copying; one io_uring_enter per 8 chunks' },
  },
  'io_uring-splice': {
    summary: 'IORING_OP_SPLICE the file into a pipe, linked to IORING_OP_SPLICE the pipe into the socket: one io_uring_enter per chunk (io_uring runs splices in its io-wq worker threads)',
    program: "the lab's native engine (C++, native/engine, liburing)",
    calls: 'io_uring_prep_splice(sqe, file, off, pipe_w, -1, chunk) linked to io_uring_prep_splice(sqe, pipe_r, -1, sock, -1, chunk); io_uring_enter(ring, 2, 2)',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'io_uring: one io_uring_enter submits both splices of a chunk and waits for them; its io-wq worker threads do the splicing, with no syscall of their own',
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'beyond the articles: page references move file -> pipe -> socket, as splice(); one io_uring_enter per chunk instead of two splice calls' },
  },
  'node-stream': {
    summary: "what Node apps do today: fs.createReadStream(file).pipe(socket)",
    program: "Node's fs and net (the lab's sender process, plain JS)",
    calls: 'fs.createReadStream(file, { highWaterMark: chunk }).pipe(net.connect(...))',
    native: false,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    switchesNote: "Node's stream issues its own reads and writes, not one of each per chunk",
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 4, note: 'read into a Buffer, write from it, plus the event loop' },
  },
  // Beyond the articles (issue 15): TLS in the kernel (kTLS, TLS 1.3 AES-GCM-128,
  // keys generated per run, the sink decrypting with kTLS RX). Software kTLS
  // encrypts every record into a separate buffer: a CPU pass over each byte
  // (copy_encrypt_bytes), which sendfile cannot avoid. The seeds' Kafka story:
  // "zero-copy is lost with TLS"; what kTLS gets back is the user-space copy.
  // Exactly: copy_encrypt_bytes equals the plaintext bytes sent; the wire (and the
  // record buffers TCP takes by reference) carries 22 B more per record (TLS 1.3:
  // 5 B header, 1 B content type, 16 B GCM tag), a record holding at most 16 KiB
  // and closing at the end of each send (a 64 KiB write: 4 records). The sink's
  // decryption is a CPU pass too, which no counter has yet.
  'ktls-write': {
    summary: 'kTLS: read() the file into a user buffer, then write() it to a socket the kernel encrypts (TCP_ULP "tls", TLS_TX)',
    program: "the lab's native engine (C++, native/engine/ktls.cc)",
    calls: 'setsockopt(TCP_ULP, "tls"); setsockopt(SOL_TLS, TLS_TX, aes_gcm_128); read(file, buf, chunk); write(sock, buf, n)',
    native: true,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    kernelFeature: 'tls', encrypts: true,
    against: [{ mode: 'read-write', shows: 'What encryption in the kernel costs a copying sender.' }],
    textbook: {
      cpuCopies: 2, modeSwitchesPerChunk: 4,
      note: 'page cache -> user buffer (read), then the cipher reads the user buffer and writes ciphertext into the record buffer (the encryption is the copy into the socket)',
    },
  },
  'ktls-sendfile': {
    summary: 'kTLS: sendfile() to a socket the kernel encrypts (TCP_ULP "tls", TLS_TX): the cipher reads the page-cache pages',
    program: "the lab's native engine (C++, native/engine/ktls.cc)",
    calls: 'setsockopt(TCP_ULP, "tls"); setsockopt(SOL_TLS, TLS_TX, aes_gcm_128); sendfile(sock, file, &off, chunk)',
    native: true,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    kernelFeature: 'tls', encrypts: true,
    against: [
      { mode: 'sendfile', shows: "What TLS takes from sendfile's zero-copy: the cipher's pass over every byte." },
      { mode: 'ktls-write', shows: 'What sendfile still saves under kTLS: the copy through user space.' },
    ],
    textbook: {
      cpuCopies: 1, modeSwitchesPerChunk: 2,
      note: 'page cache pages referenced by the plaintext record, then read by the cipher into a separate encrypted buffer (one CPU pass, not a reference): TLS takes zero-copy away, kTLS keeps the user-space copy away',
    },
  },
  // The seeds' systems, run by real programs (apps/run; what each does, from
  // strace -f: apps/GROUND-TRUTH.md). The lab starts the program in the
  // sender's place, its sink is the client, and the probes watch the program's
  // process tree.
  'java-transferto': {
    summary: 'Java NIO FileChannel.transferTo() to a SocketChannel: the seeds\' zero-copy example (one sendfile for the file)',
    program: 'OpenJDK 17 FileChannel.transferTo (apps/java TransferTo)',
    app: { name: 'java-transferto', protocol: 'tcp', chunk: 'the whole file per sendfile (JDK 17 asks for up to 0x7ffff000 B per call)', chunkBytes: (n: number) => Math.min(n, 0x7ffff000) },
    calls: 'fileChannel.transferTo(pos, size - pos, socketChannel)  ->  sendfile(sock, file, &pos, size - pos)',
    native: false,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'transferTo = sendfile: page cache pages referenced by the socket buffer; DMA gathers them' },
  },
  'java-stream': {
    summary: 'Java streams: FileInputStream.read() into a byte[], socket OutputStream.write() (what Java code does without NIO)',
    program: 'OpenJDK 17 InputStream/OutputStream (apps/java StreamCopy)',
    app: { name: 'java-stream', protocol: 'tcp', chunk: '64 KiB (the app\'s byte[]; read 64 KiB, write 64 KiB)', chunkBytes: (n: number) => Math.min(n, 64 * 1024) },
    calls: 'in.read(buf)  ->  read(file, 64 KiB); out.write(buf, 0, n)  ->  write(sock, n)',
    native: false,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'the last read returns 0 at end of file (one extra call)',
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 4, note: 'page cache -> user buffer -> socket buffer (plus the JVM\'s own memcpys, which no kernel probe sees)' },
  },
  'netty-fileregion': {
    summary: 'Netty DefaultFileRegion on the NIO transport (transferTo on a non-blocking channel: sendfile until EAGAIN, then wait)',
    program: 'Netty 4.1 DefaultFileRegion, NIO transport (Debian libnetty-java; apps/java NettyFileRegion)',
    app: { name: 'netty-fileregion', protocol: 'tcp', chunk: 'what the socket buffer takes per sendfile (varies; the call asks for all that is left)', chunkBytes: (n: number) => n },
    calls: 'ctx.writeAndFlush(new DefaultFileRegion(fileChannel, 0, size))  ->  sendfile(sock, file, &pos, size - pos) until EAGAIN, repeated on OP_WRITE',
    native: false,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'a non-blocking socket: each sendfile stops when the socket buffer is full (some return EAGAIN), so the calls vary run to run; the chunk counted is the whole file',
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'FileRegion = transferTo = sendfile: pages by reference, DMA gathers them' },
  },
  'nginx-sendfile': {
    summary: 'nginx serving the file over HTTP with sendfile on (the header by writev, the body by sendfile)',
    program: 'nginx 1.22 (Debian), sendfile on (apps/nginx serve.py, its own config and prefix)',
    app: { name: 'nginx-sendfile', protocol: 'http', chunk: '2 MiB per sendfile at most (sendfile_max_chunk); fewer bytes when the socket buffer is full', chunkBytes: (n: number) => Math.min(n, 2 * 1024 * 1024) },
    calls: 'writev(sock, header); sendfile(sock, file, &off, <= 2 MiB) until EAGAIN, repeated on EPOLLOUT',
    native: false,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'nginx adds the request read (recvfrom) and the header writev, and its non-blocking sendfile calls stop short or return EAGAIN when the socket buffer is full',
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'sendfile for the body (the header, a few hundred bytes, is copied)' },
  },
  'nginx-copy': {
    summary: 'nginx serving the file over HTTP with sendfile off (pread into its buffers, writev to the socket)',
    program: 'nginx 1.22 (Debian), sendfile off (apps/nginx serve.py, its own config and prefix)',
    app: { name: 'nginx-copy', protocol: 'http', chunk: '32 KiB (output_buffers 2 32k: pread64 32 KiB, writev 32 KiB)', chunkBytes: (n: number) => Math.min(n, 32 * 1024) },
    calls: 'pread64(file, buf, 32 KiB, off); writev(sock, [header,] buf)',
    native: false,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'nginx adds the request read (recvfrom), and a writev that meets a full socket buffer returns short and is repeated',
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 4, note: 'page cache -> nginx buffer -> socket buffer' },
  },
  'python-sendfile': {
    summary: "Python's socket.sendfile() (os.sendfile of the whole file, then one call returning 0)",
    program: 'CPython 3 socket.sendfile (apps/python sendfile_server.py)',
    app: { name: 'python-sendfile', protocol: 'tcp', chunk: 'min(file size, 1 GiB) per sendfile', chunkBytes: (n: number) => Math.min(n, 2 ** 30) },
    calls: 'sock.sendfile(f)  ->  sendfile(sock, file, &off, min(size, 1 GiB)) until it returns 0',
    native: false,
    mapsFile: false, usesUserBuffer: false, passesPages: true, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'CPython calls sendfile once more, which returns 0 (end of file)',
    textbook: { cpuCopies: 0, modeSwitchesPerChunk: 2, note: 'page cache pages referenced by the socket buffer; DMA gathers them' },
  },
  'node-http': {
    summary: "Node's http server piping fs.createReadStream into the response (Node core has no socket sendfile)",
    program: "Node http server + fs.createReadStream (apps/node http-server.mjs)",
    app: { name: 'node-http', protocol: 'http', chunk: "64 KiB (fs.ReadStream's highWaterMark)", chunkBytes: (n: number) => Math.min(n, 64 * 1024) },
    calls: 'read(file, 64 KiB) in the libuv pool; writev(sock, [header, chunk]) then write(sock, chunk) on the event loop',
    native: false,
    mapsFile: false, usesUserBuffer: true, passesPages: false, pinsUserPages: false, needsNoGather: false,
    switchesNote: 'the last read returns 0 at end of file, and the request read (recvfrom or read) is on the socket',
    textbook: { cpuCopies: 2, modeSwitchesPerChunk: 4, note: 'read into a Buffer, write from it (the header rides in the first writev)' },
  },
} as const satisfies Record<string, ModeInfo>;

export const PATHS = {
  loopback: { summary: 'TCP over 127.0.0.1 (the loopback device does scatter-gather)' },
  veth: { summary: 'a veth pair between two network namespaces the lab creates, scatter-gather on' },
  'veth-nosg': {
    summary: 'the same veth pair with scatter-gather off (ethtool -K sg off): packets are copied linear at transmit',
    /** Why its sender CPU per GiB is high and moves between runs: measured (README, "Figures that move with noise"). */
    cpuNote:
      'Why veth-nosg costs so much CPU: with scatter-gather off the kernel turns segmentation offload off too (ethtool -k in the lab\'s namespace: ' +
      'tx-tcp-segmentation off [requested on], generic-segmentation-offload off [requested on]), so TCP\'s large packets are cut into MSS-sized ones in software and each is copied linear: ' +
      'sendfile for 2 s put 1511 bytes per packet on the device over veth-nosg against 62417 over veth (tx_packets, tx_bytes), 41 times the packets per byte. ' +
      'Each packet pays the per-packet work on both ends (segmenting, the linear copy, the veth hand-over, the receiver\'s IP and TCP, its ACK), and on a veth most of it runs as softirq on whatever task is on the CPU: ' +
      'the sender\'s thread (its system time), the sink, or ksoftirqd (the "other work" column). So its CPU per GiB is higher, and moves more between runs, than over veth: ' +
      'in the same two runs the sink used 2.16 s/GiB over veth-nosg against 0.93 over veth.',
  },
} as const;

export const SINKS = {
  read: { summary: 'recv() into a user buffer (one receive copy) and verify a checksum (XXH3-64) of every byte', checksum: true },
  discard: { summary: 'recv(MSG_TRUNC): TCP drops the bytes in the kernel, no receive copy; byte count verified', checksum: false },
  copy: { summary: "recv() into a user buffer (one receive copy), no checksum: iperf3's receiver's work (bench:transfer); byte count verified", checksum: false },
  // Zero-copy on the receive side (issue 15, part 3).
  splice: {
    summary:
      'splice(socket -> pipe, SPLICE_F_MOVE), then splice(pipe -> /dev/null): the received pages go into the pipe by reference, no receive copy; byte count verified (no checksum: reading the bytes is the copy it avoids). ' +
      'On loopback and veth every payload byte arrives in page fragments (net:netif_receive_skb: 0 of 3,149,825 payload bytes in the linear part), so the pages move by reference; ' +
      'over veth-nosg every byte arrives linear and skb_splice_bits copies it into a page (linear_to_page), a copy no tracepoint shows: the receive copy counter stays 0 there',
    checksum: false,
  },
  'zerocopy-receive': {
    summary:
      "TCP_ZEROCOPY_RECEIVE as the kernel's tcp_mmap.c: whole pages the socket owns are mapped into the sink (getsockopt), the rest (recv_skip_hint) received with a copy, pages returned with madvise(MADV_DONTNEED); every byte checksummed (XXH3-64). " +
      'Its listener sets TCP_MAXSEG 4108 so segments carry whole pages, and it maps 512 KiB at a time (SO_RCVLOWAT at that); only pages that are whole, order-0 and not page cache can be mapped, so on loopback and veth only msg-zerocopy feeds it mapped pages ' +
      "(the kernel copies those sends into fresh pages on delivery); the copying senders' compound pages and sendfile/splice's page-cache pages arrive copied. tcp_mmap's own loopback figures: about 88-110 us/MB mapped against 202-251 us/MB copied. " +
      'Measured here (msg-zerocopy over loopback, 2 s runs, 4 interleaved rounds, this 2-CPU VM): 99.9% mapped, yet the sink spent 1785 us/MiB (1623-1995) against the copy sink\'s 891 (699-1081) and the read sink\'s 815 (578-1138): ' +
      'its kernel time (760 us/MiB) is about a copy\'s (879), because each madvise(MADV_DONTNEED) flushes the TLB of the other CPU the sink process\'s threads ran on (an IPI: 774 us a call on average before the 512 KiB chunks), ' +
      'and hashing freshly mapped pages costs 1035 us/MiB of user time against 96 for the read sink\'s cache-hot buffer (tcp_mmap is single-threaded and hashes only with -i)',
    checksum: true,
  },
} as const;

/** Whether a sink checks every byte against the file (XXH3-64), or only their count. */
export const sinkChecksums = (s: SinkName): boolean => SINKS[s].checksum;

export const CACHES = {
  warm: { summary: 'the file is in the page cache before the run (checked with mincore), and held there (mlock) until it ends' },
  cold: { summary: 'the file is dropped from the page cache first (posix_fadvise DONTNEED, checked with mincore): the disk is read' },
} as const;

/** The probe engines: both measure the same counters (bpf/counters.h) at the same kernel points. */
export const ENGINES = {
  libbpf: { summary: 'eBPF programs in C (bpf/zcl_probes.bpf.c) loaded once by the addon with libbpf: the cheap, precise engine' },
  bpftrace: { summary: 'the readable script bpf/zcl.bt, run by bpftrace for each run (a few seconds to start; read it, change it)' },
} as const;

export type ModeName = keyof typeof MODES;
export type PathName = keyof typeof PATHS;
export type SinkName = keyof typeof SINKS;
export type CacheName = keyof typeof CACHES;
export type EngineName = keyof typeof ENGINES;

export const MODE_NAMES = Object.keys(MODES) as [ModeName, ...ModeName[]];
export const PATH_NAMES = Object.keys(PATHS) as [PathName, ...PathName[]];
export const SINK_NAMES = Object.keys(SINKS) as [SinkName, ...SinkName[]];
export const CACHE_NAMES = Object.keys(CACHES) as [CacheName, ...CacheName[]];
export const ENGINE_NAMES = Object.keys(ENGINES) as [EngineName, ...EngineName[]];

/** Limits of the run inputs (bytes). */
export const LIMITS = {
  minSizeBytes: 1,
  maxSizeBytes: 64 * 2 ** 30,
  minChunkBytes: 1,
  maxChunkBytes: 16 * 2 ** 20,
  /** Syscalls per run stay bounded: 1 GiB needs chunks of 64 B or more. */
  maxChunks: 2 ** 24,
  /** A timed run (RunSpec `duration`, seconds; 0 or absent: one pass of the file). */
  minDurationSeconds: 0.1,
  maxDurationSeconds: 3600,
  /** A paced run (RunSpec `rate`, bytes per second; 0 or absent: unlimited). */
  minRateBytesPerSecond: 2 ** 10,
  maxRateBytesPerSecond: 64 * 2 ** 30,
  /** At the rate, one chunk takes at most this long (progress moves at least this often; the stall watchdog never fires on a paced run). */
  maxChunkSecondsAtRate: 5,
} as const;

/** What a run uses when the caller says nothing. */
export const DEFAULTS = {
  mode: 'sendfile',
  path: 'loopback',
  sink: 'read',
  sizeBytes: 256 * 2 ** 20,
  chunkBytes: 128 * 2 ** 10,
  cache: 'warm',
  engine: 'libbpf',
} as const;

/** A mode's catalog entry. */
export const modeInfo = (mode: string): ModeInfo => MODES[mode as ModeName];

/** The modes a real program runs (apps/), in catalog order. */
export const APP_MODE_NAMES = MODE_NAMES.filter((m) => modeInfo(m).app);
/** The lab's own modes (its native engine, or Node in its sender process) that any kernel runs. */
export const LAB_MODE_NAMES = MODE_NAMES.filter((m) => !modeInfo(m).app && !modeInfo(m).kernelFeature);
/** The kTLS modes (the kernel's tls module: refused where it is missing). */
export const KTLS_MODE_NAMES = MODE_NAMES.filter((m) => modeInfo(m).kernelFeature === 'tls');
