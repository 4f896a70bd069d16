// The dashboard's language (English / 简体中文): chosen by ?lang=zh|en in the
// address or the switch in the tab bar, remembered in localStorage; <html lang>
// set. The catalogue comes from GET /api/messages (server/view/messages.ts);
// translate.js renders its keys and translates the page's and the server's
// English text as it appears. Also the glossary panel: each term once, in both
// languages.
import { makeTranslator, translateTree } from './translate.js';
import { el } from './format.js';

/** @typedef {import('./translate.js').Lang} Lang */
/** @typedef {{term: string, zhTerm: string, en: string, zh: string}} GlossaryEntry */

const STORE = 'zcl-lang';

/** The language asked for: ?lang=, else the one remembered, else the browser's. @returns {Lang} */
export function chosenLang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'zh' || q === 'en') {
    try {
      localStorage.setItem(STORE, q);
    } catch {}
    return q;
  }
  let saved = null;
  try {
    saved = localStorage.getItem(STORE);
  } catch {}
  if (saved === 'zh' || saved === 'en') return saved;
  return navigator.language?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let tr = makeTranslator({}, 'en');
/** @type {GlossaryEntry[]} */
let glossary = [];

/** A catalogue key in the page's language. @param {string} key @param {Record<string, string | number>} [params] */
export const t = (key, params) => tr.t(key, params);
/** English text (the page's or the server's) in the page's language. @param {string} text */
export const tx = (text) => tr.tx(text);
/**
 * An error the server sent, in the page's language: its own words translated, else what its code means
 * (the registry's, server/core/errors.ts), with the words beside it.
 * @param {string | undefined} code
 * @param {string} message
 */
export function errorText(code, message) {
  if (tr.lang === 'en') return message;
  const own = tr.tx(message);
  if (own !== message || !code) return own;
  const what = tr.t(`error.${code}`);
  return what === `error.${code}` ? message : `${what}（${message}）`;
}
/** The page's language. @returns {Lang} */
export const lang = () => tr.lang;

/**
 * Loads the catalogue, sets the page's language, draws the switch and the glossary, and translates the page as it changes.
 * Without the catalogue (the API unreachable) the page stays English.
 */
export async function initI18n() {
  const want = chosenLang();
  /** @type {{messages: import('./translate.js').Messages, glossary: GlossaryEntry[], names?: string[]}} */
  let doc = { messages: {}, glossary: [] };
  try {
    const res = await fetch('/api/messages', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (res.ok) doc = await res.json();
  } catch {}
  const ok = Object.keys(doc.messages).length > 0;
  const l = ok ? want : 'en';
  tr = makeTranslator(doc.messages, l, doc.names ?? []);
  glossary = doc.glossary;
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  document.documentElement.dataset.lang = l;
  document.title = tx(document.title);
  // Text with markup in it (code elements) comes whole from the catalogue.
  for (const e of document.querySelectorAll('[data-i18n-html]')) {
    const key = e.getAttribute('data-i18n-html') ?? '';
    if (doc.messages[key]) e.innerHTML = t(key);
  }
  drawSwitch(want);
  drawGlossary();
  translateTree(document.body, tr);
}

/** @param {Lang} current */
function drawSwitch(current) {
  const host = document.getElementById('lang-switch');
  if (!host) return;
  const sel = el('select', { id: 'lang-select', 'aria-label': 'Language / 语言', translate: 'no' },
    el('option', { value: 'en', lang: 'en' }, 'English'), el('option', { value: 'zh', lang: 'zh-CN' }, '简体中文'));
  sel.value = current;
  sel.addEventListener('change', () => {
    try {
      localStorage.setItem(STORE, sel.value);
    } catch {}
    // The new language everywhere at once: the page is drawn again (the address keeps no ?lang= that would override the choice).
    const u = new URL(location.href);
    u.searchParams.delete('lang');
    location.replace(u.toString());
  });
  host.replaceChildren(sel);
}

/** Each term once, in both languages (left alone by the translation: translate="no"). */
function drawGlossary() {
  const host = document.getElementById('glossary-list');
  if (!host || !glossary.length) return;
  const zhFirst = tr.lang === 'zh';
  const rows = glossary.map((g, i) => {
    const en = el('td', { lang: 'en', class: 'gl-en' }, g.en);
    const zh = el('td', { lang: 'zh-CN', class: 'gl-zh' }, g.zh);
    return el('tr', { 'data-term': String(i), translate: 'no' },
      el('th', { scope: 'row' }, el('span', { lang: 'zh-CN' }, g.zhTerm), el('br'), el('span', { lang: 'en' }, g.term)),
      ...(zhFirst ? [zh, en] : [en, zh]));
  });
  const head = el('tr', { translate: 'no' }, el('th', {}, '术语 / term'), ...(zhFirst ? [el('th', {}, '中文'), el('th', {}, 'English')] : [el('th', {}, 'English'), el('th', {}, '中文')]));
  host.replaceChildren(el('table', { class: 'data glossary-table', id: 'glossary-table' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}
