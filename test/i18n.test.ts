// The message catalogue (server/view/messages.ts; issue 14, item 9): every key has
// both languages with the same placeholders; every text /api/modes sends (the mode
// catalog's words, the diagrams, the charts) has a Chinese translation; the
// composed sentences of the page translate whole; the shipped scenarios'
// descriptions are still the catalogue's English.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTranslator } from '../dashboard/lib/translate.js';
import { modesDocument } from '../server/api/modes.js';
import { ROOT } from '../server/project.js';
import { GLOSSARY, MESSAGES, NAMES, SCENARIOS } from '../server/view/messages.js';

const zh = makeTranslator(MESSAGES, 'zh', NAMES);
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const CJK = /[\u4e00-\u9fff]/;

/** Every string in the modes document a page shows: values of these keys, and the text of its SVG and legend. */
function shownStrings(): string[] {
  const out: string[] = [];
  const SHOWN = new Set(['summary', 'note', 'program', 'switchesNote', 'label', 'detail', 'title', 'unit', 'emptyText', 'notFor', 'description']);
  const walk = (v: unknown, key = '') => {
    if (typeof v === 'string') {
      if (/^\s*</.test(v)) for (const m of v.matchAll(/>([^<>]+)</g)) out.push(m[1].replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&'));
      else if (SHOWN.has(key)) out.push(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, key === 'subtitles' || key === 'cache' || key === 'sink' || key === 'gatherNote' ? 'label' : k);
  };
  walk(modesDocument());
  return [...new Set(out.map((s) => s.trim()).filter((s) => /[a-z]{2}/.test(s)))];
}

describe('message catalogue', () => {
  it('has both languages for every key, with the same placeholders, and Chinese in the Chinese', () => {
    const bad: string[] = [];
    for (const [k, m] of Object.entries(MESSAGES)) {
      if (!m.en.trim() || !m.zh.trim()) bad.push(`${k}: empty`);
      if (placeholders(m.en).join() !== placeholders(m.zh).join()) bad.push(`${k}: placeholders ${placeholders(m.en)} vs ${placeholders(m.zh)}`);
      // Chinese unless it is a name, a unit or a formula kept in every language
      const words = m.zh.replace(/\{\w+\}/g, '');
      if (!CJK.test(words) && m.zh !== m.en && /[a-z]{3}/.test(words) && !/^mode\.[\w-]+\.program$|^rep\.env\.software/.test(k)) bad.push(`${k}: no Chinese in ${m.zh}`);
    }
    expect(bad).toEqual([]);
    expect(Object.keys(MESSAGES).length).toBeGreaterThan(300);
  });

  it('translates every text the server sends in /api/modes', () => {
    const missing = shownStrings().filter((s) => zh.tx(s) === s);
    expect(missing).toEqual([]);
  });

  it('translates the sentences the page composes, the terms as the seeds use them', () => {
    expect(zh.tx('read() × 2,048 + write() × 2,048 = 4 mode switches per chunk (2,048 chunks; 2 per syscall; textbook 4)')).toBe(
      'read() × 2,048 + write() × 2,048 = 每块 4 次用户态/内核态切换（共 2,048 块；每次系统调用 2 次；教科书 4）',
    );
    expect(zh.tx('CPU copies per byte: 2 (textbook 2): file → user 1 + user → socket 1 · to device 5.94 MiB, incl. 0 B retransmitted')).toBe(
      '每字节 CPU 拷贝：2（教科书 2）：文件 → 用户 1 + 用户 → 套接字 1 · 交给设备 5.94 MiB，其中重传 0 B',
    );
    expect(zh.tx('read-write over veth-nosg, 256 MiB in 128 KiB chunks, warm cache, read sink: finished, final counts')).toBe(
      'read-write，经 veth-nosg，256 MiB，每块 128 KiB，warm 缓存，read 接收端：已完成，最终计数',
    );
    expect(zh.tx('running: read-write over loopback, 4 MiB for 3 s at 8 MiB/s · 1.2 s of 3 s, 2 MiB sent · 8 MiB/s')).toBe(
      '运行中：read-write，经 loopback，4 MiB，持续 3 秒，速率 8 MiB/s · 1.2 秒 / 3 秒，已发送 2 MiB · 8 MiB/s',
    );
    // a verdict's reason (server/probes/textbook.ts)
    expect(zh.tx("the path device has scatter-gather off, so the kernel copied every packet linear at transmit (copy_linearize_bytes = 1.00 per byte); the textbook's NIC gathers")).toMatch(/^路径上的设备关闭了分散\/聚集/);
    expect(zh.tx("4.10 mode switches per chunk against 4 (read 33, write 32): Node's stream issues its own reads and writes, not one of each per chunk")).toBe(
      '每块 4.10 次用户态/内核态切换，教科书为 4（read 33, write 32）：Node 的流自行决定读写次数，并非每块各一次读、一次写',
    );
    // a finding of the Watch view (server/probes/verdict.ts)
    expect(zh.tx('the device cannot gather: 12 MiB of TCP payload copied into linear packets at transmit (98% of the bytes sent), so even sendfile costs a CPU copy; turn scatter-gather on (ethtool -K DEV sg on) or send over a device that has it')).toBe(
      '设备不能聚集：发送时有 12 MiB 的 TCP 载荷被拷贝进线性数据包（占发送字节的 98%），所以连 sendfile 也要付出一次 CPU 拷贝；请开启分散/聚集（ethtool -K DEV sg on），或经由支持它的设备发送',
    );
    expect(zh.tx('DMA')).toBe('DMA 拷贝');
    // who ran a run, in the recent runs (issue 14, item 8)
    expect(['dashboard', 'CLI', 'report', 'from', 'report directory: h14-tiny-20261201-130000'].map((x) => zh.tx(x))).toEqual(['仪表盘', '命令行', '报告', '来源', '报告目录：h14-tiny-20261201-130000']);
    expect(zh.tx('CPU copy')).toBe('CPU 拷贝');
    // English stays English
    const en = makeTranslator(MESSAGES, 'en', NAMES);
    expect(en.tx('CPU copy')).toBe('CPU copy');
    expect(en.t('form.start')).toBe('Start run');
    expect(zh.t('form.start')).toBe('开始运行');
  });

  it('has the shipped scenarios\' descriptions, and a glossary of the seeds\' terms in both languages', () => {
    const dir = join(ROOT, 'scenarios');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const m = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { name: string; description?: string };
      if (m.description) expect(SCENARIOS[m.name]?.en, f).toBe(m.description);
    }
    const terms = GLOSSARY.map((g) => g.zhTerm).join(' ');
    for (const t of ['零拷贝', 'DMA 拷贝', 'CPU 拷贝', '上下文切换', '用户态/内核态切换', '系统调用', '页缓存', '套接字缓冲区', '分散/聚集', '重传', 'sendfile', 'splice', 'mmap', 'MSG_ZEROCOPY']) expect(terms).toContain(t);
  });
});
