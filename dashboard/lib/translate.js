// The translator of the one message catalogue (server/view/messages.ts, served as
// GET /api/messages and embedded in report.html): keys -> {en, zh}, `{name}`
// placeholders. t(key, params) renders a key; tx(text) translates an English
// text the server or the page composed (mode summaries, verdicts, the diagram's
// labels) by matching it against the catalogue's English values: exact first,
// then the templates (their placeholders translated in turn), then its parts
// around "; " and ": ". translateTree() does that to every text node and title,
// aria-label and placeholder under a root, and keeps doing it as the page changes.
//
// No imports and no exports but these: report.html inlines this file as is
// (write-html.ts strips the `export` keywords).

/** @typedef {Record<string, {en: string, zh: string}>} Messages */
/** @typedef {'en' | 'zh'} Lang */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'kB', 'MB', 'GB', 's', 'ms', 'min', 'h', 'n/a', 'B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'SG', 'lo', 'veth', 'pid', 'CPU', 'DMA', 'TCP', 'MiB/MiB', 'CPU s/GiB', 'UTC'];

/**
 * @param {Messages} messages
 * @param {Lang} lang
 * @param {string[]} [names] what is shown as it is in every language: mode, path, sink, cache, engine and counter names
 */
export function makeTranslator(messages, lang, names = []) {
  // Names longest first, so "veth-nosg" goes before "veth".
  const keep = [...new Set([...names, ...UNITS])].sort((a, b) => b.length - a.length).map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const keepRe = new RegExp(`(^|[^\\w-])(${keep.join('|')})(?![\\w-])`, 'g');
  /** Nothing to translate in it: numbers, units, names, punctuation. @param {string} s */
  const plain = (s) => !/[a-zA-Z]/.test(s.replace(keepRe, '$1').replace(/\b[a-z_]+\(\)/g, '').replace(/[\w.-]+\.(json|html|md|csv|c|bt|js|mjs|py)\b/g, '').replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/g, ''));
  /** @type {Map<string, string>} English value -> Chinese (both trimmed: the text's own spaces around it are kept) */
  const exact = new Map();
  /** @type {{res: RegExp[], names: string[], zh: string, fixed: number}[]} */
  const templates = [];
  for (const m of Object.values(messages)) {
    const en = m.en.trim();
    const zh = m.zh.trim();
    if (!en) continue;
    if (!/\{[a-zA-Z]\w*\}/.test(en)) {
      if (en !== zh) exact.set(en, zh);
      continue;
    }
    /** @type {string[]} */
    const names = [];
    /** @param {string} capture */
    const source = (capture) =>
      en
        .split(/(\{[a-zA-Z]\w*\})/)
        .map((part) => {
          const p = /^\{([a-zA-Z]\w*)\}$/.exec(part);
          if (p) {
            names.push(p[1]);
            return capture;
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
    // Shortest placeholders first; when one of them does not translate, the longest.
    const lazy = new RegExp(`^${source('([\\s\\S]*?)')}$`);
    names.length = 0;
    const greedy = new RegExp(`^${source('([\\s\\S]*)')}$`);
    templates.push({ res: [lazy, greedy], names, zh, fixed: en.replace(/\{\w+\}/g, '').length });
  }
  // The most specific (most fixed text) first.
  templates.sort((a, b) => b.fixed - a.fixed);

  /** @param {string} key @param {Record<string, string | number>} [params] */
  const t = (key, params = {}) => {
    const m = messages[key];
    const s = m ? m[lang] || m.en : key;
    return s.replace(/\{([a-zA-Z]\w*)\}/g, (all, n) => (n in params ? String(params[n]) : all));
  };

  /** @type {Map<string, string>} */
  const memo = new Map();
  // One text's search: the parts already tried (at a depth), and a bound on the steps, so a long
  // text that matches nothing fails in bounded time instead of trying every template on every split.
  /** @type {Map<string, string | null>} */
  const tried = new Map();
  let budget = 0;
  /**
   * @param {string} text
   * @param {number} [depth]
   * @returns {string | null} null: no translation found
   */
  const find = (text, depth = 0) => {
    if (!text || depth > 8 || --budget < 0) return null;
    const key = `${depth}\u0000${text}`;
    const seen = tried.get(key);
    if (seen !== undefined) return seen;
    const found = search(text, depth);
    tried.set(key, found);
    return found;
  };
  /** @param {string} text @param {number} depth @returns {string | null} */
  const search = (text, depth) => {
    // A part with spaces around it: the part translated, its spaces kept.
    const core = text.trim();
    if (core !== text) {
      const w = find(core, depth);
      if (w === null) return null;
      // no space beside a full-width bracket or a Chinese character
      const wide = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
      const lead = wide.test(w[0] ?? '') ? '' : text.slice(0, text.indexOf(core));
      const trail = wide.test(w[w.length - 1] ?? '') ? '' : text.slice(text.indexOf(core) + core.length);
      return lead + w + trail;
    }
    const hit = exact.get(text);
    if (hit !== undefined) return hit;
    // A sentence's full stop: the sentence translated, then "。".
    if (/[^.]\.$/.test(text)) {
      const w = find(text.slice(0, -1), depth + 1);
      if (w !== null) return `${w}。`;
    }
    // A list first ("a · b · c"), when each of its items translates.
    if (text.includes(' · ')) {
      const out = text.split(' · ').map((p) => find(p, depth + 1));
      if (out.every((p) => p !== null)) return out.join(' · ');
    }
    for (const tp of templates) {
      for (const re of tp.res) {
        const m = re.exec(text);
        if (!m) break;
        /** @type {Record<string, string>} */
        const vals = {};
        let ok = true;
        tp.names.forEach((n, i) => {
          const v = m[i + 1];
          // A placeholder holds a name, a number, a value (one word: kept) or a phrase of its own, which must translate too.
          // ({rawX}: data shown as it is, e.g. an OS's or a CPU's name.)
          const w = v === '' || n.startsWith('raw') ? v : find(v, depth + 1) ?? (/^\S+$/.test(v) ? v : null);
          if (w === null) ok = false;
          else vals[n] = w;
        });
        if (ok) return tp.zh.replace(/\{([a-zA-Z]\w*)\}/g, (all, n) => vals[n] ?? all);
      }
    }
    if (plain(text)) return text;
    for (const sep of ['; ', ': ', ', ']) {
      if (!text.includes(sep)) continue;
      const parts = text.split(sep);
      const out = parts.map((p) => find(p, depth + 1));
      if (out.every((p) => p !== null)) return out.join(sep === ': ' ? '：' : sep === '; ' ? '；' : '，');
    }
    return null;
  };

  /** The text in the chosen language (English: as it is; no translation: as it is). @param {string} text */
  const tx = (text) => {
    if (lang === 'en' || !text) return text;
    const c = memo.get(text);
    if (c !== undefined) return c;
    const lead = /^\s*/.exec(text)?.[0] ?? '';
    const trail = /\s*$/.exec(text)?.[0] ?? '';
    const core = text.slice(lead.length, text.length - trail.length);
    tried.clear();
    budget = 4000;
    const found = find(core);
    const out = found === null ? text : lead + found + trail;
    if (memo.size > 5000) memo.clear();
    memo.set(text, out);
    return out;
  };
  return { lang, t, tx };
}

const ATTRS = ['title', 'aria-label', 'placeholder'];

/**
 * Translates every text node and title/aria-label/placeholder under `root`, now and as it changes
 * (English: nothing to do). Elements marked `data-i18n="KEY"` get t(KEY); `translate="no"` and code are left alone.
 * @param {Element} root
 * @param {{lang: Lang, t: (key: string) => string, tx: (text: string) => string}} tr
 */
export function translateTree(root, tr) {
  if (tr.lang === 'en') return;
  /** @param {Node} n */
  const skip = (n) => {
    const e = n.nodeType === 1 ? /** @type {Element} */ (n) : n.parentElement;
    return !!e?.closest('script, style, noscript, code, pre, [translate="no"]');
  };
  /** @param {Node} n */
  const text = (n) => {
    if (skip(n)) return;
    const v = n.nodeValue ?? '';
    const w = tr.tx(v);
    if (w !== v) n.nodeValue = w;
  };
  /** @param {Element} e */
  const attrs = (e) => {
    if (e.closest('script, style, [translate="no"]')) return;
    const key = e.getAttribute('data-i18n');
    if (key && e.textContent !== tr.t(key)) e.textContent = tr.t(key);
    for (const a of ATTRS) {
      const v = e.getAttribute(a);
      if (v) {
        const w = tr.tx(v);
        if (w !== v) e.setAttribute(a, w);
      }
    }
  };
  /** @param {Node} node */
  const walk = (node) => {
    if (node.nodeType === 3) return text(node);
    if (node.nodeType !== 1) return;
    const e = /** @type {Element} */ (node);
    attrs(e);
    // SVG <title> is a tooltip: translated as text
    for (const c of Array.from(e.childNodes)) walk(c);
  };
  walk(root);
  const obs = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') text(r.target);
      else if (r.type === 'attributes') attrs(/** @type {Element} */ (r.target));
      else for (const n of Array.from(r.addedNodes)) walk(n);
    }
  });
  obs.observe(root, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS });
  return obs;
}
