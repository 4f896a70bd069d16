// The walk of the message catalogue against a page in Chinese (issue 14, item 9),
// shared by the dashboard's and the report's tests.
import type { Page } from 'playwright-core';
import { MESSAGES, NAMES } from '../server/view/messages.js';

/** The visible text of the page, node by node (the glossary's English column, code and the language switch left out), and the placeholders. */
export function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const v = (n.nodeValue ?? '').trim();
      const p = n.parentElement;
      // left out: what is data, not the lab's text (processes' command lines), and the glossary, bilingual by design
      if (!v || !p || p.closest('script, style, noscript, code, pre, [translate="no"], [lang="en"], #lang-switch, select option:not(:checked), .cmd, .conns, .proc label strong, #glossary-table')) continue;
      if (!p.getClientRects().length) continue;
      const style = getComputedStyle(p);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      out.push(v);
    }
    for (const e of document.querySelectorAll('input[placeholder]')) {
      const v = e.getAttribute('placeholder');
      if (v && (e as HTMLElement).getClientRects().length) out.push(v);
    }
    return out;
  });
}

/** What in `texts` is English the catalogue translates, or reads as an English phrase. */
export function untranslated(texts: string[]): string[] {
  const names = [...NAMES].sort((a, b) => b.length - a.length);
  const english = Object.values(MESSAGES).filter((m) => m.en !== m.zh && /[a-z]{2}/.test(m.en));
  // Long values (a phrase) must not appear anywhere; short ones (a word) must not be a whole text.
  const phrases = english.filter((m) => m.en.includes(' ') && m.en.replace(/\{\w+\}/g, '').length >= 12).map((m) => m.en.split(/\{\w+\}/).sort((a, b) => b.length - a.length)[0].trim()).filter((p) => p.length >= 12 && !NAMES.includes(p));
  const words = new Set(english.map((m) => m.en.trim()));
  const bad: string[] = [];
  for (const t of texts) {
    if (words.has(t)) bad.push(`catalogue value: ${t}`);
    const p = phrases.find((x) => t.includes(x));
    if (p) bad.push(`holds "${p}": ${t}`);
    let rest = t;
    for (const n of names) rest = rest.split(n).join(' ');
    rest = rest.replace(/[\w.-]+\.(json|html|md|csv)\b/g, ' ').replace(/`[^`]*`/g, ' ');
    if (/\b[a-zA-Z]{2,}[ ,]+[a-zA-Z]{2,}[ ,]+[a-zA-Z]{2,}\b/.test(rest)) bad.push(`English words: ${t}`);
  }
  return [...new Set(bad)];
}

