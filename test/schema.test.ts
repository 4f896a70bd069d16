// The counter catalog is bpf/counters.h: server/probes/schema.generated.ts is
// generated from the header's text (scripts/gen-schema.mjs) and committed, so the
// TypeScript type-checks without the native toolchain. Pure: no addon, no eBPF
// (test/probes.test.ts checks the file against what the addon exports).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, without types
import { generate, OUT } from '../scripts/gen-schema.mjs';
import { COPY_COUNTERS, derive } from '../server/probes/derive.js';
import { COUNTER_KINDS, COUNTER_NAMES, COUNTERS, countersOfKind } from '../server/probes/schema.generated.js';
import { MODE_NAMES } from '../scenarios/catalog.js';
import { flowLayout } from '../server/view/flow.js';
import type { RoleCounts } from '../server/probes/types.js';

const ROOT = join(import.meta.dirname, '..');

describe('the counter catalog (bpf/counters.h)', () => {
  it('schema.generated.ts is current with the header (else: node scripts/gen-schema.mjs)', () => {
    expect(OUT).toBe(join(ROOT, 'server', 'probes', 'schema.generated.ts'));
    expect(readFileSync(OUT, 'utf8')).toBe(generate());
  });

  it('gives every counter a kind, a short label and the probe points it needs', () => {
    for (const c of COUNTERS) {
      expect(COUNTER_KINDS, c.name).toContain(c.kind);
      expect(c.label.length, c.name).toBeGreaterThan(0);
      expect(c.needs.length, c.name).toBeGreaterThan(0);
    }
    expect(new Set(COUNTERS.flatMap((c) => c.needs))).toEqual(
      new Set(['sys_enter', 'sys_exit', 'sched_switch', 'page_fault_user', 'page_fault_kernel', 'send', 'net_dev_start_xmit', 'tcp_retransmit_skb', 'skb_copy_datagram_iovec', 'mm_filemap_add_to_page_cache', 'io_uring_complete', 'tls_encrypt']),
    );
  });

  it('cpu_copy_bytes sums exactly the CPU copies: every copy_* counter and the MSG_ZEROCOPY bytes copied after all', () => {
    expect([...COPY_COUNTERS].sort()).toEqual([...COUNTER_NAMES.filter((n) => n.startsWith('copy_')), 'zerocopy_copied_bytes'].sort());
    const counters = Object.fromEntries(COUNTER_NAMES.map((n, i) => [n, 2 ** i])) as RoleCounts['counters'];
    const d = derive({ counters, syscalls: {} } as RoleCounts, 2 ** 20, 16);
    expect(d.cpu_copy_bytes).toBe(COPY_COUNTERS.reduce((a, n) => a + counters[n]!, 0));
  });

  it('splits the counters of bytes moved into DMA, CPU copies and references; the rest are events', () => {
    expect(countersOfKind('dma')).toEqual(['block_read_bytes', 'dev_xmit_bytes']);
    expect(countersOfKind('ref')).toEqual(['splice_ref_bytes', 'zerocopy_bytes', 'zerocopy_receive_bytes']);
    expect(countersOfKind('event')).toEqual(['syscalls', 'ctx_switches', 'ctx_switches_voluntary', 'ctx_switches_involuntary', 'page_faults', 'retransmit_bytes', 'uring_sqes']);
  });

  it("the diagram's arrows are of their counter's kind", () => {
    for (const mode of MODE_NAMES)
      for (const a of flowLayout({ mode }).arrows) if (a.measure) expect(a.kind, `${mode} ${a.id}`).toBe(COUNTERS.find((c) => c.name === a.measure!.counter)!.kind);
  });
});
