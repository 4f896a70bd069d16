// Watch mode for the bpftrace engine: the planned program of bpf/zcl.bt (a lab
// run's: two tgids, a device, a port, a file, as $1..$7) rewritten to count
// processes the lab did not start, as the libbpf engine's watch mode does:
//
//   - the role predicates `pid == $1 || pid == $2` become a lookup in
//     @zcl_watched (tgid -> role + 1), filled in BEGIN with the watched tgids;
//     every watched process counts in the sender role (0), a lab run's sink
//     (app modes: the watched program's client) in the sink role (1);
//   - with follow, sched_process_fork adds a watched process's children (and,
//     keyed by tid, its new threads: harmless, their tgid is watched already),
//     and sched_process_exit removes a process when its last thread exits;
//   - transmit and retransmit are attributed by socket (@zcl_socks: the TCP
//     sockets a watched process made a data syscall on -> its role + 1, and its port
//     pair in @zcl_sock_ports: a socket freed and its memory reused by another
//     connection does not match), on any device, instead
//     of the run's device and port;
//   - block reads: pages a watched process brought into the page cache, of any file.
//
// Every rewrite is an exact text replacement of a line the script has today;
// one that no longer matches, or a positional parameter left in the result,
// throws, so a change to zcl.bt cannot silently count the wrong processes.

/** Exact replacements: [what the lab run's program says, what watch mode says]. */
const PREDICATES: [string, string][] = [
  ['/(pid == $1 || pid == $2) && ', '/@zcl_watched[pid] && '],
  ['/pid == $1 || pid == $2/', '/@zcl_watched[pid]/'],
  ['/pid == $1 && ', '/@zcl_watched[pid] && '],
  ['pid == $1 ? 0 : 1', '@zcl_watched[pid] - 1'],
];

/** Whole probe blocks replaced in watch mode (the lab run's filter is a device and a port). */
const BLOCKS: { name: string; from: RegExp; to: string }[] = [
  {
    name: 'transmit',
    from: /^tracepoint:net:net_dev_start_xmit\n[\s\S]*?^}$/m,
    to: `tracepoint:net:net_dev_start_xmit
/@zcl_socks[(uint64)((struct sk_buff *)args->skbaddr)->sk] && @zcl_sock_ports[(uint64)((struct sk_buff *)args->skbaddr)->sk] == ((struct sk_buff *)args->skbaddr)->sk->__sk_common.skc_portpair/
{
  // watch mode: a packet of a socket a watched process used, on any device (IPv4 or IPv6)
  $skb = (struct sk_buff *)args->skbaddr;
  $role = @zcl_socks[(uint64)$skb->sk] - 1;
  $dev = $skb->dev;
  $tcp = (struct tcphdr *)($skb->head + $skb->transport_header);
  $headers = (int64)((uint64)$skb->head + $skb->transport_header - (uint64)$skb->data) + (int64)($tcp->doff * 4);
  $payload = (int64)args->len - $headers;
  if ($payload > 0) {
    @dev_xmit_bytes[$role] = sum($payload);
    if (($dev->features & (1 << NETIF_F_SG_BIT)) == 0 && args->data_len == 0) {
      @copy_linearize_bytes[$role] = sum($payload);
    }
  }
}`,
  },
  {
    name: 'retransmit',
    from: /^tracepoint:tcp:tcp_retransmit_skb\n[\s\S]*?^}$/m,
    to: `tracepoint:tcp:tcp_retransmit_skb
/@zcl_socks[(uint64)args->skaddr] && @zcl_sock_ports[(uint64)args->skaddr] == ((struct sock *)args->skaddr)->__sk_common.skc_portpair/
{
  // watch mode: a retransmission on a socket a watched process used
  @retransmit_bytes[@zcl_socks[(uint64)args->skaddr] - 1] = sum(((struct sk_buff *)args->skbaddr)->len);
}`,
  },
];

/** The block-read predicate (in zcl.bt and its fallback): the run's file. */
const FILE_PREDICATE = '/$7 != 0 && args->i_ino == $7 && args->s_dev == $6/';

/** Where the syscall entry keeps the socket: watch mode remembers it for transmit. */
const SOCKET_KEPT = '      @st_sk[tid] = (uint64)$sk;';

/** The last line of END. */
const FINAL_END = '  printf("zcl batch final end\\n");';

/** The lab run's BEGIN (it prints the positional parameters). */
const BEGIN_BLOCK = /^BEGIN\n\{\n[\s\S]*?^}$/m;

export interface BtWatch {
  /** The watched tgids, children running at the start included (sender role). */
  tgids: number[];
  follow: boolean;
  /** A lab run's sink, counted in the sink role. */
  sinkPid?: number;
}

/** The planned program (ScriptPlan.program) rewritten for watch mode. Throws when a rewrite finds nothing to rewrite. */
export function watchProgram(program: string, w: BtWatch): string {
  if (!w.tgids.length) throw new Error('watch mode needs at least one tgid');
  let p = program;
  const must = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`bpftrace watch mode: bpf/zcl.bt no longer has ${what}; update server/probes/bt-watch.ts`);
  };
  must(BEGIN_BLOCK.test(p), 'its BEGIN block');
  const begin = [
    'BEGIN',
    '{',
    ...w.tgids.map((t) => `  @zcl_watched[${Math.trunc(t)}] = 1;`),
    ...(w.sinkPid ? [`  @zcl_watched[${Math.trunc(w.sinkPid)}] = 2;`] : []),
    `  printf("zcl attached watch tgids=${w.tgids.length} follow=${w.follow ? 1 : 0}\\n");`,
    '}',
  ].join('\n');
  p = p.replace(BEGIN_BLOCK, begin);
  for (const [from, to] of PREDICATES) {
    must(p.includes(from), `the predicate ${from}`);
    p = p.split(from).join(to);
  }
  for (const b of BLOCKS) {
    // A section dropped on this kernel has no block to replace.
    if (b.from.test(p)) p = p.replace(b.from, b.to);
  }
  if (p.includes(FILE_PREDICATE)) p = p.split(FILE_PREDICATE).join('/@zcl_watched[pid]/');
  must(p.includes(SOCKET_KEPT), 'the syscall entry keeping the socket (@st_sk)');
  p = p.replace(SOCKET_KEPT, `${SOCKET_KEPT}\n      if ($sk != 0) { @zcl_socks[(uint64)$sk] = $role + 1; @zcl_sock_ports[(uint64)$sk] = $sk->__sk_common.skc_portpair; }`);

  const follow = w.follow
    ? `
// @section watch_follow
// Watch mode: a watched process's children are watched from their fork.
tracepoint:sched:sched_process_fork
/@zcl_watched[pid]/
{
  @zcl_watched[args->child_pid] = @zcl_watched[pid];
}
`
    : '';
  p += `${follow}
// @section watch_exit
// Watch mode: a thread's entry goes when it exits; a process's when its last thread does (a reused pid is not watched).
tracepoint:sched:sched_process_exit
/@zcl_watched[tid] || @zcl_watched[pid]/
{
  if (tid != pid) { delete(@zcl_watched[tid]); }
  if (curtask->signal->live.counter == 0) { delete(@zcl_watched[pid]); }
}
`;
  // The watch maps are not counters: END empties them, so bpftrace does not print them as it exits.
  must(p.includes(FINAL_END), 'the END batch line');
  p = p.replace(FINAL_END, `${FINAL_END}\n  clear(@zcl_watched);\n  clear(@zcl_socks);\n  clear(@zcl_sock_ports);`);
  const left = /\$[1-9]\b/.exec(p.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, ''));
  must(!left, `no positional parameter in watch mode (found ${left?.[0]})`);
  return p;
}
