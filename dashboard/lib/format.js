// Numbers as people read them.

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * 268435456 -> "256 MiB"; null -> "n/a".
 * @param {number | null | undefined} bytes
 */
export function fmtBytes(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return 'n/a';
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < BIN.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(Math.abs(v) < 10 ? 2 : 1);
  return `${s} ${BIN[i]}`;
}

/** A size for a form field: 262144 -> "256KiB". @param {number} bytes */
export function sizeText(bytes) {
  return fmtBytes(bytes).replace(' ', '');
}

/**
 * 1234.5 -> "1,235"; small numbers keep significant digits.
 * @param {number | null | undefined} v
 * @param {number} [digits]
 */
export function fmtNum(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(digits)).toString();
}

/**
 * Seconds as people read them: 42 -> "42 s", 95 -> "1 min 35 s", 4000 -> "1 h 7 min".
 * @param {number | null | undefined} seconds
 */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'n/a';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** @param {string | undefined} iso */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString('en-GB', { hour12: false });
}

/**
 * Creates an element: el('td', { class: 'num', title: 'x' }, 'text', child).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
