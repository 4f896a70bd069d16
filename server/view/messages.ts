// The one message catalogue of the dashboard and the HTML report: key -> {en, zh}.
// `{name}` is a placeholder. The English is the text the lab shows today; where it
// is owned elsewhere (the mode catalog's summaries and textbook notes, the counter
// schema's labels, the flow diagram's transmit notes) it is taken from there and
// only the Chinese is written here, typed by the same names, so a new mode or
// counter without a translation is a compile error.
//
// The CLI stays English. The page renders keys (dashboard/lib/translate.js t())
// and translates the English the server composes (tx(): exact values, then the
// templates below, their placeholders translated in turn). test/i18n.test.ts
// checks that every key has both languages and that every text /api/modes sends
// has a translation; test/dashboard-zh.test.ts walks the catalogue against the
// Chinese page.
//
// Terms as the seed articles use them: 零拷贝, CPU 拷贝, DMA 拷贝, 上下文切换,
// 用户态/内核态切换, 系统调用, 页缓存, 用户缓冲区, 套接字缓冲区 (socket buffer),
// 分散/聚集 (scatter-gather, DMA gather), 重传.
import { CACHE_NAMES, CACHES, ENGINE_NAMES, ENGINES, MODE_NAMES, MODES, modeInfo, PATH_NAMES, PATHS, SINK_NAMES, SINKS, type CacheName, type EngineName, type ModeName, type PathName, type SinkName } from '../../scenarios/catalog.js';
import { ERRORS, type ErrorCode } from '../core/errors.js';
import { COUNTERS, type CounterName } from '../probes/schema.generated.js';
import { CACHE_SUBTITLES, GATHER_NOTE, SINK_SUBTITLES, TRANSMIT } from './flow.js';

export type Lang = 'en' | 'zh';
export const LANGS: readonly Lang[] = ['en', 'zh'];
export interface Message { en: string; zh: string }

// ---------------------------------------------------------------- owned elsewhere: only the Chinese here

const MODE_ZH: Record<ModeName, { summary: string; note: string; program: string; switchesNote?: string; against?: string[] }> = {
  'read-write': {
    summary: '用 read() 把文件读进用户缓冲区，再用 write() 写到套接字',
    program: '实验室自带的原生引擎（C++，native/engine）',
    note: '页缓存 -> 用户缓冲区 -> 套接字缓冲区',
  },
  'mmap-write': {
    summary: '用 mmap() 映射文件，再从映射区 write() 到套接字',
    program: '实验室自带的原生引擎（C++，native/engine）',
    note: '映射区（即页缓存）-> 套接字缓冲区',
  },
  sendfile: {
    against: ['sendfile 比 read() + write() 省下了什么：经过用户空间的那些拷贝。'],
    summary: '在支持分散/聚集的设备上用 sendfile()（即“sendfile + DMA gather”，Linux 2.4 起）',
    program: '实验室自带的原生引擎（C++，native/engine）',
    note: '套接字缓冲区只引用页缓存的页，由 DMA 收集（gather）',
  },
  'sendfile-nogather': {
    summary: '在关闭了分散/聚集的设备上用 sendfile()（即 Linux 2.1 的 sendfile：一次 CPU 拷贝）',
    program: '实验室自带的原生引擎（C++，native/engine）',
    note: '页缓存 -> 线性的套接字缓冲区（设备不能聚集）',
  },
  splice: {
    summary: '用 splice() 把文件送进管道，再用 splice() 把管道送进套接字',
    program: '实验室自带的原生引擎（C++，native/engine）',
    note: '页的引用依次经过 文件 -> 管道 -> 套接字',
  },
  'msg-zerocopy': {
    against: ['MSG_ZEROCOPY 比从同一映射 write() 省下了什么：拷进套接字缓冲区的那一次拷贝，代价是锁定页和完成通知。'],
    summary: '对 mmap() 映射的文件用 send(MSG_ZEROCOPY) 发送；从套接字错误队列读取完成通知',
    program: '实验室自带的原生引擎（C++，native/engine）',
    switchesNote: 'MSG_ZEROCOPY 每次发送之外还要从错误队列读取完成通知（recvmsg）',
    note: '用户页被锁定（pin）后按引用发送，除非内核退回到拷贝',
  },
  'io_uring-send': {
    summary: '用 read() 把文件读进用户缓冲区，再用 IORING_OP_SEND 发送，每次 io_uring_enter 提交 8 个链接的 SQE（io_uring 的拷贝基线）',
    program: '实验室自带的原生引擎（C++，native/engine，liburing）',
    switchesNote: 'io_uring：一次 io_uring_enter 提交 8 个发送并等待它们完成，所以每块只有 read 需要一次系统调用',
    note: '超出文章范围：页缓存 -> 用户缓冲区（read）-> 套接字缓冲区（IORING_OP_SEND 像 send 一样拷贝）；每块一次 read，每 8 块一次 io_uring_enter',
  },
  'io_uring-send-zc': {
    against: ['io_uring 的零拷贝发送比它的拷贝式发送省下了什么，以及从多大的块开始划算。'],
    summary: '对 mmap() 映射的文件用 IORING_OP_SEND_ZC 发送，每次 io_uring_enter 提交 8 个链接的 SQE；通知 CQE（IORING_CQE_F_NOTIF）说明页何时被释放，以及是否被拷贝',
    program: '实验室自带的原生引擎（C++，native/engine，liburing）',
    switchesNote: 'io_uring：一次 io_uring_enter 提交 8 个发送；其余的 io_uring_enter 只为等待完成和通知，不是每块一次',
    note: '超出文章范围：用户页被锁定（pin）后按引用发送（与 MSG_ZEROCOPY 相同），除非内核退回到拷贝；每 8 块一次 io_uring_enter',
  },
  'io_uring-splice': {
    summary: '用 IORING_OP_SPLICE 把文件送进管道，链接到用 IORING_OP_SPLICE 把管道送进套接字：每块一次 io_uring_enter（io_uring 在它的 io-wq 工作线程里执行 splice）',
    program: '实验室自带的原生引擎（C++，native/engine，liburing）',
    switchesNote: 'io_uring：一次 io_uring_enter 提交一块的两个 splice 并等待它们完成；由它的 io-wq 工作线程做 splice，它们自己不发起系统调用',
    note: '超出文章范围：页的引用依次经过 文件 -> 管道 -> 套接字，与 splice() 相同；每块一次 io_uring_enter，而不是两次 splice 调用',
  },
  'node-stream': {
    summary: '如今 Node 应用的做法：fs.createReadStream(file).pipe(socket)',
    program: 'Node 的 fs 与 net（实验室的发送端进程，纯 JS）',
    switchesNote: 'Node 的流自行决定读写次数，并非每块各一次读、一次写',
    note: '读进一个 Buffer，再从它写出，外加事件循环',
  },
  // kTLS (issue 15): contiguous, beside the catalog's own block.
  'ktls-write': {
    against: ['内核里的加密让一个拷贝式发送端多花了多少。'],
    summary: 'kTLS：用 read() 把文件读进用户缓冲区，再 write() 到由内核加密的套接字（TCP_ULP "tls"，TLS_TX）',
    program: '实验室自带的原生引擎（C++，native/engine/ktls.cc）',
    note: '页缓存 -> 用户缓冲区（read），再由加密算法读取用户缓冲区、把密文写进记录缓冲区（加密就是拷进套接字的那一步）',
  },
  'ktls-sendfile': {
    against: ['TLS 从 sendfile 的零拷贝里拿走了什么：密码算法对每个字节的一遍处理。', '在 kTLS 下 sendfile 仍然省下了什么：经过用户空间的那次拷贝。'],
    summary: 'kTLS：用 sendfile() 发送到由内核加密的套接字（TCP_ULP "tls"，TLS_TX）：加密算法读取页缓存的页',
    program: '实验室自带的原生引擎（C++，native/engine/ktls.cc）',
    note: '明文记录引用页缓存的页，再由加密算法读进另一块加密缓冲区（一次 CPU 处理，而不是引用）：TLS 拿走了零拷贝，kTLS 省掉了用户态那次拷贝',
  },
  'java-transferto': {
    summary: 'Java NIO 的 FileChannel.transferTo() 发送到 SocketChannel：文章里的零拷贝例子（整个文件一次 sendfile）',
    program: 'OpenJDK 17 FileChannel.transferTo（apps/java TransferTo）',
    note: 'transferTo 即 sendfile：套接字缓冲区只引用页缓存的页，由 DMA 收集',
  },
  'java-stream': {
    summary: 'Java 流：FileInputStream.read() 读进 byte[]，再用套接字的 OutputStream.write() 写出（不用 NIO 时 Java 代码的做法）',
    program: 'OpenJDK 17 InputStream/OutputStream（apps/java StreamCopy）',
    switchesNote: '到文件末尾时最后一次 read 返回 0（多一次调用）',
    note: '页缓存 -> 用户缓冲区 -> 套接字缓冲区（外加 JVM 自己的 memcpy，内核探针看不到）',
  },
  'netty-fileregion': {
    summary: 'Netty 的 DefaultFileRegion，走 NIO 传输（非阻塞通道上的 transferTo：sendfile 直到 EAGAIN，然后等待）',
    program: 'Netty 4.1 DefaultFileRegion，NIO 传输（Debian libnetty-java；apps/java NettyFileRegion）',
    switchesNote: '非阻塞套接字：套接字缓冲区满时每次 sendfile 就停下（有的返回 EAGAIN），所以调用次数每次运行都不同；计作一块的是整个文件',
    note: 'FileRegion 即 transferTo 即 sendfile：按引用传页，由 DMA 收集',
  },
  'nginx-sendfile': {
    summary: 'nginx 以 HTTP 提供文件，开启 sendfile（响应头用 writev，正文用 sendfile）',
    program: 'nginx 1.22（Debian），sendfile on（apps/nginx serve.py，自带配置与前缀）',
    switchesNote: 'nginx 多了读取请求（recvfrom）和写响应头的 writev，而且套接字缓冲区满时非阻塞的 sendfile 会提前返回或返回 EAGAIN',
    note: '正文用 sendfile（响应头只有几百字节，是拷贝的）',
  },
  'nginx-copy': {
    summary: 'nginx 以 HTTP 提供文件，关闭 sendfile（pread 读进自己的缓冲区，再 writev 到套接字）',
    program: 'nginx 1.22（Debian），sendfile off（apps/nginx serve.py，自带配置与前缀）',
    switchesNote: 'nginx 多了读取请求（recvfrom），而且遇到套接字缓冲区满时 writev 会少写并重试',
    note: '页缓存 -> nginx 缓冲区 -> 套接字缓冲区',
  },
  'python-sendfile': {
    summary: 'Python 的 socket.sendfile()（对整个文件调用 os.sendfile，最后再调用一次并返回 0）',
    program: 'CPython 3 socket.sendfile（apps/python sendfile_server.py）',
    switchesNote: 'CPython 会多调用一次 sendfile，返回 0（文件末尾）',
    note: '套接字缓冲区只引用页缓存的页，由 DMA 收集',
  },
  'node-http': {
    summary: 'Node 的 http 服务器把 fs.createReadStream 管道接到响应上（Node 核心没有套接字的 sendfile）',
    program: 'Node http 服务器 + fs.createReadStream（apps/node http-server.mjs）',
    switchesNote: '到文件末尾时最后一次 read 返回 0，且套接字上还有读取请求的调用（recvfrom 或 read）',
    note: '读进一个 Buffer，再从它写出（响应头随第一次 writev 发出）',
  },
};

const PATH_ZH: Record<PathName, string> = {
  loopback: '经 127.0.0.1 的 TCP（回环设备支持分散/聚集）',
  veth: '实验室创建的两个网络命名空间之间的一对 veth，分散/聚集开启',
  'veth-nosg': '同一对 veth，但关闭分散/聚集（ethtool -K sg off）：发送时数据包被拷贝成线性的',
};
/** PATHS['veth-nosg'].cpuNote: why that path costs so much CPU (measured; catalog.ts). */
const VETH_NOSG_CPU_NOTE_ZH =
  'veth-nosg 为什么这么耗 CPU：关闭分散/聚集后，内核把分段卸载也一起关掉了（在实验室的命名空间里 ethtool -k：' +
  'tx-tcp-segmentation off [requested on]，generic-segmentation-offload off [requested on]），所以 TCP 的大包要在软件里切成 MSS 大小的小包，每个再拷贝成线性的：' +
  'sendfile 跑 2 秒，经 veth-nosg 每个包交给设备 1511 字节，经 veth 是 62417 字节（tx_packets、tx_bytes），每字节的包数是 41 倍。' +
  '每个包在两端都要付出按包计的开销（分段、线性化拷贝、veth 交接、接收方的 IP 和 TCP 处理、它的 ACK），而在 veth 上这些大多作为软中断，算在当时正在 CPU 上的任务头上：' +
  '发送线程（它的系统态时间）、接收端，或 ksoftirqd（“其他负载”一列）。所以它每 GiB 的 CPU 比经 veth 更高，运行之间也波动更大：' +
  '同样的两次运行里，接收端经 veth-nosg 用了 2.16 s/GiB，经 veth 是 0.93。';
const SINK_ZH: Record<SinkName, string> = {
  read: 'recv() 读进用户缓冲区（一次接收拷贝），并校验每个字节的校验和（XXH3-64）',
  discard: 'recv(MSG_TRUNC)：TCP 在内核里丢弃这些字节，没有接收拷贝；只校验字节数',
  copy: 'recv() 读进用户缓冲区（一次接收拷贝），不算校验和，只校验字节数：与 iperf3 接收端做的事相同（用于基准测试）',
  // Zero-copy on the receive side (issue 15, part 3).
  splice:
    'splice(套接字 -> 管道, SPLICE_F_MOVE)，再 splice(管道 -> /dev/null)：收到的页按引用进入管道，没有接收拷贝；只校验字节数（不算校验和：读这些字节正是它要省掉的拷贝）。' +
    '在回环和 veth 上，每个载荷字节都在页片段里到达（net:netif_receive_skb：3,149,825 个载荷字节中线性部分为 0），所以页按引用移动；' +
    '经 veth-nosg 每个字节都以线性方式到达，skb_splice_bits 把它拷贝进一页（linear_to_page），这次拷贝没有跟踪点能看到：那里的接收拷贝计数器仍是 0',
  'zerocopy-receive':
    '像内核的 tcp_mmap.c 那样用 TCP_ZEROCOPY_RECEIVE：套接字持有的整页被映射进接收端（getsockopt），其余部分（recv_skip_hint）用一次拷贝接收，再用 madvise(MADV_DONTNEED) 交还这些页；每个字节都算校验和（XXH3-64）。' +
    '它的监听套接字设置 TCP_MAXSEG 4108，让每个报文段装整页，并且每次映射 512 KiB（SO_RCVLOWAT 也设为这个值）；只有完整、order-0、不属于页缓存的页能被映射，所以在回环和 veth 上只有 msg-zerocopy 能给它送来可映射的页' +
    '（内核在投递时把这些发送拷贝进新页）；拷贝型发送方的复合页和 sendfile/splice 的页缓存页到达时都要拷贝。tcp_mmap 自己在回环上的数字：映射约 88-110 us/MB，拷贝 202-251 us/MB。' +
    '在这里实测（msg-zerocopy 经回环，每次 2 秒，交错 4 轮，这台 2 CPU 的虚拟机）：99.9% 被映射，但接收端每 MiB 用了 1785 us（1623-1995），copy 接收端是 891（699-1081），read 接收端是 815（578-1138）：' +
    '它的内核时间（760 us/MiB）和一次拷贝差不多（879），因为每次 madvise(MADV_DONTNEED) 都要刷新接收进程的线程运行过的另一个 CPU 的 TLB（一次 IPI：改成 512 KiB 块之前平均每次调用 774 us），' +
    '而对刚映射的页算校验和要花 1035 us/MiB 的用户态时间，read 接收端对缓存里热的缓冲区只要 96（tcp_mmap 是单线程的，只有加 -i 才算校验和）',
};
const CACHE_ZH: Record<CacheName, string> = {
  warm: '运行前文件已在页缓存中（用 mincore 检查），并一直锁定在那里（mlock）直到运行结束',
  cold: '先把文件逐出页缓存（posix_fadvise DONTNEED，用 mincore 检查）：会读磁盘',
};
const ENGINE_ZH: Record<EngineName, string> = {
  libbpf: '用 C 写的 eBPF 程序（bpf/zcl_probes.bpf.c），由插件用 libbpf 一次加载：开销小、精确的引擎',
  bpftrace: '可读的脚本 bpf/zcl.bt，每次运行由 bpftrace 执行（启动要几秒；可以读，也可以改）',
};
const CACHE_SUB_ZH: Record<keyof typeof CACHE_SUBTITLES, string> = { warm: '热：已缓存', cold: '冷：先逐出' };
const SINK_SUB_ZH: Record<keyof typeof SINK_SUBTITLES, string> = {
  read: 'recv() 读进缓冲区',
  discard: 'recv(MSG_TRUNC)',
  copy: 'recv()，不算校验和',
  splice: 'splice() 进管道',
  'zerocopy-receive': '映射页（mmap）',
};
const TRANSMIT_ZH: Record<keyof typeof TRANSMIT, { label: string; detail: string }> = {
  loopback: {
    label: '交给 lo，内存中传递',
    detail: '交给设备：lo 是虚拟设备，在内存里把数据包传下去（没有 DMA）。真正的网卡会用 DMA 读取',
  },
  veth: {
    label: '交给 veth，内存中传递',
    detail: '交给设备：veth 是虚拟设备，在内存里把数据包传下去（没有 DMA）。分散/聚集开启：它接受以页片段组成的数据包，就像能“DMA gather”的网卡',
  },
  'veth-nosg': {
    label: '交给 veth，内存中传递',
    detail: '交给设备：veth 是虚拟设备，在内存里把数据包传下去（没有 DMA）。分散/聚集关闭：它只接受线性的数据包，就像不能聚集的网卡，所以内核先把它们拷贝成线性的',
  },
  unknown: {
    label: '交给设备',
    detail: '设备发送这些数据（真正的网卡用 DMA 读取，能聚集时收集各个片段；lo 与 veth 在内存里传递）',
  },
};
const GATHER_ZH: Record<keyof typeof GATHER_NOTE, string> = {
  loopback: 'lo 是虚拟设备，不是网卡：它的发送只是内存里的交接，没有 DMA。它能聚集（接受页片段），所以 sendfile 的页按引用传递，正如文章里的“DMA gather”；真正的 DMA 只在真实网卡上发生。',
  veth: 'veth 是虚拟设备，不是网卡：它的发送只是内存里的交接，没有 DMA。分散/聚集开启：它代表能聚集的设备（文章里的“sendfile + DMA gather”）；真正的 DMA 只在真实网卡上发生。',
  'veth-nosg': '关闭分散/聚集的 veth 是虚拟设备，不是网卡：它的发送只是内存里的交接，没有 DMA。它代表不能聚集的设备：内核先把每个数据包拷贝成线性的（图中“CPU 拷贝（线性化）”那条箭头），没有分散/聚集的真实网卡也需要这样做。',
};
const COUNTER_ZH: Record<CounterName, { label: string; description: string }> = {
  syscalls: { label: '系统调用', description: '该角色的线程进入的每一次系统调用（每次是两次用户态/内核态切换）' },
  ctx_switches: { label: '上下文切换（调度器）', description: '调度器把该角色的某个线程从 CPU 上换下的次数' },
  ctx_switches_voluntary: { label: '自愿', description: '……因为它阻塞了（等待 I/O、锁、套接字空间）' },
  ctx_switches_involuntary: { label: '非自愿', description: '……因为它在可运行时被抢占' },
  page_faults: { label: '缺页', description: '该角色的线程在用户态或内核态发生的缺页' },
  copy_file_to_user_bytes: { label: '文件 -> 用户', description: 'CPU 拷贝：页缓存到用户缓冲区（对普通文件的 read()）' },
  copy_user_to_socket_bytes: { label: '用户 -> 套接字', description: 'CPU 拷贝：数据被拷贝进套接字缓冲区（内核选择了拷贝，而不是引用页）' },
  copy_linearize_bytes: { label: '在设备处线性化', description: 'CPU 拷贝：为没有分散/聚集的设备，把 TCP 载荷拷贝进线性数据包' },
  retransmit_bytes: { label: '重传', description: '本次运行的连接上重传的 TCP 载荷（在没有分散/聚集的设备上会再拷贝一次）' },
  splice_ref_bytes: { label: '按引用（sendfile、splice）', description: '无拷贝：页缓存的页按引用交给套接字（sendfile、splice）' },
  copy_socket_to_user_bytes: { label: '套接字 -> 用户（接收）', description: 'CPU 拷贝：套接字缓冲区到用户缓冲区（接收拷贝）' },
  zerocopy_bytes: { label: '锁定页（MSG_ZEROCOPY）', description: '无拷贝：用户页被锁定并按引用发送（MSG_ZEROCOPY、io_uring SEND_ZC）' },
  zerocopy_copied_bytes: { label: 'MSG_ZEROCOPY 仍被拷贝', description: 'CPU 拷贝：内核报告最终还是拷贝了的零拷贝字节（SO_EE_CODE_ZEROCOPY_COPIED；io_uring：IORING_NOTIF_USAGE_ZC_COPIED）' },
  block_read_bytes: { label: '磁盘读取（DMA）', description: 'DMA 拷贝：为本次运行的文件从磁盘读进页缓存的字节' },
  dev_xmit_bytes: { label: '交给设备', description: 'DMA：本次运行的路径设备为该连接发送的 TCP 载荷' },
  uring_sqes: { label: 'io_uring 提交的 SQE', description: '该角色的 io_uring_enter 调用提交的 io_uring 请求数（它们的返回值）：不需要各自一次系统调用的工作' },
  // Zero-copy on the receive side (issue 15, part 3).
  zerocopy_receive_bytes: {
    label: '接收时映射（TCP_ZEROCOPY_RECEIVE）',
    description: '无拷贝：getsockopt(TCP_ZEROCOPY_RECEIVE) 把套接字的页映射进接收端，在系统调用返回时从它的结果读出（tcp_zerocopy_receive 内部没有跟踪点）',
  },
  copy_encrypt_bytes: { label: '加密（kTLS）', description: 'CPU 处理：内核的软件 TLS（kTLS）加密进另一块记录缓冲区的明文（加密算法读取每个字节并写出其密文）' },
};

/** What each error of the registry means (server/core/errors.ts): the page says it in Chinese when the server's own words have no translation. */
const ERROR_ZH: Record<ErrorCode, string> = {
  ZCL_INPUT: '输入有误：下面逐项列出出错的字段和允许的值',
  ZCL_REQUEST: '请求格式有误（网址、请求头或正文编码）',
  ZCL_TOO_LARGE: '请求正文超过了上限',
  ZCL_MEDIA_TYPE: '请求正文不是 JSON',
  ZCL_NOT_FOUND: '没有这个运行、报告或路由',
  ZCL_KERNEL_UNSUPPORTED: '内核缺少该模式所需的功能（kTLS：tls 模块）：在任何准备之前就拒绝，并给出原因',
  ZCL_CONFLICT: '当前状态不允许这样做（已经结束，或已经在运行）',
  ZCL_QUEUE_FULL: '等待的运行太多了',
  ZCL_BUSY: '运行、报告和观察共用探针和机器：一个要等另一个结束',
  ZCL_TOO_MANY_WATCHES: '服务器同时观察的进程已达上限：请先停止一个观察',
  ZCL_CANCELLED: '运行已被取消',
  ZCL_STALLED: '一次运行停止了进展，已被结束',
  ZCL_INTEGRITY: '收到的字节与文件不一致',
  ZCL_CHILD: '发送端或接收端进程失败',
  ZCL_COMMAND: '一条系统命令（ip、ethtool）失败了',
  ZCL_DATA_DIR: '磁盘空间不足以放下数据文件，或 ZCL_DATA_MAX 设置有误',
  ZCL_LOCK_TIMEOUT: '另一个进程占用数据文件太久',
  ZCL_PROBES: '探针引擎失败',
  ZCL_KERNEL_VM: '内核虚拟机（zcl report --kernel）无法准备、启动，或没能跑完它的命令',
};

function derived(): Record<string, Message> {
  const out: Record<string, Message> = {};
  const put = (key: string, en: string | undefined, zh: string | undefined) => {
    if (en !== undefined && zh !== undefined) out[key] = { en, zh };
  };
  for (const [m, info] of Object.entries(MODES) as [ModeName, (typeof MODES)[ModeName]][]) {
    const z = MODE_ZH[m];
    put(`mode.${m}.summary`, info.summary, z.summary);
    put(`mode.${m}.program`, info.program, z.program);
    put(`mode.${m}.note`, info.textbook.note, z.note);
    put(`mode.${m}.switchesNote`, (info as { switchesNote?: string }).switchesNote, z.switchesNote);
    modeInfo(m).against?.forEach((a, i) => put(`mode.${m}.against.${i}`, a.shows, z.against?.[i]));
  }
  for (const [p, v] of Object.entries(PATHS) as [PathName, { summary: string }][]) put(`path.${p}`, v.summary, PATH_ZH[p]);
  put('path.veth-nosg.cpuNote', PATHS['veth-nosg'].cpuNote, VETH_NOSG_CPU_NOTE_ZH);
  for (const [p, v] of Object.entries(SINKS) as [SinkName, { summary: string }][]) put(`sink.${p}`, v.summary, SINK_ZH[p]);
  for (const [p, v] of Object.entries(CACHES) as [CacheName, { summary: string }][]) put(`cache.${p}`, v.summary, CACHE_ZH[p]);
  for (const [p, v] of Object.entries(ENGINES) as [EngineName, { summary: string }][]) put(`engine.${p}`, v.summary, ENGINE_ZH[p]);
  for (const [k, v] of Object.entries(CACHE_SUBTITLES)) put(`flow.cacheSub.${k}`, v, CACHE_SUB_ZH[k as keyof typeof CACHE_SUB_ZH]);
  for (const [k, v] of Object.entries(SINK_SUBTITLES)) put(`flow.sinkSub.${k}`, v, SINK_SUB_ZH[k as keyof typeof SINK_SUB_ZH]);
  for (const [k, v] of Object.entries(TRANSMIT)) {
    const z = TRANSMIT_ZH[k as keyof typeof TRANSMIT_ZH];
    put(`flow.transmit.${k}.label`, v.label, z.label);
    put(`flow.transmit.${k}.detail`, v.detail, z.detail);
  }
  for (const [k, v] of Object.entries(GATHER_NOTE)) put(`flow.gather.${k}`, v, GATHER_ZH[k as keyof typeof GATHER_ZH]);
  for (const [code, e] of Object.entries(ERRORS) as [ErrorCode, { what: string }][]) put(`error.${code}`, e.what, ERROR_ZH[code]);
  for (const c of COUNTERS) {
    const z = COUNTER_ZH[c.name as CounterName];
    put(`counter.${c.name}.label`, c.label, z.label);
    put(`counter.${c.name}.description`, c.description, z.description);
  }
  return out;
}

// ---------------------------------------------------------------- the page's own text

const UI: Record<string, Message> = {
  // the page
  'page.title': { en: 'zerocopy-lab: where the bytes are copied', zh: 'zerocopy-lab：字节在哪里被拷贝' },
  'lang.label': { en: 'Language', zh: '语言' },
  'conn.connecting': { en: 'connecting…', zh: '正在连接…' },
  'conn.live': { en: 'live', zh: '实时' },
  'conn.closed': { en: 'disconnected ({detail}); reconnecting…', zh: '连接断开（{detail}）；正在重连…' },
  'conn.code': { en: 'code {n}', zh: '代码 {n}' },
  'nav.sections': { en: 'sections', zh: '各部分' },
  'nav.run': { en: 'Run', zh: '运行' },
  'nav.watch': { en: 'Watch', zh: '观察' },
  'nav.reports': { en: 'Reports', zh: '报告' },
  'nav.recent': { en: 'Recent runs', zh: '最近的运行' },
  'nav.seeds': { en: "Seeds' table", zh: '文章里的表' },
  'nav.glossary': { en: 'Glossary', zh: '术语表' },
  'run.h': { en: 'Run', zh: '运行' },
  'run.loading': { en: 'loading the modes…', zh: '正在加载模式…' },
  'flow.h': { en: 'Where the bytes went', zh: '字节去了哪里' },
  'flow.noRun': { en: 'no run yet', zh: '还没有运行' },
  'charts.h': { en: 'Live, 10 samples a second', zh: '实时，每秒 10 个采样' },
  'charts.sub': {
    en: 'Rates between two samples. The time axis fits the run: 0 to its duration on a timed run, else 0 to the latest sample. A run\'s curves stay until the next one starts.',
    zh: '两次采样之间的速率。时间轴随运行而定：定时运行从 0 到其时长，否则从 0 到最新的采样。一次运行的曲线会保留到下一次运行开始。',
  },
  'watch.h': { en: 'Watch a running program', zh: '观察一个正在运行的程序' },
  'watch.sub': {
    en: 'Programs the lab did not start (a web server, a Java or Python service): pick one or several, and see what their sends cost, CPU-copied or passed by reference, measured by the same probes. While a watch runs, no run or report starts (they share the probes).',
    zh: '不是由实验室启动的程序（Web 服务器、Java 或 Python 服务）：选一个或几个，看它们的发送代价如何——是 CPU 拷贝还是按引用传递，由同样的探针测量。观察进行时，不能开始运行或报告（它们共用探针）。',
  },
  'loading': { en: 'loading…', zh: '正在加载…' },
  'reports.h': { en: 'Reports', zh: '报告' },
  'reports.sub.html': {
    en: 'A scenario matrix (<code>scenarios/*.json</code>) run here, as <code>zcl report</code> does: every cell, repeated, interleaved; written as report.html, report.md, results.json and results.csv. While a report runs no run starts, and the reverse: they share the probes and the machine.',
    zh: '在这里运行一个场景矩阵（<code>scenarios/*.json</code>），与 <code>zcl report</code> 相同：每个单元格重复多次、交错进行；写成 report.html、report.md、results.json 和 results.csv。报告运行时不能开始运行，反之亦然：它们共用探针和机器。',
  },
  'reports.loading': { en: 'loading the scenarios…', zh: '正在加载场景…' },
  'compare.h': { en: 'Recent runs, per MiB moved (sender)', zh: '最近的运行，每传送 1 MiB（发送端）' },
  'compare.sub': {
    en: 'Click a run to show its final counts in the diagram. CPU-copied MiB per MiB moved: 1 means the CPU copied every byte once.',
    zh: '点击一次运行，在图中显示它的最终计数。每传送 1 MiB 中 CPU 拷贝的 MiB 数：1 表示 CPU 把每个字节拷贝了一次。',
  },
  'seeds.h': { en: "The seeds' table: textbook beside measurement", zh: '文章里的表：教科书与实测并列' },
  'seeds.note': {
    en: 'The articles\' "context switches" are user/kernel mode switches: every syscall enters the kernel and returns, two switches, so the lab counts them as syscalls × 2 (4 per chunk for read() + write(), 2 for sendfile()). The "ctx sw" column is the scheduler\'s context switches (the thread taken off the CPU), which the articles do not count. One row per mode and path it was measured on.',
    zh: '文章里说的“上下文切换”其实是用户态/内核态切换：每次系统调用进入内核再返回，就是两次切换，所以实验室按“系统调用次数 × 2”来计（read() + write() 每块 4 次，sendfile() 2 次）。“ctx sw”一栏是调度器的上下文切换（线程被从 CPU 上换下），文章并不计算它。每个模式在测过的每条路径上各占一行。',
  },
  'about.sources': { en: 'Counters and their sources on this kernel', zh: '计数器及其在本内核上的来源' },

  // glossary
  'glossary.h': { en: 'Glossary', zh: '术语表' },
  'glossary.sub': { en: 'Each term once, in both languages: the words the seed articles use, and what the lab measures for them.', zh: '每个术语各解释一次，中英对照：文章里用的词，以及实验室为它们测量的是什么。' },
  'glossary.term': { en: 'term', zh: '术语' },
  'glossary.english': { en: 'English', zh: 'English' },
  'glossary.chinese': { en: '中文', zh: '中文' },

  // banner
  'banner.engine': { en: 'engine {name}', zh: '引擎 {name}' },
  'banner.engineAlso': { en: 'engine {name} (also: {others})', zh: '引擎 {name}（另有：{others}）' },
  'banner.probesOk': { en: 'probes ok · tier {tier}', zh: '探针正常 · 层级 {tier}' },
  'banner.probes': { en: 'probes {status}', zh: '探针 {status}' },
  'banner.kernel': { en: 'kernel {k}', zh: '内核 {k}' },
  'banner.programs': { en: '{a}/{n} programs', zh: '{a}/{n} 个程序' },
  'banner.missing1': { en: '1 thing missing: some figures will read n/a', zh: '缺少 1 项：部分数字会显示为 n/a' },
  'banner.missingN': { en: '{n} things missing: some figures will read n/a', zh: '缺少 {n} 项：部分数字会显示为 n/a' },
  'banner.fix': { en: ' fix: {fix}', zh: ' 解决办法：{fix}' },
  'sources.source': { en: 'source: {s}', zh: '来源：{s}' },
  'sources.none': { en: 'no source', zh: '没有来源' },
  'sources.noneWhy': { en: 'no source: {why}', zh: '没有来源：{why}' },
  'sources.item': { en: ' ({unit}): {description}. ', zh: '（{unit}）：{description}。' },
  'unit.calls': { en: 'calls', zh: '调用' },
  'unit.switches': { en: 'switches', zh: '切换' },
  'unit.faults': { en: 'faults', zh: '缺页' },
  'unit.bytes': { en: 'bytes', zh: '字节' },
  'unit.sqes': { en: 'sqes', zh: 'SQE' },
  'fatal.token': { en: 'this server needs its token: open the URL `zcl serve` printed (it ends in ?token=…)', zh: '这个服务器需要令牌：请打开 `zcl serve` 打印的网址（以 ?token=… 结尾）' },
  'fatal.api': { en: "cannot reach the lab's API: {msg}", zh: '无法访问实验室的 API：{msg}' },

  // the run form
  'field.mode': { en: 'mode', zh: '模式' },
  'field.path': { en: 'path', zh: '路径' },
  'field.sink': { en: 'sink', zh: '接收端' },
  'field.size': { en: 'size', zh: '大小' },
  'field.chunk': { en: 'chunk', zh: '块大小' },
  'field.cache': { en: 'cache', zh: '缓存' },
  'field.engine': { en: 'engine', zh: '引擎' },
  'field.duration': { en: 'duration', zh: '时长' },
  'field.rate': { en: 'rate', zh: '速率' },
  'form.program': { en: '{summary} (program: {program})', zh: '{summary}（程序：{program}）' },
  'form.chunkHint': { en: 'bytes per syscall; empty: {d}, or the size if smaller', zh: '每次系统调用的字节数；留空：{d}，若文件更小则取文件大小' },
  'form.chunkHintRange': { en: 'bytes per syscall; empty: {d}, or the size if smaller; {a} to {b}', zh: '每次系统调用的字节数；留空：{d}，若文件更小则取文件大小；{a} 到 {b}' },
  'form.sizeHint': { en: 'e.g. 64MiB, 1GiB; empty: {d}', zh: '例如 64MiB、1GiB；留空：{d}' },
  'form.sizeHintRange': { en: 'e.g. 64MiB, 1GiB; empty: {d}; {a} to {b}', zh: '例如 64MiB、1GiB；留空：{d}；{a} 到 {b}' },
  'form.rangePlain': { en: '{a} to {b}', zh: '{a} 到 {b}' },
  'form.durationWhat': { en: 'seconds to keep sending (the file again and again)', zh: '持续发送的秒数（一遍又一遍地发送文件）' },
  'form.rateWhat': { en: 'bandwidth cap (paced)', zh: '带宽上限（限速）' },
  'form.timedHint': { en: '{what}, in {unit}; empty or {empty}; {range}', zh: '{what}，单位 {unit}；留空或 {empty}；{range}' },
  'form.emptyOnePass': { en: '0: one pass of the file', zh: '0：文件只发送一遍' },
  'form.emptyUnlimited': { en: '0: unlimited', zh: '0：不限速' },
  'form.disabled': { en: 'disabled: {mode} is an app mode, and {field} is not for {notFor}', zh: '已禁用：{mode} 是应用模式，{field} 不适用于{notFor}' },
  'form.notForDuration': { en: 'app modes (real programs send the file once)', zh: '应用模式（真实程序只发送一遍文件）' },
  'form.notForRate': { en: 'app modes (real programs send at their own pace)', zh: '应用模式（真实程序按自己的节奏发送）' },
  'form.egDuration': { en: 'e.g. 10s', zh: '例如 10s' },
  'form.egRate': { en: 'e.g. 8MiB/s', zh: '例如 8MiB/s' },
  'form.start': { en: 'Start run', zh: '开始运行' },
  'form.cancel': { en: 'Cancel', zh: '取消' },
  'form.all': { en: 'Run every mode', zh: '运行所有模式' },
  'form.allTitle': { en: 'queue one run of every mode with these settings (for the compare view)', zh: '按这些设置把每个模式各排队运行一次（用于对比）' },
  'form.tip': {
    en: 'Full-speed runs of a few hundred MiB end in well under a second. To watch one live, give it a duration (e.g. 10s: the file is sent again and again) and a rate (e.g. 8MiB/s).',
    zh: '几百 MiB 的全速运行不到一秒就结束了。想实时观看，请设置时长（例如 10s：文件会一遍又一遍地发送）和速率（例如 8MiB/s）。',
  },
  'form.idle': { en: 'idle', zh: '空闲' },
  'form.idlePick': { en: 'idle: pick a mode and press Start', zh: '空闲：选择一个模式，然后点“开始运行”' },
  'phase.preparing': { en: 'preparing the file and its cache state', zh: '正在准备文件及其缓存状态' },
  'phase.starting': { en: 'starting the sender and the sink', zh: '正在启动发送端和接收端' },
  'phase.running': { en: 'running', zh: '运行中' },
  'phase.finishing': { en: 'checking what arrived', zh: '正在核对收到的数据' },
  'run.what': { en: '{mode} over {path}, {size}', zh: '{mode}，经 {path}，{size}' },
  'run.whatForAt': { en: '{mode} over {path}, {size} for {s} s at {r}/s', zh: '{mode}，经 {path}，{size}，持续 {s} 秒，速率 {r}/s' },
  'run.whatFor': { en: '{mode} over {path}, {size} for {s} s', zh: '{mode}，经 {path}，{size}，持续 {s} 秒' },
  'run.whatAt': { en: '{mode} over {path}, {size} at {r}/s', zh: '{mode}，经 {path}，{size}，速率 {r}/s' },
  'run.doneTimed': { en: '{t} s of {d} s, {b} sent', zh: '{t} 秒 / {d} 秒，已发送 {b}' },
  'run.doneBytes': { en: '{a} of {b}', zh: '{a} / {b}' },
  'run.waiting': { en: '{n} waiting', zh: '{n} 个在等待' },
  'run.mibps': { en: '{n} MiB/s', zh: '{n} MiB/s' },
  'run.cpu': { en: '{n} CPU s/GiB', zh: '每 GiB {n} CPU 秒' },
  'run.queued': { en: 'queued: {what}', zh: '排队中：{what}' },
  'run.finished': { en: 'finished: {what}', zh: '已完成：{what}' },
  'run.failed': { en: 'failed: {what}', zh: '失败：{what}' },
  'run.interrupted': { en: 'interrupted: {what}', zh: '被中断：{what}' },
  'run.cancelled': { en: 'cancelled: {what}', zh: '已取消：{what}' },
  'run.blocked': {
    en: 'Report {name} is running: runs can start when it ends or is cancelled (they share the probes and the machine).',
    zh: '报告 {name} 正在运行：等它结束或被取消后才能开始运行（它们共用探针和机器）。',
  },
  'run.short': {
    en: 'This run moved its bytes in {ms} ms: shorter than a few 100 ms ticks, so the live charts have little or nothing to draw. Its final counts are in the diagram and the tables below. To watch a run live, give it a duration (e.g. 10s: the file is sent again and again) and a rate (e.g. 8MiB/s).',
    zh: '这次运行只用了 {ms} 毫秒就传完了：不到几个 100 毫秒的采样间隔，所以实时图表几乎没有可画的。它的最终计数在图和下面的表里。想实时观看一次运行，请设置时长（例如 10s：文件会一遍又一遍地发送）和速率（例如 8MiB/s）。',
  },

  // the flow title
  'flow.title': { en: '{mode} over {path}, {size} in {chunk} chunks, {cache} cache, {sink} sink: {how}', zh: '{mode}，经 {path}，{size}，每块 {chunk}，{cache} 缓存，{sink} 接收端：{how}' },
  'flow.textbook1': { en: 'textbook: {note} ({n} CPU copy per byte, {m} mode switches per chunk)', zh: '教科书：{note}（每字节 {n} 次 CPU 拷贝，每块 {m} 次用户态/内核态切换）' },
  'flow.textbookN': { en: 'textbook: {note} ({n} CPU copies per byte, {m} mode switches per chunk)', zh: '教科书：{note}（每字节 {n} 次 CPU 拷贝，每块 {m} 次用户态/内核态切换）' },
  'how.measured': { en: 'measured', zh: '实测' },
  'how.live': { en: 'live', zh: '实时' },
  'flow.missed': {
    en: 'The kernel skipped {n} probe events in this run (a probe fired while another was running on the same CPU): the counts those events feed can be short by what they carried, the bytes to the device most often.',
    zh: '本次运行中内核跳过了 {n} 个探针事件（同一 CPU 上另一个探针正在运行时又触发了探针）：这些事件所计入的计数可能因此偏少，最常见的是发往设备的字节数。',
  },
  'how.finished': { en: 'finished, final counts', zh: '已完成，最终计数' },
  'how.latest': { en: 'latest run, final counts', zh: '最近一次运行，最终计数' },
  'how.selected': { en: 'selected run, final counts', zh: '选中的运行，最终计数' },
  'how.failed': { en: 'failed', zh: '失败' },
  'how.cancelled': { en: 'cancelled', zh: '已取消' },
  'how.probes': { en: 'probes {status}', zh: '探针 {status}' },
  'how.report': { en: 'live, report {name}, run {i} of {n}', zh: '实时，报告 {name}，第 {i} 次运行，共 {n} 次' },

  // the flow diagram (server/view/flow.ts, flow-svg.ts)
  'flow.box.disk': { en: 'disk', zh: '磁盘' },
  'flow.box.file': { en: 'the file', zh: '该文件' },
  'flow.box.files': { en: 'its files', zh: '它的文件' },
  'flow.box.pagecache': { en: 'page cache', zh: '页缓存' },
  'flow.box.kernelMemory': { en: 'kernel memory', zh: '内核内存' },
  'flow.box.userMapping': { en: 'user mapping', zh: '用户映射区' },
  'flow.box.userBuffer': { en: 'user buffer', zh: '用户缓冲区' },
  'flow.box.programBuffers': { en: "the program's buffers", zh: '程序的缓冲区' },
  'flow.box.mapped': { en: 'page cache, mapped', zh: '映射的页缓存' },
  'flow.box.readInto': { en: 'read() into it', zh: 'read() 读入' },
  'flow.box.nodeBuffer': { en: 'a Node Buffer', zh: '一个 Node Buffer' },
  'flow.box.notUsed': { en: 'not used', zh: '未使用' },
  'flow.box.socket': { en: 'socket buffer', zh: '套接字缓冲区' },
  'flow.box.tcpSockets': { en: 'its TCP sockets', zh: '它的 TCP 套接字' },
  'flow.box.senderTcp': { en: 'sender TCP', zh: '发送端 TCP' },
  'flow.box.device': { en: 'device', zh: '设备' },
  'flow.box.anyDevice': { en: 'any device', zh: '任意设备' },
  'flow.box.pathDevice': { en: "the path's device", zh: '路径上的设备' },
  'flow.box.receiver': { en: 'receiver', zh: '接收方' },
  'flow.box.peers': { en: 'its peers (not watched)', zh: '它的对端（未观察）' },
  'flow.box.sink': { en: 'the sink', zh: '接收端' },
  'flow.box.sg': { en: '{dev}, SG {onoff}', zh: '{dev}，SG {onoff}' },
  'onoff.on': { en: 'on', zh: '开' },
  'onoff.off': { en: 'off', zh: '关' },
  'flow.arrow.dma': { en: 'DMA', zh: 'DMA 拷贝' },
  'flow.arrow.dmaDetail': { en: 'DMA: the disk controller writes the file into the page cache (cache cold)', zh: 'DMA 拷贝：磁盘控制器把文件写进页缓存（冷缓存时）' },
  'flow.arrow.cpu': { en: 'CPU copy', zh: 'CPU 拷贝' },
  'flow.arrow.fileToUser': { en: 'CPU copy: page cache -> user buffer (read() of the file)', zh: 'CPU 拷贝：页缓存 -> 用户缓冲区（对文件的 read()）' },
  'flow.arrow.mapped': { en: 'mapped,', zh: '映射，' },
  'flow.arrow.noCopy': { en: 'no copy', zh: '无拷贝' },
  'flow.arrow.mappedDetail': { en: "the mapping is the page cache: its pages appear in the sender's address space, nothing is copied", zh: '映射区就是页缓存：它的页出现在发送端的地址空间里，没有任何拷贝' },
  'flow.arrow.pinned': { en: 'pinned, by ref.', zh: '锁定页，按引用' },
  'flow.arrow.pinnedDetail': { en: 'by reference: user pages pinned and sent (MSG_ZEROCOPY)', zh: '按引用：用户页被锁定后发送（MSG_ZEROCOPY）' },
  'flow.arrow.copiedAfterAll': { en: 'copied after all', zh: '最终仍被拷贝' },
  'flow.arrow.copiedDetail': { en: 'CPU copy: MSG_ZEROCOPY bytes the kernel reported copied after all (SO_EE_CODE_ZEROCOPY_COPIED)', zh: 'CPU 拷贝：内核报告最终还是拷贝了的 MSG_ZEROCOPY 字节（SO_EE_CODE_ZEROCOPY_COPIED）' },
  'flow.arrow.userToSocket': { en: 'CPU copy: user buffer (or mapping) -> socket buffer (write()/send())', zh: 'CPU 拷贝：用户缓冲区（或映射区）-> 套接字缓冲区（write()/send()）' },
  'flow.arrow.pagesRef': { en: 'pages by reference', zh: '按引用传页' },
  'flow.arrow.pagesRefDetail': { en: 'by reference: page-cache pages handed to the socket (sendfile, splice)', zh: '按引用：页缓存的页交给套接字（sendfile、splice）' },
  'flow.arrow.encrypt': { en: 'CPU pass (encrypt)', zh: 'CPU 处理（加密）' },
  'flow.arrow.encryptDetail': { en: 'CPU pass: kTLS encrypts the plaintext into a record buffer of the socket (the ciphertext goes on by reference)', zh: 'CPU 处理：kTLS 把明文加密进套接字的记录缓冲区（密文随后按引用传递）' },
  'flow.arrow.inclRetx': { en: '{detail}; it includes what TCP retransmitted', zh: '{detail}；其中包括 TCP 重传的部分' },
  'flow.arrow.receiveMapped': { en: 'mapped, by ref.', zh: '映射，按引用' },
  'flow.arrow.receiveMappedDetail': { en: 'by reference: whole socket pages mapped into the receiver (TCP_ZEROCOPY_RECEIVE), no copy', zh: '按引用：套接字的整页被映射进接收方（TCP_ZEROCOPY_RECEIVE），没有拷贝' },
  'flow.arrow.linearize': { en: 'CPU copy (linearize)', zh: 'CPU 拷贝（线性化）' },
  'flow.arrow.linearizeDetail': { en: 'CPU copy: payload copied into linear packets for a device without scatter-gather', zh: 'CPU 拷贝：为没有分散/聚集的设备，把载荷拷贝进线性数据包' },
  'flow.arrow.receiveDetail': { en: "CPU copy: the receiver's socket buffer -> its user buffer (read and copy sinks; zerocopy-receive: what it could not map; discard and splice sinks: none)", zh: 'CPU 拷贝：接收方的套接字缓冲区 -> 它的用户缓冲区（read 和 copy 接收端；zerocopy-receive：它没能映射的部分；discard 和 splice 接收端没有这一步）' },
  'flow.counterLine': { en: '{detail}\ncounter: {c}', zh: '{detail}\n计数器：{c}' },
  'flow.aria': { en: 'where the bytes went in {mode}: the measured flow diagram', zh: '{mode} 中字节的去向：实测数据流图' },
  'flow.ariaWatch': { en: "where the watched processes' bytes went: the measured flow diagram", zh: '被观察进程的字节去向：实测数据流图' },
  'flow.ariaMode': { en: 'data flow of {mode}', zh: '{mode} 的数据流' },
  'legend.cpu': { en: 'CPU copy', zh: 'CPU 拷贝' },
  'legend.dma': { en: 'DMA, or handed to the device (lo and veth pass packets on in memory; a real NIC reads them by DMA)', zh: 'DMA 拷贝，或交给设备（lo 与 veth 在内存里传递数据包；真实网卡用 DMA 读取）' },
  'legend.ref': { en: 'no copy: pages passed by reference', zh: '无拷贝：按引用传页' },
  'legend.none': { en: 'to the receiver; or not measured', zh: '到接收方；或未测量' },
  'legend.idle': { en: 'an arrow that carried nothing is not drawn', zh: '没有传送任何数据的箭头不画出' },
  'flow.switchNote.strong': { en: 'Mode switches: ', zh: '用户态/内核态切换：' },
  'flow.switchNote': {
    en: 'the articles\' "context switches" (4 per chunk for read/write, 2 for sendfile) are user/kernel mode switches. Each syscall makes two (into the kernel and back), so the lab counts them as syscalls × 2, drawn above. The "ctx sw" columns in the tables are something else: the scheduler\'s context switches (the thread taken off the CPU).',
    zh: '文章里的“上下文切换”（read/write 每块 4 次，sendfile 2 次）是用户态/内核态切换。每次系统调用产生两次（进入内核，再返回），所以实验室按“系统调用次数 × 2”计数，画在上方。表格里的“ctx sw”各栏是另一回事：调度器的上下文切换（线程被从 CPU 上换下）。',
  },
  'flow.gatherNote.strong': { en: '"DMA gather" here: ', zh: '这里的“DMA gather”：' },
  'flow.th.arrow': { en: 'arrow', zh: '箭头' },
  'flow.th.counter': { en: 'counter', zh: '计数器' },
  'flow.th.bytes': { en: 'bytes', zh: '字节' },
  'flow.th.per': { en: 'per byte moved', zh: '每传送 1 字节' },
  'flow.th.perTitle': { en: 'bytes on the arrow / bytes the sender moved', zh: '箭头上的字节数 / 发送端传送的字节数' },
  'flow.noSource': { en: 'no source', zh: '没有来源' },
  'flow.inclRetx': { en: '{a} incl. {b} retx.', zh: '{a}，含重传 {b}' },
  'flow.inclRetransmitted': { en: '{a}, incl. {b} retransmitted', zh: '{a}，其中重传 {b}' },
  'flow.copies': { en: 'CPU copies per byte: {n}', zh: '每字节 CPU 拷贝：{n}' },
  'flow.copiesSoFar': { en: 'CPU copies per byte so far: ≈{n}', zh: '目前每字节 CPU 拷贝：≈{n}' },
  'flow.copiesTb': { en: '{a} (textbook {b})', zh: '{a}（教科书 {b}）' },
  'flow.copiesTbTerms': { en: '{a} (textbook {b}): {terms}', zh: '{a}（教科书 {b}）：{terms}' },
  'flow.copiesNotMeasured': { en: 'CPU copies per byte: not measured (a copy counter has no source)', zh: '每字节 CPU 拷贝：未测量（某个拷贝计数器没有来源）' },
  'flow.toDevice': { en: 'to device {x}', zh: '交给设备 {x}' },
  'short.fileToUser': { en: 'file → user {n}', zh: '文件 → 用户 {n}' },
  'short.userToSocket': { en: 'user → socket {n}', zh: '用户 → 套接字 {n}' },
  'short.linearize': { en: 'linearize {n}', zh: '线性化 {n}' },
  'short.copiedAfterAll': { en: 'copied after all {n}', zh: '最终仍被拷贝 {n}' },
  'short.socketToUser': { en: 'socket → user {n}', zh: '套接字 → 用户 {n}' },
  'sys.notMeasured': { en: 'syscalls: not measured', zh: '系统调用：未测量' },
  'sys.call': { en: '{name}() × {n}', zh: '{name}() × {n}' },
  'sys.once': { en: '{name}() × {n} (once)', zh: '{name}() × {n}（一次）' },
  'sys.line': { en: '{terms} = {n} mode switches per chunk ({c} chunks; 2 per syscall; textbook {tb})', zh: '{terms} = 每块 {n} 次用户态/内核态切换（共 {c} 块；每次系统调用 2 次；教科书 {tb}）' },
  'sys.line1': { en: '{terms} = {n} mode switches per chunk ({c} chunk; 2 per syscall; textbook {tb})', zh: '{terms} = 每块 {n} 次用户态/内核态切换（共 {c} 块；每次系统调用 2 次；教科书 {tb}）' },
  'sys.lineNoTb': { en: '{terms} = {n} mode switches per chunk ({c} chunks; 2 per syscall)', zh: '{terms} = 每块 {n} 次用户态/内核态切换（共 {c} 块；每次系统调用 2 次）' },
  'report.sysLineNearest': { en: '{line}, the run nearest the median', zh: '{line}，取最接近中位数的那次运行' },
  'spread.prefix': { en: ': {x}', zh: '：{x}' },
  'spread.wide': { en: 'wide spread: {what}', zh: '波动大：{what}' },
  'spread.cpu': { en: 'sender CPU {range} s/GiB ({ratio})', zh: '发送端 CPU {range} s/GiB（{ratio}）' },
  'spread.throughput': { en: 'throughput {range} MiB/s ({ratio})', zh: '吞吐量 {range} MiB/s（{ratio}）' },
  'spread.fromZero': { en: 'from 0', zh: '最低为 0' },
  'spread.busy': { en: '{k} of {n} runs on a busy machine, the busiest run {rep}: {why}', zh: '{n} 次运行中有 {k} 次机器繁忙，最忙的是第 {rep} 次：{why}' },
  'spread.quiet': { en: "the machine was quiet in every run (steal and other work under the flags' limits): the spread is the runs' own", zh: '每次运行时机器都很空闲（steal 和其他负载都低于标记的界限）：波动来自运行本身' },
  'spread.unrecorded': { en: "the machine's load was not recorded", zh: '没有记录机器的负载' },
  'spread.short': { en: 'runs under 1 s: time them (duration) for steadier CPU figures', zh: '运行不到 1 秒：给运行定时（duration），CPU 数字会更稳定' },
  'machine.steal': { en: '{pct}% steal', zh: 'steal 占 {pct}%' },
  'machine.other': { en: 'other work used {x} of {n} CPUs', zh: '其他负载占用了 {n} 个 CPU 中的 {x} 个' },
  'spread.rule': {
    en: 'A cell\'s spread is wide when its highest run is more than {limit}× its lowest in sender CPU per GiB or in throughput; its median then says little. "machine" is the whole machine while each run ran (/proc/stat at the go and at the end): steal is the share of CPU time the hypervisor gave to other guests, other work the CPUs\' worth of busy time not charged to the run\'s sender and sink (other processes, interrupts, the lab itself). A run is called busy at {steal}% steal or {other} CPU of other work.',
    zh: '一个单元格里最高的一次运行超过最低的一次的 {limit} 倍（发送端每 GiB 的 CPU 或吞吐量）时，就算波动大，这时它的中位数说明不了多少。“machine” 指每次运行期间的整台机器（运行开始和结束时各读一次 /proc/stat）：steal 是虚拟机监控程序分给其他虚拟机的 CPU 时间占比，“其他负载”是没有算在本次运行的发送端和接收端头上的繁忙时间，折合成 CPU 个数（其他进程、中断、实验室自身）。steal 达到 {steal}% 或其他负载达到 {other} 个 CPU 时，这次运行就算机器繁忙。',
  },
  'report.spreadHeading': { en: 'Figures to read with care', zh: '需要谨慎看待的数字' },
  'report.colSteal': { en: 'machine: steal %', zh: '机器：steal %' },
  'report.colOther': { en: 'machine: other work, CPUs', zh: '机器：其他负载（CPU 个数）' },
  'report.colSpread': { en: 'spread', zh: '波动' },
  'sys.lineNoN': { en: '{terms} ({c} chunks; 2 per syscall; textbook {tb})', zh: '{terms}（共 {c} 块；每次系统调用 2 次；教科书 {tb}）' },
  'sys.lineNoNTb': { en: '{terms} ({c} chunks; 2 per syscall)', zh: '{terms}（共 {c} 块；每次系统调用 2 次）' },
  'sys.plus': { en: '{a} + {b}', zh: '{a} + {b}' },

  // charts (server/view/charts.ts, dashboard/lib/charts.js)
  'chart.throughput': { en: 'Throughput (bytes the sender moved)', zh: '吞吐量（发送端传送的字节）' },
  'chart.copies': { en: 'CPU-copied bytes/s, by path (stacked: the top is the total)', zh: '每秒 CPU 拷贝的字节，按路径（堆叠：顶部为总和）' },
  'chart.syscalls': { en: 'Syscalls/s (each is 2 mode switches)', zh: '每秒系统调用（每次是 2 次用户态/内核态切换）' },
  'chart.ctx': { en: "Context switches/s (the scheduler's, not mode switches)", zh: '每秒上下文切换（调度器的，不是用户态/内核态切换）' },
  'chart.faults': { en: 'Page faults/s', zh: '每秒缺页' },
  'chart.watchBytes': { en: 'Bytes/s: CPU-copied (solid lines) vs passed by reference, no copy (dashed)', zh: '每秒字节：CPU 拷贝（实线）与按引用传递、无拷贝（虚线）' },
  'chart.watchSyscalls': { en: 'Syscalls/s of the watched processes (each is 2 mode switches)', zh: '被观察进程的每秒系统调用（每次是 2 次用户态/内核态切换）' },
  'series.sender': { en: 'sender', zh: '发送端' },
  'series.sink': { en: 'sink', zh: '接收端' },
  'series.role': { en: '{role}: {label}', zh: '{role}：{label}' },
  'series.cUserSocket': { en: 'copied: user -> socket', zh: '拷贝：用户 -> 套接字' },
  'series.cFileUser': { en: 'copied: file -> user', zh: '拷贝：文件 -> 用户' },
  'series.cLinearized': { en: 'copied: linearized at transmit', zh: '拷贝：发送时线性化' },
  'series.cZcAfterAll': { en: 'copied: MSG_ZEROCOPY after all', zh: '拷贝：MSG_ZEROCOPY 最终仍被拷贝' },
  'series.refPages': { en: 'by reference: pages (sendfile, splice)', zh: '按引用：页（sendfile、splice）' },
  'series.refPinned': { en: 'by reference: pinned (MSG_ZEROCOPY)', zh: '按引用：锁定页（MSG_ZEROCOPY）' },
  'unit.callsPerS': { en: 'calls/s', zh: '次调用/秒' },
  'unit.switchesPerS': { en: 'switches/s', zh: '次切换/秒' },
  'unit.faultsPerS': { en: 'faults/s', zh: '次缺页/秒' },
  'unit.syscallsPerS': { en: 'syscalls/s', zh: '次系统调用/秒' },
  'axis.run': { en: 'time since the run started (s)', zh: '自运行开始的时间（秒）' },
  'axis.watch': { en: 'time since the watch began (s)', zh: '自观察开始的时间（秒）' },
  'axis.each': { en: 'time since each run started (s)', zh: '自各次运行开始的时间（秒）' },
  'overlay.throughput': { en: 'throughput (bytes the sender moved)', zh: '吞吐量（发送端传送的字节）' },
  'overlay.copied': { en: 'CPU-copied bytes/s (sender: every copy path)', zh: '每秒 CPU 拷贝的字节（发送端：所有拷贝路径）' },
  'overlay.syscalls': { en: 'syscalls/s of the sender (each is 2 mode switches)', zh: '发送端每秒系统调用（每次是 2 次用户态/内核态切换）' },
  'overlay.label': { en: 'Latest runs of different modes, same axes: ', zh: '不同模式最近的运行，同一坐标轴：' },
  'overlay.aria': { en: 'the latest runs of different modes, one line per run', zh: '不同模式最近的运行，每次运行一条线' },
  'overlay.title': { en: 'Latest runs, one line per run: {m}', zh: '最近的运行，每次运行一条线：{m}' },
  'overlay.line': { en: '{mode} over {path}', zh: '{mode}，经 {path}' },
  'overlay.lineRate': { en: '{mode} over {path}, at {r} MiB/s', zh: '{mode}，经 {path}，速率 {r} MiB/s' },

  // the compare table
  'th.time': { en: 'time', zh: '时间' },
  'th.mode': { en: 'mode', zh: '模式' },
  'th.engine': { en: 'engine', zh: '引擎' },
  'th.engineTitle': { en: 'the probe engine that measured the run', zh: '测量这次运行的探针引擎' },
  'th.path': { en: 'path', zh: '路径' },
  'th.sink': { en: 'sink', zh: '接收端' },
  'th.size': { en: 'size', zh: '大小' },
  'th.chunk': { en: 'chunk', zh: '块大小' },
  'th.cache': { en: 'cache', zh: '缓存' },
  'th.mibps': { en: 'MiB/s', zh: 'MiB/s' },
  'th.mibpsTitle': { en: 'sender throughput', zh: '发送端吞吐量' },
  'th.cpu': { en: 'CPU s/GiB', zh: 'CPU 秒/GiB' },
  'th.cpuTitle': { en: "sender CPU seconds per GiB moved (netperf's service demand)", zh: '发送端每传送 1 GiB 耗用的 CPU 秒数（即 netperf 的 service demand）' },
  'th.copied': { en: 'CPU-copied MiB/MiB', zh: 'CPU 拷贝 MiB/MiB' },
  'th.copiedTitle': { en: 'bytes the CPU copied per byte moved (sender): per MiB moved, the MiB the CPU copied; 1 = every byte copied once', zh: '每传送 1 字节 CPU 拷贝的字节数（发送端）：每传送 1 MiB，CPU 拷贝了多少 MiB；1 = 每个字节拷贝一次' },
  'th.syscalls': { en: 'syscalls/MiB', zh: '系统调用/MiB' },
  'th.syscallsTitle': { en: 'syscalls per MiB (sender); each syscall is 2 user/kernel mode switches, the articles\' "context switches"', zh: '每 MiB 的系统调用次数（发送端）；每次系统调用是 2 次用户态/内核态切换，即文章里的“上下文切换”' },
  'th.ctx': { en: 'ctx sw/MiB (scheduler)', zh: 'ctx sw/MiB（调度器）' },
  'th.ctxTitle': { en: 'the scheduler\'s context switches per MiB (sender): the thread taken off the CPU; not the articles\' "context switches", which are mode switches (syscalls × 2)', zh: '每 MiB 调度器的上下文切换（发送端）：线程被从 CPU 上换下；不是文章里的“上下文切换”，后者是用户态/内核态切换（系统调用 × 2）' },
  'th.xmit': { en: 'to device (incl. retransmitted)', zh: '交给设备（含重传）' },
  'th.xmitTitle': { en: 'bytes the device transmitted (sender), including what TCP retransmitted', zh: '设备发送的字节（发送端），包括 TCP 重传的部分' },
  'th.textbook': { en: 'textbook', zh: '教科书' },
  'compare.rowTitle': { en: 'show this run in the flow diagram', zh: '在数据流图中显示这次运行' },
  'th.origin': { en: 'from', zh: '来源' },
  'th.originTitle': { en: 'who ran it: this dashboard (or the API), zcl run on the command line, or a report (read-only)', zh: '由谁运行：本仪表盘（或 API）、命令行上的 zcl run，或某个报告（只读）' },
  'origin.dashboard': { en: 'dashboard', zh: '仪表盘' },
  'origin.cli': { en: 'CLI', zh: '命令行' },
  'origin.report': { en: 'report', zh: '报告' },
  'origin.reportTitle': { en: 'report directory: {id}', zh: '报告目录：{id}' },
  'compare.copiedTitle': { en: '{n} bytes copied per MiB moved', zh: '每传送 1 MiB 拷贝 {n} 字节' },
  'compare.empty': { en: 'No finished runs yet: start one, or press "Run every mode".', zh: '还没有完成的运行：开始一次，或点“运行所有模式”。' },
  'compare.noProbes': { en: 'no probes', zh: '无探针' },
  'verdict.matches': { en: 'matches', zh: '相符' },
  'verdict.differs': { en: 'differs', zh: '不符' },
  'verdict.unmeasured': { en: 'unmeasured', zh: '未测量' },
  'verdict.notRun': { en: 'not run yet', zh: '尚未运行' },
  'verdict.refused': { en: 'refused on this kernel', zh: '此内核拒绝运行' },
  'status.ok': { en: 'ok', zh: '正常' },
  'status.unavailable': { en: 'unavailable', zh: '不可用' },
  'status.absent': { en: 'absent', zh: '缺失' },

  // the seeds' table
  'seeds.th.tbPath': { en: 'textbook path', zh: '教科书中的路径' },
  'seeds.th.copiesTb': { en: 'CPU copies / byte: textbook', zh: '每字节 CPU 拷贝：教科书' },
  'seeds.th.measured': { en: 'measured', zh: '实测' },
  'seeds.th.switchesTb': { en: 'mode switches / chunk ("context switches"): textbook', zh: '每块用户态/内核态切换（文章所说的“上下文切换”）：教科书' },
  'seeds.th.switchesTbTitle': { en: 'the articles\' "context switches": user/kernel mode switches, 2 per syscall', zh: '文章里的“上下文切换”：用户态/内核态切换，每次系统调用 2 次' },
  'seeds.th.switchesMeasured': { en: 'measured (syscalls × 2)', zh: '实测（系统调用 × 2）' },
  'seeds.th.switchesMeasuredTitle': { en: 'syscalls per chunk × 2, counted by the probes', zh: '每块系统调用次数 × 2，由探针计数' },
  'seeds.th.ctx': { en: 'ctx sw / chunk (scheduler)', zh: 'ctx sw / 块（调度器）' },
  'seeds.th.ctxTitle': { en: 'the scheduler\'s context switches per chunk: a different thing from the articles\' "context switches"', zh: '每块调度器的上下文切换：与文章里的“上下文切换”不是一回事' },
  'seeds.th.verdict': { en: 'verdict', zh: '结论' },
  'seeds.th.why': { en: 'why (when it differs)', zh: '原因（不同时）' },
  'seeds.th.latest': { en: 'latest run there', zh: '该路径上最近一次运行' },
  'seeds.latest': { en: '{path}, {size}, chunk {chunk}', zh: '{path}，{size}，每块 {chunk}' },
  'seeds.latestPasses': { en: '{path}, {size}, chunk {chunk}, {n} passes', zh: '{path}，{size}，每块 {chunk}，共 {n} 遍' },

  // textbook verdict reasons (server/probes/textbook.ts)
  'reason.noSource': { en: 'a counter the verdict needs has no source on this kernel (see probes.sources)', zh: '结论所需的某个计数器在本内核上没有来源（见 probes.sources）' },
  'reason.linearize': {
    en: "the path device has scatter-gather off, so the kernel copied every packet linear at transmit (copy_linearize_bytes = {n} per byte); the textbook's NIC gathers",
    zh: '路径上的设备关闭了分散/聚集，所以内核在发送时把每个数据包都拷贝成线性的（copy_linearize_bytes = 每字节 {n}）；教科书里的网卡能聚集',
  },
  'reason.zcCopied': {
    en: 'the kernel copied the pinned pages after all (SO_EE_CODE_ZEROCOPY_COPIED on {n} per byte): MSG_ZEROCOPY to a receiver on the same host is copied on delivery; through a real NIC it is not',
    zh: '内核最终还是拷贝了锁定的页（每字节 {n} 带有 SO_EE_CODE_ZEROCOPY_COPIED）：发给同一主机上接收方的 MSG_ZEROCOPY 在投递时会被拷贝；经过真实网卡则不会',
  },
  'reason.zcCopiedUring': {
    en: 'the kernel copied the pinned pages after all (IORING_NOTIF_USAGE_ZC_COPIED on {n} per byte): io_uring SEND_ZC to a receiver on the same host is copied on delivery; through a real NIC it is not',
    zh: '内核最终还是拷贝了锁定的页（每字节 {n} 带有 IORING_NOTIF_USAGE_ZC_COPIED）：发给同一主机上接收方的 io_uring SEND_ZC 在投递时会被拷贝；经过真实网卡则不会',
  },
  'reason.didGather': { en: 'the device did gather (scatter-gather {onoff}); run it over veth-nosg', zh: '设备做了聚集（分散/聚集{onoff}）；请在 veth-nosg 上运行' },
  'reason.copies': {
    en: "measured {n} CPU copies per byte (file->user {a}, ->socket {b}, linearize {c}) against the textbook's {tb}",
    zh: '实测每字节 {n} 次 CPU 拷贝（文件->用户 {a}，->套接字 {b}，线性化 {c}），教科书为 {tb}',
  },
  'reason.switches': { en: '{n} mode switches per chunk against {tb} ({list}): {why}', zh: '每块 {n} 次用户态/内核态切换，教科书为 {tb}（{list}）：{why}' },
  'reason.loop': { en: 'the loop issued a different number of calls than one per step per chunk', zh: '循环发出的调用次数与“每块每步一次”不同' },

  // the Watch view
  'watch.filter': { en: 'pid, name or command', zh: 'pid、名称或命令' },
  'watch.filterAria': { en: 'filter the processes', zh: '筛选进程' },
  'watch.refresh': { en: 'Refresh', zh: '刷新' },
  'watch.start': { en: 'Watch selected', zh: '观察所选' },
  'watch.startN': { en: 'Watch {n} processes', zh: '观察 {n} 个进程' },
  'watch.loadingProcs': { en: 'loading the processes…', zh: '正在加载进程…' },
  'watch.procsAria': { en: 'running processes', zh: '正在运行的进程' },
  'watch.follow': { en: ' follow children (those running and those forked later)', zh: ' 跟踪子进程（正在运行的和之后 fork 出的）' },
  'watch.pick': { en: 'Pick a process on the left (a server with a TCP connection, say) and watch it: what it sends, copied or by reference.', zh: '在左边选一个进程（比如一个有 TCP 连接的服务器）来观察：它发送的数据是拷贝的还是按引用的。' },
  'watch.stop': { en: 'Stop watching', zh: '停止观察' },
  'watch.count': { en: '{n} processes; those with TCP sockets first', zh: '{n} 个进程；有 TCP 套接字的排在前面' },
  'watch.countCut': { en: '{n} processes, the first {m} shown; those with TCP sockets first', zh: '{n} 个进程，显示前 {m} 个；有 TCP 套接字的排在前面' },
  'watch.cannotList': { en: 'cannot list the processes: {msg}', zh: '无法列出进程：{msg}' },
  'watch.listen': { en: 'listen', zh: '监听' },
  'watch.conn': { en: 'conn', zh: '连接' },
  'watch.more': { en: '… {n} more', zh: '……还有 {n} 个' },
  'watch.self': { en: ' (this server)', zh: '（本服务器）' },
  'watch.noMatch': { en: "no process matches '{q}'", zh: '没有进程匹配“{q}”' },
  'watch.noProcs': { en: 'no processes', zh: '没有进程' },
  'watch.ended': { en: 'Watched {rawWho} for {t}: ended ({why}). The probes are off; the process keeps running.', zh: '观察了 {rawWho} {t}：已结束（{why}）。探针已关闭；进程继续运行。' },
  'watch.endedErr': { en: 'Watched {rawWho} for {t}: ended ({why}: {rawError}). The probes are off; the process keeps running.', zh: '观察了 {rawWho} {t}：已结束（{why}：{rawError}）。探针已关闭；进程继续运行。' },
  'watch.watching': { en: 'Watching {rawWho} with {engine}: {t}; {n} viewers.', zh: '正在用 {engine} 观察 {rawWho}：{t}；{n} 个查看者。' },
  'watch.watching1': { en: 'Watching {rawWho} with {engine}: {t}; 1 viewer.', zh: '正在用 {engine} 观察 {rawWho}：{t}；1 个查看者。' },
  'watch.watching0': { en: 'Watching {rawWho} with {engine}; {n} viewers.', zh: '正在用 {engine} 观察 {rawWho}；{n} 个查看者。' },
  'watch.watching01': { en: 'Watching {rawWho} with {engine}; 1 viewer.', zh: '正在用 {engine} 观察 {rawWho}；1 个查看者。' },
  'watch.kids': { en: 'Watching {rawWho} and its children with {engine}: {t}; {n} viewers.', zh: '正在用 {engine} 观察 {rawWho} 及其子进程：{t}；{n} 个查看者。' },
  'watch.kids1': { en: 'Watching {rawWho} and its children with {engine}: {t}; 1 viewer.', zh: '正在用 {engine} 观察 {rawWho} 及其子进程：{t}；1 个查看者。' },
  'watch.kids0': { en: 'Watching {rawWho} and its children with {engine}; {n} viewers.', zh: '正在用 {engine} 观察 {rawWho} 及其子进程；{n} 个查看者。' },
  'watch.kids01': { en: 'Watching {rawWho} and its children with {engine}; 1 viewer.', zh: '正在用 {engine} 观察 {rawWho} 及其子进程；1 个查看者。' },
  'end.stopped': { en: 'stopped', zh: '已停止' },
  'end.exited': { en: 'its processes exited', zh: '它的进程已退出' },
  'end.noViewers': { en: 'no one viewed it', zh: '没有人在查看' },
  'end.closing': { en: 'the server closed', zh: '服务器已关闭' },
  'end.failed': { en: 'failed', zh: '失败' },
  'end.ended': { en: 'ended', zh: '已结束' },
  'watch.noCounts': { en: 'no counts: the probes are not on', zh: '没有计数：探针未开启' },
  'kind.zeroCopy': { en: 'zero-copy', zh: '零拷贝' },
  'kind.copies': { en: 'copies', zh: '有拷贝' },
  'kind.noSends': { en: 'no sends yet', zh: '还没有发送' },
  'kind.unmeasured': { en: 'unmeasured', zh: '未测量' },
  'watch.head': { en: ' {summary}: {sent} handed to sockets, {copied}{per}.', zh: ' {summary}：交给套接字 {sent}，{copied}{per}。' },
  'watch.headSame': { en: ' {sent} handed to sockets, {copied}{per}.', zh: ' 交给套接字 {sent}，{copied}{per}。' },
  'watch.cpuUnmeasured': { en: 'CPU copies unmeasured', zh: 'CPU 拷贝未测量' },
  'watch.copiedOut': { en: '{b} copied by the CPU on the way out', zh: '发出途中 CPU 拷贝了 {b}' },
  'watch.perByte': { en: ' ({n} copies per byte sent)', zh: '（每发送 1 字节拷贝 {n} 次）' },
  'watch.noPath': { en: 'no send path used yet: make the program send something (a client fetching from it)', zh: '还没有用到任何发送路径：让程序发送点东西（比如让客户端从它那里取数据）' },
  'watch.lost': { en: 'zero-copy lost ({code}): ', zh: '零拷贝落空（{code}）：' },
  'watch.lostInference': { en: 'zero-copy lost ({code}, an inference): ', zh: '零拷贝落空（{code}，推断）：' },
  'watch.noFindingsZc': { en: 'no "zero-copy lost" findings: every byte sent went by reference.', zh: '没有“零拷贝落空”的发现：发送的每个字节都是按引用传递的。' },
  'watch.noFindings': { en: 'no "zero-copy lost" findings.', zh: '没有“零拷贝落空”的发现。' },
  'watch.noDetail': { en: '{n} processes counted now ({list}); per process, connection and file counts: this probe engine does not keep them.', zh: '目前计入 {n} 个进程（{list}）；按进程、连接和文件的计数：这个探针引擎不保留。' },
  'watch.noDetail1': { en: '1 process counted now ({list}); per process, connection and file counts: this probe engine does not keep them.', zh: '目前计入 1 个进程（{list}）；按进程、连接和文件的计数：这个探针引擎不保留。' },
  'watch.perProcess': { en: 'per process', zh: '按进程' },
  'watch.perConn': { en: 'per TCP connection', zh: '按 TCP 连接' },
  'watch.perFile': { en: 'per file', zh: '按文件' },
  'watch.th.process': { en: 'process', zh: '进程' },
  'watch.th.state': { en: 'state', zh: '状态' },
  'watch.th.userSocket': { en: 'copied user -> socket', zh: '拷贝 用户 -> 套接字' },
  'watch.th.byRef': { en: 'by reference', zh: '按引用' },
  'watch.th.fileUser': { en: 'copied file -> user', zh: '拷贝 文件 -> 用户' },
  'watch.th.syscalls': { en: 'syscalls', zh: '系统调用' },
  'watch.th.connection': { en: 'connection', zh: '连接' },
  'watch.th.linearized': { en: 'linearized', zh: '线性化' },
  'watch.th.toDevice': { en: 'to device', zh: '交给设备' },
  'watch.th.file': { en: 'file', zh: '文件' },
  'watch.th.disk': { en: 'read from disk', zh: '从磁盘读取' },
  'watch.exited': { en: 'exited', zh: '已退出' },
  'watch.running': { en: 'running', zh: '运行中' },
  'watch.noneYet': { en: 'none yet', zh: '暂无' },
  'watch.cut': { en: 'the largest rows shown: {p} processes, {c} connections and {f} files more', zh: '只显示最大的几行：另有 {p} 个进程、{c} 个连接和 {f} 个文件' },
  'verdictSummary.noSends': { en: 'no sends seen', zh: '没有看到发送' },
  'verdictSummary.copies': { en: 'copies {n} per byte', zh: '每字节拷贝 {n} 次' },
  'verdictSummary.copiesSock': { en: 'copies {n} per byte (socket side)', zh: '每字节拷贝 {n} 次（套接字侧）' },
  'verdictSummary.unmeasuredSend': { en: 'unmeasured: this kernel gives the send counters no source', zh: '未测量：本内核没有给发送计数器提供来源' },
  'verdictSummary.unmeasuredCopy': { en: 'unmeasured: a copy counter has no source on this kernel', zh: '未测量：某个拷贝计数器在本内核上没有来源' },

  // the Watch view's send paths and "zero-copy lost" findings (server/probes/verdict.ts)
  'vpath.write': { en: 'write/send (copied into the socket)', zh: 'write/send（拷贝进套接字）' },
  'vpath.ref': { en: '{path} (pages by reference)', zh: '{path}（按引用传页）' },
  'vpath.zc': { en: 'MSG_ZEROCOPY (user pages pinned)', zh: 'MSG_ZEROCOPY（锁定的用户页）' },
  'vpath.uringZc': { en: 'io_uring SEND_ZC (user pages pinned)', zh: 'io_uring SEND_ZC（锁定的用户页）' },
  'vpath.ktls': { en: 'kTLS records (encrypted into a kernel buffer, queued by reference)', zh: 'kTLS 记录（加密进内核缓冲区，按引用排队）' },
  'finding.ktls': {
    en: 'kernel TLS encrypted {a}: the cipher reads every byte and writes its ciphertext into a separate record buffer (one CPU pass per byte, even with sendfile); TLS takes zero-copy away and kTLS takes back only the user-space copy; a NIC with TLS offload (TlsTxDevice in /proc/net/tls_stat) takes back the rest',
    zh: '内核 TLS 加密了 {a}：加密算法读取每个字节，把密文写进另一块记录缓冲区（每字节一次 CPU 处理，用 sendfile 也一样）；TLS 拿走了零拷贝，kTLS 只省回了用户态那次拷贝；带 TLS 卸载的网卡（/proc/net/tls_stat 里的 TlsTxDevice）能省回其余部分',
  },
  'vpath.item': { en: '{label}: {bytes}', zh: '{label}：{bytes}' },
  'finding.readWrite': {
    en: 'file read into user space, then written to a socket: {a} copied file -> user and {b} user -> socket (2 CPU copies per byte){files}; send files with sendfile (Java: FileChannel.transferTo; nginx: sendfile on; Python: socket.sendfile; Netty: DefaultFileRegion)',
    zh: '文件先读进用户空间，再写到套接字：文件 -> 用户拷贝了 {a}，用户 -> 套接字拷贝了 {b}（每字节 2 次 CPU 拷贝）{files}；请用 sendfile 发送文件（Java：FileChannel.transferTo；nginx：sendfile on；Python：socket.sendfile；Netty：DefaultFileRegion）',
  },
  'finding.files': { en: '(files: {rawList})', zh: '（文件：{rawList}）' },
  'finding.noGather': {
    en: 'the device cannot gather: {a} of TCP payload copied into linear packets at transmit{pct}, so even sendfile costs a CPU copy; turn scatter-gather on (ethtool -K DEV sg on) or send over a device that has it',
    zh: '设备不能聚集：发送时有 {a} 的 TCP 载荷被拷贝进线性数据包{pct}，所以连 sendfile 也要付出一次 CPU 拷贝；请开启分散/聚集（ethtool -K DEV sg on），或经由支持它的设备发送',
  },
  'finding.pct': { en: '({n}% of the bytes sent)', zh: '（占发送字节的 {n}%）' },
  'finding.zcCopied': {
    en: 'MSG_ZEROCOPY completions marked copied: {a} of {b} sent with MSG_ZEROCOPY were copied by the kernel anyway (a receiver on this host, or a device without scatter-gather); MSG_ZEROCOPY pays only for large sends to another host over a NIC that gathers: use plain send here',
    zh: 'MSG_ZEROCOPY 的完成通知标记为已拷贝：用 MSG_ZEROCOPY 发送的 {b} 中有 {a} 仍被内核拷贝了（接收方在本机，或设备没有分散/聚集）；MSG_ZEROCOPY 只在经能聚集的网卡向另一台主机做大块发送时才划算：这里请用普通的 send',
  },
  'finding.zcCopiedUring': {
    en: 'io_uring SEND_ZC notifications marked copied: {a} of {b} sent with SEND_ZC were copied by the kernel anyway (a receiver on this host copies the pinned pages on delivery){more}; SEND_ZC pays only for large sends to another host over a NIC that gathers: use IORING_OP_SEND here',
    zh: 'io_uring SEND_ZC 的通知标记为已拷贝：用 SEND_ZC 发送的 {b} 中有 {a} 仍被内核拷贝了（本机的接收方在投递时拷贝锁定的页）{more}；SEND_ZC 只在经能聚集的网卡向另一台主机做大块发送时才划算：这里请用 IORING_OP_SEND',
  },
  'finding.smallSends': {
    en: 'small sends: {n} send syscalls averaging {a} each (under {k} KiB), two mode switches per few KiB; use bigger buffers (64 KiB and up), gather pieces with writev, or let sendfile send the whole file',
    zh: '发送太小：{n} 次发送类系统调用，平均每次 {a}（不到 {k} KiB），每几 KiB 就有两次用户态/内核态切换；请用更大的缓冲区（64 KiB 以上），用 writev 把小块聚在一起，或让 sendfile 发送整个文件',
  },
  'finding.tls': {
    en: "probably TLS in user space (an inference: the probes do not see encryption): {a} read from files, then a similar {b} copied to sockets, and the process maps a TLS library; user-space TLS must read and encrypt every byte, so sendfile cannot be used. Kernel TLS (kTLS: OpenSSL 3 with SSL_OP_ENABLE_KTLS and SSL_sendfile, nginx 'ssl_conf_command Options KTLS') keeps sendfile; or serve static files without TLS behind a TLS terminator",
    zh: '很可能是用户空间的 TLS（推断：探针看不到加密）：从文件读了 {a}，又有差不多的 {b} 拷贝到套接字，而且进程映射了 TLS 库；用户空间的 TLS 必须读取并加密每个字节，所以用不了 sendfile。内核 TLS（kTLS：OpenSSL 3 配合 SSL_OP_ENABLE_KTLS 和 SSL_sendfile，nginx 的“ssl_conf_command Options KTLS”）可以保留 sendfile；或者在 TLS 终结代理后面不加密地提供静态文件',
  },

  // kTLS (issue 15): the refusal, doctor's check, and why copy_encrypt_bytes has no source (server/core/ktls.ts, the probe host, bt-script.ts)
  'ktls.noTls': {
    en: "the kernel {rawKernel} has no tls module: /proc/sys/net/ipv4/tcp_available_ulp lists {rawList}, not tls, and no tls.ko is installed in {rawDir} (a kernel with CONFIG_TLS, e.g. Debian's, and modprobe tls)",
    zh: '内核 {rawKernel} 没有 tls 模块：/proc/sys/net/ipv4/tcp_available_ulp 列出的是 {rawList}，没有 tls，{rawDir} 里也没有安装 tls.ko（需要启用了 CONFIG_TLS 的内核，例如 Debian 的，再 modprobe tls）',
  },
  'ktls.refused': { en: '{rawModes} are refused: {reason}', zh: '{rawModes} 被拒绝：{reason}' },
  'ktls.counterToo': { en: 'their counter copy_encrypt_bytes has no source either. Every other mode and counter is unaffected', zh: '它们的计数器 copy_encrypt_bytes 也没有来源。其他模式和计数器都不受影响' },
  'ktls.runs': { en: '{rawModes} run: {rawDetail}', zh: '{rawModes} 可以运行：{rawDetail}' },
  'ktls.modeRefused': { en: 'mode {mode} needs kernel TLS and this kernel cannot do it: {reason}', zh: '模式 {mode} 需要内核 TLS，而本内核做不到：{reason}' },
  'ktls.noModule': {
    en: "no tracepoint marks kTLS encryption, and fexit on the tls module's tls_sw_sendmsg needs the module loaded: /sys/kernel/btf/tls is missing (/proc/sys/net/ipv4/tcp_available_ulp: {rawList}; modprobe tls before the lab starts, on a kernel with CONFIG_TLS)",
    zh: '没有跟踪点标记 kTLS 加密，而对 tls 模块的 tls_sw_sendmsg 做 fexit 需要该模块已加载：/sys/kernel/btf/tls 不存在（/proc/sys/net/ipv4/tcp_available_ulp：{rawList}；请在实验室启动前 modprobe tls，且内核需启用 CONFIG_TLS）',
  },
  'ktls.noFexit': {
    en: "no tracepoint marks kTLS encryption, and fexit on the tls module's tls_sw_sendmsg does not work here: {rawWhy}",
    zh: '没有跟踪点标记 kTLS 加密，而对 tls 模块的 tls_sw_sendmsg 做 fexit 在这里不可用：{rawWhy}',
  },
  'ktls.bpftrace': {
    en: "no tracepoint marks kTLS encryption, and the bpftrace script ({rawFile}) uses tracepoints only (the libbpf engine measures it with fexit on the tls module's tls_sw_sendmsg)",
    zh: '没有跟踪点标记 kTLS 加密，而 bpftrace 脚本（{rawFile}）只用跟踪点（libbpf 引擎用对 tls 模块的 tls_sw_sendmsg 的 fexit 来测量）',
  },
  'ktls.fixCounter': { en: 'a kernel with the tls module (CONFIG_TLS), loaded before the lab starts (modprobe tls)', zh: '启用了 tls 模块（CONFIG_TLS）的内核，并在实验室启动前加载它（modprobe tls）' },
  'ktls.fixCheck': { en: "a kernel with the tls module (CONFIG_TLS=m or y, e.g. Debian's), then modprobe tls", zh: '启用了 tls 模块（CONFIG_TLS=m 或 y，例如 Debian 的）的内核，再 modprobe tls' },

  // the Reports panel
  'reports.status.running': { en: 'running', zh: '运行中' },
  'reports.status.complete': { en: 'complete', zh: '已完成' },
  'reports.status.failed': { en: 'some cells failed', zh: '部分单元格失败' },
  'reports.status.cancelled': { en: 'cancelled', zh: '已取消' },
  'reports.status.interrupted': { en: 'interrupted', zh: '被中断' },
  'reports.status.error': { en: 'could not run', zh: '无法运行' },
  'reports.file.html': { en: 'the report with its charts and diagrams (opens in a new tab)', zh: '带图表和数据流图的报告（在新标签页打开）' },
  'reports.file.json': { en: 'results.json: every run, and the environment', zh: 'results.json：每一次运行，以及环境信息' },
  'reports.file.csv': { en: 'results.csv: one row per run', zh: 'results.csv：每次运行一行' },
  'reports.scenario': { en: 'Scenario', zh: '场景' },
  'reports.resume': { en: ' continue its latest unfinished report', zh: ' 继续它最近一次未完成的报告' },
  'reports.resumeTitle': { en: 'continue the newest unfinished (cancelled, interrupted or failed) report of this scenario, in its directory: runs already done are kept', zh: '在原目录中继续这个场景最新的未完成（已取消、被中断或失败）的报告：已完成的运行会保留' },
  'reports.start': { en: 'Start report', zh: '开始报告' },
  'reports.cancel': { en: 'Cancel report', zh: '取消报告' },
  'reports.none': { en: 'no report running', zh: '没有正在运行的报告' },
  'reports.noneLast': { en: 'no report running · last: {name}, {status}', zh: '没有正在运行的报告 · 上一个：{name}，{status}' },
  'reports.option': { en: '{name} ({n} runs)', zh: '{name}（{n} 次运行）' },
  'reports.option1': { en: '{name} (1 run)', zh: '{name}（1 次运行）' },
  'reports.optionInvalid': { en: '{name} ({n} runs): invalid', zh: '{name}（{n} 次运行）：无效' },
  'reports.noScenarios': { en: 'no scenarios in scenarios/', zh: 'scenarios/ 里没有场景' },
  'reports.invalid': { en: '{file} does not validate: {error}', zh: '{file} 校验不通过：{error}' },
  'reports.plan': { en: '{cells} cells × {reps} repetitions = {runs} runs, {bytes} to move', zh: '{cells} 个单元格 × {reps} 次重复 = {runs} 次运行，共传送 {bytes}' },
  'reports.planWarm': { en: '{cells} cells × {reps} repetitions (+{w} warmup) = {runs} runs, {bytes} to move', zh: '{cells} 个单元格 × {reps} 次重复（+{w} 次预热）= {runs} 次运行，共传送 {bytes}' },
  'reports.plan1': { en: '{cells} cell × {reps} repetitions = {runs} runs, {bytes} to move', zh: '{cells} 个单元格 × {reps} 次重复 = {runs} 次运行，共传送 {bytes}' },
  'reports.planWarm1': { en: '{cells} cell × {reps} repetitions (+{w} warmup) = {runs} runs, {bytes} to move', zh: '{cells} 个单元格 × {reps} 次重复（+{w} 次预热）= {runs} 次运行，共传送 {bytes}' },
  'reports.describe': { en: '{description} {plan}. ({file})', zh: '{description} {plan}。（{file}）' },
  'reports.busy': { en: 'A run is running or queued: a report can start when the runs are done (they share the probes and the machine).', zh: '有运行正在进行或排队：等这些运行结束后才能开始报告（它们共用探针和机器）。' },
  'reports.cancelling': { en: '{name}: cancelling: the run in flight cleans up, then the report of what is done is written…', zh: '{name}：正在取消：进行中的运行先清理，然后写出已完成部分的报告…' },
  'reports.starting': { en: '{name}: starting', zh: '{name}：正在启动' },
  'reports.progress': { en: '{name}: {done} of {total} runs done{rest}', zh: '{name}：已完成 {done} / {total} 次运行{rest}' },
  'reports.eta': { en: 'ETA {t}', zh: '预计还需 {t}' },
  'reports.etaFirst': { en: 'ETA after the first run', zh: '第一次运行后给出预计时间' },
  'reports.th.report': { en: 'report', zh: '报告' },
  'reports.th.status': { en: 'status', zh: '状态' },
  'reports.th.started': { en: 'started', zh: '开始于' },
  'reports.th.took': { en: 'took', zh: '用时' },
  'reports.th.runs': { en: 'runs', zh: '运行次数' },
  'reports.th.runsTitle': { en: 'runs done in its last session (+ kept from earlier ones) of those planned', zh: '最近一次会话完成的运行（+ 之前保留的）/ 计划的运行' },
  'reports.th.files': { en: 'files', zh: '文件' },
  'reports.empty': { en: 'no reports yet: pick a scenario and press Start report (or run `zcl report scenarios/X.json`)', zh: '还没有报告：选一个场景，然后点“开始报告”（或运行 `zcl report scenarios/X.json`）' },
  'reports.written': { en: 'written when it ends', zh: '结束时写出' },
  'reports.filesNone': { en: 'none', zh: '无' },
  'reports.runsOf': { en: '{a} of {b}', zh: '{a} / {b}' },
  'reports.cannotList': { en: 'cannot list the reports: {msg}', zh: '无法列出报告：{msg}' },


  // report.html (server/report/write-html.ts, tables.ts, charts.ts, flow-svg.ts, format.ts)
  'rep.title': { en: '{name} · zerocopy-lab report', zh: '{name} · zerocopy-lab 报告' },
  'rep.completeTook': { en: 'Complete: {runs} ({shape}), all ok{warm}. The measured runs took {t} in all.', zh: '已完成：{runs}（{shape}），全部正常{warm}。测量的运行共用时 {t}。' },
  'rep.took': { en: ' The measured runs took {t} in all.', zh: ' 测量的运行共用时 {t}。' },
  'rep.complete': { en: 'Complete: {runs} ({shape}), all ok{warm}.', zh: '已完成：{runs}（{shape}），全部正常{warm}。' },
  'rep.incomplete': { en: 'Incomplete: {ok} of {runs} done ({shape}){rest}.', zh: '未完成：{runs}中已完成 {ok} 次（{shape}）{rest}。' },
  'rep.incompleteInt': { en: 'Incomplete (interrupted): {ok} of {runs} done ({shape}){rest}.', zh: '未完成（被中断）：{runs}中已完成 {ok} 次（{shape}）{rest}。' },
  'rep.warm': { en: '; {n} warmup run per cell before them, discarded', zh: '；每个单元格之前先做 {n} 次预热运行，结果丢弃' },
  'rep.warmN': { en: '; {n} warmup runs per cell before them, discarded', zh: '；每个单元格之前先做 {n} 次预热运行，结果丢弃' },
  'rep.cellsFailed': { en: '; {n} cells failed (see "Failures")', zh: '；{n} 个单元格失败（见“失败”）' },
  'rep.cellFailed': { en: '; 1 cell failed (see "Failures")', zh: '；1 个单元格失败（见“失败”）' },
  'rep.nRuns': { en: '{n} runs', zh: '{n} 次运行' },
  'rep.1run': { en: '1 run', zh: '1 次运行' },
  'rep.nCells': { en: '{n} cells', zh: '{n} 个单元格' },
  'rep.1cell': { en: '1 cell', zh: '1 个单元格' },
  'rep.nReps': { en: '{n} repetitions', zh: '{n} 次重复' },
  'rep.1rep': { en: '1 repetition', zh: '1 次重复' },
  'rep.shape': { en: '{a} × {b}', zh: '{a} × {b}' },
  'rep.retry': { en: 'To retry the failed cells', zh: '重试失败的单元格' },
  'rep.finish': { en: 'To finish it', zh: '继续完成' },
  'rep.intro': {
    en: 'Every figure is the median of the repetitions, with the lowest and highest run in parentheses when they differ. Per byte or per MiB means divided by the bytes the run moved. Measured on Linux {k}; probes: {p}. The raw runs are in',
    zh: '每个数字都是各次重复的中位数，若最低与最高不同则在括号里给出。“每字节”或“每 MiB”指除以本次运行传送的字节数。测量于 Linux {k}；探针：{p}。原始运行数据在',
  },
  'rep.and': { en: 'and', zh: '和' },
  'rep.beside': { en: 'beside this file.', zh: '里，与本文件放在一起。' },
  'rep.noscript': { en: 'The charts need JavaScript (it is inline in this file); the tables and diagrams below do not.', zh: '图表需要 JavaScript（已内嵌在本文件中）；下面的表格和数据流图不需要。' },
  'rep.nav.seeds': { en: "The seeds' table", zh: '文章里的表' },
  'rep.nav.charts': { en: 'Charts', zh: '图表' },
  'rep.nav.sweeps': { en: 'Sweeps', zh: '扫描' },
  'rep.nav.flows': { en: 'Data flow', zh: '数据流' },
  'rep.nav.cells': { en: 'Results per cell', zh: '各单元格结果' },
  'rep.nav.bytes': { en: 'Where the bytes went', zh: '字节去了哪里' },
  'rep.nav.failures': { en: 'Failures', zh: '失败' },
  'rep.nav.environment': { en: 'Environment', zh: '环境' },
  'rep.nav.matrix': { en: 'Matrix', zh: '矩阵' },
  'rep.seeds.h': { en: "The seeds' table, measured", zh: '文章里的表，实测版' },
  'rep.seeds.p': {
    en: 'The seed articles count, for each way of sending a file, the CPU copies every byte goes through and the user/kernel mode switches (which they call context switches): read + write 2 CPU copies and 4 switches; sendfile as in Linux 2.1 1 copy and 2 switches; sendfile with DMA gather (Linux 2.4 and later) 0 copies and 2 switches; each with 2 DMA copies. Here the eBPF probes count them on the running kernel: CPU copies are the bytes the kernel copied per byte moved; mode switches are two per syscall the sender made, per chunk.',
    zh: '文章对发送文件的每种方式，数出每个字节经历的 CPU 拷贝次数和用户态/内核态切换次数（文章称之为上下文切换）：read + write 是 2 次 CPU 拷贝、4 次切换；Linux 2.1 的 sendfile 是 1 次拷贝、2 次切换；带 DMA gather 的 sendfile（Linux 2.4 起）是 0 次拷贝、2 次切换；每种都另有 2 次 DMA 拷贝。这里由 eBPF 探针在运行中的内核上计数：CPU 拷贝是每传送 1 字节内核拷贝的字节数；用户态/内核态切换是发送端每块的系统调用次数 × 2。',
  },
  'rep.th.program': { en: 'program', zh: '程序' },
  'rep.th.copiesSeeds': { en: 'CPU copies per byte: seeds', zh: '每字节 CPU 拷贝：文章' },
  'rep.th.switchesSeeds': { en: 'mode switches per chunk: seeds', zh: '每块用户态/内核态切换：文章' },
  'rep.th.dmaDisk': { en: 'DMA per byte: disk → page cache', zh: '每字节 DMA 拷贝：磁盘 → 页缓存' },
  'rep.th.dmaDevice': { en: 'DMA per byte: socket → device (incl. retransmitted)', zh: '每字节 DMA：套接字 → 设备（含重传）' },
  'rep.verdictOf': { en: '{v} ({a} of {n} runs)', zh: '{v}（{n} 次运行中 {a} 次）' },
  'rep.diff.h': { en: 'Where the measurement differs from the seeds, and why', zh: '实测与文章不同之处，及其原因' },
  'rep.allMatch': { en: 'Every measured cell matches the seeds.', zh: '每个测过的单元格都与文章相符。' },
  'rep.allMatchTail': { en: 'Every measured cell matches the seeds ({n} cells have no measured run: {why}).', zh: '每个测过的单元格都与文章相符（{n} 个单元格没有测过的运行：{why}）。' },
  'rep.allMatchTail1': { en: 'Every measured cell matches the seeds (1 cell has no measured run: {why}).', zh: '每个测过的单元格都与文章相符（1 个单元格没有测过的运行：{why}）。' },
  'rep.seeFailures': { en: 'see "Failures"', zh: '见“失败”' },
  'rep.nothing': { en: 'Nothing measured yet.', zh: '还没有任何测量。' },
  'rep.noReason': { en: 'no reason recorded', zh: '没有记录原因' },
  'rep.mostMatch': { en: 'most runs match; {n} did not (near the tolerance: copies within 0.05 per byte, mode switches within 10%)', zh: '大多数运行相符；{n} 次不符（接近容差：拷贝在每字节 0.05 以内，用户态/内核态切换在 10% 以内）' },
  'rep.notes': { en: 'Notes:', zh: '说明：' },
  'rep.note.nogather': {
    en: 'sendfile over veth-nosg and sendfile-nogather make the same calls over the same path: they measure the same. They differ in what the seeds expect: sendfile-nogather stands for the Linux 2.1 sendfile (1 CPU copy), sendfile for the one with DMA gather (0), which a device without scatter-gather cannot give.',
    zh: '经 veth-nosg 的 sendfile 与 sendfile-nogather 在同一路径上发出同样的调用：测得的结果也一样。它们的区别在于文章的预期：sendfile-nogather 代表 Linux 2.1 的 sendfile（1 次 CPU 拷贝），sendfile 代表带 DMA gather 的那种（0 次），而没有分散/聚集的设备给不了后者。',
  },
  'rep.note.warm': {
    en: 'The seeds count two DMA copies: disk → page cache, and socket buffer → NIC. Warm-cache cells read nothing from the disk (the file was in the page cache before the run), so their first DMA is 0; run cold-cache cells to see it.',
    zh: '文章计了两次 DMA 拷贝：磁盘 → 页缓存，以及套接字缓冲区 → 网卡。热缓存的单元格不读磁盘（运行前文件已在页缓存中），所以第一次 DMA 为 0；运行冷缓存的单元格才能看到它。',
  },
  'rep.note.warmCold': {
    en: 'The seeds count two DMA copies: disk → page cache, and socket buffer → NIC. Warm-cache cells read nothing from the disk (the file was in the page cache before the run), so their first DMA is 0.',
    zh: '文章计了两次 DMA 拷贝：磁盘 → 页缓存，以及套接字缓冲区 → 网卡。热缓存的单元格不读磁盘（运行前文件已在页缓存中），所以第一次 DMA 为 0。',
  },
  'rep.note.retx': {
    en: '"socket → device" includes what TCP retransmitted (the same payload sent again), so it can exceed 1 per byte: {which} retransmitted some, at most {pct}% of the bytes moved (median, {cell}); the copies table shows it per cell ("of which retransmitted").',
    zh: '“套接字 → 设备”包括 TCP 重传的部分（同样的载荷又发了一遍），所以它可能超过每字节 1：{which}有重传，最多占传送字节的 {pct}%（中位数，{cell}）；拷贝表按单元格列出（“其中重传”）。',
  },
  'rep.everyCell': { en: 'every cell', zh: '每个单元格都' },
  'rep.nOfCells': { en: '{a} of {b} cells', zh: '{b} 个单元格中有 {a} 个' },
  'rep.note.loopback': { en: 'Over loopback there is no NIC: "socket → device" is the TCP payload handed to lo, which passes it to the receiver in memory.', zh: '经回环时没有网卡：“套接字 → 设备”是交给 lo 的 TCP 载荷，lo 在内存里把它交给接收方。' },
  'rep.note.unmeasured': { en: '"unmeasured": a counter the verdict needs had no source on this kernel, or the probes did not load (see the environment).', zh: '“未测量”：结论所需的某个计数器在本内核上没有来源，或者探针没有加载（见“环境”）。' },
  'rep.charts.h': { en: 'Charts', zh: '图表' },
  'rep.noCharts': { en: 'No run finished yet: nothing to chart.', zh: '还没有完成的运行：没有可画的图。' },
  'rep.sweeps.h': { en: 'Sweeps', zh: '扫描' },
  'rep.flows.h': { en: 'Data flow, measured', zh: '数据流，实测' },
  'rep.flows.p': {
    en: "The seeds' diagram for each mode in this matrix, with what the probes counted crossing each arrow: bytes per byte moved, the median over the runs of every cell of that mode (all sizes and chunks). The path over the user buffer is the one sendfile and splice take: page-cache pages handed to the socket by reference.",
    zh: '本矩阵中每个模式的文章示意图，标出探针在每条箭头上计到的量：每传送 1 字节经过的字节数，取该模式所有单元格（所有大小和块大小）各次运行的中位数。越过用户缓冲区的那条路径是 sendfile 和 splice 走的：页缓存的页按引用交给套接字。',
  },
  'rep.flow.caption': { en: 'sender CPU copies per byte: {n} (the seeds: {tb}); receiver: {r}; {runs} runs, medians per byte moved', zh: '发送端每字节 CPU 拷贝：{n}（文章：{tb}）；接收方：{r}；{runs} 次运行，每传送 1 字节的中位数' },
  'rep.flow.caption1': { en: 'sender CPU copies per byte: {n} (the seeds: {tb}); receiver: {r}; 1 run, medians per byte moved', zh: '发送端每字节 CPU 拷贝：{n}（文章：{tb}）；接收方：{r}；1 次运行，每传送 1 字节的中位数' },
  'rep.flow.captionNoSink': { en: 'sender CPU copies per byte: {n} (the seeds: {tb}); {runs} runs, medians per byte moved', zh: '发送端每字节 CPU 拷贝：{n}（文章：{tb}）；{runs} 次运行，每传送 1 字节的中位数' },
  'rep.flow.notMeasured': { en: 'not measured', zh: '未测量' },
  'rep.flow.none': { en: 'no run of this group measured the counters (see the probes status in the environment)', zh: '这一组没有任何运行测到计数器（见“环境”中的探针状态）' },
  'rep.cells.h': { en: 'Results per cell', zh: '各单元格结果' },
  'rep.cells.p': { en: "Sender CPU is the sender's transfer thread (node-stream: its whole process), user plus system, per GiB moved. Context switches are the scheduler taking the sender's thread off a CPU.", zh: '发送端 CPU 指发送端的传输线程（node-stream：整个进程）的用户态加内核态时间，按每传送 1 GiB 计。上下文切换指调度器把发送端线程从 CPU 上换下。' },
  'rep.th.runsOk': { en: 'runs ok', zh: '正常的运行' },
  'rep.th.tp': { en: 'throughput MiB/s', zh: '吞吐量 MiB/s' },
  'rep.th.cpu': { en: 'sender CPU s/GiB', zh: '发送端 CPU 秒/GiB' },
  'rep.th.sinkCpu': { en: 'receiver CPU s/GiB', zh: '接收方 CPU 秒/GiB' },
  'rep.th.copies': { en: 'CPU copies per byte', zh: '每字节 CPU 拷贝' },
  'rep.th.syscalls': { en: 'syscalls per chunk', zh: '每块系统调用' },
  'rep.th.ctx': { en: 'context switches per MiB', zh: '每 MiB 上下文切换（调度器）' },
  'rep.th.faults': { en: 'page faults per MiB', zh: '每 MiB 缺页' },
  'rep.nOf': { en: '{a} of {b}', zh: '{a} / {b}' },
  'rep.bytes.h': { en: 'Where the bytes went, per byte moved', zh: '字节去了哪里，按每传送 1 字节计' },
  'rep.bytes.p': { en: 'What the probes counted crossing each step, divided by the bytes moved. "By reference" and "pinned" bytes were passed without a copy.', zh: '探针在每一步计到的量，除以传送的字节数。“按引用”和“锁定页”的字节是不经拷贝传递的。' },
  'rep.th.fileUser': { en: 'page cache → user (CPU)', zh: '页缓存 → 用户（CPU）' },
  'rep.th.userSocket': { en: 'user → socket (CPU)', zh: '用户 → 套接字（CPU）' },
  'rep.th.zcCopied': { en: 'copied after all (MSG_ZEROCOPY)', zh: '最终仍被拷贝（MSG_ZEROCOPY）' },
  'rep.th.linearize': { en: 'linearize (CPU)', zh: '线性化（CPU）' },
  'rep.th.toDevice': { en: 'to device (incl. retransmitted)', zh: '交给设备（含重传）' },
  'rep.th.retx': { en: 'of which retransmitted', zh: '其中重传' },
  // report.html: each mode against its baseline (server/report/compare.ts), cells a kernel refused
  'rep.nav.pairs': { en: 'Against the baseline', zh: '与基准对比' },
  'rep.pairs.h': { en: 'Each mode against its baseline', zh: '每个模式与其基准对比' },
  'rep.pairs.p': {
    en: 'Each mode read against the mode the catalog compares it with, cell by cell (every other field equal). Ratios are of the medians (mode ÷ baseline): above 1 in throughput and below 1 in sender CPU per GiB is better. "ahead", "behind", "cheaper" and "dearer" mean that no run of one side overlapped a run of the other; otherwise the two are level within the runs\' spread.',
    zh: '每个模式与目录里为它指定的对照模式逐个单元格比较（其余字段都相同）。比值是中位数之比（模式 ÷ 基准）：吞吐量大于 1、发送端每 GiB CPU 小于 1 为更好。“领先”“落后”“更省”“更费”表示两边没有任何一次运行的范围重叠；否则两者在各次运行的波动范围内持平。',
  },
  'rep.pairs.title': { en: '{a} against {b}', zh: '{a} 对比 {b}' },
  'rep.pairs.refused': { en: 'Refused on this kernel: see "Refused on this kernel" for the reason.', zh: '本内核拒绝运行：原因见“本内核拒绝的单元格”。' },
  'rep.th.baseline': { en: 'baseline', zh: '基准' },
  'rep.th.ratio': { en: 'ratio', zh: '比值' },
  'rep.th.switches': { en: 'mode switches per chunk', zh: '每块用户态/内核态切换' },
  'rep.th.reading': { en: 'reading', zh: '解读' },
  'rep.pair.refused': { en: 'refused', zh: '被拒绝' },
  'rep.pair.refusedRow': { en: 'refused on this kernel', zh: '本内核拒绝运行' },
  'rep.pair.notMeasured': { en: 'not measured', zh: '未测量' },
  'rep.pair.tpLevel': { en: 'throughput level (ranges overlap)', zh: '吞吐量持平（范围重叠）' },
  'rep.pair.tpAhead': { en: 'throughput ahead', zh: '吞吐量领先' },
  'rep.pair.tpBehind': { en: 'throughput behind', zh: '吞吐量落后' },
  'rep.pair.cpuLevel': { en: 'CPU level (ranges overlap)', zh: 'CPU 持平（范围重叠）' },
  'rep.pair.cpuCheaper': { en: 'CPU cheaper', zh: 'CPU 更省' },
  'rep.pair.cpuDearer': { en: 'CPU dearer', zh: 'CPU 更费' },
  'rep.pair.aheadTp': { en: 'ahead in throughput', zh: '吞吐量领先' },
  'rep.pair.cheaperCpu': { en: 'cheaper in sender CPU per GiB', zh: '发送端每 GiB CPU 更省' },
  'rep.pair.at': { en: '×{x} at {c}', zh: '{c} 时 ×{x}' },
  'rep.pair.never': { en: '{mode} is not {what} at the largest chunk measured ({at}; chunks {span}).', zh: '{mode} 在测得的最大块上也没有{what}（{at}；块大小 {span}）。' },
  'rep.pair.every': { en: '{mode} is {what} at every chunk size measured ({span}): {a}, {b}.', zh: '{mode} 在测得的每种块大小上都{what}（{span}）：{a}，{b}。' },
  'rep.pair.lastOnly': { en: '{mode} is {what} at the largest chunk measured only ({a}; {b}).', zh: '{mode} 只在测得的最大块上{what}（{a}；{b}）。' },
  'rep.pair.from': { en: '{mode} is {what} from {c} chunks on ({a}, {b}; {d}).', zh: '{mode} 从 {c} 的块起{what}（{a}，{b}；{d}）。' },
  'rep.pair.apart': { en: "The runs' ranges are apart at {a} of {n} chunk sizes in throughput and {b} of {m} in sender CPU; elsewhere the medians differ by less than the runs spread.", zh: '在 {n} 种块大小中，有 {a} 种的吞吐量、{b} 种（共 {m} 种）的发送端 CPU 两边各次运行的范围互不重叠；其余情况下中位数之差小于各次运行的波动。' },
  'rep.refused.h': { en: 'Refused on this kernel', zh: '本内核拒绝的单元格' },
  'rep.refused.p': {
    en: 'These cells need a kernel feature this kernel does not have, so they were not run (not a failure). Run the matrix on a kernel that has it: zcl report\'s option --kernel boots one (e.g. debian-6.12-cloud) in QEMU.',
    zh: '这些单元格需要本内核没有的内核功能，所以没有运行（不算失败）。请在有该功能的内核上运行这个矩阵：zcl report 的 --kernel 选项会在 QEMU 里启动一个这样的内核（例如 debian-6.12-cloud）。',
  },
  'rep.th.kernelReason': { en: "the kernel's reason", zh: '内核给出的原因' },
  'rep.verdict.refused': { en: 'refused on this kernel', zh: '本内核拒绝运行' },
  'rep.completeRefused': { en: 'Complete: {runs} ({shape}), all ok{warm}. {n} cells were refused by this kernel (see "Refused on this kernel").', zh: '已完成：{runs}（{shape}），全部正常{warm}。有 {n} 个单元格被本内核拒绝（见“本内核拒绝的单元格”）。' },
  'rep.completeRefused1': { en: 'Complete: {runs} ({shape}), all ok{warm}. 1 cell was refused by this kernel (see "Refused on this kernel").', zh: '已完成：{runs}（{shape}），全部正常{warm}。有 1 个单元格被本内核拒绝（见“本内核拒绝的单元格”）。' },
  'rep.completeRefusedTook': { en: 'Complete: {runs} ({shape}), all ok{warm}. {n} cells were refused by this kernel (see "Refused on this kernel"). The measured runs took {t} in all.', zh: '已完成：{runs}（{shape}），全部正常{warm}。有 {n} 个单元格被本内核拒绝（见“本内核拒绝的单元格”）。测量的运行共用时 {t}。' },
  'rep.completeRefusedTook1': { en: 'Complete: {runs} ({shape}), all ok{warm}. 1 cell was refused by this kernel (see "Refused on this kernel"). The measured runs took {t} in all.', zh: '已完成：{runs}（{shape}），全部正常{warm}。有 1 个单元格被本内核拒绝（见“本内核拒绝的单元格”）。测量的运行共用时 {t}。' },
  'rep.cellsRefused': { en: '; {n} cells refused by this kernel (see "Refused on this kernel")', zh: '；{n} 个单元格被本内核拒绝（见“本内核拒绝的单元格”）' },
  'rep.cellRefused': { en: '; 1 cell refused by this kernel (see "Refused on this kernel")', zh: '；1 个单元格被本内核拒绝（见“本内核拒绝的单元格”）' },
  'rep.allMatchRefused': { en: '{n} cells were refused by this kernel: see "Refused on this kernel"', zh: '{n} 个单元格被本内核拒绝：见“本内核拒绝的单元格”' },
  'rep.allMatchParen': { en: 'Every measured cell matches the seeds ({x}).', zh: '每个测过的单元格都与文章相符（{x}）。' },
  'rep.allMatchRefused1': { en: '1 cell was refused by this kernel: see "Refused on this kernel"', zh: '1 个单元格被本内核拒绝：见“本内核拒绝的单元格”' },
  'rep.th.recv': { en: 'receiver copy (CPU)', zh: '接收方拷贝（CPU）' },
  'rep.failures.h': { en: 'Failures', zh: '失败' },
  'rep.failures.p': { en: "A failed run stops its cell (its remaining runs are skipped); the other cells ran.", zh: '一次运行失败会停止它所在的单元格（其余运行跳过）；其他单元格照常运行。' },
  'rep.th.cell': { en: 'cell', zh: '单元格' },
  'rep.th.run': { en: 'run', zh: '运行' },
  'rep.th.error': { en: 'error', zh: '错误' },
  'rep.env.h': { en: 'Environment', zh: '环境' },
  'rep.env.kernel': { en: 'kernel', zh: '内核' },
  'rep.env.system': { en: 'system', zh: '系统' },
  'rep.env.probes': { en: 'probes', zh: '探针' },
  'rep.env.software': { en: 'software', zh: '软件' },
  'rep.env.when': { en: 'when', zh: '时间' },
  'rep.env.runs': { en: 'runs from {a} to {b} UTC', zh: '运行时间 {a} 至 {b} UTC' },
  'rep.env.captured': { en: '{runs}; environment captured {a}, report written {b}', zh: '{runs}；环境采集于 {a}，报告写于 {b}' },
  'rep.env.sys': { en: '{rawOs}, {arch}, virtualized ({v})', zh: '{rawOs}，{arch}，虚拟化（{v}）' },
  'rep.env.cpu': { en: '{rawModel}, {n} cores; memory {m}', zh: '{rawModel}，{n} 核；内存 {m}' },
  'rep.env.cpuMhz': { en: '{rawModel}, {n} cores at {f} MHz; memory {m}', zh: '{rawModel}，{n} 核，{f} MHz；内存 {m}' },
  'rep.env.probesTier': { en: '{engine} ({tier} tier, {a} of {b} counters have a source)', zh: '{engine}（{tier} 层级，{b} 个计数器中 {a} 个有来源）' },
  'rep.env.software1': { en: 'zerocopy-lab {v} (git {c}, with local changes), Node {n}, libbpf {l}, bpftrace {b}, clang {cl}', zh: 'zerocopy-lab {v}（git {c}，有本地改动），Node {n}，libbpf {l}，bpftrace {b}，clang {cl}' },
  'rep.env.software2': { en: 'zerocopy-lab {v} (git {c}), Node {n}, libbpf {l}, bpftrace {b}, clang {cl}', zh: 'zerocopy-lab {v}（git {c}），Node {n}，libbpf {l}，bpftrace {b}，clang {cl}' },
  'rep.sources': { en: 'Where each counter comes from', zh: '每个计数器的来源' },
  'rep.th.counter': { en: 'counter', zh: '计数器' },
  'rep.th.what': { en: 'what it counts', zh: '它计的是什么' },
  'rep.th.kernelSource': { en: 'kernel source ({e})', zh: '内核中的来源（{e}）' },
  'rep.noSourceKernel': { en: 'no source on this kernel', zh: '本内核上没有来源' },
  'rep.matrix.h': { en: 'The matrix', zh: '矩阵' },
  'rep.matrix.from': { en: 'From', zh: '来自' },
  'rep.matrix.p': { en: '. Repetitions ran interleaved: one run of every cell, then the next round.', zh: '。各次重复交错进行：每个单元格先各跑一次，再进入下一轮。' },
  'rep.matrix.p0': { en: 'Repetitions ran interleaved: one run of every cell, then the next round.', zh: '各次重复交错进行：每个单元格先各跑一次，再进入下一轮。' },
  'rep.glossary.p': { en: 'Each term once, in both languages: the words the seed articles use, and what the lab measures for them.', zh: '每个术语各解释一次，中英对照：文章里用的词，以及实验室为它们测量的是什么。' },
  'rep.chart.copies': { en: 'CPU copies per byte moved, by where the CPU copied', zh: '每传送 1 字节的 CPU 拷贝，按拷贝发生的位置' },
  'rep.chart.copiesCap': {
    en: "Per cell, three bars: the seeds' count for the mode (outlined; nothing when they count 0), what the sender's CPU copied (stacked by where), and the receiver's copy (grey); each the bytes the CPU copied divided by the bytes moved, median over the runs.",
    zh: '每个单元格三根柱：文章为该模式计的次数（空心框；为 0 时不画），发送端 CPU 拷贝的量（按位置堆叠），以及接收方的拷贝（灰色）；都是 CPU 拷贝的字节数除以传送的字节数，取各次运行的中位数。',
  },
  'rep.chart.seedsCount': { en: "the seeds' count (sender)", zh: '文章计的次数（发送端）' },
  'rep.chart.fileUser': { en: 'page cache → user buffer (read)', zh: '页缓存 → 用户缓冲区（read）' },
  'rep.chart.userSocket': { en: 'user buffer → socket buffer (write/send)', zh: '用户缓冲区 → 套接字缓冲区（write/send）' },
  'rep.chart.linearize': { en: 'linearize for a device without scatter-gather', zh: '为没有分散/聚集的设备线性化' },
  'rep.chart.zcCopied': { en: 'MSG_ZEROCOPY copied after all', zh: 'MSG_ZEROCOPY 最终仍被拷贝' },
  'rep.chart.recv': { en: 'receiver: socket buffer → user buffer', zh: '接收方：套接字缓冲区 → 用户缓冲区' },
  'rep.chart.copiedPerByte': { en: 'bytes copied per byte moved', zh: '每传送 1 字节拷贝的字节数' },
  'rep.chart.events': { en: 'Syscalls, context switches and page faults per MiB moved (sender)', zh: '每传送 1 MiB 的系统调用、上下文切换和缺页（发送端）' },
  'rep.chart.eventsCap': {
    en: "Counted by the probes on the sender's threads; the scale is logarithmic. Each syscall is two user/kernel mode switches (what the seeds call context switches); context switches here are the scheduler taking the thread off the CPU.",
    zh: '由探针在发送端的线程上计数；纵轴为对数刻度。每次系统调用是两次用户态/内核态切换（文章所说的上下文切换）；这里的上下文切换是调度器把线程从 CPU 上换下。',
  },
  'rep.chart.perMiBLog': { en: 'per MiB moved (log scale)', zh: '每传送 1 MiB（对数刻度）' },
  'rep.chart.tp': { en: 'Throughput', zh: '吞吐量' },
  'rep.chart.tpCap': {
    en: "Median of the runs (bar); the whisker spans the slowest to the fastest run. On one host the receiver's copy usually bounds throughput; the sender's CPU cost below is what zero-copy saves.",
    zh: '各次运行的中位数（柱）；须线从最慢跨到最快的一次。在同一台主机上，吞吐量通常受接收方的拷贝限制；下面发送端的 CPU 开销才是零拷贝省下的。',
  },
  'rep.chart.cpu': { en: 'Sender CPU seconds per GiB moved', zh: '发送端每传送 1 GiB 的 CPU 秒数' },
  'rep.chart.cpuCap': {
    en: 'User plus system CPU time of the sender (its transfer thread; node-stream: the whole process) per GiB: netperf\'s "service demand"; the whisker spans the runs. Lower is cheaper.',
    zh: '发送端（其传输线程；node-stream：整个进程）每 GiB 的用户态加内核态 CPU 时间：即 netperf 的“service demand”；须线跨越各次运行。越低越省。',
  },
  'rep.chart.median': { en: 'median', zh: '中位数' },
  'rep.chart.minMax': { en: 'min–max', zh: '最小–最大' },
  'rep.chart.min': { en: 'min', zh: '最小' },
  'rep.chart.max': { en: 'max', zh: '最大' },
  'rep.chart.chunkAxis': { en: 'chunk size (bytes per syscall)', zh: '块大小（每次系统调用的字节数）' },
  'rep.chart.sizeAxis': { en: 'file size (bytes per run)', zh: '文件大小（每次运行的字节数）' },
  'rep.chart.tpBy': { en: 'Throughput by {w}', zh: '吞吐量随{w}的变化' },
  'rep.chart.tpByCap': { en: 'Median throughput of each cell as the {w} changes, one line per {o}.', zh: '各单元格的吞吐量中位数随{w}的变化，每个{o}一条线。' },
  'rep.chart.cpuBy': { en: 'Sender CPU seconds per GiB by {w}', zh: '发送端每 GiB 的 CPU 秒数随{w}的变化' },
  'rep.chart.cpuByChunk': { en: 'Smaller chunks mean more syscalls per byte, and each costs CPU.', zh: '块越小，每字节的系统调用越多，每次都要花 CPU。' },
  'rep.chart.cpuBySize': { en: 'Smaller files spread fixed costs over fewer bytes.', zh: '文件越小，固定开销摊到的字节越少。' },
  'rep.chart.sysBy': { en: 'Sender syscalls per MiB by {w}', zh: '发送端每 MiB 的系统调用随{w}的变化' },
  'rep.chart.sysByCap': { en: "Counted by the probes on the sender's threads (each is two user/kernel mode switches).", zh: '由探针在发送端的线程上计数（每次是两次用户态/内核态切换）。' },
  'rep.chart.sysPerMiB': { en: 'syscalls per MiB', zh: '每 MiB 系统调用' },
  'rep.chart.matrix': { en: 'matrix', zh: '矩阵' },
  'rep.chart.size': { en: 'size', zh: '文件大小' },
  'rep.chart.and': { en: '{a} and {b}', zh: '{a}和{b}' },
  'cell.size': { en: 'size {x}', zh: '大小 {x}' },
  'cell.chunk': { en: 'chunk {x}', zh: '块 {x}' },
  'cell.cache': { en: '{x} cache', zh: '{x} 缓存' },
  'cell.sink': { en: 'sink {x}', zh: '接收端 {x}' },
  'cell.engine': { en: 'engine {x}', zh: '引擎 {x}' },
  'cell.for': { en: 'for {x}', zh: '持续 {x}' },
  'cell.at': { en: 'at {x}', zh: '速率 {x}' },
  'cell.onePass': { en: 'one pass', zh: '一遍' },
  'cell.unpaced': { en: 'unpaced', zh: '不限速' },
  'cell.unlimited': { en: 'unlimited', zh: '不限' },
  'cell.failed': { en: 'failed', zh: '失败' },

  // durations
  'dur.s': { en: '{s} s', zh: '{s} 秒' },
  'dur.min': { en: '{m} min', zh: '{m} 分' },
  'dur.minS': { en: '{m} min {s} s', zh: '{m} 分 {s} 秒' },
  'dur.h': { en: '{h} h', zh: '{h} 小时' },
  'dur.hMin': { en: '{h} h {m} min', zh: '{h} 小时 {m} 分' },
  'na': { en: 'n/a', zh: 'n/a' },

  // errors the server sends: by code (ERROR_ZH below), and the headline of a 400
  'error.invalidRunSpec': { en: 'invalid run spec', zh: '运行参数无效' },
  'error.invalidWatch': { en: 'invalid watch request', zh: '观察请求无效' },
  'error.invalidReport': { en: 'invalid report request', zh: '报告请求无效' },
};


/** The shipped scenarios' descriptions (scenarios/*.json; test/i18n.test.ts checks the English is still theirs). */
export const SCENARIOS: Record<string, Message> = {
  "chunk-sweep": { en: "How the chunk size (bytes per syscall) changes the cost: 4 KiB to 1 MiB, for read + write, mmap + write, sendfile and splice over loopback. Small chunks mean more syscalls per byte, each two mode switches; the copies per byte should not change.", zh: "块大小（每次系统调用的字节数）如何改变开销：从 4 KiB 到 1 MiB，对 read + write、mmap + write、sendfile 和 splice，经回环。块越小，每字节的系统调用越多，每次系统调用是两次用户态/内核态切换；每字节的拷贝次数应当不变。" },
  "cold-vs-warm": { en: "The seeds' first DMA copy, disk to page cache, happens only when the file is not cached. Each mode with the file in the page cache (warm) and dropped from it first (cold: posix_fadvise DONTNEED, checked with mincore), over loopback.", zh: "文章里的第一次 DMA 拷贝（磁盘到页缓存）只在文件没有被缓存时才发生。每个模式分别在文件已在页缓存中（热）和先被逐出（冷：posix_fadvise DONTNEED，用 mincore 检查）时运行，经回环。" },
  "modern": { en: "Beyond the articles. io_uring: its copying send (IORING_OP_SEND from a buffer filled by read) against its zero-copy send (IORING_OP_SEND_ZC from the mapped file), 8 linked requests per io_uring_enter, at chunks of 4 KiB to 256 KiB over loopback: where zero-copy starts to pay (Begunkov's RFC: only slightly ahead at 4 KiB, up to 2.44x at 64 KiB on a dummy device). The receiver is on this host, so the kernel copies SEND_ZC's pinned pages on delivery and says so in every notification: the report shows what is left of the gain. kTLS (the seeds' Kafka story, 'zero-copy is lost with TLS'): read-write and sendfile against the same calls on a socket the kernel encrypts (TLS 1.3, AES-GCM-128), at 64 KiB chunks: what encryption costs, and what sendfile still saves under it. A kernel without the tls module refuses the kTLS cells (the report says so); run them with --kernel debian-6.12-cloud.", zh: "超出文章范围。io_uring：它的拷贝式发送（用 read 填充缓冲区后 IORING_OP_SEND）对比它的零拷贝发送（从映射的文件 IORING_OP_SEND_ZC），每次 io_uring_enter 提交 8 个链接的请求，块大小从 4 KiB 到 256 KiB，经由 loopback：零拷贝从哪里开始划算（Begunkov 的 RFC：在 dummy 设备上 4 KiB 时只略微领先，64 KiB 时最多快 2.44 倍）。接收方在本机上，所以内核在投递时会拷贝 SEND_ZC 锁定的页，并在每个通知里说明：报告显示收益还剩多少。kTLS（文章里 Kafka 的故事：“用了 TLS 就没有零拷贝”）：read-write 和 sendfile 对比在内核加密的套接字（TLS 1.3，AES-GCM-128）上做同样的调用，块大小 64 KiB：加密要花多少，以及在加密下 sendfile 还能省下什么。没有 tls 模块的内核会拒绝 kTLS 单元格（报告会说明）；用 --kernel debian-6.12-cloud 运行它们。" },
  "node-vs-native": { en: "What Node apps do today, fs.createReadStream(file).pipe(socket), against sendfile, and against the same read + write loop in native code, at three chunk sizes (Node's stream default is 64 KiB), over loopback.", zh: "如今 Node 应用的做法 fs.createReadStream(file).pipe(socket)，对比 sendfile，以及用原生代码写的同样的 read + write 循环，三种块大小（Node 流的默认值是 64 KiB），经回环。" },
  "seed-apps": { en: "The seeds' table with the systems the articles name, run as real programs and watched: sendfile beside Java's FileChannel.transferTo, Netty's FileRegion, nginx (sendfile on) and Python's socket.sendfile; read + write beside Java streams, nginx (sendfile off) and Node's http server. Over a veth pair with scatter-gather on and off. App modes take their program's own chunk (the lab's modes: 128 KiB).", zh: "用文章里点名的系统，以真实程序运行并观察，来填文章里的表：sendfile 旁边是 Java 的 FileChannel.transferTo、Netty 的 FileRegion、nginx（sendfile on）和 Python 的 socket.sendfile；read + write 旁边是 Java 流、nginx（sendfile off）和 Node 的 http 服务器。经一对 veth，分散/聚集分别开启和关闭。应用模式使用程序自己的块大小（实验室自己的模式：128 KiB）。" },
  "seed-comparison": { en: "The seed articles' table, measured. Their three ways of sending a file: read + write, sendfile as in Linux 2.1 (one CPU copy: here over a device without scatter-gather, sendfile-nogather) and sendfile with DMA gather (Linux 2.4 and later); plus mmap + write and splice. Each over a veth pair with scatter-gather on (veth) and off (veth-nosg), where the kernel must copy every packet linear at transmit. Each run lasts 2 s (the file sent pass after pass): one pass takes 0.1-0.4 s, too short for steady CPU figures.", zh: "文章里的表，实测版。文章里发送文件的三种方式：read + write、Linux 2.1 的 sendfile（一次 CPU 拷贝：这里在不能分散/聚集的设备上运行，即 sendfile-nogather）和带 DMA gather 的 sendfile（Linux 2.4 起）；外加 mmap + write 和 splice。每种都在一对 veth 上运行，分散/聚集分别开启（veth）和关闭（veth-nosg）——关闭时内核必须在发送时把每个数据包拷贝成线性的。每次运行持续 2 秒（文件一遍接一遍地发送）：发一遍只要 0.1-0.4 秒，太短，得不出稳定的 CPU 数字。" },
  "test-small": { en: "A tiny matrix for the test suite and a quick look: read/write against sendfile with two chunk sizes, 2 MiB over loopback.", zh: "给测试套件和快速查看用的小矩阵：read/write 对比 sendfile，两种块大小，经回环传送 2 MiB。" },
  "zerocopy": { en: "MSG_ZEROCOPY (send from pinned user pages, completions from the error queue) against sendfile and read + write, over file sizes from 4 MiB to 512 MiB, on a veth pair. The receiver is on the same host, so the kernel copies the pinned pages on delivery and says so in the completions: the report shows where.", zh: "MSG_ZEROCOPY（从锁定的用户页发送，从错误队列读取完成通知）对比 sendfile 和 read + write，文件大小从 4 MiB 到 512 MiB，在一对 veth 上。接收方在同一主机上，所以内核在投递时会拷贝锁定的页，并在完成通知里说明：报告会显示在哪里。" },
};

// ---------------------------------------------------------------- the glossary: each term once, in both languages

export interface GlossaryEntry { term: string; zhTerm: string; en: string; zh: string }

export const GLOSSARY: GlossaryEntry[] = [
  {
    term: 'zero-copy', zhTerm: '零拷贝',
    en: 'Sending a file without the CPU copying its bytes: the kernel hands the page cache\'s pages to the socket by reference (sendfile, splice), and the device reads them from there. The lab counts every CPU copy, so "zero" is measured, not assumed.',
    zh: '发送文件时不让 CPU 拷贝其中的字节：内核把页缓存的页按引用交给套接字（sendfile、splice），由设备直接从那里读取。实验室计数每一次 CPU 拷贝，所以“零”是测出来的，不是假定的。',
  },
  {
    term: 'CPU copy', zhTerm: 'CPU 拷贝',
    en: 'The CPU moves bytes from one buffer to another (memcpy in the kernel): page cache to user buffer on read(), user buffer to socket buffer on write(). The diagram draws them red; the tables count them per byte moved.',
    zh: '由 CPU 把字节从一个缓冲区搬到另一个（内核里的 memcpy）：read() 时从页缓存到用户缓冲区，write() 时从用户缓冲区到套接字缓冲区。图中用红色画出；表中按每传送 1 字节计数。',
  },
  {
    term: 'DMA copy', zhTerm: 'DMA 拷贝',
    en: 'A device controller moves the bytes without the CPU (Direct Memory Access): the disk into the page cache, the page into a real NIC. On lo and veth, the lab\'s paths, the transmit is a handoff in memory, not a DMA.',
    zh: '由设备控制器而不是 CPU 搬运字节（Direct Memory Access，直接内存访问）：磁盘到页缓存，页到真实网卡。在实验室的路径 lo 和 veth 上，发送只是内存里的交接，不是 DMA。',
  },
  {
    term: 'DMA gather (scatter-gather)', zhTerm: 'DMA gather（分散/聚集）',
    en: 'A device that can read one packet from several pieces of memory: the socket buffer then only holds descriptors (address, offset, length) of page-cache pages, and no CPU copy is needed (Linux 2.4\'s sendfile). Without it the kernel copies the packet linear first; the lab shows that on veth-nosg.',
    zh: '设备能从内存中的多个片段读出一个数据包：套接字缓冲区里只记录页缓存页的描述信息（地址、偏移量、长度），不需要 CPU 拷贝（Linux 2.4 的 sendfile）。没有这种能力时，内核先把数据包拷贝成线性的；实验室在 veth-nosg 上演示这一点。',
  },
  {
    term: 'mode switch (user/kernel)', zhTerm: '用户态/内核态切换',
    en: 'Entering the kernel for a syscall and returning to user space: two switches per syscall. These are what the seed articles call "context switches" (4 for read + write, 2 for sendfile); the lab counts them as syscalls × 2.',
    zh: '为一次系统调用进入内核，再返回用户空间：每次系统调用两次切换。文章里所说的“上下文切换”指的就是它（read + write 4 次，sendfile 2 次）；实验室按“系统调用次数 × 2”计数。',
  },
  {
    term: 'context switch (scheduler)', zhTerm: '上下文切换（调度器）',
    en: 'The scheduler takes a thread off a CPU and runs another: when the thread blocks (voluntary) or is preempted (involuntary). The lab\'s "ctx sw" columns count these; they are not the articles\' "context switches".',
    zh: '调度器把一个线程从 CPU 上换下、换上另一个：线程阻塞时（自愿）或被抢占时（非自愿）。实验室的“ctx sw”各栏统计的是它；它不是文章里的“上下文切换”。',
  },
  {
    term: 'syscall', zhTerm: '系统调用',
    en: 'A call into the kernel (read, write, sendfile, splice, send, mmap): each one is two mode switches. The diagram writes them out per mode, e.g. read() × 2048 + write() × 2048.',
    zh: '对内核的一次调用（read、write、sendfile、splice、send、mmap）：每次是两次用户态/内核态切换。图中按模式逐一列出，例如 read() × 2048 + write() × 2048。',
  },
  {
    term: 'page cache', zhTerm: '页缓存',
    en: 'The kernel\'s copy of file data in memory (the articles\' "kernel buffer" or "read buffer"). A warm run finds the file there; a cold one reads it from disk by DMA first.',
    zh: '内核在内存里保存的文件数据（文章里的“内核缓冲区”或“read buffer”）。热缓存运行时文件已经在里面；冷缓存运行时要先用 DMA 从磁盘读进来。',
  },
  {
    term: 'user buffer', zhTerm: '用户缓冲区',
    en: 'Memory of the sending program, in user space: read() fills it with a CPU copy and write() copies out of it again. sendfile and splice never touch it.',
    zh: '发送程序在用户空间的内存：read() 用一次 CPU 拷贝把它填满，write() 再从里面拷贝出去。sendfile 和 splice 根本不经过它。',
  },
  {
    term: 'socket buffer', zhTerm: '套接字缓冲区',
    en: 'The kernel\'s queue of data a TCP socket has to send: it holds copied bytes, or references to pages (sendfile, splice, MSG_ZEROCOPY).',
    zh: '内核为 TCP 套接字保存待发送数据的队列：里面可以是拷贝进来的字节，也可以是页的引用（sendfile、splice、MSG_ZEROCOPY）。',
  },
  {
    term: 'sendfile', zhTerm: 'sendfile',
    en: 'One syscall that sends a file to a socket inside the kernel: no user buffer, 2 mode switches per call; zero CPU copies when the device gathers (Java\'s FileChannel.transferTo uses it).',
    zh: '一次系统调用就在内核里把文件发给套接字：没有用户缓冲区，每次调用 2 次用户态/内核态切换；设备能聚集时零次 CPU 拷贝（Java 的 FileChannel.transferTo 底层就是它）。',
  },
  {
    term: 'splice', zhTerm: 'splice',
    en: 'Moves page references between a file, a pipe and a socket without copying: file -> pipe, then pipe -> socket, two syscalls per chunk.',
    zh: '在文件、管道和套接字之间移动页的引用而不拷贝：先文件 -> 管道，再管道 -> 套接字，每块两次系统调用。',
  },
  {
    term: 'mmap', zhTerm: 'mmap（内存映射）',
    en: 'Maps the file\'s page-cache pages into the program\'s address space: reading the file costs no copy, but write() from the mapping still copies into the socket buffer.',
    zh: '把文件在页缓存中的页映射到程序的地址空间：读文件不需要拷贝，但从映射区 write() 时仍要拷贝进套接字缓冲区。',
  },
  {
    term: 'MSG_ZEROCOPY', zhTerm: 'MSG_ZEROCOPY',
    en: 'A send() flag: the kernel pins the user pages and sends them by reference, and reports on the socket\'s error queue when they are free again, or that it copied them after all (to a receiver on the same host it does).',
    zh: 'send() 的一个标志：内核锁定（pin）用户页并按引用发送，在这些页可以复用时通过套接字的错误队列通知，或者告知最终还是拷贝了（发给同一主机上的接收方时就会拷贝）。',
  },
  {
    term: 'retransmit', zhTerm: '重传',
    en: 'TCP sends a segment again when it was not acknowledged in time. The device\'s transmit count includes these bytes, which is why it can exceed the file\'s size.',
    zh: 'TCP 在一个报文段没有及时得到确认时再次发送它。设备的发送计数包括这些字节，所以它可能比文件本身还大。',
  },
  {
    term: 'linearize', zhTerm: '线性化',
    en: 'Copying a packet made of page fragments into one contiguous buffer, for a device without scatter-gather: the CPU copy that sendfile still pays on such a device.',
    zh: '为没有分散/聚集能力的设备，把由多个页片段组成的数据包拷贝进一块连续的缓冲区：在这类设备上 sendfile 仍要付出的那次 CPU 拷贝。',
  },
];

function glossaryMessages(): Record<string, Message> {
  const out: Record<string, Message> = {};
  GLOSSARY.forEach((g, i) => {
    out[`glossary.${i}.term`] = { en: g.term, zh: g.zhTerm };
    out[`glossary.${i}.text`] = { en: g.en, zh: g.zh };
  });
  return out;
}

/** The catalogue: every key with its English and Chinese. */
export const MESSAGES: Record<string, Message> = {
  ...derived(),
  ...UI,
  ...Object.fromEntries(Object.entries(SCENARIOS).map(([k, v]) => [`scenario.${k}`, v])),
  ...glossaryMessages(),
};

/** What every language shows as it is: the names of modes, paths, sinks, caches, engines, roles and counters (they are what the CLI and the API take). */
export const NAMES: string[] = [...MODE_NAMES, ...PATH_NAMES, ...SINK_NAMES, ...CACHE_NAMES, ...ENGINE_NAMES, ...COUNTERS.map((c) => c.name), 'zerocopy-lab', 'sender', 'sink', 'libbpf', 'bpftrace', 'SO_EE_CODE_ZEROCOPY_COPIED', 'MSG_ZEROCOPY', 'MSG_TRUNC', 'EAGAIN',
  // syscalls, as the probes name them
  'read', 'write', 'writev', 'pread64', 'readv', 'send', 'sendto', 'sendmsg', 'sendmmsg', 'recvfrom', 'recvmsg', 'sendfile', 'sendfile64', 'splice', 'mmap', 'munmap', 'tee', 'vmsplice', 'copy_file_range'];

/** A key in a language, its `{name}` placeholders filled in. */
export function msg(lang: Lang, key: string, params: Record<string, string | number> = {}): string {
  const m = MESSAGES[key];
  const s = m ? m[lang] || m.en : key;
  return s.replace(/\{([a-zA-Z]\w*)\}/g, (all, n: string) => (n in params ? String(params[n]) : all));
}
